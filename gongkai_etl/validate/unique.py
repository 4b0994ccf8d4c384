"""Primary-key uniqueness: within a chunk and against the keys of earlier chunks."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN, Reject
from gongkai_etl.datasets import Dataset
from gongkai_etl.validate.keyset import KeySet, key_hashes, key_strings


def check_unique(
    table: pa.Table, dataset: Dataset, seen: KeySet | dict[str, int | None], skip: Collection[int] | np.ndarray
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
    hashes = key_hashes(table, dataset.primary_key)
    raw_rows = table.column(ROW_COLUMN)
    rows = pc.fill_null(raw_rows, -1).to_numpy().astype(np.int64)
    active = np.ones(n, bool)
    if len(skip):
        at = np.asarray(skip, np.int64) if isinstance(skip, np.ndarray) else np.fromiter(skip, np.int64)
        active[at[(at >= 0) & (at < n)]] = False
    idx = np.flatnonzero(active)
    if not len(idx):
        return []
    h = hashes[idx]
    # One sort serves the within-chunk check, the lookup and the insertion.
    order = np.argsort(h)
    ordered = h[order]
    head = np.ones(len(h), bool)
    head[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(head)
    distinct = ordered[starts]
    earliest = np.minimum.reduceat(order, starts)  # where in h each distinct hash first occurs
    group = np.empty(len(h), np.int64)
    group[order] = np.cumsum(head) - 1  # the distinct hash of each position
    found_distinct, prior = seen._lookup_sorted(distinct)
    found = found_distinct[group]
    # Within the chunk: the first occurrence of a hash stands, later ones are duplicates.
    later = earliest[group] != np.arange(len(h))
    first_rows = np.where(found, prior[group], rows[idx[earliest[group]]])
    dup = found | later
    new = ~found_distinct
    seen._add_sorted(distinct[new], rows[idx[earliest[new]]])
    if not dup.any():
        return []
    files = table.column(FILE_COLUMN) if FILE_COLUMN in table.column_names else None
    label = "+".join(dataset.primary_key)
    dup_at = np.flatnonzero(dup)
    # The key text only for the duplicates, to show them.
    text = key_strings(table.take(pa.array(idx[dup_at])), dataset.primary_key).to_pylist()
    out: list[Reject] = []
    for j, k in zip(dup_at.tolist(), text, strict=True):
        i = int(idx[j])
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
    table: pa.Table, dataset: Dataset, seen: dict[str, int | None], skip: Collection[int] | np.ndarray
) -> list[Reject]:
    skip = set(np.asarray(skip).tolist()) if isinstance(skip, np.ndarray) else skip
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
