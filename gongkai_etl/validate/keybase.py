"""The on-disk tier of the primary-key set: one sorted run of 64-bit key hashes in a
file of its own, with under a byte a key in memory.

:class:`~gongkai_etl.validate.keyset.KeySet` keeps its newest keys in memory and
folds them into this base run when they pass a cap, so memory stops growing at
about the cap plus what this tier holds: a blocked Bloom filter of _BITS_PER_KEY
bits a key and every _BLOCK-th hash (0.06 bytes a key). A key the filter lets
through costs one ``pread`` of the block of _BLOCK hashes the sparse index points
to; the filter lets ~15 % of new keys through (measured in bench/keyset_memory.py).
Being one run, a key is in one place: a lookup reads at most one block.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_MIX = np.uint64(0xC4CEB9FE1A85EC53)


@dataclass(frozen=True)
class Source:
    """A sorted run of hashes and rows at byte offsets of an open file."""

    fd: int
    count: int
    keys_at: int
    rows_at: int
    rows: np.dtype

    def chunks(self, size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, self.count, size):
            n = min(size, self.count - start)
            yield (read(self.fd, self.keys_at + 8 * start, n, np.dtype("<u8")),
                   read(self.fd, self.rows_at + self.rows.itemsize * start, n, self.rows))


def read(fd: int, at: int, count: int, dtype: np.dtype) -> np.ndarray:
    size = count * dtype.itemsize
    data = os.pread(fd, size, at)
    if len(data) != size:
        raise OSError(f"key spill file cut short at byte {at + len(data)}")
    return np.frombuffer(data, dtype)


def write(fd: int, values: np.ndarray, at: int) -> None:
    view = memoryview(np.ascontiguousarray(values)).cast("B")
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], at + done)


def mapped(count: int, dtype: np.dtype | type) -> np.ndarray:
    """A zeroed array in anonymous pages of its own, unmapped when the array goes.

    For the key set's long-lived arrays (filters, index, top bits): in the malloc
    heap they sit between the batches' short-lived arrays, and the heap keeps the
    space they free at a fold (bench/keyset_memory.py at 50M keys: 163 MiB peak RSS
    with them in the heap, 154 mapped; 5M keys: 122 either way).
    """
    dtype = np.dtype(dtype)
    if count * dtype.itemsize < mmap.PAGESIZE:  # not worth a mapping
        return np.zeros(count, dtype)
    return np.frombuffer(mmap.mmap(-1, count * dtype.itemsize), dtype)


def open_spill(spill_dir: str | Path | None, owner: object) -> tuple[int, weakref.finalize]:
    """A nameless temporary file: its space is freed when the fd closes, however the run ends."""
    fd, name = tempfile.mkstemp(prefix=".keys.", dir=spill_dir)
    os.unlink(name)
    return fd, weakref.finalize(owner, os.close, fd)


class BaseRun:
    """All the keys folded so far, sorted, in one nameless file; the filter and the
    sparse index in memory."""

    _BITS_PER_KEY = 4
    _BLOCK = 128
    _CHUNK = 1 << 14  # keys read from each source at a time while merging (~20 sources)
    _PROBES = 2048  # filter passes whose blocks are read at a time (2 MiB)

    def __init__(self, sources: Sequence[Source], spill_dir: str | Path | None) -> None:
        """Merge ``sources`` (oldest first; equal hashes keep that order) into a new file."""
        n = sum(s.count for s in sources)
        wide = any(s.rows.itemsize == 8 for s in sources)
        self.count = n
        self.rows = np.dtype(np.int64 if wide else np.int32)
        self.fd, self._finalizer = open_spill(spill_dir, self)
        self._rows_at = 8 * n
        self.fence = mapped((n + self._BLOCK - 1) // self._BLOCK, np.uint64)
        self.bloom = mapped(max(1, (n * self._BITS_PER_KEY + 63) // 64), np.uint64)
        self.reads = 0
        self.passed = 0
        done = 0
        for keys, rows in _merged(sources, self._CHUNK):
            write(self.fd, keys, 8 * done)
            write(self.fd, rows.astype(self.rows, copy=False), self._rows_at + self.rows.itemsize * done)
            at = np.arange(-done % self._BLOCK, len(keys), self._BLOCK)  # positions that start a block
            self.fence[(done + at) // self._BLOCK] = keys[at]
            self._mark(keys)
            done += len(keys)
        assert done == n

    def close(self) -> None:
        self._finalizer()

    @property
    def nbytes(self) -> int:
        return self.fence.nbytes + self.bloom.nbytes

    def source(self) -> Source:
        return Source(self.fd, self.count, 0, self._rows_at, self.rows)

    def _words_and_masks(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The filter word of each hash (its top 32 bits scaled to the filter, so sorted
        hashes give sorted words) and the 3 bits it sets there (from a remix of the hash)."""
        word = ((keys >> np.uint64(32)) * np.uint64(len(self.bloom))) >> np.uint64(32)
        with np.errstate(over="ignore"):
            m = keys * _MIX
        one = np.uint64(1)
        mask = (one << (m >> np.uint64(58))) | (one << ((m >> np.uint64(52)) & np.uint64(63))) | (
            one << ((m >> np.uint64(46)) & np.uint64(63)))
        return word, mask

    def _mark(self, keys: np.ndarray) -> None:
        word, mask = self._words_and_masks(keys)  # keys ascending: words ascending
        starts = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
        self.bloom[word[starts]] |= np.bitwise_or.reduceat(mask, starts)

    def lookup(self, needles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, row of the first occurrence or -1) for ascending ``needles``."""
        found = np.zeros(len(needles), bool)
        first = np.full(len(needles), -1, np.int64)
        if not self.count or not len(needles):
            return found, first
        word, mask = self._words_and_masks(needles)
        at = np.flatnonzero((self.bloom[word] & mask) == mask)
        if not len(at):
            return found, first
        for part in range(0, len(at), self._PROBES):  # bounds the blocks held at once
            hit, rows = self._probe(needles[at[part : part + self._PROBES]])
            found[at[part : part + self._PROBES]] = hit
            first[at[part : part + self._PROBES]] = rows
        return found, first

    def _probe(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read the block that would hold each of the ascending ``wanted`` hashes."""
        # The block before the first fence >= the needle holds it, or it is that fence
        # itself: read _BLOCK + 1 hashes (the leftmost equal hash is the first occurrence).
        block = np.maximum(np.searchsorted(self.fence, wanted, "left") - 1, 0)
        blocks, inverse = np.unique(block, return_inverse=True)
        width = min(self._BLOCK + 1, self.count)
        # A window that would run past the end is moved back: it still covers the block.
        starts = np.minimum(blocks * self._BLOCK, self.count - width)
        size = 8 * width
        data = b"".join([os.pread(self.fd, size, 8 * s) for s in starts.tolist()])
        if len(data) != size * len(starts):
            raise OSError("key spill file cut short")
        self.reads += len(starts)
        same = np.frombuffer(data, "<u8").reshape(len(starts), width)[inverse] == wanted[:, None]
        hit = same.any(axis=1)
        self.passed += int(len(wanted) - hit.sum())
        first = np.full(len(wanted), -1, np.int64)
        for j in np.flatnonzero(hit).tolist():  # duplicates are rare
            pos = int(starts[inverse[j]]) + int(same[j].argmax())
            first[j] = int(read(self.fd, self._rows_at + self.rows.itemsize * pos, 1, self.rows)[0])
        return hit, first


