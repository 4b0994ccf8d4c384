"""``etl status``: for every dataset and owed period, whether it was published
on time, late, is overdue or not yet due, as of a day.

A period is owed from its first period (see :mod:`gongkai_etl.schedule.scope`)
to the latest period closed as of ``--as-of``. It counts as published on the
``published_on`` day of its first version (a later correction does not make a
timely publication late); versions published after ``--as-of`` are ignored, so
``--as-of`` shows the world as it was on that day.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from gongkai_etl.deadlines import calendar_for, calendar_warnings, deadline_plan
from gongkai_etl.errors import ConfigError, ExitCode
from gongkai_etl.ledger import Ledger, Publication
from gongkai_etl.periods import Period
from gongkai_etl.pipeline_check import check_pipeline
from gongkai_etl.plugins import Registry, load_plugins
from gongkai_etl.report import display_width, pad
from gongkai_etl.schedule.record_status import record_timeliness
from gongkai_etl.schedule.scope import owed_periods
from gongkai_etl.spec import Pipeline
from gongkai_etl.workdays import (
    DeadlineRule,
    Timeliness,
    WorkCalendar,
    classify,
    count_working_days,
)


@dataclass
class StatusItem:
    pipeline: str
    dataset: str
    cadence: str
    period: str
    rule: str
    rule_source: str
    due: date
    status: Timeliness
    published_on: date | None = None
    published_at: str | None = None
    version: int | None = None
    first_version: int | None = None
    days: int | None = None  # late by / overdue by
    days_unit: str = "working days"
    records: dict[str, Any] | None = None  # per-record timeliness totals of event-driven datasets

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["due"] = self.due.isoformat()
        d["status"] = self.status.value
        d["published_on"] = self.published_on.isoformat() if self.published_on else None
        return d


@dataclass
class StatusReport:
    as_of: date
    items: list[StatusItem] = field(default_factory=list)
    rules: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline -> dataset -> rule text
    #: years whose due dates were counted Monday-Friday, for want of their holiday schedule
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {t.value: 0 for t in Timeliness}
        for item in self.items:
            out[item.status.value] += 1
        return out

    @property
    def overdue(self) -> list[StatusItem]:
        return [i for i in self.items if i.status is Timeliness.OVERDUE]

    @property
    def exit_code(self) -> int:
        return int(ExitCode.DATA_FAILURE) if self.overdue else int(ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "ok": not self.overdue,
            "counts": self.counts(),
            "rules": self.rules,
            "warnings": self.warnings,
            "items": [i.to_json() for i in self.items],
            "record_timeliness": [r.to_json() for r in record_timeliness(self.items)],
        }


def ledger_path(pipeline: Pipeline) -> Path:
    return pipeline.home.ledger


def open_existing_ledger(pipeline: Pipeline) -> Ledger | None:
    """The pipeline's ledger, or None when nothing was ever run (nothing is created)."""
    path = ledger_path(pipeline)
    return Ledger(path) if path.exists() else None


def days_between(rule: DeadlineRule, due: date, until: date, cal: WorkCalendar) -> tuple[int, str]:
    """How far ``until`` is past ``due``, in the rule's unit (calendar days when the calendar cannot say)."""
    if rule.working:
        try:
            return count_working_days(due, until, cal), "working days"
        except ConfigError:
            pass
    return (until - due).days, "days"


def due_date(rule: DeadlineRule, period: Period, cal: WorkCalendar, dataset: str) -> date:
    """The period's due date; a calendar error names the dataset and period."""
    try:
        return rule.due_for_period(period, cal)
    except ConfigError as exc:
        exc.dataset = exc.dataset or dataset
        exc.period = exc.period or period.key
        raise


