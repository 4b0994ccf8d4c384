"""Built-in output writers: Parquet (zstd, Hive-partitioned) and CSV (UTF-8 with BOM)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Writer
from gongkai_etl.datasets import Dataset
from gongkai_etl.periods import Period

#: Rows per Parquet row group; small batches are coalesced up to this.
ROW_GROUP_ROWS = 131072


class _ParquetSession:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True)
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
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self._pending, self._pending_rows = [], 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


class ParquetWriter(Writer):
    format = "parquet"
    media_type = "application/vnd.apache.parquet"

    def filename(self, dataset: Dataset, period: Period) -> str:
        return f"data/period={period.key}/part-0.parquet"

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> _ParquetSession:
        return _ParquetSession(path, schema)


class _CsvSession:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._fh: IO[bytes] = open(path, "wb")
        self._fh.write("\ufeff".encode())  # BOM: Excel then opens Chinese text correctly
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        self._writer = pacsv.CSVWriter(self._fh, schema, write_options=options)

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()
        self._fh.close()


class CsvWriter(Writer):
    format = "csv"
    media_type = "text/csv"

    def filename(self, dataset: Dataset, period: Period) -> str:
        return f"csv/{dataset.id}_{period.key}.csv"

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> _CsvSession:
        return _CsvSession(path, schema)


@hookimpl(trylast=True)
def register_writers() -> list[Writer]:
    return [ParquetWriter(), CsvWriter()]
