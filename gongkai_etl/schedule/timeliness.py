"""Per-record timeliness of event-driven datasets.

A pipeline rule like ``deadlines: {penalty_decisions: "7 days after decision_date"}``
makes every record due on its own: ``decision_date`` + 7 days (or N working days
with the pipeline's calendar). When a version is published, each record that is
new in it (its primary key is in no earlier version of the period) counts as
published on the version's ``published_on`` day (``--as-of`` or today); records
already in an earlier version were counted when that version was published.
The summary (records, late, worst ones) goes into the run report and the ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongkai_etl.datasets import Dataset
from gongkai_etl.deadlines import calendar_for, deadline_plan
from gongkai_etl.errors import GongkaiError
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication
from gongkai_etl.spec import Pipeline
from gongkai_etl.workdays import DeadlineRule, WorkCalendar, count_working_days

WORST = 5


def _read_columns(vdir: Path, pub: Publication, dataset: Dataset, columns: list[str]) -> pa.Table | None:
    rels = sorted(pub.files)
    parquet = [r for r in rels if r.endswith(".parquet")]
    csvs = [r for r in rels if r.endswith(".csv")]
    if parquet and (vdir / parquet[0]).exists():
        import pyarrow.parquet as pq

        return pq.read_table(vdir / parquet[0], columns=columns)
    if csvs and (vdir / csvs[0]).exists():
        import pyarrow.csv as pacsv

        types = {f.name: f.arrow_type for f in dataset.fields if f.name in columns}
        opts = pacsv.ConvertOptions(column_types=types, include_columns=columns, strings_can_be_null=True)
        return pacsv.read_csv(vdir / csvs[0], convert_options=opts)
    return None


def _key_fields(dataset: Dataset) -> list[str]:
    return [k for k in dataset.primary_key if k != "period"] or list(dataset.primary_key)


def _keys(table: pa.Table, fields: list[str]) -> list[str]:
    if not fields:
        return [str(i + 1) for i in range(table.num_rows)]
    cols = [table.column(f).to_pylist() for f in fields]
    return [", ".join(f"{f}={v}" for f, v in zip(fields, row)) for row in zip(*cols)]


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


def assess(
    table: pa.Table,
    keys: list[str],
    carried: set[str],
    rule: DeadlineRule,
    published_on: date,
    cal: WorkCalendar,
) -> dict[str, Any]:
    """Count new records published after their own due date; keep the worst ones."""
    anchors = [_as_date(v) for v in table.column(rule.anchor).to_pylist()]
    due_of: dict[date, date] = {}
    records = late = undated = kept = 0
    worst: list[dict[str, Any]] = []
    for key, anchor in zip(keys, anchors):
        if key in carried:
            kept += 1
            continue
        if anchor is None:
            undated += 1
            continue
        records += 1
        due = due_of.get(anchor)
        if due is None:
            due = due_of[anchor] = rule.due_for_record(anchor, cal)
        if published_on > due:
            late += 1
            if rule.working:
                days, unit = count_working_days(due, published_on, cal), "working days"
            else:
                days, unit = (published_on - due).days, "days"
            worst.append({"key": key, rule.anchor: anchor.isoformat(), "due": due.isoformat(), "days_late": days, "unit": unit})
    worst.sort(key=lambda w: (-w["days_late"], w["key"]))
    return {
        "rule": str(rule),
        "published_on": published_on.isoformat(),
        "records": records,
        "late": late,
        "undated": undated,
        "carried": kept,
        "max_days_late": worst[0]["days_late"] if worst else 0,
        "worst": worst[:WORST],
    }


def assess_version(
    home: Home,
    ledger: Ledger,
    pipeline: Pipeline,
    dataset: Dataset,
    period: str,
    version: int,
    published_on: date,
    run_id: str | None = None,
    cal: WorkCalendar | None = None,
) -> dict[str, Any] | None:
    """Check and record the per-record deadlines of a just published version.

    None when the dataset has no per-record rule in this pipeline. A problem
    (a record date in a year the calendar does not cover, an unreadable
    version) is returned as ``{"error": ...}``: the publication itself stands.
    """
    plan = deadline_plan(pipeline, dataset)
    rule = plan.record_rule
    if rule is None:
        return None
    try:
        versions = {v.version: v for v in ledger.versions(dataset.id, period)}
        pub = versions.get(version)
        if pub is None:
            return None
        key_fields = _key_fields(dataset)
        columns = list(dict.fromkeys([*key_fields, rule.anchor]))
        table = _read_columns(home.version_dir(dataset.id, period, version), pub, dataset, columns)
        if table is None:
            return {"rule": str(rule), "error": "published files not found in the version folder"}
        carried: set[str] = set()
        for v, earlier in versions.items():
            if v < version:
                old = _read_columns(home.version_dir(dataset.id, period, v), earlier, dataset, key_fields)
                if old is not None:
                    carried.update(_keys(old, key_fields))
        summary = assess(table, _keys(table, key_fields), carried, rule, published_on, cal or calendar_for(pipeline))
    except GongkaiError as exc:
        return {"rule": str(rule), "error": exc.message}
    ledger.record_timeliness(dataset.id, period, version, summary, run_id)
    return summary


def describe(summary: dict[str, Any]) -> list[str]:
    """Report lines for a summary (plain text)."""
    if "error" in summary:
        return [f"逐条时效无法检查 (record timeliness not checked: {summary['error']})"]
    head = (
        f"逐条时效 record deadlines ({summary['rule']}): {summary['late']} of {summary['records']} new records "
        f"published after their deadline (published {summary['published_on']})"
    )
    extra = []
    if summary.get("carried"):
        extra.append(f"{summary['carried']} already published before")
    if summary.get("undated"):
        extra.append(f"{summary['undated']} without a date")
    if extra:
        head += "; " + ", ".join(extra)
    lines = [head]
    for w in summary.get("worst", []):
        anchor = next((k for k in w if k not in ("key", "due", "days_late", "unit")), None)
        unit = w["unit"][:-1] if w["days_late"] == 1 else w["unit"]
        lines.append(f"  {w['key']}: {anchor} {w.get(anchor)}, due {w['due']}, {w['days_late']} {unit} late")
    return lines
