"""Primary keys seen so far, in bounded memory: a disk-spilling set of 64-bit key hashes.

Key hashing is column by column (a dictionary column through its values), so a
5M-row list is checked without building one key string per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.arrowtext import byte_matrix, one_array, string_payload
from gongkai_etl.validate.keybase import BaseRun, Source, mapped, open_spill, read, write


def key_strings(table: pa.Table, key: tuple[str, ...]) -> pa.Array | pa.ChunkedArray:
    """One text per row joining the primary-key values (for uniqueness checks)."""
    parts = [pc.fill_null(table.column(k).cast(pa.string()), "\x00") for k in key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


class KeySet:
    """Primary keys seen so far in a streamed dataset: 64-bit hashes of the key with
    the raw row of their first occurrence.

    A log-structured set of sorted runs, each more than twice the size of the next
    (merged like a binary counter), so n keys added in batches of b sit in about
    log2(n/b) runs and each key is copied about as often. A run stops growing at
    _MAX_RUN keys: that bounds the transient copies of a merge (~8 MiB) whatever the
    size of the dataset. A one-bit-a-slot filter over the keys outside the base run
    below (4 to 8 slots a key) answers most lookups of a new key without touching the runs, where a binary
    search pays a cache miss a step.

    A run of _MAX_RUN/2 keys or more is spilled: its hashes and rows go to an
    unnamed temporary file in ``spill_dir`` and only the top 32 bits of each hash
    stay in memory, searched like the hashes; the few keys whose top bits match
    read the rest back (a fraction run-size/2^32 of the lookups). So memory is 12 to 16 bytes a
    key for the last ~_MAX_RUN keys and 4 for the spilled ones, plus 0.5 to 1 for the
    filter (a Python dict of key strings takes ~150).

    Past _DENSE_KEYS spilled keys (20 MiB of top bits) all spilled runs are merged,
    streamed, into one sorted run on disk (:class:`~gongkai_etl.validate.keybase.BaseRun`)
    that keeps ~0.56 bytes a key in memory, and the filter above is rebuilt for the
    keys still outside it. Memory then grows by ~0.56 bytes a key instead of ~4.5,
    at the price of rewriting the base run at each fold and one disk read for each
    new key the base's filter lets through (~14 %, bench/keyset_memory.py).

    Every answer is exact for the hashes: two different keys share a hash with
    probability ~n²/2^65 (about 1e-6 for 5M keys); such a pair would be reported as
    a duplicate, never silently published twice.
    """

    _MAX_RUN = 1 << 19
    # 4 is as fast as 8 or 16 at 5M keys: a larger filter lets fewer lookups through
    # to the runs, but misses the CPU cache more often itself.
    _SLOTS_PER_KEY = 4
    _MAX_FILTER_BITS = 1 << 32  # a slot is then at most the 32 bits a spilled run keeps
    _DENSE_KEYS = 5 << 20  # spilled keys kept as top bits in memory before a fold into the base
    _BASE: type[BaseRun] = BaseRun

    def __init__(self, spill_dir: str | Path | None = None) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes, rows), oldest first
        self._spilled: list[_SpilledRun] = []  # all older than the runs in memory, oldest first
        self._spill_dir = spill_dir
        self._base: BaseRun | None = None  # older than all the runs above
        self._fd = -1
        self._end = 0  # bytes written to the spill file
        self._size = 0
        self._lookups = 0
        self._filter = np.zeros(0, np.uint8)
        self._shift = np.uint64(64)
        self._resize_filter(1 << 16)

    def __len__(self) -> int:
        return self._size

    def close(self) -> None:
        """Let the spill files go (they have no name; closing frees their space)."""
        if self._fd >= 0:
            self._finalizer()
            self._fd = -1
        if self._base is not None:
            self._base.close()

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays the set holds in memory (its spill files not counted)."""
        held = self._filter.nbytes + sum(k.nbytes + r.nbytes for k, r in self._runs)
        held += sum(run.top.nbytes for run in self._spilled)
        return held + (self._base.nbytes if self._base is not None else 0)

    @property
    def stats(self) -> dict[str, int]:
        """Hashes looked up; of them, those the base's filter let through in vain; block reads of the base."""
        base = self._base
        return {"lookups": self._lookups, "passed": base.passed if base else 0, "reads": base.reads if base else 0}

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, row of the first occurrence or -1) for each hash."""
        hashes = hashes.astype(np.uint64, copy=False)
        order = np.argsort(hashes)
        found_sorted, rows_sorted = self._lookup_sorted(hashes[order])
        found = np.empty(len(hashes), bool)
        rows = np.empty(len(hashes), np.int64)
        found[order] = found_sorted
        rows[order] = rows_sorted
        return found, rows

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        hashes = hashes.astype(np.uint64, copy=False)
        order = np.argsort(hashes, kind="stable")
        self._add_sorted(hashes[order], rows[order])

    def _lookup_sorted(self, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lookup; fastest for ascending hashes, whose searches share cache lines."""
        self._lookups += len(needles)
        if self._base is not None:  # the oldest keys
            found, rows = self._base.lookup(needles)
        else:
            found = np.zeros(len(needles), bool)
            rows = np.full(len(needles), -1, np.int64)
        if not len(needles) or not (self._runs or self._spilled):
            return found, rows
        slot = needles >> self._shift
        maybe = (self._filter[slot >> np.uint64(3)] >> (slot & np.uint64(7)).astype(np.uint8)) & np.uint8(1)
        at = np.flatnonzero(maybe & ~found)
        wanted = needles[at]
        # Oldest first: an older run's row is the first occurrence.
        for run in [*self._spilled, *self._runs]:
            if not len(wanted):
                break
            if isinstance(run, _SpilledRun):
                hit, first = self._search_spilled(run, wanted)
            else:
                keys, run_rows = run
                pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
                hit = keys[pos] == wanted
                first = run_rows[pos]
            if hit.any():
                found[at[hit]] = True
                rows[at[hit]] = first[hit]
                at, wanted = at[~hit], wanted[~hit]
        return found, rows

    def _search_spilled(self, run: _SpilledRun, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        top = (wanted >> np.uint64(32)).astype(np.uint32)
        lo = np.searchsorted(run.top, top)
        maybe = np.flatnonzero(run.top[np.minimum(lo, len(run.top) - 1)] == top)
        hit = np.zeros(len(wanted), bool)
        first = np.full(len(wanted), -1, np.int64)
        for j in maybe.tolist():  # rare unless the key is really there
            start = int(lo[j])
            stop = int(np.searchsorted(run.top, top[j], side="right"))
            keys = self._read(run.keys_at + 8 * start, stop - start, np.dtype("<u8"))
            same = np.flatnonzero(keys == wanted[j])
            if len(same):  # equal hashes sit in the order they came: the first is the first
                hit[j] = True
                first[j] = int(self._read(run.rows_at + run.rows.itemsize * (start + int(same[0])), 1, run.rows)[0])
        return hit, first

    def _add_sorted(self, keys: np.ndarray, rows: np.ndarray) -> None:
        if not len(keys):
            return
        self._size += len(keys)
        bits = len(self._filter) * 8
        if self._filtered() * self._SLOTS_PER_KEY > bits and bits < self._MAX_FILTER_BITS:
            self._resize_filter(self._filter_bits())
        self._mark(keys >> self._shift)
        narrow = int(rows.min()) >= -(2**31) and int(rows.max()) < 2**31
        self._runs.append((keys, rows.astype(np.int32 if narrow else np.int64)))
        merge = 1
        total = len(keys)
        for older, _ in reversed(self._runs[:-1]):
            if len(older) >= 2 * total or len(older) + total > self._MAX_RUN:
                break
            merge += 1
            total += len(older)
        if merge > 1:
            tail = self._runs[-merge:]
            del self._runs[-merge:]
            self._runs.append(_merge_runs(tail))
        # Spill every full-sized run and the runs older than it, so the spilled
        # runs stay older than the ones in memory.
        full = [i for i, (k, _) in enumerate(self._runs) if len(k) >= self._MAX_RUN // 2]
        if full:
            for run in self._runs[: full[-1] + 1]:
                self._spill(*run)
            del self._runs[: full[-1] + 1]
            if sum(len(run.top) for run in self._spilled) > self._DENSE_KEYS:
                self._fold()

    def _filtered(self) -> int:
        """Keys the slot filter covers: all but the base run's."""
        return self._size - (self._base.count if self._base is not None else 0)

    def _filter_bits(self) -> int:
        bits = 1 << 16
        while self._filtered() * self._SLOTS_PER_KEY > bits and bits < self._MAX_FILTER_BITS:
            bits *= 2
        return bits

    def _fold(self) -> None:
        """Merge the base run and every spilled run into a new base run on disk.

        The old base's filter and index, the runs' top bits and the slot filter are
        let go first: the merge reads the files, and the new base's arrays take their place.
        """
        sources = [] if self._base is None else [self._base.source()]
        sources += [Source(self._fd, len(run.top), run.keys_at, run.rows_at, run.rows) for run in self._spilled]
        old = self._base
        if old is not None:
            old.bloom = old.fence = np.zeros(0, np.uint64)
        self._spilled = []
        self._filter = np.zeros(0, np.uint8)  # rebuilt below for the keys left outside the base
        self._base = self._BASE(sources, self._spill_dir)
        if old is not None:
            self._base.reads, self._base.passed = old.reads, old.passed
            old.close()
        self._finalizer()  # the spilled runs are in the base now
        self._fd, self._end = -1, 0
        self._resize_filter(self._filter_bits())

    def _spill(self, keys: np.ndarray, rows: np.ndarray) -> None:
        if self._fd < 0:
            self._fd, self._finalizer = open_spill(self._spill_dir, self)
        keys_at = self._write(keys)
        rows_at = self._write(rows)
        top = mapped(len(keys), np.uint32)
        np.right_shift(keys, np.uint64(32), out=top, casting="unsafe")
        self._spilled.append(_SpilledRun(top, keys_at, rows_at, rows.dtype))

    def _write(self, values: np.ndarray) -> int:
        at = self._end
        write(self._fd, values, at)
        self._end += values.nbytes
        return at

    def _read(self, at: int, count: int, dtype: np.dtype) -> np.ndarray:
        return read(self._fd, at, count, dtype)

    def _resize_filter(self, bits: int) -> None:
        """A filter of ``bits`` (a power of two) slots; a hash's slot is its top bits."""
        self._filter = mapped(bits // 8, np.uint8)
        self._shift = np.uint64(64 - (bits.bit_length() - 1))
        for keys, _ in self._runs:
            self._mark(keys >> self._shift)
        for run in self._spilled:  # the slot is within the top 32 bits the run kept
            self._mark(run.top >> (self._shift - np.uint64(32)).astype(np.uint32))

    def _mark(self, slot: np.ndarray) -> None:
        bit = np.left_shift(np.uint8(1), (slot & 7).astype(np.uint8))
        np.bitwise_or.at(self._filter, slot >> 3, bit)


@dataclass(frozen=True)
class _SpilledRun:
    """A run whose hashes and rows are in the spill file, top 32 bits of each hash in memory."""

    top: np.ndarray  # uint32, ascending
    keys_at: int  # byte offset of the uint64 hashes in the spill file
    rows_at: int  # byte offset of the rows
    rows: np.dtype  # int32 or int64


def _merge_runs(runs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One sorted run from several (emptying ``runs``), equal hashes in the order of the runs.

    A stable sort of the concatenation is timsort, which finds the sorted runs
    and merges them in linear time. The runs are let go as soon as they are
    copied, and each array as soon as it is permuted: at most 28 bytes a key are
    held at once, the 12 of the runs included.
    """
    keys = np.concatenate([k for k, _ in runs])
    rows = np.concatenate([r for _, r in runs])
    runs.clear()
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    rows = rows[order]
    return keys, rows


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)


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
    arr = one_array(arr)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    n = len(arr)
    if n == 0:
        return np.zeros(0, np.uint64)
    data, offsets = string_payload(arr)
    lengths = np.diff(offsets)
    width = max((int(lengths.max()) + 7) // 8 * 8, 8)
    words = byte_matrix(data, offsets[:-1], lengths, width).view("<u8")
    with np.errstate(over="ignore"):
        h = _mix(lengths.astype(np.uint64) * _GOLDEN)
        shortest = int(lengths.min())
        for k in range(words.shape[1]):  # words past a string's end do not count
            mixed = _mix(h ^ words[:, k] + _GOLDEN * np.uint64(k + 1))
            h = mixed if 8 * k < shortest else np.where(lengths > 8 * k, mixed, h)
    return h


def key_hashes(table: pa.Table, key: tuple[str, ...]) -> np.ndarray:
    """A 64-bit hash of each row's primary key: its columns hashed one by one (a
    dictionary column through its few values) and folded in key order."""
    h: np.ndarray | None = None
    for k in key:
        column = _column_hashes(table.column(k))
        with np.errstate(over="ignore"):
            h = column if h is None else _mix(h * _M1 ^ column)
    assert h is not None
    return h


def _column_hashes(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """hash_strings of the column as text, nulls as "\\x00" (as :func:`key_strings` joins them)."""
    if isinstance(column, pa.ChunkedArray):
        if column.num_chunks == 1:
            return _column_hashes(column.chunk(0))
        parts = [_column_hashes(c) for c in column.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    if pa.types.is_dictionary(column.type):
        slots = np.full(len(column), _null_hash(), np.uint64)
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        if valid.any():
            values = _column_hashes(column.dictionary)
            slots[valid] = values[pc.fill_null(column.indices, 0).to_numpy(zero_copy_only=False)[valid]]
        return slots
    return hash_strings(pc.fill_null(column.cast(pa.string()), "\x00"))


@lru_cache(maxsize=1)
def _null_hash() -> np.uint64:
    """The hash a null key part gets: that of the text key_strings puts for it."""
    return hash_strings(pa.array(["\x00"]))[0]
