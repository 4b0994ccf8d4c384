"""``<out>/<dataset>/datapackage.json``: a Frictionless Data Package per dataset.

One resource per published period and format, each with its Table Schema,
bytes, sha256 and row count, rewritten atomically after every publish.
"""

from __future__ import annotations

from typing import Any

from gongkai_etl import __version__
from gongkai_etl.datasets import Dataset
from gongkai_etl.ledger import Ledger
from gongkai_etl.load.files import atomic_write_json
from gongkai_etl.load.publish import Layout

MEDIA = {
    ".parquet": ("parquet", "application/vnd.apache.parquet"),
    ".csv": ("csv", "text/csv"),
}
LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons Attribution 4.0"}


def build_datapackage(ledger: Ledger, dataset: Dataset) -> dict[str, Any]:
    schema = dataset.table_schema()
    resources: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    for pub in ledger.current_all(dataset.id):
        periods.append(
            {
                "period": pub.period,
                "version": pub.version,
                "published": pub.published_at,
                "rows": pub.rows,
                "reviewed_by": pub.reviewed_by,
                "reviewed_at": pub.reviewed_at,
            }
        )
        for rel in sorted(pub.files):
            info = pub.files[rel]
            ext = "." + rel.rsplit(".", 1)[-1]
            fmt, media = MEDIA.get(ext, (ext.lstrip("."), "application/octet-stream"))
            res: dict[str, Any] = {
                "name": f"{dataset.id}_{pub.period}_{fmt}".lower().replace("-", "_"),
                "path": rel,
                "title": f"{dataset.title_zh} {pub.period}",
                "profile": "tabular-data-resource" if fmt == "csv" else "data-resource",
                "format": fmt,
                "mediatype": media,
                "bytes": info["bytes"],
                "hash": f"sha256:{info['sha256']}",
                "rows": pub.rows,
                "period": pub.period,
                "version": pub.version,
            }
            if fmt == "csv":
                res["encoding"] = "utf-8-sig"
                res["dialect"] = {"delimiter": ",", "header": True}
                res["schema"] = schema
            else:
                res["schema"] = schema
            changes = info.get("changes")
            if changes:
                res["changes"] = changes
            resources.append(res)
    return {
        "name": dataset.id.replace("_", "-"),
        "id": dataset.id,
        "title": dataset.title_zh,
        "title_en": dataset.title_en,
        "description": dataset.description,
        "profile": "data-package",
        "keywords": list(dataset.keywords),
        "licenses": [LICENSE],
        "publisher": dataset.publisher,
        "cadence": dataset.cadence.value,
        "accrualPeriodicity": dataset.cadence.iso_duration,
        "primaryKey": list(dataset.primary_key),
        "periods": periods,
        "created_by": f"gongkai-etl {__version__}",
        "resources": resources,
    }


def write_datapackage(layout: Layout, ledger: Ledger, dataset: Dataset) -> None:
    atomic_write_json(layout.dataset_dir(dataset.id) / "datapackage.json", build_datapackage(ledger, dataset))
