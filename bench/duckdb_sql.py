"""DuckDB doing the same transforms in SQL.  python bench/duckdb_sql.py IN.csv OUT_DIR

DuckDB has no AES-CMAC function: record_key is the engine's column-wise function
registered as a vectorized Arrow UDF (DuckDB hands it 2048 IDs at a time as Arrow).
The CSV is copied from the Parquet just written rather than from the query again,
which would parse the input and compute every key a second time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PERIOD, STREET_CODES, record_keys  # noqa: E402


def udf_keys(ids: pa.ChunkedArray) -> pa.Array:
    return record_keys(ids)


def connect() -> duckdb.DuckDBPyConnection:
    """A connection with the record_key function and the table of street codes."""
    con = duckdb.connect()
    con.execute("SET memory_limit='1GB'")
    varchar = duckdb.sqltype("VARCHAR")
    # null_handling='special': the function itself maps null to null, as in the engine.
    con.create_function("record_key", udf_keys, [varchar], varchar, type="arrow", null_handling="special")
    con.execute("CREATE TABLE codes(street VARCHAR, code VARCHAR)")
    con.executemany("INSERT INTO codes VALUES (?, ?)", list(STREET_CODES.items()))
    return con


def main(src: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    con = connect()
    con.execute(f"""
    CREATE VIEW result AS
    SELECT '{PERIOD}' AS period,
           record_key("身份证号") AS record_key,
           "街道" AS street, codes.code AS division_code, "社区" AS community,
           CASE WHEN length("户主姓名") <= 2 THEN left("户主姓名", 1) || '*'
                ELSE left("户主姓名", 1) || repeat('*', length("户主姓名") - 2) || right("户主姓名", 1) END AS head_name,
           CAST("保障人口" AS BIGINT) AS persons,
           CAST(replace("月保障金额", ',', '') AS DECIMAL(12,2)) AS monthly_amount,
           "类别" AS category
    FROM read_csv('{src}', header=true, all_varchar=true) r
    LEFT JOIN codes ON codes.street = r."街道"
    """)
    con.execute(f"COPY result TO '{out}/part-0.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 131072)")
    con.execute(f"COPY (FROM '{out}/part-0.parquet') TO '{out}/out.csv' (HEADER)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
