"""polars (lazy, streaming sinks) doing the same transforms.  python bench/polars_lazy.py IN.csv OUT_DIR

polars has no AES-CMAC expression: record_key is the engine's column-wise function
through ``map_batches`` (each streamed morsel goes to Arrow, gets keyed, comes back).
``is_elementwise=True`` lets the streaming engine call it per morsel instead of
collecting the whole column first. Both sinks run in one query, so the CSV is
scanned and transformed once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PERIOD, STREET_CODES, record_keys  # noqa: E402


def keys(ids: pl.Series) -> pl.Series:
    # to_arrow() of a String (view) column gives large_string; salted_key_array takes it as is.
    return pl.Series(record_keys(ids.to_arrow()))


def main(src: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    name = pl.col("户主姓名")
    n = name.str.len_chars()
    lf = (
        pl.scan_csv(src, infer_schema=False)
        .select(
            pl.lit(PERIOD).alias("period"),
            pl.col("身份证号").map_batches(keys, return_dtype=pl.String, is_elementwise=True).alias("record_key"),
            pl.col("街道").alias("street"),
            pl.col("街道").replace_strict(STREET_CODES, default=None).alias("division_code"),
            pl.col("社区").alias("community"),
            pl.when(n <= 2).then(name.str.slice(0, 1) + "*")
            .otherwise(name.str.slice(0, 1) + pl.lit("*").repeat_by(n - 2).list.join("") + name.str.slice(-1, 1))
            .alias("head_name"),
            pl.col("保障人口").cast(pl.Int64).alias("persons"),
            pl.col("月保障金额").str.replace_all(",", "").cast(pl.Decimal(12, 2)).alias("monthly_amount"),
            pl.col("类别").alias("category"),
        )
    )
    pl.collect_all([lf.sink_parquet(f"{out}/part-0.parquet", compression="zstd", row_group_size=131072, lazy=True),
                    lf.sink_csv(f"{out}/out.csv", include_bom=True, lazy=True)], engine="streaming")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