def pipeline_status(pipeline: Pipeline, as_of: date, registry: Registry | None = None) -> tuple[list[StatusItem], dict[str, str]]:

    _, datasets = check_pipeline(pipeline, registry or load_plugins())
    cal = calendar_for(pipeline)
    ledger = open_existing_ledger(pipeline)
    items: list[StatusItem] = []
    rules: dict[str, str] = {}
    try:
        for ds in datasets:
            plan = deadline_plan(pipeline, ds)
            rules[ds.id] = plan.describe()
            published = [p.period for p in ledger.current_all(ds.id)] if ledger else []
            for period in owed_periods(pipeline, ds.cadence, as_of, published):
                due = due_date(plan.period_rule, period, cal, ds.id)
                versions: list[Publication] = []
                if ledger:
                    versions = [v for v in ledger.versions(ds.id, period.key) if v.effective_date <= as_of]
                first = min(versions, key=lambda v: v.version) if versions else None
                shown = _shown_version(versions)
                published_on = first.effective_date if first else None
                status = classify(due, published_on, as_of)
                item = StatusItem(
                    pipeline=pipeline.id,
                    dataset=ds.id,
                    cadence=ds.cadence.value,
                    period=period.key,
                    rule=str(plan.period_rule),
                    rule_source=plan.period_source,
                    due=due,
                    status=status,
                    published_on=published_on,
                    published_at=first.published_at if first else None,
                    version=shown.version if shown else None,
                    first_version=first.version if first else None,
                )
                if status is Timeliness.LATE and published_on:
                    item.days, item.days_unit = days_between(plan.period_rule, due, published_on, cal)
                elif status is Timeliness.OVERDUE:
                    item.days, item.days_unit = days_between(plan.period_rule, due, as_of, cal)
                if plan.record_rule is not None and ledger:
                    item.records = _records(ledger, ds.id, period.key, {v.version for v in versions}, str(plan.record_rule))
                items.append(item)
    finally:
        if ledger:
            ledger.close()
    return items, rules


def _shown_version(versions: list[Publication]) -> Publication | None:
    """The current version when it is among ``versions``, else the newest of them."""
    if not versions:
        return None
    current = [v for v in versions if v.current]
    return current[0] if current else max(versions, key=lambda v: v.version)


def _records(ledger: Ledger, dataset: str, period: str, versions: set[int], rule: str) -> dict[str, Any]:
    rows = [r for r in ledger.timeliness(dataset, period) if r["version"] in versions]
    worst = sorted((w for r in rows for w in r["worst"]), key=lambda w: -w.get("days_late", 0))[:5]
    return {
        "rule": rule,
        "records": sum(r["records"] for r in rows),
        "late": sum(r["late"] for r in rows),
        "undated": sum(r["undated"] for r in rows),
        "max_days_late": max((r["max_days_late"] for r in rows), default=0),
        "worst": worst,
    }


def build_status(pipelines: list[Pipeline], as_of: date) -> StatusReport:
    registry = load_plugins()
    report = StatusReport(as_of)
    for p in pipelines:
        items, rules = pipeline_status(p, as_of, registry)
        report.items += items
        report.rules[p.id] = rules
    report.warnings = calendar_warnings(pipelines)
    return report


# rendering ----------------------------------------------------------------
STATUS_TEXT = {
    Timeliness.ON_TIME: "on time 按时公开",
    Timeliness.LATE: "late 逾期公开",
    Timeliness.OVERDUE: "OVERDUE 逾期未公开",
    Timeliness.NOT_YET_DUE: "not yet due 未到期",
}
STATUS_COLOUR = {
    Timeliness.ON_TIME: "green",
    Timeliness.LATE: "yellow",
    Timeliness.OVERDUE: "bold red",
    Timeliness.NOT_YET_DUE: "blue",
}


def _detail(item: StatusItem) -> str:
    parts = []
    if item.days is not None:
        unit = item.days_unit.replace("working days", "wd")
        parts.append(f"{'late' if item.status is Timeliness.LATE else 'overdue'} by {item.days} {unit}")
    if item.records:
        r = item.records
        parts.append(f"records late {r['late']}/{r['records']}")
    return "; ".join(parts)


def _cells(item: StatusItem) -> list[str]:
    return [
        item.dataset,
        item.period,
        item.due.isoformat(),
        item.published_on.isoformat() if item.published_on else "-",
        f"v{item.version}" if item.version else "-",
        STATUS_TEXT[item.status],
        _detail(item),
    ]


def _span(values: list[str]) -> str:
    """``a`` when every value is ``a``, else ``first..last``."""
    return values[0] if len(set(values)) == 1 else f"{values[0]}..{values[-1]}"


def _days_span(run: list[StatusItem]) -> str:
    days = [i.days for i in run if i.days is not None]
    if not days:
        return ""
    word = "late" if run[0].status is Timeliness.LATE else "overdue"
    low, high = min(days), max(days)
    return f"{word} by {low if low == high else f'{low}..{high}'} wd"


