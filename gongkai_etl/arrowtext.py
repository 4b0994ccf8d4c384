"""Byte-level helpers on Arrow string arrays, for numpy kernels.

The raw UTF-8 bytes and offsets of a string array without a copy, a column as
one array, values laid out as a byte matrix, a byte search for a character.
Readers, normalizers, the privacy scan and salted keys all work on these, so
they live below every stage.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def one_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as one Array: a single chunk as it is (combine_chunks copies even that)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def string_payload(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value bytes of a string (or binary) array and its offsets into them,
    without copying.

    Null slots may hold bytes too: tests on the payload can only err towards "maybe".
    """
    if len(text) == 0:
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    _, offsets_buf, data_buf = text.buffers()
    large = pa.types.is_large_string(text.type) or pa.types.is_large_binary(text.type)
    width = np.int64 if large else np.int32
    offsets = np.frombuffer(offsets_buf, width, count=len(text) + 1, offset=text.offset * np.dtype(width).itemsize)
    start, end = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(data_buf, np.uint8)[start:end] if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets.astype(np.int64) - start


def byte_matrix(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """Values ``data[starts[i] : starts[i] + lengths[i]]`` as the rows of a zero-padded
    (n, width) uint8 matrix (``width`` >= every length), for numpy work on bytes."""
    n = len(starts)
    out = np.zeros((n, width), np.uint8)
    if not n:
        return out
    size = int(lengths[0])
    if size and (lengths == size).all() and (np.diff(starts) == size).all():
        # Equal lengths, back to back (ID numbers, record keys): one reshape.
        out[:, :size] = data[starts[0] : starts[0] + n * size].reshape(n, size)
        return out
    total = int(lengths.sum())
    if not total:
        return out
    ahead = np.cumsum(lengths) - lengths  # bytes of the rows before each row
    column = np.arange(total) - np.repeat(ahead, lengths)
    if (starts - starts[0] == ahead).all():  # a whole column: its bytes in order
        source = data[starts[0] : starts[0] + total]
    else:
        source = data[np.repeat(starts, lengths) + column]
    out[np.repeat(np.arange(n), lengths), column] = source
    return out


def payload_holds(data: np.ndarray, char: str) -> bool:
    """Whether UTF-8 ``data`` holds ``char`` (exact: a lead byte starts a character
    wherever it occurs). Byte pairs compared as 16-bit words narrow the search
    fastest; a character starts at an even or an odd offset."""
    code = char.encode()
    if len(code) == 1:
        return bool((data == code[0]).any())
    pair = code[0] | code[1] << 8
    for start in (0, 1):
        words = (len(data) - start) // 2
        at = np.flatnonzero(data[start : start + 2 * words].view("<u2") == pair) * 2 + start
        at = at[at + len(code) <= len(data)]
        for k in range(2, len(code)):
            at = at[data[at + k] == code[k]]
        if len(at):
            return True
    return False
