"""The rejects file of a dataset-period: every rejected value with its reason."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.arrowtext import one_array
from gongkai_etl.rejectset import RejectLog

_COLUMNS = ("file", "row", "field", "value", "reason")
_BOM = b"\xef\xbb\xbf"  # Excel opens UTF-8 CSV correctly only with it


def write_rejects(path: Path, rejects: RejectLog) -> Path:
    """Write the rejected rows, with reasons, outside the published folder and
    private (0600 in a 0700 folder): they may hold the raw personal data that was
    about to be published. In the order of the rows, then field, a chunk at a time: a
    :class:`RejectLog` is read back from its spill files, never all in memory.
    The lines are what Python's ``csv.writer`` writes (minimal quoting, CRLF),
    formatted column-wise by Arrow kernels."""
    # Both the top-level rejects/ folder and the dataset's: mkdir(parents=True)
    # gives the parents the umask's mode (0755), and mode= is masked anyway.
    for folder in (path.parent.parent, path.parent):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_BOM + ",".join(_COLUMNS).encode() + b"\r\n")
            for batch in rejects.batches():
                fh.write(csv_lines(batch))
    finally:
        rejects.discard()
    return path


def csv_lines(batch: pa.Table | pa.RecordBatch) -> bytes:
    """The batch's rows as CSV lines, byte for byte as ``csv.writer`` (QUOTE_MINIMAL, CRLF) writes them."""
    cells = [_cell(batch.column(name), few=name != "value") for name in _COLUMNS]
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), "", "\r\n")
    lines = one_array(lines)
    if not len(lines):
        return b""
    # The lines lie end to end in the array's data buffer: write that, not Python strings.
    offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]].tobytes()


def _cell(column: pa.ChunkedArray | pa.Array, few: bool) -> pa.Array:
    """A column's CSV cells; ``few`` distinct values (a field name, a reason) are quoted once each."""
    text = one_array(pc.fill_null(column.cast(pa.string()), ""))
    if few:
        encoded = pc.dictionary_encode(text)
        return _quoted(encoded.dictionary).take(encoded.indices)
    return _quoted(text)


def _quoted(text: pa.Array) -> pa.Array:
    quoted = pc.binary_join_element_wise("\"", pc.replace_substring(text, "\"", "\"\""), "\"", "")
    return pc.if_else(pc.match_substring_regex(text, "[\",\r\n]"), quoted, text)
