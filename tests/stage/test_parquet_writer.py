"""The Parquet writer: which columns get a dictionary, and files with no rows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gongkai_etl.stage.writers import MIN_SAMPLE_ROWS, ParquetWriter

SCHEMA = pa.schema([("record_key", pa.string()), ("street", pa.string()), ("persons", pa.int64())])


def _batch(start: int, n: int) -> pa.RecordBatch:
    return pa.record_batch(
        [
            pa.array([f"{i:032x}" for i in range(start, start + n)]),
            pa.array([("麦子店街道", "酒仙桥街道", None)[i % 3] for i in range(start, start + n)]),
            pa.array([i % 5 + 1 for i in range(start, start + n)], pa.int64()),
        ],
        schema=SCHEMA,
    )


def _write(path: Path, batches: list[pa.RecordBatch]) -> str | None:
    session = ParquetWriter().open(path, None, SCHEMA)  # type: ignore[arg-type]
    for batch in batches:
        session.write(batch)
    session.close()
    return session.sha256


def _dictionary_columns(path: Path) -> set[str]:
    meta = pq.ParquetFile(path).metadata
    columns = set()
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            column = meta.row_group(g).column(c)
            if any("DICTIONARY" in e for e in column.encodings):
                columns.add(column.path_in_schema)
    return columns


def test_a_column_of_distinct_keys_is_written_without_a_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "part-0.parquet"
    batches = [_batch(i * 50_000, 50_000) for i in range(6)]  # 300k rows, several row groups
    digest = _write(path, batches)
    assert _dictionary_columns(path) == {"street", "persons"}
    assert pq.read_table(path).equals(pa.Table.from_batches(batches))
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_small_first_row_group_keeps_every_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "part-0.parquet"
    _write(path, [_batch(0, MIN_SAMPLE_ROWS - 1)])
    assert _dictionary_columns(path) == {"record_key", "street", "persons"}


def test_no_rows_still_make_a_parquet_file_with_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "part-0.parquet"
    digest = _write(path, [])
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.schema == SCHEMA
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