def _merged(sources: Sequence[Source], chunk: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The sources' (hashes, rows) in ascending hash order, a bounded piece at a time.

    Each round takes from every source what is buffered up to the smallest last
    buffered hash among the sources not yet drained: nothing later can sort before
    it. Taken in source order and sorted stably, the oldest source's equal hashes
    come first (an older source holding that hash has it buffered, since its last
    buffered hash is not smaller).
    """
    feeds = [s.chunks(chunk) for s in sources]
    empty = (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    bufs: list[tuple[np.ndarray, np.ndarray]] = [empty] * len(sources)
    live = [True] * len(sources)
    while True:
        for i, feed in enumerate(feeds):
            if live[i] and not len(bufs[i][0]):
                nxt = next(feed, None)
                if nxt is None:
                    live[i] = False
                else:
                    bufs[i] = nxt
        if not any(len(k) for k, _ in bufs):
            return
        cutoff = min((int(bufs[i][0][-1]) for i in range(len(bufs)) if live[i] and len(bufs[i][0])), default=None)
        keys_parts, rows_parts = [], []
        for i, (k, r) in enumerate(bufs):
            cut = len(k) if cutoff is None else int(np.searchsorted(k, np.uint64(cutoff), "right"))
            keys_parts.append(k[:cut])
            rows_parts.append(r[:cut].astype(np.int64))
            bufs[i] = (k[cut:], r[cut:])
        keys = np.concatenate(keys_parts)
        rows = np.concatenate(rows_parts)
        order = np.argsort(keys, kind="stable")
        yield keys[order], rows[order]
