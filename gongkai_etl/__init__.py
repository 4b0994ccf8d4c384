"""gongkai-etl: publish government open data on its legal cadence.

Raw department tables in, normalized, validated, privacy-safe open datasets out.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Marker for plugin implementations: ``@hookimpl def register_sources(): ...``
hookimpl = pluggy.HookimplMarker("gongkai_etl")

__all__ = ["__version__", "hookimpl"]
