"""Salted keys: AES-CMAC (RFC 4493) of each value, column-wise.

A salted key stands in for an ID number in what is published (``record_key``):
the same person gets the same key every month, and nobody without the salt can
compute a key from an ID number or tell which ID a key came from.

Why AES-CMAC and not HMAC-SHA256: both are standard keyed pseudo-random
functions, but HMAC runs in Python once per row (about 0.6 µs each, several
seconds for a 5M-row list), while CMAC is CBC encryption, and AES in ECB mode
encrypts a whole column's blocks in one OpenSSL call. So the chaining runs
across rows: step ``j`` encrypts the ``j``-th block of every value of the same
block count at once. The column-wise keys are the same as the scalar
:func:`salted_key_scalar` (``cryptography``'s own CMAC), which the tests check.

The AES key is derived from the pipeline's salt with SHA-256 and a label, so a
salt of any length works and the key is only used for this purpose.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from gongkai_etl.arrowtext import byte_matrix, one_array, string_payload

_LABEL = b"gongkai-etl salted key v2\x00"
# Byte -> its two hex digits, as one uint16 in memory order: one gather per byte.
_HEX_PAIRS = np.frombuffer(b"".join(f"{b:02x}".encode() for b in range(256)), np.uint16)
_BLOCK = 16
# Rows per step: the gather index is 8 bytes per byte of message, so this keeps
# the transient arrays at a few MiB whatever the batch size.
_CHUNK_ROWS = 1 << 15


def derive_key(salt: str) -> bytes:
    """The AES-128 key for a pipeline's salt."""
    if not salt:
        raise ValueError("salt must not be empty")
    return hashlib.sha256(_LABEL + salt.encode("utf-8")).digest()[:_BLOCK]


def salted_key_scalar(salt: str, message: str) -> str:
    """One salted key (32 hex digits): the reference the column-wise path matches."""
    mac = cmac.CMAC(algorithms.AES(derive_key(salt)))
    mac.update(message.encode("utf-8"))
    return mac.finalize().hex()


def salted_key_array(salt: str, messages: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``salted_key_scalar(salt, m)`` for every string of a column; null stays null.

    Messages are taken as they are: normalising them (NFC, trimming) is the
    caller's job, as for the scalar function.
    """
    return _Cmac.for_key(derive_key(salt)).hex_array(messages)


class _Cmac:
    """AES-CMAC under one key, over many messages at once."""

    def __init__(self, key: bytes) -> None:
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())
        l_block = np.frombuffer(self._encrypt(bytes(_BLOCK)), np.uint8)
        self._k1 = _double(l_block)  # RFC 4493 2.3: subkey for a complete last block
        self._k2 = _double(self._k1)  # and for a padded one

    @staticmethod
    @lru_cache(maxsize=8)
    def for_key(key: bytes) -> _Cmac:
        return _Cmac(key)

    def _encrypt(self, data: bytes) -> bytes:
        enc = self._cipher.encryptor()
        return enc.update(data) + enc.finalize()

    def hex_array(self, messages: pa.Array | pa.ChunkedArray) -> pa.Array:
        messages = one_array(messages)
        n = len(messages)
        known = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)
        arr = messages if any(is_(messages.type) for is_ in known) else messages.cast(pa.large_binary())
        data, offsets = string_payload(arr)
        macs = np.empty((n, _BLOCK), np.uint8)
        for lo in range(0, n, _CHUNK_ROWS):
            hi = min(n, lo + _CHUNK_ROWS)
            macs[lo:hi] = self._macs(data, offsets[lo : hi + 1])
        hexed = _HEX_PAIRS[macs]
        out_offsets = np.arange(0, 2 * _BLOCK * (n + 1), 2 * _BLOCK, dtype=np.int32)
        keys = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(out_offsets), pa.py_buffer(hexed)])
        if messages.null_count:
            keys = pc.if_else(pc.is_valid(messages), keys, pa.scalar(None, pa.string()))
        return keys

    def _macs(self, data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        starts = offsets[:-1]
        lengths = offsets[1:] - starts
        blocks = np.maximum(1, (lengths + _BLOCK - 1) // _BLOCK)
        out = np.empty((len(starts), _BLOCK), np.uint8)
        for m in np.unique(blocks):
            rows = np.flatnonzero(blocks == m)
            out[rows] = self._macs_of_width(data, starts[rows], lengths[rows], int(m))
        return out

    def _macs_of_width(self, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, m: int) -> np.ndarray:
        """CMAC of messages that all take ``m`` blocks."""
        width = m * _BLOCK
        padded = byte_matrix(data, starts, lengths, width)
        complete = lengths == width
        short = np.flatnonzero(~complete)
        padded[short, lengths[short]] = 0x80  # 10* padding of an incomplete last block
        padded[:, width - _BLOCK :] ^= np.where(complete[:, None], self._k1, self._k2)
        state = np.zeros((len(starts), _BLOCK), np.uint8)
        for j in range(m):
            block = state ^ padded[:, j * _BLOCK : (j + 1) * _BLOCK]
            state = np.frombuffer(self._encrypt(block.tobytes()), np.uint8).reshape(-1, _BLOCK)
        return state


def _double(block: np.ndarray) -> np.ndarray:
    """Multiply by x in GF(2^128), as RFC 4493 derives the subkeys."""
    value = int.from_bytes(block.tobytes(), "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ 0x87
    return np.frombuffer(value.to_bytes(_BLOCK, "big"), np.uint8)
