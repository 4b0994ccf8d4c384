"""dlt, Arrow path: the resource yields transformed Arrow tables; loaded as Parquet to the local filesystem.

    python bench/dlt_arrow.py IN.csv OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import COLUMNS  # noqa: E402
from _dlt_common import pipeline  # noqa: E402
from pyarrow_floor import transform  # noqa: E402


def main(src: str, out: str) -> None:
    import dlt

    @dlt.resource(name="sa_dibao_public_list", write_disposition="replace")
    def rows():
        reader = pacsv.open_csv(
            src, read_options=pacsv.ReadOptions(encoding="utf8", block_size=8 << 20),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS},
                                                 include_columns=list(COLUMNS)))
        for batch in reader:
            yield pa.Table.from_batches([transform(batch)])

    info = pipeline(out, "bench_dlt_arrow").run(rows(), loader_file_format="parquet")
    assert not info.has_failed_jobs


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
