"""``<out>/<dataset>/datapackage.json``: a Frictionless Data Package per dataset.

One resource per published period and format, each with its Table Schema,
bytes, sha256 and row count, rewritten atomically after every publish. Each
period (and its resources) carries a ``changes`` object: rows added, removed and
changed against the previous published period, and the changelog files
(:mod:`gongkai_etl.portal.changelog`), brought up to date just before writing.
"""

from __future__ import annotations

from typing import Any

from gongkai_etl import __version__
from gongkai_etl.datasets import Dataset
from gongkai_etl.files import atomic_write_json
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal.changelog import load_manifest, refresh_changelog, summary, warn

MEDIA = {
    ".parquet": ("parquet", "application/vnd.apache.parquet"),
    ".csv": ("csv", "text/csv"),
    ".xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
#: Formats a validator reads as a table against the Table Schema. The XLSX is for
#: people (Chinese titles and units in its header row), so it is declared a file:
#: its bytes and sha256 are checked, its rows are the CSV's.
TABULAR = ("csv", "parquet")
LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "Creative Commons Attribution 4.0"}


def marked_schema(schema: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    """The Table Schema with each field the source did not give marked:
    ``"gongkai:notProvided": true`` (published as null because the department
    does not keep it) or ``"gongkai:constant"`` (one ``fixed:`` value for every
    row), so no one reads them as measured data."""
    absent = set(provenance.get("not_provided", ()))
    constants = provenance.get("constants", {})
    fields = []
    for f in schema["fields"]:
        f = dict(f)
        if f["name"] in absent:
            f["gongkai:notProvided"] = True
        if f["name"] in constants:
            f["gongkai:constant"] = constants[f["name"]]
        fields.append(f)
    return {**schema, "fields": fields}


def build_datapackage(ledger: Ledger, dataset: Dataset, changes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """``changes``: the changelog manifest (period -> counts and files), if any."""

    schema = dataset.table_schema()
    resources: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    for pub in ledger.current_all(dataset.id):
        entry: dict[str, Any] = {
            "period": pub.period,
            "version": pub.version,
            "published": pub.published_at,
            "rows": pub.rows,
            "reviewed_by": pub.reviewed_by,
            "reviewed_at": pub.reviewed_at,
        }
        period_changes = summary(changes[pub.period]) if changes and pub.period in changes else None
        if period_changes:
            entry["changes"] = period_changes
        periods.append(entry)
        for rel in sorted(pub.files):
            info = pub.files[rel]
            ext = "." + rel.rsplit(".", 1)[-1]
            fmt, media = MEDIA.get(ext, (ext.lstrip("."), "application/octet-stream"))
            res: dict[str, Any] = {
                "name": f"{dataset.id}_{pub.period}_{fmt}".lower().replace("-", "_"),
                "path": rel,
                "title": f"{dataset.title_zh} {pub.period}",
                "profile": "tabular-data-resource" if fmt in TABULAR else "data-resource",
                "type": "table" if fmt in TABULAR else "file",
                "format": fmt,
                "mediatype": media,
                "bytes": info["bytes"],
                "hash": f"sha256:{info['sha256']}",
                "rows": pub.rows,
                "period": pub.period,
                "version": pub.version,
            }
            if fmt == "parquet":
                # frictionless reads Parquet through pyarrow, not as a byte stream, and
                # then reports every declared size as wrong ("actual is None"): the size
                # goes in an extension property (the sha256 it leaves alone).
                res["file_bytes"] = res.pop("bytes")
            if fmt == "csv":
                res["encoding"] = "utf-8-sig"
                res["dialect"] = {"delimiter": ",", "header": True}
            prov = info.get("provenance") or {}
            if fmt in TABULAR:
                res["schema"] = marked_schema(schema, prov) if prov else schema
            if prov.get("unit_conversions"):
                res["gongkai:unitConversions"] = prov["unit_conversions"]
            if prov.get("constants"):
                res["gongkai:constants"] = prov["constants"]
            if prov.get("not_provided"):
                res["gongkai:notProvided"] = prov["not_provided"]
            else:  # a validator counts "rows" of a table only; a file's rows are an extension here
                res["data_rows"] = res.pop("rows")
            counts = info.get("changes") or (
                {k: period_changes[k] for k in ("previous_period", "added", "removed", "changed")} if period_changes else None
            )
            if counts:
                res["changes"] = counts
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


def write_datapackage(home: Home, ledger: Ledger, dataset: Dataset) -> None:
    """Refresh the dataset's changelogs, then rewrite its datapackage.json."""

    try:
        refresh_changelog(home.out, ledger, dataset)
    except Exception as exc:  # noqa: BLE001 - derived metadata never blocks the publish; retried next time
        warn(f"变更记录未更新 (changelog not updated) {dataset.id}: {exc}")
    changes = load_manifest(home.out, dataset.id)
    atomic_write_json(home.dataset_dir(dataset.id) / "datapackage.json", build_datapackage(ledger, dataset, changes))