def _folded_cells(run: list[StatusItem]) -> list[str]:
    first, last = run[0], run[-1]
    cells = _cells(last)
    cells[1] = f"{first.period}..{last.period} ({len(run)} 期 periods)"
    cells[2] = f"{first.due.isoformat()}..{last.due.isoformat()}"
    cells[3] = _span([i.published_on.isoformat() if i.published_on else "-" for i in run])
    cells[4] = _span([f"v{i.version}" if i.version else "-" for i in run])
    detail = [_days_span(run)]
    records = [i.records for i in run if i.records]
    if records:
        late = sum(r["late"] for r in records)
        total = sum(r["records"] for r in records)
        detail.append(f"records late {late}/{total}")
    cells[6] = "; ".join(d for d in detail if d)
    return cells


def folded_rows(items: list[StatusItem], *, each_period: bool = False) -> list[tuple[StatusItem, list[str]]]:
    """The table rows of ``items``: a run of consecutive periods of one dataset
    with the same status is one row, ``2016-11..2026-10 (120 期 periods)``, so a
    pipeline years behind (or years on time) prints a line per change of status,
    not one per month. Never-published overdue periods always fold; with
    ``each_period`` the published ones get a row each."""
    rows: list[tuple[StatusItem, list[str]]] = []
    run: list[StatusItem] = []

    def flush() -> None:
        if len(run) == 1:
            rows.append((run[0], _cells(run[0])))
        elif run:
            rows.append((run[-1], _folded_cells(run)))
        run.clear()

    for item in items:
        never = item.version is None
        folds = item.status is not Timeliness.NOT_YET_DUE and (never or not each_period)
        same = run and run[-1].dataset == item.dataset and run[-1].status is item.status and (run[-1].version is None) == never
        if not folds or not same:
            flush()
        if folds:
            run.append(item)
        else:
            rows.append((item, _cells(item)))
    flush()
    return rows


HEADERS = ["dataset 数据集", "period 期间", "due 期限", "published 发布日", "version 版本", "status 状态", "detail 说明"]


def _summary(report: StatusReport) -> str:
    c = report.counts()
    return (
        f"summary 汇总: {c['overdue']} overdue, {c['late']} late, {c['on_time']} on time, "
        f"{c['not_yet_due']} not yet due (as of {report.as_of.isoformat()})"
    )


def render_plain(report: StatusReport, stream: TextIO | None = None, *, each_period: bool = False) -> None:
    out = stream or sys.stdout
    for pipeline, rules in report.rules.items():
        items = [i for i in report.items if i.pipeline == pipeline]
        print(f"{pipeline}  as of {report.as_of.isoformat()}", file=out)
        rows = [HEADERS] + [cells for _, cells in folded_rows(items, each_period=each_period)]
        widths = [max(_width(r[k]) for r in rows) for k in range(len(HEADERS))]
        for r in rows:
            line = "  ".join(_pad(cell, widths[k]) for k, cell in enumerate(r)).rstrip()
            print(f"  {line}", file=out)
        if not items:
            print("  (no closed period yet 尚无已结束的期间)", file=out)
        for text, names in _rules_grouped(rules):
            print(f"  rule {', '.join(names)}: {text}", file=out)
    for warning in report.warnings:
        print(f"注意 warning: {warning}", file=out)
    print(_summary(report), file=out)


def render_rich(report: StatusReport, *, each_period: bool = False) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for pipeline, rules in report.rules.items():
        table = Table(title=f"{pipeline}  as of {report.as_of.isoformat()}", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("dataset 数据集", overflow="fold")
        table.add_column("period", no_wrap=True, min_width=7)
        table.add_column("due 期限", no_wrap=True, min_width=10)
        table.add_column("published", no_wrap=True, min_width=13)
        table.add_column("status 状态", no_wrap=True, min_width=11)
        table.add_column("detail 说明", ratio=1)
        for item, cells in folded_rows([i for i in report.items if i.pipeline == pipeline], each_period=each_period):
            colour = STATUS_COLOUR[item.status]
            published = f"{cells[3]} {cells[4]}" if item.version else "-"
            short = cells[5].split(" 逾期")[0].split(" 按时")[0].split(" 未到期")[0]
            table.add_row(cells[0], cells[1], cells[2], published, f"[{colour}]{short}[/{colour}]", cells[6])
        table.caption = "\n".join(f"rule {', '.join(names)}: {text}" for text, names in _rules_grouped(rules))
        table.caption_justify = "left"
        console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]注意 warning:[/yellow] {warning}", highlight=False)
    console.print(_summary(report), highlight=False)


def render_json(report: StatusReport, stream: TextIO | None = None) -> None:
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2), file=stream or sys.stdout)


def _rules_grouped(rules: dict[str, str]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for ds, text in rules.items():
        grouped.setdefault(text, []).append(ds)
    return list(grouped.items())


_width, _pad = display_width, pad
