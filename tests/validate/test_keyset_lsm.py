"""KeySet (sorted runs, binary-counter merges, a slot filter) answers like a dict of
hash -> first row; the shortcuts of validate/ agree with the computation they skip."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.contracts import ROW_COLUMN
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.periods import Cadence
from gongkai_etl.validate import constraints, keyset
from gongkai_etl.validate.keyset import KeySet
from support import check_unique_agrees_with_dict

EDGE = [0, 1, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1]


class TinyKeySet(KeySet):
    _MAX_RUN = 40  # runs hit the cap within a few batches


def _hashes(ids: list[int]) -> np.ndarray:
    """Distinct ids to well-spread 64-bit values, a few of them at the extremes."""
    spread = [EDGE[i] if i < len(EDGE) else (i * 0x9E3779B97F4A7C15) % 2**64 for i in ids]
    return np.array(spread, np.uint64)


def _check_against_model(keys: KeySet, batches: list[list[int]]) -> None:
    model: dict[int, int] = {}
    row = 0
    for ids in batches:
        hashes = _hashes(ids)
        rows = np.arange(row, row + len(ids), dtype=np.int64)
        row += len(ids)
        found, first = keys.lookup(hashes)
        assert found.tolist() == [int(h) in model for h in hashes]
        assert first.tolist() == [model.get(int(h), -1) for h in hashes]
        fresh = np.array([int(h) not in model and int(h) not in {int(x) for x in hashes[:i]} for i, h in enumerate(hashes)], bool)
        keys.add(hashes[fresh], rows[fresh])
        for h, r in zip(hashes[fresh].tolist(), rows[fresh].tolist(), strict=True):
            model[h] = r
        assert len(keys) == len(model)
    for run_keys, _ in keys._runs:
        assert (np.diff(run_keys.astype(object)) > 0).all() if len(run_keys) > 1 else True


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 120), max_size=30), max_size=25), st.booleans())
def test_keyset_answers_like_a_dict(batches: list[list[int]], tiny: bool) -> None:
    _check_against_model(TinyKeySet() if tiny else KeySet(), batches)


def test_filter_growth_and_capped_runs() -> None:
    rnd = np.random.default_rng(7)
    keys = TinyKeySet()
    keys._MAX_RUN = 3000
    seen: dict[int, int] = {}
    row = 0
    for size in [1, 7, 1000, 0, 2500, 999, 4000, 3, 1500] * 4:
        ids = rnd.integers(0, 2**64 - 1, size, dtype=np.uint64, endpoint=True)
        if seen and size:
            old = rnd.choice(np.array(list(seen), np.uint64), size=min(size // 3, len(seen)))
            ids[: len(old)] = old
        found, first = keys.lookup(ids)
        want = np.array([seen.get(int(h), -1) for h in ids], np.int64)
        assert (found == (want >= 0)).all() and (first == want).all()
        fresh_at: dict[int, int] = {}
        for i, h in enumerate(ids.tolist()):
            if h not in seen and h not in fresh_at:
                fresh_at[h] = i
        pos = np.array(sorted(fresh_at.values()), np.int64)
        keys.add(ids[pos], pos + row)
        seen.update({int(ids[p]): int(p + row) for p in pos})
        row += size
    assert len(keys) == len(seen) > 20_000
    assert len(keys._filter) * 8 >= keys._SLOTS_PER_KEY * len(keys)
    sizes = [len(k) for k, _ in keys._runs]
    assert max(sizes) <= 4000  # a merge stops at the cap; one batch may exceed it
    assert len(sizes) <= 2 * len(seen) // 1500 + 12  # the capped runs, then about log2(batches)


def test_equal_hashes_added_directly_keep_the_first_row() -> None:
    keys = KeySet()
    keys.add(np.array([5, 5, 9], np.uint64), np.array([10, 11, 12]))
    keys.add(np.array([9, 5], np.uint64), np.array([20, 21]))
    found, first = keys.lookup(np.array([5, 9, 7], np.uint64))
    assert found.tolist() == [True, True, False]
    assert first.tolist() == [10, 12, -1]
    keys.add(np.arange(100, 140, dtype=np.uint64), np.arange(40))
    keys.add(np.array([120], np.uint64), np.array([99]))  # too small to merge: a run of its own
    assert len(keys._runs) > 1
    assert keys.lookup(np.array([120], np.uint64))[1].tolist() == [20]


def test_rows_beyond_int32() -> None:
    keys = KeySet()
    keys.add(np.array([3, 1], np.uint64), np.array([2**40, -1]))
    keys.add(np.array([2], np.uint64), np.array([5]))
    assert keys.lookup(np.array([1, 2, 3], np.uint64))[1].tolist() == [-1, 5, 2**40]


def test_check_unique_matches_dict_over_many_batches() -> None:
    keys = TinyKeySet()
    assert check_unique_agrees_with_dict(keys, seed=3, rounds=60, sizes=[0, 1, 5, 40, 200], key_range=80) == len(keys)


# --- constraint shortcuts ---------------------------------------------------------------

def _reference_bounds(f: Field, typed: pa.Array) -> tuple[list[int], list[int]]:
    low = high = []
    if f.minimum is not None:
        low = pc.indices_nonzero(pc.fill_null(pc.less(typed.cast(pa.float64()), f.minimum), False)).to_pylist()
    if f.maximum is not None:
        high = pc.indices_nonzero(pc.fill_null(pc.greater(typed.cast(pa.float64()), f.maximum), False)).to_pylist()
    return low, high


def _bounds(f: Field, typed: pa.Array) -> tuple[list[int], list[int]]:
    rejects = constraints.check_constraints(f, typed, typed, list(range(len(typed))), None)
    return ([r.index for r in rejects if "最小值" in r.reason], [r.index for r in rejects if "最大值" in r.reason])


@pytest.mark.parametrize("typed", [
    pa.array([1, 5, None, 10], pa.int64()),
    pa.array([0, 1, 2], pa.int64()),
    pa.array([None, None], pa.int64()),
    pa.array([1.0, float("nan"), 10.5, None], pa.float64()),
    pa.array([float("nan")], pa.float64()),
    pa.array([Decimal("0.99"), Decimal("1.00"), Decimal("10.00"), Decimal("10.01")], pa.decimal128(18, 2)),
    pa.array([Decimal("-0.01"), None], pa.decimal128(18, 2)),
])
@pytest.mark.parametrize("kind", ["min", "max", "both"])
def test_bounds_shortcut_rejects_the_same_rows(typed: pa.Array, kind: str) -> None:
    type_name = {"int64": "integer", "double": "number"}.get(str(typed.type), "decimal")
    f = Field("v", "v", type_name, minimum=1 if kind != "max" else None, maximum=10 if kind != "min" else None,
              **({"precision": 18, "scale": 2} if type_name == "decimal" else {}))
    assert _bounds(f, typed) == _reference_bounds(f, typed)


def test_bounds_on_integers_beyond_float_precision_fail_as_before() -> None:
    f = Field("v", "v", "integer", minimum=0)
    for typed in (pa.array([2**60, 5]), pa.array([-(2**60), 5]), pa.array([5, 2**53 + 1])):
        with pytest.raises(pa.ArrowInvalid):
            _reference_bounds(f, typed)
        with pytest.raises(pa.ArrowInvalid):
            _bounds(f, typed)
    assert _bounds(f, pa.array([2**53, 0])) == ([], [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["2016-07", "2016-7", "", "2016-07 ", "x"]) | st.none(), min_size=1, max_size=8),
       st.integers(4096, 6000), st.integers(0, 3))
def test_pattern_on_distinct_values_matches_per_row(pool: list[str | None], n: int, cut: int) -> None:
    rnd = random.Random(n)
    values = pa.array([rnd.choice(pool) for _ in range(n + cut)], pa.string()).slice(cut)
    pattern = r"^(?:\d{4}-\d{2})$"
    assert constraints._match(values, pattern).equals(pc.match_substring_regex(values, pattern))
    chunked = pa.chunked_array([values, values.slice(0, 5)])
    assert constraints._match(chunked, pattern).equals(pc.match_substring_regex(chunked, pattern))
    distinct = pa.array([f"{i:04d}-{i % 100:02d}" for i in range(n)])
    assert constraints._match(distinct, pattern).equals(pc.match_substring_regex(distinct, pattern))


def _reference_hash(text: str) -> int:
    mask = 2**64 - 1

    def mix(h: int) -> int:
        h ^= h >> 33
        h = h * 0xFF51AFD7ED558CCD & mask
        h ^= h >> 33
        h = h * 0xC4CEB9FE1A85EC53 & mask
        return h ^ (h >> 33)

    data = text.encode()
    h = mix(len(data) * 0x9E3779B97F4A7C15 & mask)
    for k in range(0, len(data), 8):
        word = int.from_bytes(data[k : k + 8].ljust(8, b"\0"), "little")
        h = mix(h ^ (word + 0x9E3779B97F4A7C15 * (k // 8 + 1) & mask))
    return h


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20), st.booleans())
def test_hash_strings_matches_a_per_string_reference(values: list[str], same_length: bool) -> None:
    if same_length:
        values = [v.ljust(30, "x")[:30] for v in values]
    assert keyset.hash_strings(pa.array(values)).tolist() == [_reference_hash(v) for v in values]


# --- spilled runs -----------------------------------------------------------------------

def test_spilled_runs_keep_only_top_bits_in_memory_and_answer_exactly(tmp_path) -> None:
    keys = TinyKeySet(spill_dir=tmp_path)  # runs of 20+ keys are spilled
    # Many hashes share their top 32 bits: the spilled search must read the rest back.
    tops = [0, 1, 2**32 - 1, 77]
    model: dict[int, int] = {}
    row = 0
    for batch in range(12):
        ids = [(tops[(batch + i) % 4] << 32) | (batch * 1000 + i) for i in range(30)]
        ids += [ids[0], ids[1]]  # equal hashes in one add: the first row stands
        hashes = np.array(ids, np.uint64)
        rows = np.arange(row, row + len(ids), dtype=np.int64) + (2**40 if batch == 5 else 0)
        keys.add(hashes, rows)
        for h, r in zip(ids, rows.tolist(), strict=True):
            model.setdefault(h, r)
        row += len(ids)
    assert keys._spilled and sum(len(k) for k, _ in keys._runs) < TinyKeySet._MAX_RUN
    assert all(run.top.dtype == np.uint32 for run in keys._spilled)
    assert list(tmp_path.iterdir()) == []  # the spill file has no name
    probe = list(model) + [(t << 32) | 999_999 for t in tops] + [5 << 32]
    found, first = keys.lookup(np.array(probe, np.uint64))
    assert found.tolist() == [h in model for h in probe]
    assert first.tolist() == [model.get(h, -1) for h in probe]
    keys.close()
    keys.close()


def test_spilled_keys_survive_filter_growth(tmp_path) -> None:
    keys = TinyKeySet(spill_dir=tmp_path)
    rnd = np.random.default_rng(11)
    added = rnd.integers(0, 2**64 - 1, 200_000, dtype=np.uint64, endpoint=True)
    for start in range(0, len(added), 25_000):  # the filter doubles several times after runs spill
        keys.add(added[start : start + 25_000], np.arange(start, start + 25_000))
    assert len(keys._spilled) > 1 and len(keys._filter) * 8 >= KeySet._SLOTS_PER_KEY * len(added)
    found, first = keys.lookup(added[::997])
    assert found.all() and first.tolist() == list(range(0, len(added), 997))
    assert not keys.lookup(rnd.integers(0, 2**64 - 1, 1000, dtype=np.uint64))[0].any()


# --- key hashes: dictionary and chunked columns hash as their text -----------------------

def test_key_hashes_ignore_how_a_column_is_stored() -> None:
    period = ["2016-07", None, "2016-08", "2016-07"]
    rid = ["a", "b", None, "长"]
    plain = pa.table({"p": pa.array(period), "r": pa.array(rid), "n": pa.array([1, 2, None, 4])})
    stored = pa.table({
        "p": pa.array(period).dictionary_encode(),
        "r": pa.chunked_array([pa.array(rid[:1]), pa.array(rid[1:])]),
        "n": pa.array([1, 2, None, 4]),
    })
    key = ("p", "r", "n")
    assert keyset.key_hashes(plain, key).tolist() == keyset.key_hashes(stored, key).tolist()
    nulls = pa.table({"p": pa.DictionaryArray.from_arrays(pa.nulls(2, pa.int32()), pa.array([], pa.string()))})
    assert keyset.key_hashes(nulls, ("p",)).tolist() == keyset.key_hashes(pa.table({"p": pa.nulls(2, pa.string())}), ("p",)).tolist()
    # The order of the key's columns counts: (x, y) and (y, x) are different keys.
    xy = pa.table({"a": ["x", "y"], "b": ["y", "x"]})
    h = keyset.key_hashes(xy, ("a", "b"))
    assert h[0] != h[1]


# --- dictionary columns: checked through their distinct values --------------------------

CODED = Dataset(id="c", title_zh="c", title_en="c", cadence=Cadence.MONTHLY, fields=(
    Field("period", "期", required=True, pattern=r"\d{4}-\d{2}"),
    Field("kind", "类", enum=("城市低保", "农村低保")),
    Field("n", "数", type="integer", minimum=1),
))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["2016-07", "2016-7", "", " 2016-08 "]) | st.none(), min_size=1, max_size=6),
       st.lists(st.sampled_from(["城市低保", "农村低保", "城镇", "0"]), min_size=1, max_size=4),
       st.lists(st.integers(0, 20), min_size=1, max_size=30))
def test_dictionary_columns_validate_like_their_text(periods: list[str | None], kinds: list[str],
                                                    picks: list[int]) -> None:
    period_idx = [p % len(periods) for p in picks]
    kind_idx = [p % len(kinds) for p in picks]
    coded = pa.table({
        "period": pa.DictionaryArray.from_arrays(pa.array(period_idx, pa.int32()), pa.array(periods, pa.string())),
        "kind": pa.DictionaryArray.from_arrays(pa.array(kind_idx, pa.int32()), pa.array(kinds, pa.string())),
        "n": pa.array([str(p) for p in picks]),
        ROW_COLUMN: pa.array(range(1, len(picks) + 1), pa.int64()),
    })
    plain = coded.set_column(0, "period", coded.column("period").cast(pa.string())).set_column(
        1, "kind", coded.column("kind").cast(pa.string()))
    got, got_rejects = constraints.normalize_and_validate(coded, CODED)
    want, want_rejects = constraints.normalize_and_validate(plain, CODED)
    for name in ("period", "kind", "n"):
        assert got.column(name).to_pylist() == want.column(name).to_pylist()
    key = lambda r: (r.index, r.field, r.reason)  # noqa: E731
    assert sorted(map(key, got_rejects)) == sorted(map(key, want_rejects))
