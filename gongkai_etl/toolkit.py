"""Helpers a source plugin may call: the engine's own column work, offered as API.

A plugin imports from the public modules only: :mod:`gongkai_etl` (``hookimpl``),
:mod:`~gongkai_etl.hookspecs`, :mod:`~gongkai_etl.contracts`,
:mod:`~gongkai_etl.datasets`, :mod:`~gongkai_etl.fields`, :mod:`~gongkai_etl.errors`,
:mod:`~gongkai_etl.periods`, :mod:`~gongkai_etl.workdays`,
:mod:`~gongkai_etl.divisions`, :mod:`~gongkai_etl.values` and this module.
Everything else in the package is the engine's and may change without notice;
the import-linter contracts in the test suite hold the built-in plugins to this.

What is here, and why a source would want it:

* ``normalize_and_validate`` / ``check_unique``: type a table the source built
  itself (hourly rows it aggregates, monitoring samples it joins) exactly as
  the engine types a dataset's rows, with the same rejects.
* ``read_sheet`` / ``choose_names`` / ``combine_header_rows`` /
  ``match_columns``: read the title block above a sheet's header, and match
  header names to declared columns the way the readers do.
* GB 11643 ID numbers (``is_valid_id18``, ``id18_check_char``, ``ID18_WEIGHTS``,
  ``ID18_CHECK_CHARS``), ``mask_id`` and ``salted_key_array``: a source that
  checks or keys people's ID numbers column-wise.
* ``values_by_key``: a field of another table's rows, matched by a key column.
* ``text_cell``: a value a source computed, as the raw text the engine types
  (a source yields raw text, like a department's file).
* ``one_array`` / ``string_payload``: a column as one Arrow array, and the raw
  UTF-8 bytes and offsets of a string array, for numpy kernels.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gongkai_etl.arrowtext import one_array, string_payload
from gongkai_etl.extract.excel_reader import read_sheet
from gongkai_etl.extract.headers import choose_names, combine_header_rows, match_columns
from gongkai_etl.protect.keys import salted_key_array
from gongkai_etl.protect.pii import (
    ID18_CHECK_CHARS,
    ID18_WEIGHTS,
    id18_check_char,
    is_valid_id18,
    mask_id,
)
from gongkai_etl.validate.constraints import normalize_and_validate
from gongkai_etl.validate.rules import values_by_key
from gongkai_etl.validate.unique import check_unique


def text_cell(value: Any) -> str | None:
    """A computed value as raw cell text: dates in ISO form, decimals in
    fixed-point notation (never ``1E+2``), None as None."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return format(value, "f") if isinstance(value, Decimal) else str(value)


__all__ = [
    "ID18_CHECK_CHARS",
    "ID18_WEIGHTS",
    "check_unique",
    "choose_names",
    "combine_header_rows",
    "id18_check_char",
    "is_valid_id18",
    "mask_id",
    "match_columns",
    "normalize_and_validate",
    "one_array",
    "read_sheet",
    "salted_key_array",
    "string_payload",
    "text_cell",
    "values_by_key",
]
