"""Validate stage: normalize raw columns to declared types and check the
declared constraints, column by column with pyarrow.compute.

A failing row is never dropped silently: every failure becomes a
:class:`~gongkai_etl.contracts.Reject` with the raw row number, field, value and
reason, and the caller removes those rows and writes them to the rejects file.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN, Reject
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.transform.columns import normalize_column


def _value_at(arr: pa.Array | pa.ChunkedArray, i: int) -> str:
    v = arr[i].as_py()
    return "" if v is None else str(v)


def _rejects_where(
    mask: pa.Array | pa.ChunkedArray,
    raw: pa.Array | pa.ChunkedArray,
    rows: list[int | None],
    files: list[str] | None,
    field: str,
    reason: str | pa.Array,
) -> list[Reject]:
    idx = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
    out: list[Reject] = []
    for i in idx:
        why = reason if isinstance(reason, str) else str(reason[i].as_py())
        out.append(Reject(i, rows[i], field, _value_at(raw, i), why, files[i] if files else ""))
    return out


def normalize_and_validate(
    table: pa.Table, dataset: Dataset, units: Mapping[str, str] | None = None
) -> tuple[pa.Table, list[Reject]]:
    """Return (typed table: dataset fields + ``_row`` + ``_file``, rejects).

    Columns of ``table`` that are not dataset fields are kept as they are
    (the protect stage may need them for salted keys) and dropped later. A
    column's unit comes from its ``source_unit`` field metadata (set by
    ``ctx.read`` from the pipeline's ``units:``), else from ``units``.
    """
    units = units or {}
    n = table.num_rows
    rows = table.column(ROW_COLUMN).to_pylist() if ROW_COLUMN in table.column_names else [None] * n
    files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else None
    rejects: list[Reject] = []
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for f in dataset.fields:
        if f.name in table.column_names:
            raw = table.column(f.name)
            meta = table.schema.field(f.name).metadata or {}
            unit = meta.get(b"source_unit", b"").decode() or units.get(f.name)
            typed, errors = normalize_column(raw, f, source_unit=unit)
            failed = pc.is_valid(errors)
            if pc.any(failed).as_py():
                rejects += _rejects_where(failed, raw, rows, files, f.name, errors)
        else:
            raw = pa.nulls(n, pa.string())
            typed = pa.nulls(n, f.arrow_type)
            failed = None
        columns[f.name] = typed
        rejects += _check_constraints(f, typed, raw, rows, files, failed)
    for extra in table.column_names:
        if extra not in columns:
            columns[extra] = table.column(extra)
    if ROW_COLUMN not in columns:
        columns[ROW_COLUMN] = pa.array(range(1, n + 1), pa.int64())
    out = pa.table(columns)
    return out, rejects


def _check_constraints(
    f: Field,
    typed: pa.Array | pa.ChunkedArray,
    raw: pa.Array | pa.ChunkedArray,
    rows: list[int | None],
    files: list[str] | None,
    failed: pa.Array | None = None,
) -> list[Reject]:
    out: list[Reject] = []
    if f.required:
        # A value that failed to parse is already rejected with its own reason;
        # every other null (empty, blank, NA, -) is a missing required value.
        missing = pc.is_null(typed) if failed is None else pc.and_(pc.is_null(typed), pc.invert(failed))
        out += _rejects_where(missing, raw, rows, files, f.name, f"必填字段为空 (required field {f.title_zh} is missing)")
    if f.enum:
        allowed = pa.array(list(f.enum), pa.string())
        bad = pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed.cast(pa.string()), value_set=allowed)))
        shown = "、".join(f.enum[:12]) + ("…" if len(f.enum) > 12 else "")
        out += _rejects_where(bad, typed, rows, files, f.name, f"不在允许的取值中 (not one of the allowed values: {shown})")
    if f.minimum is not None and f.type in ("integer", "number", "decimal"):
        bad = pc.less(typed.cast(pa.float64()), f.minimum)
        out += _rejects_where(bad, typed, rows, files, f.name, f"小于最小值 {f.minimum:g} (below the minimum {f.minimum:g})")
    if f.maximum is not None and f.type in ("integer", "number", "decimal"):
        bad = pc.greater(typed.cast(pa.float64()), f.maximum)
        out += _rejects_where(bad, typed, rows, files, f.name, f"大于最大值 {f.maximum:g} (above the maximum {f.maximum:g})")
    if f.pattern and f.type == "string":
        pattern = f.pattern if f.pattern.startswith("^") else f"^(?:{f.pattern})$"
        ok = pc.match_substring_regex(typed, pattern)
        bad = pc.and_(pc.is_valid(typed), pc.invert(pc.fill_null(ok, True)))
        out += _rejects_where(bad, typed, rows, files, f.name, f"格式不符 (does not match the pattern {f.pattern})")
    return out


def key_strings(table: pa.Table, key: tuple[str, ...]) -> pa.Array | pa.ChunkedArray:
    """One text per row joining the primary-key values (for uniqueness checks)."""
    parts = [pc.fill_null(table.column(k).cast(pa.string()), "\x00") for k in key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


def check_unique(
    table: pa.Table, dataset: Dataset, seen: dict[str, int | None], skip: set[int]
) -> list[Reject]:
    """Primary-key uniqueness within the chunk and against ``seen`` (earlier chunks).

    ``seen`` maps key text -> raw row of its first occurrence and is updated.
    Rows in ``skip`` (already rejected) take no part.
    """
    if not dataset.primary_key or table.num_rows == 0:
        return []
    keys = key_strings(table, dataset.primary_key).to_pylist()
    rows = table.column(ROW_COLUMN).to_pylist()
    files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else None
    out: list[Reject] = []
    label = "+".join(dataset.primary_key)
    for i, k in enumerate(keys):
        if i in skip:
            continue
        if k in seen:
            shown = k.replace("\x1f", " / ").replace("\x00", "")
            out.append(
                Reject(i, rows[i], label, shown, f"主键重复，与第 {seen[k]} 行相同 (duplicate primary key; first at row {seen[k]})", files[i] if files else "")
            )
        else:
            seen[k] = rows[i]
    return out


