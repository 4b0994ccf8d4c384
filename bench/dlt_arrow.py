"""dlt, Arrow path: the resource yields transformed Arrow tables; loaded as Parquet to the local filesystem.

    python bench/dlt_arrow.py IN.csv OUT_DIR

The reader and the transform (record_key column-wise included) are the pyarrow floor's,
so the difference to the floor is what dlt's extract/normalize/load costs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dlt_common import pipeline  # noqa: E402
from pyarrow_floor import open_reader, transform  # noqa: E402


def main(src: str, out: str) -> None:
    import dlt

    @dlt.resource(name="sa_dibao_public_list", write_disposition="replace")
    def rows() -> Iterator[pa.Table]:
        for batch in open_reader(src):
            yield pa.Table.from_batches([transform(batch)])

    info = pipeline(out, "bench_dlt_arrow").run(rows(), loader_file_format="parquet")
    assert not info.has_failed_jobs


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
