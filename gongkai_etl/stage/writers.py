"""Built-in output writers: Parquet (zstd, one file per period) and CSV (UTF-8 with BOM).

The Parquet files of a dataset sit side by side in ``data/``, not in Hive
``period=<key>/`` folders: a Hive key is typed by each reader's guess (pyarrow
made ``2016-11`` a dictionary and ``2016`` an int32, then refused to merge it with
the ``period`` column inside the files), so ``period`` is stored once, as text, in
every file, and every reader opens the folder without options.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Writer
from gongkai_etl.datasets import Dataset
from gongkai_etl.periods import Period

#: Rows per Parquet row group; small batches are coalesced up to this.
ROW_GROUP_ROWS = 131072


class _HashingFile:
    """A binary file that takes the sha256 of what is written through it, so the
    staged file needs no second read to be hashed (a 5M-row list's CSV is ~0.5 GB)."""

    def __init__(self, path: Path) -> None:
        self._fh: IO[bytes] = open(path, "wb")
        self._hash = hashlib.sha256()
        self._pos = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._hash.update(data)
        self._pos += self._fh.write(data)
        return len(data) if not isinstance(data, memoryview) else data.nbytes

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        self._fh.flush()

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:
        self._fh.close()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


#: A text column whose first rows are more than this share distinct values is
#: written without a dictionary (salted keys): its dictionary would overflow the
#: page limit and fall back to plain anyway, after the work of building it.
DISTINCT_SHARE = 0.5
#: Fewer rows than this tell too little about a column's values to decide.
MIN_SAMPLE_ROWS = 1000
#: The rows of the first row group the decision looks at (counting distinct values
#: of every text column in a whole 131k-row group took 30 to 120 ms).
SAMPLE_ROWS = 16384


def dictionary_columns(table: pa.Table) -> list[str] | bool:
    """The columns worth dictionary-encoding, judged on the first rows of the first
    row group: all but the text columns that are mostly distinct values."""
    if table.num_rows < MIN_SAMPLE_ROWS:
        return True
    sample = table.slice(0, SAMPLE_ROWS)
    keep = []
    for field, column in zip(sample.schema, sample.columns):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type) or pa.types.is_binary(field.type):
            present = len(column) - column.null_count
            if present and pc.count_distinct(column).as_py() > DISTINCT_SHARE * present:
                continue
        keep.append(field.name)
    return keep


#: Bytes gathered before a write reaches the hashing file. pyarrow's writers hand
#: it ~64 KiB at a time, and each call takes the GIL from the threads transforming
#: the next batch: a 5M-row list's two outputs made ~80k GIL hand-offs.
WRITE_BUFFER = 1 << 20


def _buffered(file: _HashingFile) -> pa.NativeFile:
    """``file`` behind a write buffer; closing the buffer flushes and closes the file."""
    return pa.BufferedOutputStream(pa.PythonFile(file, mode="w"), WRITE_BUFFER)


class _ParquetSession:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._file = _HashingFile(path)
        self._sink = _buffered(self._file)
        # Opened with the first row group, which decides the dictionary columns.
        self._writer: pq.ParquetWriter | None = None
        #: sha256 of the whole file, known once closed
        self.sha256: str | None = None
        self._schema = schema
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            table = pa.Table.from_batches(self._pending, schema=self._schema)
            if self._writer is None:
                self._writer = self._open(dictionary_columns(table))
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self._pending, self._pending_rows = [], 0

    def _open(self, use_dictionary: list[str] | bool) -> pq.ParquetWriter:
        return pq.ParquetWriter(self._sink, self._schema, compression="zstd", write_statistics=True,
                                use_dictionary=use_dictionary)

    def close(self) -> None:
        self._flush()
        if self._writer is None:  # no rows: still a valid Parquet file, with the schema
            self._writer = self._open(True)
        self._writer.close()
        self._sink.close()
        self.sha256 = self._file.hexdigest()


def with_pandas_integers(schema: pa.Schema) -> pa.Schema:
    """``schema`` with pandas metadata naming its integer columns ``Int64``.

    Without it pandas (and frictionless, which reads Parquet through pandas) turns
    an integer column with a missing value into floats and NaN, so a validator
    saw ``"nan"`` in an integer field and a reader got ``3.0`` for ``3``. pyarrow
    reads only the columns the metadata lists; the rest keep their default
    conversion.
    """
    columns = [
        {"name": f.name, "field_name": f.name, "pandas_type": "int64", "numpy_type": "Int64", "metadata": None}
        for f in schema if pa.types.is_integer(f.type)
    ]
    if not columns:
        return schema
    meta = {"index_columns": [], "column_indexes": [], "columns": columns,
            "creator": {"library": "gongkai-etl"}, "pandas_version": "2.1.0"}
    return schema.with_metadata({**(schema.metadata or {}), b"pandas": json.dumps(meta).encode()})


class ParquetWriter(Writer):
    format = "parquet"
    media_type = "application/vnd.apache.parquet"

    def filename(self, dataset: Dataset, period: Period) -> str:
        return f"data/{dataset.id}_{period.key}.parquet"

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> _ParquetSession:
        return _ParquetSession(path, with_pandas_integers(schema))


class _CsvSession:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._fh = _HashingFile(path)
        self._sink = _buffered(self._fh)
        self._sink.write("\ufeff".encode())  # BOM: Excel then opens Chinese text correctly
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        self._writer = pacsv.CSVWriter(self._sink, schema, write_options=options)
        #: sha256 of the whole file, known once closed
        self.sha256: str | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()
        self._sink.close()
        self.sha256 = self._fh.hexdigest()


class CsvWriter(Writer):
    format = "csv"
    media_type = "text/csv"

    def filename(self, dataset: Dataset, period: Period) -> str:
        return f"csv/{dataset.id}_{period.key}.csv"

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> _CsvSession:
        return _CsvSession(path, schema)


class BackgroundSession:
    """A writer session fed through a small queue and written by its own thread.

    Encoding Parquet (zstd) and CSV releases the GIL, so the output of one batch is
    written while the next is read and transformed: on two cores that hides most
    of the writing. The queue holds at most ``depth`` batches, which bounds the
    memory it adds. An error in the thread is raised by the next ``write`` or by
    ``close``, so a failed write still fails the run.
    """

    _DONE = object()

    def __init__(self, session: Any, depth: int = 1) -> None:
        self._session = session
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="gongkai-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if self._error is None:
                try:
                    self._session.write(item)
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def write(self, batch: pa.RecordBatch) -> None:
        self._raise()
        self._queue.put(batch)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(self._DONE)
            self._thread.join()
        self._raise()
        self._session.close()

    @property
    def sha256(self) -> str | None:
        """The file's sha256 if the session took it while writing (built-in writers do)."""
        return getattr(self._session, "sha256", None)


@hookimpl(trylast=True)
def register_writers() -> list[Writer]:
    return [ParquetWriter(), CsvWriter()]
