"""polars (lazy, streaming sink) doing the same transforms.  python bench/polars_lazy.py IN.csv OUT_DIR

polars has no SHA-256 expression: record_key is the same hashlib digest through
``map_batches`` over the ID column (one Python call per row, as in the pyarrow floor).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PERIOD, STREET_CODES, record_key  # noqa: E402


def main(src: str, out: str) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    name = pl.col("户主姓名")
    n = name.str.len_chars()
    lf = (
        pl.scan_csv(src, encoding="utf8-lossy", infer_schema=False)
        .select(
            pl.lit(PERIOD).alias("period"),
            pl.col("身份证号").map_batches(lambda s: pl.Series([record_key(v) for v in s.to_list()]),
                                        return_dtype=pl.String).alias("record_key"),
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
    lf.sink_parquet(f"{out}/part-0.parquet", compression="zstd", row_group_size=131072)
    lf.sink_csv(f"{out}/out.csv")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
