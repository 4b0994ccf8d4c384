"""Validate stage: normalize raw columns to declared types and check the
declared constraints, column by column with pyarrow.compute.

A failing row is never dropped silently: every failure becomes a
:class:`~gongkai_etl.contracts.Reject` with the raw row number, field, value and
reason, and the caller removes those rows and writes them to the rejects file.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
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


class _Lazy:
    """A column's Python values, converted on first access."""

    def __init__(self, column: pa.Array | pa.ChunkedArray) -> None:
        self._column = column
        self._values: list | None = None

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        if self._values is None:
            self._values = self._column.to_pylist()
        return self._values[i]


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
    # Converted to Python only if a row is rejected (a streamed chunk rarely has one).
    rows = _Lazy(table.column(ROW_COLUMN)) if ROW_COLUMN in table.column_names else [None] * n
    files = _Lazy(table.column(FILE_COLUMN)) if FILE_COLUMN in table.column_names and n else None
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


class KeySet:
    """Primary keys seen so far in a streamed dataset: 64-bit hashes of the key text
    with the raw row of their first occurrence, in sorted numpy chunks.

    Memory is 16 bytes a key (a Python dict of key strings takes ~150), and a batch
    is checked with vectorised searches instead of a Python loop. Two different keys
    share a hash with probability ~n²/2^65 (about 1e-6 for 5M keys); such a pair
    would be reported as a duplicate, never silently published twice.
    """

    _MERGE_AT = 16

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, rows)

    def __len__(self) -> int:
        return sum(len(h) for h, _ in self._chunks)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, row of the first occurrence or -1) for each hash."""
        found = np.zeros(len(hashes), bool)
        rows = np.full(len(hashes), -1, np.int64)
        for keys, first in self._chunks:
            if not len(keys):
                continue
            pos = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
            hit = (keys[pos] == hashes) & ~found
            rows[hit] = first[pos[hit]]
            found |= hit
        return found, rows

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if not len(hashes):
            return
        order = np.argsort(hashes, kind="stable")
        self._chunks.append((hashes[order], rows[order]))
        if len(self._chunks) > self._MERGE_AT:
            keys = np.concatenate([h for h, _ in self._chunks])
            first = np.concatenate([r for _, r in self._chunks])
            order = np.argsort(keys, kind="stable")
            self._chunks = [(keys[order], first[order])]


_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(h: np.ndarray) -> np.ndarray:
    # murmur3's 64-bit finalizer: every input bit reaches every output bit.
    h = h ^ (h >> np.uint64(33))
    h = h * _M1
    h = h ^ (h >> np.uint64(33))
    h = h * _M2
    return h ^ (h >> np.uint64(33))


def hash_strings(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """64-bit hash of each (non-null) string, vectorised: the UTF-8 bytes are laid out
    in a zero-padded matrix, read as 8-byte words and folded with the length."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.uint64)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], np.int64, count=n + 1, offset=arr.offset * 8)
    lengths = np.diff(offsets)
    total = int(lengths.sum())
    width = max((int(lengths.max()) + 7) // 8 * 8, 8)
    mat = np.zeros((n, width), np.uint8)
    if total:
        data = np.frombuffer(bufs[2], np.uint8)
        base = int(offsets[0])
        size = int(lengths[0])
        if size * n == total and (lengths == size).all():  # fixed-width keys: one copy
            mat[:, :size] = data[base : base + total].reshape(n, size)
        else:
            row = np.repeat(np.arange(n), lengths)
            col = np.arange(total) - np.repeat(offsets[:-1] - base, lengths)
            mat[row, col] = data[base : base + total]
    words = mat.view("<u8")
    with np.errstate(over="ignore"):
        h = _mix(lengths.astype(np.uint64) * _GOLDEN)
        for k in range(words.shape[1]):  # words past a string's end do not count
            h = np.where(lengths > 8 * k, _mix(h ^ words[:, k] + _GOLDEN * np.uint64(k + 1)), h)
    return h


def check_unique(
    table: pa.Table, dataset: Dataset, seen: KeySet | dict[str, int | None], skip: set[int]
) -> list[Reject]:
    """Primary-key uniqueness within the chunk and against ``seen`` (earlier chunks).

    ``seen`` (a :class:`KeySet`, or a dict of key text -> raw row) remembers the
    first occurrence of every key and is updated. Rows in ``skip`` (already
    rejected) take no part.
    """
    if not dataset.primary_key or table.num_rows == 0:
        return []
    if isinstance(seen, dict):
        return _check_unique_dict(table, dataset, seen, skip)
    n = table.num_rows
    text = key_strings(table, dataset.primary_key)
    hashes = hash_strings(text)
    raw_rows = table.column(ROW_COLUMN)
    rows = pc.fill_null(raw_rows, -1).to_numpy().astype(np.int64)
    active = np.ones(n, bool)
    if skip:
        active[np.fromiter((i for i in skip if 0 <= i < n), np.int64)] = False
    idx = np.flatnonzero(active)
    h = hashes[idx]
    found, first_rows = seen.lookup(h)
    # Within the chunk: the first occurrence of a hash stands, later ones are duplicates.
    _, first_pos, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    later = first_pos[inverse] != np.arange(len(h))
    first_rows = np.where(found, first_rows, rows[idx[first_pos[inverse]]])
    dup = found | later
    fresh = ~dup
    seen.add(h[fresh], rows[idx[fresh]])
    if not dup.any():
        return []
    files = table.column(FILE_COLUMN) if FILE_COLUMN in table.column_names else None
    label = "+".join(dataset.primary_key)
    out: list[Reject] = []
    for j in np.flatnonzero(dup):
        i = int(idx[j])
        k = text[i].as_py()
        first = int(first_rows[j])
        first_shown = None if first < 0 else first
        shown = k.replace("\x1f", " / ").replace("\x00", "")
        out.append(Reject(
            i, raw_rows[i].as_py(), label, shown,
            f"主键重复，与第 {first_shown} 行相同 (duplicate primary key; first at row {first_shown})",
            files[i].as_py() if files is not None else "",
        ))
    return out


def _check_unique_dict(
    table: pa.Table, dataset: Dataset, seen: dict[str, int | None], skip: set[int]
) -> list[Reject]:
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
