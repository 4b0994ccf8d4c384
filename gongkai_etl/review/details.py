"""What ``etl review show`` and ``etl review list --json`` print, as plain
data; the CLI (:mod:`gongkai_etl.cli.review`) does the printing. Only masked
rows are shown: the staged output passed the protect stage."""

from __future__ import annotations

from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.review.checks import changed_inputs
from gongkai_etl.review.diff import diff_summary, plain, read_staged
from gongkai_etl.review.model import Review


def review_summary(rv: Review) -> dict[str, Any]:
    """One line of ``etl review list --json``."""
    return {
        "id": rv.id, "status": rv.status, "pipeline": rv.pipeline, "period": rv.period, "datasets": rv.datasets,
        "rows": {ds: r.get("rows_out") for ds, r in rv.rows.items()}, "content_hash": rv.content_hash,
        "created": rv.created, "decided_by": rv.decided_by, "decided_at": rv.decided_at, "note": rv.note,
        "superseded_by": rv.superseded_by,
    }


def review_details(home: Home, ledger: Ledger, rv: Review, datasets: dict[str, Dataset], sample: int = 5) -> dict[str, Any]:
    """Everything ``etl review show`` prints: the review, its inputs and, per
    dataset, row counts, content hash and (while waiting) the diff and sample rows."""
    doc: dict[str, Any] = {
        "id": rv.id,
        "status": rv.status,
        "pipeline": rv.pipeline,
        "pipeline_file": rv.pipeline_file,
        "period": rv.period,
        "run_id": rv.run_id,
        "created": rv.created,
        "content_hash": rv.content_hash,
        "decided_by": rv.decided_by,
        "decided_at": rv.decided_at,
        "note": rv.note,
        "superseded_by": rv.superseded_by,
        "inputs": [{"path": k, "sha256": v} for k, v in sorted(rv.inputs.items())],
        "datasets": [],
    }
    if rv.status == "waiting":
        doc["changed_inputs"] = changed_inputs(rv)
    for ds in rv.datasets:
        dataset = datasets.get(ds)
        entry: dict[str, Any] = {
            "dataset": ds,
            "content_hash": rv.content_hashes.get(ds),
            **rv.rows.get(ds, {}),
        }
        if rv.status == "approved":
            entry["version"] = rv.versions.get(ds)
        if rv.status == "waiting":
            entry["diff"] = diff_summary(home, ledger, rv, ds, dataset)
            table = read_staged(rv, ds, dataset)
            if table is not None:
                head = table.slice(0, sample)
                entry["columns"] = head.column_names
                entry["sample"] = [[plain(v) for v in row.values()] for row in head.to_pylist()]
        doc["datasets"].append(entry)
    return doc
