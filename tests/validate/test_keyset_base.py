"""KeySet's on-disk base run (validate/keybase.py): folds keep every answer exact
(found or not, and the row of the first occurrence), and memory stays within a fixed
part plus ~0.56 bytes a key however many keys are added."""

from __future__ import annotations

import mmap
import os
import random
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.validate.keybase import BaseRun, Source, mapped, open_spill, write
from gongkai_etl.validate.keyset import KeySet
from support import check_unique_agrees_with_dict


class TinyBase(BaseRun):
    _BITS_PER_KEY = 1  # a filter that lets most lookups through to the blocks
    _BLOCK = 4  # many blocks, windows at the file's end moved back
    _CHUNK = 3  # merge rounds of a few keys
    _PROBES = 5  # several probe rounds a lookup


class FoldingKeySet(KeySet):
    _MAX_RUN = 16  # runs of 8+ keys spill
    _DENSE_KEYS = 40  # and a few spilled runs fold into the base
    _BASE = TinyBase


class OpenBase(TinyBase):
    """A filter that lets every lookup through: each one reads its block."""

    def _words_and_masks(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        word, mask = super()._words_and_masks(keys)
        return word, np.zeros_like(mask)


class TightBase(TinyBase):
    _BITS_PER_KEY = 4  # the filter as used: a false negative would show


class TightKeySet(FoldingKeySet):
    _BASE = TightBase


def _model_run(keys: KeySet, batches: list[list[int]], pool: list[int], readd: bool = False) -> None:
    """Feed ``batches`` (indexes into ``pool``) the way check_unique does and compare
    every lookup with a dict of hash -> first row. With ``readd``, hashes already in
    the set are added again too (add's contract: the first row stands)."""
    model: dict[int, int] = {}
    row = 0
    for ids in batches:
        hashes = np.array([pool[i] for i in ids], np.uint64)
        found, first = keys.lookup(hashes)
        assert found.tolist() == [int(h) in model for h in hashes]
        assert first.tolist() == [model.get(int(h), -1) for h in hashes]
        fresh: dict[int, int] = {}
        for i, h in enumerate(hashes.tolist()):
            if h not in model and h not in fresh:
                fresh[h] = row + i
        if readd:
            keys.add(hashes, np.arange(row, row + len(ids), dtype=np.int64))
        else:
            keys.add(np.array(list(fresh), np.uint64), np.array(list(fresh.values()), np.int64))
        model.update(fresh)
        row += len(ids)
        assert len(keys) == (row if readd else len(model))


# Hashes that crowd together (equal top 32 bits, neighbours) and sit at the extremes.
POOL = sorted({0, 1, 2, 2**63, 2**64 - 2, 2**64 - 1, *[(7 << 32) | i for i in range(40)],
               *[(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(300)]})


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.integers(0, len(POOL) - 1), max_size=40), max_size=30), st.booleans(), st.booleans())
def test_folded_keyset_answers_like_a_dict(batches: list[list[int]], readd: bool, tight: bool) -> None:
    keys = FoldingKeySet() if not tight else TightKeySet()
    _model_run(keys, batches, POOL, readd)
    keys.close()


@pytest.mark.parametrize("seed", range(4))
def test_hashes_added_again_keep_their_first_row_across_folds(seed: int) -> None:
    rnd = random.Random(seed)
    batches = [[rnd.randrange(len(POOL)) for _ in range(rnd.choice([5, 30]))] for _ in range(30)]
    keys = TightKeySet()
    _model_run(keys, batches, POOL, readd=True)
    assert keys._base is not None


def test_many_folds_answer_exactly_and_free_their_files(tmp_path) -> None:
    rnd = random.Random(5)
    pool = [rnd.getrandbits(64) for _ in range(3000)]
    batches = [[rnd.randrange(len(pool)) for _ in range(rnd.choice([1, 9, 30, 77]))] for _ in range(150)]
    fds = len(os.listdir("/proc/self/fd"))
    keys = FoldingKeySet(spill_dir=tmp_path)
    _model_run(keys, batches, pool)
    assert keys._base is not None and keys._base.count > 1000 and keys.stats["reads"] > 0
    assert len(os.listdir("/proc/self/fd")) <= fds + 2  # the base's file and the spill file
    assert list(tmp_path.iterdir()) == []
    keys.close()


