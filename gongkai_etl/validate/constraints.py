"""Declared constraints of each field: required, enum, range, pattern.

Checked column by column with pyarrow.compute on what the normalize stage
typed (:class:`~gongkai_etl.normalize.table.Normalized`). A failing value is
never dropped silently: it becomes a :class:`~gongkai_etl.contracts.Reject`
with the raw row number, field, value and reason; the validate stage removes
those rows and the stage step writes them to the rejects file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.arrowtext import string_payload
from gongkai_etl.contracts import Reject
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.normalize.columns import normalize_column
from gongkai_etl.normalize.table import Normalized, normalize_table, rejects_where
from gongkai_etl.rejectset import Rejects


def check_constraints(
    f: Field,
    typed: pa.Array | pa.ChunkedArray,
    raw: pa.Array | pa.ChunkedArray,
    rows: Sequence[Any],
    files: Sequence[Any] | None,
    failed: pa.Array | None = None,
) -> Rejects:
    out = Rejects()
    if f.required:
        # A value that failed to parse is already rejected with its own reason;
        # every other null (empty, blank, NA, -) is a missing required value.
        missing = pc.is_null(typed) if failed is None else pc.and_(pc.is_null(typed), pc.invert(failed))
        hint = f"; {f.missing_hint}" if f.missing_hint else ""
        out += rejects_where(missing, raw, rows, files, f.name, f"必填字段为空 (required field {f.title_zh} is missing){hint}")
    if f.enum:
        allowed = pa.array(list(f.enum), pa.string())
        bad = pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed.cast(pa.string()), value_set=allowed)))
        shown = "、".join(f.enum[:12]) + ("…" if len(f.enum) > 12 else "")
        out += rejects_where(bad, typed, rows, files, f.name, f"不在允许的取值中 (not one of the allowed values: {shown})")
    numeric = f.type in ("integer", "number", "decimal")
    low, high = _float_range(typed) if numeric and (f.minimum is not None or f.maximum is not None) else (None, None)
    if f.minimum is not None and numeric and not (low is not None and low >= f.minimum):
        bad = pc.less(typed.cast(pa.float64()), f.minimum)
        out += rejects_where(bad, typed, rows, files, f.name, f"小于最小值 {f.minimum:g} (below the minimum {f.minimum:g})")
    if f.maximum is not None and numeric and not (high is not None and high <= f.maximum):
        bad = pc.greater(typed.cast(pa.float64()), f.maximum)
        out += rejects_where(bad, typed, rows, files, f.name, f"大于最大值 {f.maximum:g} (above the maximum {f.maximum:g})")
    if f.pattern and f.type == "string":
        pattern = f.pattern if f.pattern.startswith("^") else f"^(?:{f.pattern})$"
        ok = _match(typed, pattern)
        bad = pc.and_(pc.is_valid(typed), pc.invert(pc.fill_null(ok, True)))
        out += rejects_where(bad, typed, rows, files, f.name, f"格式不符 (does not match the pattern {f.pattern})")
    return out


def _float_range(typed: pa.Array | pa.ChunkedArray) -> tuple[float | None, float | None]:
    """(least, greatest) of the values as float64, or None where unknown.

    Casting to float64 is monotone, so the column's extremes bound every value's
    cast: a column inside the bounds needs no cast of its own. An extreme that
    does not cast (an integer beyond 2^53) answers None: the caller casts the
    column and fails the same way.
    """
    extremes = pc.min_max(typed)
    try:
        return pc.cast(extremes["min"], pa.float64()).as_py(), pc.cast(extremes["max"], pa.float64()).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, None


# ^(?:[class]{n})$ with an ASCII class: record keys, codes of fixed width.
_FIXED_CLASS = re.compile(r"^\^\(\?:\[([ -\[\]-~]+)\]\{(\d+)\}\)\$$")


@lru_cache(maxsize=64)
def _fixed_class_table(pattern: str) -> tuple[bytes, int] | None:
    """(allowed bytes, width) when ``pattern`` is one ASCII class repeated exactly n times."""
    m = _FIXED_CLASS.match(pattern)
    if m is None or "\\" in m.group(1) or m.group(1).startswith("^"):
        return None
    allowed = bytearray()
    body = m.group(1)
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            allowed += bytes(range(ord(body[i]), ord(body[i + 2]) + 1))
            i += 3
        else:
            allowed.append(ord(body[i]))
            i += 1
    return bytes(allowed), int(m.group(2))


def _all_fixed_class(values: pa.Array, pattern: str) -> bool:
    """True when every value is exactly n bytes from the class (so matches); False
    means "not known": the regex decides. A byte check instead of a regex per row."""
    spec = _fixed_class_table(pattern)
    if spec is None or values.null_count or not pa.types.is_string(values.type) or not len(values):
        return False
    allowed, width = spec
    data, offsets = string_payload(values)
    if len(data) != width * len(values) or not (np.diff(offsets) == width).all():
        return False
    return not data.tobytes().translate(None, allowed)  # deletes the allowed bytes: nothing may be left


def _match(values: pa.Array | pa.ChunkedArray, pattern: str) -> pa.Array | pa.ChunkedArray:
    """match_substring_regex, once per distinct value where a sample shows values
    repeat (a period or a division code: one regex run per row costs several times
    a dictionary encoding)."""
    if isinstance(values, pa.Array) and _all_fixed_class(values, pattern):
        return pa.repeat(pa.scalar(True), len(values))
    if isinstance(values, pa.Array) and len(values) >= 4096 and len(pc.unique(values.slice(0, 1024))) <= 64:
        encoded = pc.dictionary_encode(values)
        return pc.take(pc.match_substring_regex(encoded.dictionary, pattern), encoded.indices)
    return pc.match_substring_regex(values, pattern)


def check_field(f: Field, normalized: Normalized) -> Rejects:
    """The constraint rejects of one field of a normalized table.

    A dictionary column is checked on its distinct values first; when one of
    them fails, its rows are typed again one by one (the same values) and
    checked row by row, so each failing row gets its own reject.
    """
    check = normalized.fields[f.name]
    if check.distinct is not None:
        values, raw_values = check.distinct
        if not check_constraints(f, values, raw_values, [None] * len(values), None):
            return Rejects()
        typed, errors = normalize_column(check.raw, f, source_unit=check.unit)
        check.typed, check.failed, check.distinct = typed, pc.is_valid(errors), None
        table = normalized.table
        normalized.table = table.set_column(table.column_names.index(f.name), f.name, typed)
    return check_constraints(f, check.typed, check.raw, normalized.rows, normalized.files, check.failed)


def normalize_and_validate(table: pa.Table, dataset: Dataset) -> tuple[pa.Table, list[Reject]]:
    """Type ``table`` to ``dataset`` and check every field's constraints: the
    normalize and validate stages' column work, for a source that builds a table
    of its own (:mod:`gongkai_etl.toolkit`). Key uniqueness is not checked here.

    Returns (typed table: dataset fields, the other columns, ``_row``; rejects,
    field by field: values that did not parse, then constraint failures). A
    column's unit comes from its ``source_unit`` field metadata (set by
    ``ctx.read`` from the pipeline's ``units:``).
    """
    normalized = normalize_table(table, dataset)
    rejects: list[Reject] = []
    for f in dataset.fields:
        rejects += normalized.fields[f.name].rejects
        rejects += check_field(f, normalized)
    return normalized.table, rejects
