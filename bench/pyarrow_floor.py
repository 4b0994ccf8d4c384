"""Hand-written pyarrow streaming floor: the fastest, leanest way this stack does the job.

    python bench/pyarrow_floor.py IN.csv OUT_DIR

Read the CSV in small blocks, transform each block column-wise, coalesce blocks into
Parquet row groups of at least ``ROW_GROUP`` rows, and hand each group to a writer
thread (Parquet + CSV) through a bounded queue, so writing overlaps reading and
transforming on the other core. The engine should not be expected to beat this.
"""

from __future__ import annotations

import queue
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import COLUMNS, PERIOD, STREET_CODES, record_keys  # noqa: E402

SCHEMA = pa.schema([("period", pa.string()), ("record_key", pa.string()), ("street", pa.string()),
                    ("division_code", pa.string()), ("community", pa.string()), ("head_name", pa.string()),
                    ("persons", pa.int64()), ("monthly_amount", pa.decimal128(12, 2)), ("category", pa.string())])
# open_csv reads ahead by many blocks, so peak memory follows the block size: keep it small.
BLOCK_SIZE = 4 << 20
# Row groups much smaller than this make Parquet larger and slower to read back.
ROW_GROUP = 128 * 1024
STREETS = pa.array(list(STREET_CODES))
CODES = pa.array(list(STREET_CODES.values()))


def open_reader(src: str) -> pacsv.CSVStreamingReader:
    """The raw list as string columns, only the ones used (the parser skips the rest)."""
    return pacsv.open_csv(
        src, read_options=pacsv.ReadOptions(encoding="utf8", block_size=BLOCK_SIZE),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                             include_columns=list(COLUMNS)))


def mask(names: pa.Array) -> pa.Array:
    n = pc.utf8_length(names)
    first = pc.utf8_slice_codeunits(names, 0, 1)
    last = pc.utf8_slice_codeunits(names, -1)
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(n, 2), 0))
    long = pc.binary_join_element_wise(first, stars, last, "")
    return pc.if_else(pc.less_equal(n, 2), pc.binary_join_element_wise(first, "*", ""), long)


def transform(b: pa.RecordBatch) -> pa.RecordBatch:
    street = b.column("街道")
    # Via decimal(20,2): "1,234.50" must parse before the range of (12,2) is checked.
    amount = pc.cast(pc.cast(pc.replace_substring(b.column("月保障金额"), ",", ""), pa.decimal128(20, 2)),
                     pa.decimal128(12, 2))
    cols = [pa.repeat(pa.scalar(PERIOD), b.num_rows), record_keys(b.column("身份证号")), street,
            CODES.take(pc.index_in(street, STREETS)), b.column("社区"), mask(b.column("户主姓名")),
            pc.cast(b.column("保障人口"), pa.int64()), amount, b.column("类别")]
    return pa.RecordBatch.from_arrays(cols, schema=SCHEMA)


def write_all(tables: queue.Queue[pa.Table | None], out: str, errors: list[BaseException]) -> None:
    """Writer thread: Parquet + CSV of each table until None. pyarrow releases the GIL while writing."""
    try:
        with pq.ParquetWriter(f"{out}/part-0.parquet", SCHEMA, compression="zstd") as pw, \
                open(f"{out}/out.csv", "wb") as fh:
            fh.write("\ufeff".encode())
            with pacsv.CSVWriter(fh, SCHEMA) as cw:
                while (t := tables.get()) is not None:
                    pw.write_table(t, row_group_size=t.num_rows)
                    cw.write_table(t)
    except BaseException as e:  # keep draining so the reader never blocks on a full queue
        errors.append(e)
        while tables.get() is not None:
            pass


def main(src: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    # maxsize=2: the reader may run one group ahead of the writer, no more (bounds memory).
    tables: queue.Queue[pa.Table | None] = queue.Queue(maxsize=2)
    errors: list[BaseException] = []
    writer = threading.Thread(target=write_all, args=(tables, out, errors))
    writer.start()
    try:
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in open_reader(src):
            pending.append(transform(batch))
            rows += batch.num_rows
            if rows >= ROW_GROUP:
                tables.put(pa.Table.from_batches(pending))
                pending, rows = [], 0
        if pending:
            tables.put(pa.Table.from_batches(pending))
    finally:
        tables.put(None)
        writer.join()
    if errors:
        raise errors[0]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
