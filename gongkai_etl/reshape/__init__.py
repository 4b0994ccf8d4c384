"""Reshaping a raw input into one row per record, before its columns are mapped.

The steps come from ``inputs.<name>.reshape`` (parsed by :mod:`gongkai_etl.reshape_spec`);
:func:`reshape_input` applies them: petl on tables held whole (:mod:`.table`), Arrow
kernels on the streaming CSV path (:mod:`.stream`). Sits between extract and normalize.
"""

from __future__ import annotations

from gongkai_etl.reshape.apply import reshape_input

__all__ = ["reshape_input"]
