"""The ``etl`` command line: one module per command group.

:mod:`.app` holds the typer app, the global options and :func:`main` (the one
place where errors become messages and exit codes); :mod:`.run`,
:mod:`.status` and :mod:`.info` add their commands to it on import;
:mod:`.review` and :mod:`.site` are plugins (entry points) that add theirs
through the ``register_commands`` hook, as a third party's would.
"""

from __future__ import annotations

from gongkai_etl.cli import info, inspect_file, run, status  # noqa: F401  (register their commands)
from gongkai_etl.cli.app import (  # first: it sets Arrow's allocator before pyarrow loads
    app,
    main,
)

__all__ = ["app", "main"]
