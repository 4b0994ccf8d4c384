"""Hand-written pyarrow streaming floor: read the GBK CSV in blocks, transform, write Parquet + CSV.

    python bench/pyarrow_floor.py IN.csv OUT_DIR
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import COLUMNS, OUTPUT, PERIOD, STREET_CODES, record_key  # noqa: E402

SCHEMA = pa.schema([("period", pa.string()), ("record_key", pa.string()), ("street", pa.string()),
                    ("division_code", pa.string()), ("community", pa.string()), ("head_name", pa.string()),
                    ("persons", pa.int64()), ("monthly_amount", pa.decimal128(12, 2)), ("category", pa.string())])


def mask(names: pa.Array) -> pa.Array:
    n = pc.utf8_length(names)
    first = pc.utf8_slice_codeunits(names, 0, 1)
    last = pc.utf8_slice_codeunits(names, -1)
    stars = pc.binary_repeat("*", pc.max_element_wise(pc.subtract(n, 2), 0))
    long = pc.binary_join_element_wise(first, stars, last, "")
    return pc.if_else(pc.less_equal(n, 2), pc.binary_join_element_wise(first, "*", ""), long)


def transform(b: pa.RecordBatch) -> pa.RecordBatch:
    streets = pa.array(list(STREET_CODES))
    codes = pa.array(list(STREET_CODES.values()))
    street = b.column("街道")
    amount = pc.cast(pc.cast(pc.replace_substring(b.column("月保障金额"), ",", ""), pa.decimal128(20, 2)),
                     pa.decimal128(12, 2))
    keys = pa.array([record_key(v) for v in b.column("身份证号").to_pylist()], pa.string())
    cols = [pa.repeat(pa.scalar(PERIOD), b.num_rows), keys, street, codes.take(pc.index_in(street, streets)),
            b.column("社区"), mask(b.column("户主姓名")), pc.cast(b.column("保障人口"), pa.int64()), amount,
            b.column("类别")]
    return pa.RecordBatch.from_arrays(cols, schema=SCHEMA)


def main(src: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    reader = pacsv.open_csv(
        src, read_options=pacsv.ReadOptions(encoding="utf8", block_size=8 << 20),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                             include_columns=list(COLUMNS)))
    pw = pq.ParquetWriter(f"{out}/part-0.parquet", SCHEMA, compression="zstd")
    with open(f"{out}/out.csv", "wb") as fh:
        fh.write("\ufeff".encode())
        cw = pacsv.CSVWriter(fh, SCHEMA)
        pending, rows = [], 0
        for batch in reader:
            t = transform(batch)
            cw.write_batch(t)
            pending.append(t)
            rows += t.num_rows
            if rows >= 131072:
                pw.write_table(pa.Table.from_batches(pending), row_group_size=rows)
                pending, rows = [], 0
        if pending:
            pw.write_table(pa.Table.from_batches(pending), row_group_size=rows)
        cw.close()
    pw.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