def test_base_run_keeps_the_oldest_of_equal_hashes(tmp_path) -> None:
    # Equal hashes across sources and across the blocks of the merged run.
    old = np.array([3, 5, 5, 5, 5, 5, 9], np.uint64)
    new = np.array([1, 5, 5, 9, 9, 12], np.uint64)
    fd, _ = open_spill(tmp_path, old)
    write(fd, old, 0)
    write(fd, np.arange(100, 107, dtype=np.int32), 56)
    write(fd, new, 100)
    write(fd, np.arange(200, 206, dtype=np.int64), 148)
    base = OpenBase([Source(fd, 7, 0, 56, np.dtype(np.int32)), Source(fd, 6, 100, 148, np.dtype(np.int64))], tmp_path)
    assert base.rows == np.int64 and base.count == 13
    found, first = base.lookup(np.array([0, 1, 3, 4, 5, 9, 12, 13], np.uint64))
    assert found.tolist() == [False, True, True, False, True, True, True, False]
    assert first.tolist() == [-1, 200, 100, -1, 101, 106, 205, -1]
    # Past the last key the file holds the rows (100..106, 200..205): a block read
    # there must not take them for hashes.
    assert not base.lookup(np.arange(13, 300, dtype=np.uint64))[0].any()
    base.close()


def test_memory_per_key_stays_bounded() -> None:
    """Past the fixed part (dense tier, filter, runs in memory), at most 0.6 bytes a key;
    the set without folds took ~4.5."""

    class Folding(KeySet):
        _MAX_RUN = 1 << 12
        _DENSE_KEYS = 20_000

    keys = Folding()
    rnd = np.random.default_rng(3)
    fixed = 4 * Folding._DENSE_KEYS + 16 * Folding._MAX_RUN * 2 + 2 * (Folding._DENSE_KEYS + Folding._MAX_RUN)
    fixed += 1 << 13  # the smallest filter
    added = 0
    added_batches: list[np.ndarray] = []
    for _ in range(100):
        batch = np.unique(rnd.integers(0, 2**64 - 1, 4000, dtype=np.uint64, endpoint=True))
        keys.add(batch, np.arange(added, added + len(batch)))
        added_batches.append(batch)
        added += len(batch)
        assert keys.nbytes <= fixed + 0.6 * added
    assert added > 300_000 and keys._base is not None and keys._base.count > 250_000
    probe = rnd.integers(0, 2**64 - 1, 50_000, dtype=np.uint64, endpoint=True)
    assert not keys.lookup(probe)[0].any()
    assert keys.stats["passed"] < 0.25 * len(probe)  # the base's filter: ~15 % of new keys read a block
    sample = np.concatenate(added_batches)[::97]
    found, first = keys.lookup(sample)
    assert found.all() and first.tolist() == list(range(0, added, 97))
    keys.close()


def _mapping(arr: np.ndarray) -> mmap.mmap | None:
    base = arr.base.obj if isinstance(arr.base, memoryview) else arr.base
    return base if isinstance(base, mmap.mmap) else None


def test_mapped_arrays_are_zeroed_writable_and_small_ones_plain() -> None:
    big = mapped(5000, np.uint32)
    assert _mapping(big) is not None and big.dtype == np.uint32 and len(big) == 5000
    assert big.flags.writeable and not big.any()
    small = mapped(3, np.uint64)
    assert _mapping(small) is None and small.tolist() == [0, 0, 0]


def test_long_lived_arrays_are_mappings_a_fold_unmaps() -> None:
    """Filters, index and top bits sit outside the malloc heap, which would keep the
    space they free at a fold (bench/RESULTS.md, 50M memory): each is a mapping of
    its own, gone once the fold has replaced it."""

    class Folding(KeySet):
        _MAX_RUN = 1 << 12  # top bits of a spilled run: 8 KiB or more
        _DENSE_KEYS = 20_000

    keys = Folding()
    rnd = np.random.default_rng(4)
    added = 0
    old: list[weakref.ref[mmap.mmap]] = []
    folds = 0
    while folds < 2:
        base = keys._base
        batch = np.unique(rnd.integers(0, 2**64 - 1, 4000, dtype=np.uint64, endpoint=True))
        keys.add(batch, np.arange(added, added + len(batch)))
        added += len(batch)
        if keys._base is not base:
            folds += 1
            assert old and all(ref() is None for ref in old)  # the last base's and the runs' pages are gone
        held = [keys._filter, *(run.top for run in keys._spilled)]
        if keys._base is not None:
            held += [keys._base.bloom, keys._base.fence]
        maps = [_mapping(a) for a in held if a.nbytes >= mmap.PAGESIZE]
        assert len(maps) >= 2 and all(m is not None for m in maps)
        old = [weakref.ref(m) for m in maps if m is not None and m is not _mapping(keys._filter)]
        del held, maps
    assert keys._base is not None and _mapping(keys._base.bloom) is not None
    keys.close()


def test_check_unique_with_folds_matches_the_dict() -> None:
    keys = FoldingKeySet()
    assert check_unique_agrees_with_dict(keys, seed=9, rounds=80, sizes=[0, 1, 5, 40, 120], key_range=300) == len(keys)
    assert keys._base is not None  # the batches were folded into the base run
