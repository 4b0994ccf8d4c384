"""Per-record timeliness of a dataset over its owed periods, for ``etl status``
and the site.

A dataset with a per-record rule (双公示 decisions "结案后的7日内", penalty cases
"作出行政处罚决定之日起20个工作日内", list changes "清单调整后10个工作日内") is due record
by record. :mod:`gongkai_etl.schedule.timeliness` checks each version when it is
published; the status items carry the totals per period
(:attr:`~gongkai_etl.schedule.status.StatusItem.records`). This module sums them
per dataset: how many records were published within their own deadline, how many
late, and the worst ones (with their period), so a reader sees at a glance whether
a department publishes its decisions on time, whatever the period rows say.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

WORST = 3


@dataclass
class RecordTimeliness:
    """Per-record deadline totals of one dataset of one pipeline."""

    pipeline: str
    dataset: str
    rule: str
    first_period: str
    last_period: str
    records: int = 0  # records checked (published, with a date)
    late: int = 0
    undated: int = 0  # published without the anchor date: cannot be judged
    max_days_late: int = 0
    worst: list[dict[str, Any]] = field(default_factory=list)

    @property
    def on_time(self) -> int:
        return self.records - self.late

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.records if self.records else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "on_time": self.on_time}

    def line(self) -> str:
        """One line: ``sgs_license 2016-08..2016-10: 40 records, 37 on time 按时, 3 late 逾期 (92.5% on time)``."""
        span = self.first_period if self.first_period == self.last_period else f"{self.first_period}..{self.last_period}"
        text = f"{self.dataset} {span}: {self.records} records 条, {self.on_time} on time 按时, {self.late} late 逾期"
        if self.on_time_share is not None:
            text += f" ({self.on_time_share:.1%} on time)"
        if self.undated:
            text += f", {self.undated} without a date 无日期"
        return text

    def worst_lines(self) -> list[str]:
        return [
            f"{w['period']} {w['key']}: due 期限 {w['due']}, {w['days_late']} {_unit(w)} late 逾期" for w in self.worst
        ]

    def summary_zh(self) -> str:
        """The site's sentence: ``逐条时效：40 条中 37 条按期公开，3 条逾期（最长逾期 14 个工作日）``."""
        if not self.records:
            return f"逐条时效：尚无可判断的记录（{self.undated} 条无日期）" if self.undated else ""
        text = f"逐条时效：{self.records} 条中 {self.on_time} 条按期公开"
        if self.late:
            unit = "个工作日" if self.worst and self.worst[0].get("unit") == "working days" else "日"
            text += f"，{self.late} 条逾期（最长逾期 {self.max_days_late} {unit}）"
        return text


def _unit(worst: dict[str, Any]) -> str:
    unit = str(worst.get("unit", "days"))
    return unit[:-1] if worst.get("days_late") == 1 else unit


def record_timeliness(items: list[Any]) -> list[RecordTimeliness]:
    """Totals per (pipeline, dataset) of the status items that carry per-record
    totals (``item.records``), in the order the datasets first appear."""
    out: dict[tuple[str, str], RecordTimeliness] = {}
    for item in items:
        rec = item.records
        if not rec or item.version is None:
            continue
        key = (item.pipeline, item.dataset)
        row = out.get(key)
        if row is None:
            row = out[key] = RecordTimeliness(item.pipeline, item.dataset, rec["rule"], item.period, item.period)
        row.last_period = item.period
        row.records += rec["records"]
        row.late += rec["late"]
        row.undated += rec.get("undated", 0)
        row.max_days_late = max(row.max_days_late, rec.get("max_days_late", 0))
        row.worst += [{"period": item.period, **w} for w in rec.get("worst", [])]
    for row in out.values():
        row.worst = sorted(row.worst, key=lambda w: (-w.get("days_late", 0), w["period"], w.get("key", "")))[:WORST]
    return list(out.values())


def render_lines(rows: list[RecordTimeliness]) -> list[str]:
    """The ``etl status`` block (plain text); empty when no dataset has a per-record rule."""
    if not rows:
        return []
    # one line per dataset (the worst record on it): status over every pipeline stays short
    lines = ["逐条时效 record timeliness (each record against its own deadline 按各条记录自身期限):"]
    for row in rows:
        worst = row.worst_lines()[:1]
        lines.append(f"  {row.line()}  [{row.rule}]" + (f"; worst 最久: {worst[0]}" if worst else ""))
    return lines


def print_record_timeliness(items: list[Any], stream: TextIO | None = None) -> None:
    """Print the ``etl status`` block of ``items`` (nothing without per-record rules)."""
    for line in render_lines(record_timeliness(items)):
        print(line, file=stream or sys.stdout)


__all__ = ["RecordTimeliness", "print_record_timeliness", "record_timeliness", "render_lines"]
