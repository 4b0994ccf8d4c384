"""A raw table typed to a dataset's fields, column by column.

Each declared field's raw column goes through :func:`normalize_column`
(pyarrow kernels first, the scalar parsers of :mod:`gongkai_etl.values` for the
rest). A value that does not parse becomes a reject here (:class:`Rejects`, columnar); what the
declared constraints say about the values that did parse is the validate
stage's work, so :class:`Normalized` hands over, per field, what that stage
needs: the raw column (rejects show raw values), which rows already failed, and
for a dictionary column its distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import values as nz
from gongkai_etl.arrowtext import one_array
from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import ConfigError
from gongkai_etl.normalize.columns import normalize_column
from gongkai_etl.rejectset import LazyValues, Rejects


@dataclass
class FieldToCheck:
    """What the validate stage checks of one field after normalizing."""

    raw: pa.Array | pa.ChunkedArray
    #: The typed column as normalizing made it (the table's column is its chunked twin;
    #: the constraint checks' byte-level fast paths need the array itself).
    typed: pa.Array | pa.ChunkedArray
    #: Rows whose value did not parse (already rejected); None when none can have.
    failed: pa.Array | pa.ChunkedArray | None = None
    #: The field's unit in the raw column (``source_unit`` metadata), if any.
    unit: str | None = None
    #: A dictionary column with no null slot whose distinct values all parsed:
    #: (typed values, raw values). The constraints are functions of the value, so
    #: checking these few answers for every row.
    distinct: tuple[pa.Array, pa.Array] | None = None
    #: Rejects of values that did not parse.
    rejects: Rejects = field(default_factory=Rejects)


@dataclass
class Normalized:
    """A table typed to a dataset: its fields, then the other columns as they
    came (the protect stage may need them for salted keys), then ``_row``."""

    table: pa.Table
    #: Raw row numbers and files of the rows, converted to Python only when a row is rejected.
    rows: Sequence[Any]
    files: Sequence[Any] | None
    fields: dict[str, FieldToCheck]

    @property
    def rejects(self) -> Rejects:
        return Rejects(b for check in self.fields.values() for b in check.rejects.blocks)


def rejects_where(
    mask: pa.Array | pa.ChunkedArray,
    raw: pa.Array | pa.ChunkedArray,
    rows: Sequence[Any],
    files: Sequence[Any] | None,
    field: str,
    reason: str | pa.Array,
) -> Rejects:
    """One reject per row where ``mask`` is true, showing ``raw``'s value there."""
    return Rejects.where(mask, raw, rows, files, field, reason)


def source_unit(table: pa.Table, name: str) -> str | None:
    """The unit ``ctx.read`` attached to a raw column (the pipeline's ``units:``)."""
    meta = table.schema.field(name).metadata or {}
    return meta.get(b"source_unit", b"").decode() or None


def _check_label(table: pa.Table, f: Field) -> None:
    """A header's label unit (户, 人, %) must be the field's unit when the field
    has one: 人 is no 户, and no table converts one into the other."""
    meta = table.schema.field(f.name).metadata or {}
    label = meta.get(b"header_unit", b"").decode()
    if label and f.unit and not nz.same_unit(label, f.unit):
        raise ConfigError(
            f"表头单位 {label} 与字段单位 {f.unit} 不同，且无法换算 "
            f"(the header's unit {label} is not the field's unit {f.unit} and cannot be converted)",
            field=f.name,
        )


def normalize_table(table: pa.Table, dataset: Dataset) -> Normalized:
    """Type every declared field of ``table``; a missing field is all null."""
    n = table.num_rows
    rows: Sequence[Any] = LazyValues(table.column(ROW_COLUMN)) if ROW_COLUMN in table.column_names else [None] * n
    files = LazyValues(table.column(FILE_COLUMN)) if FILE_COLUMN in table.column_names and n else None
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    checks: dict[str, FieldToCheck] = {}
    for f in dataset.fields:
        if f.name not in table.column_names:
            columns[f.name] = pa.nulls(n, f.arrow_type)
            checks[f.name] = FieldToCheck(pa.nulls(n, pa.string()), columns[f.name])
            continue
        raw = table.column(f.name)
        unit = source_unit(table, f.name)
        _check_label(table, f)
        arr = _encoded_if_repeating(one_array(raw), f)
        distinct = _distinct(arr, f, unit)
        if distinct is not None:
            columns[f.name] = distinct[0].take(arr.indices)
            checks[f.name] = FieldToCheck(raw, columns[f.name], unit=unit, distinct=distinct)
            continue
        typed, errors = normalize_column(arr, f, source_unit=unit)
        failed = pc.is_valid(errors)
        check = FieldToCheck(raw, typed, failed, unit)
        if pc.any(failed).as_py():
            check.rejects = rejects_where(failed, raw, rows, files, f.name, errors)
        columns[f.name] = typed
        checks[f.name] = check
    for extra in table.column_names:
        if extra not in columns:
            columns[extra] = table.column(extra)
    if ROW_COLUMN not in columns:
        columns[ROW_COLUMN] = pa.array(range(1, n + 1), pa.int64())
    return Normalized(pa.table(columns), rows, files, checks)


#: Columns shorter than this are parsed row by row: encoding them saves too little.
ENCODE_MIN_ROWS = 8192
#: Parse through the dictionary when it has at most this share of the rows.
ENCODE_MAX_SHARE = 0.5


def _encoded_if_repeating(arr: pa.Array, f: Field) -> pa.Array:
    """A text column of a parsed type (amounts, counts, dates) as a dictionary
    when its values repeat, so each distinct value is parsed and checked once.

    A list's amounts repeat (5M rows of 月保障金额 hold ~14k values): the gate
    regex, the comma strip and the decimal cast cost ~0.25 s a million rows, the
    encoding ~0.03 s, which is all a column of distinct values loses. Parsing is
    a function of the value, so the typed column is the same either way. Text
    fields are left alone: cleaning them costs about what encoding them does.
    """
    if f.type == "string" or len(arr) < ENCODE_MIN_ROWS or not pa.types.is_string(arr.type):
        return arr
    encoded = pc.dictionary_encode(arr)
    return encoded if len(encoded.dictionary) <= ENCODE_MAX_SHARE * len(arr) else arr


def _distinct(arr: pa.Array, f: Field, unit: str | None) -> tuple[pa.Array, pa.Array] | None:
    """(typed, raw) distinct values of a dictionary column (a period, a code) with
    no null slot whose every distinct value parses; None otherwise, for the
    row-by-row path to say which rows fail."""
    if not pa.types.is_dictionary(arr.type) or arr.null_count:
        return None
    values, errors = normalize_column(arr.dictionary, f, source_unit=unit)
    if errors.null_count != len(errors):
        return None
    return values, arr.dictionary
