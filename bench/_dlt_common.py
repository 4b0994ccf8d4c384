"""dlt plumbing shared by the two dlt contenders: a local filesystem destination writing Parquet."""

from __future__ import annotations

import os
from pathlib import Path


def pipeline(out: str, name: str):
    import dlt

    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DESTINATION__FILESYSTEM__BUCKET_URL"] = out_dir.as_uri()
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.environ["NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION"] = "false"
    return dlt.pipeline(pipeline_name=name, destination="filesystem", dataset_name="dibao",
                        pipelines_dir=str(out_dir / ".dlt"), progress=None)
