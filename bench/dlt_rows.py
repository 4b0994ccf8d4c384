"""dlt, rows-as-dicts path: csv.DictReader rows, transformed per row through ``add_map``, loaded as Parquet.

    python bench/dlt_rows.py IN.csv OUT_DIR
"""

from __future__ import annotations

import csv
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PERIOD, STREET_CODES, mask_name, record_key  # noqa: E402
from _dlt_common import pipeline  # noqa: E402


def to_public(row: dict) -> dict:
    street = row["街道"]
    return {
        "period": PERIOD, "record_key": record_key(row["身份证号"]), "street": street,
        "division_code": STREET_CODES.get(street), "community": row["社区"], "head_name": mask_name(row["户主姓名"]),
        "persons": int(row["保障人口"]), "monthly_amount": Decimal(row["月保障金额"].replace(",", "")),
        "category": row["类别"],
    }


def main(src: str, out: str) -> None:
    import dlt

    @dlt.resource(name="sa_dibao_public_list", write_disposition="replace")
    def rows():
        with open(src, encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)

    info = pipeline(out, "bench_dlt_rows").run(rows().add_map(to_public), loader_file_format="parquet")
    assert not info.has_failed_jobs


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
