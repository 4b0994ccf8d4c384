"""The vectorised primary-key check (KeySet, 64-bit hashes) rejects exactly what the
key-text dict did, batch by batch, with the same first-occurrence rows."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from gongkai_etl.contracts import ROW_COLUMN
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.periods import Cadence
from gongkai_etl.validate.keyset import KeySet, hash_strings
from gongkai_etl.validate.unique import check_unique

DS = Dataset(id="t", title_zh="t", title_en="t", cadence=Cadence.MONTHLY, fields=(Field("a", "a"), Field("b", "b", type="integer")), primary_key=("a", "b"))


def _batches(seed: int) -> list[pa.Table]:
    rnd = random.Random(seed)
    out, row = [], 1
    for size in (1, 50, 300, 0, 1000):
        a = [rnd.choice(["x", "y", "长街道", "", None, "x\x1fy"]) for _ in range(size)]
        b = [rnd.choice([1, 2, 3, None]) for _ in range(size)]
        out.append(pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.int64()),
                             ROW_COLUMN: pa.array(range(row, row + size), pa.int64())}))
        row += size
    return out


def test_keyset_matches_dict() -> None:
    for seed in range(5):
        legacy: dict = {}
        keys = KeySet()
        for t in _batches(seed):
            skip = {i for i in range(t.num_rows) if i % 7 == 3}
            old = check_unique(t, DS, legacy, skip)
            new = check_unique(t, DS, keys, skip)
            assert [(r.index, r.row, r.value, r.reason) for r in old] == [(r.index, r.row, r.value, r.reason) for r in new]
        assert len(keys) == len(legacy)


def test_hash_strings_distinct_and_stable() -> None:
    values = [f"2016-07\x1f{i:032x}" for i in range(200_000)] + ["", "a", "a\x00", "长"]
    h = hash_strings(pa.array(values))
    assert len(np.unique(h)) == len(values)
    sliced = pa.array(values).slice(100, 50)
    assert (hash_strings(sliced) == h[100:150]).all()
    chunked = pa.chunked_array([pa.array(values[:10]), pa.array(values[10:20])])
    assert (hash_strings(chunked) == h[:20]).all()
