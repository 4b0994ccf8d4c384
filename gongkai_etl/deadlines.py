"""Which deadline rule applies to a dataset of a pipeline, and the working-day
calendar of a pipeline.

Precedence: the pipeline's ``deadlines: {dataset_id: RULE}``, else the
dataset's own ``Dataset.deadline``, else :data:`gongkai_etl.workdays.DEFAULT_DEADLINES`
for its cadence. A rule counted from a record's date field (``7 days after
decision_date``) is a *per-record* rule: it is checked record by record when a
version is published; the period as a whole then keeps the dataset's own
per-period deadline (or the cadence default) for ``etl status``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongkai_etl.datasets import Dataset
from gongkai_etl.deadline_rules import explain, parse_deadline
from gongkai_etl.spec import Pipeline
from gongkai_etl.workdays import (
    DEFAULT_DEADLINES,
    OVERRIDE_FILENAME,
    DeadlineRule,
    WorkCalendar,
    default_rule,
)


@dataclass(frozen=True)
class DeadlinePlan:
    """The deadlines of one dataset in one pipeline."""

    dataset: str
    period_rule: DeadlineRule
    period_source: str  # pipeline | dataset | default
    record_rule: DeadlineRule | None = None

    def explain(self) -> list[str]:
        """How each rule was understood, for ``etl validate``: one line per rule."""
        lines = [f"期限 deadline ({self.period_source}): {explain(self.period_rule)}"]
        if self.record_rule is not None:
            lines.append(f"逐条期限 record deadline: {explain(self.record_rule)}")
        return lines

    def describe(self) -> str:
        text = f"{self.period_rule} ({self.period_source})"
        if self.record_rule is not None:
            text += f"; per record: {self.record_rule}"
        return text


def deadline_plan(pipeline: Pipeline, dataset: Dataset) -> DeadlinePlan:
    """Resolve the rules of ``dataset``; errors name the pipeline key or the dataset."""
    dates = [f.name for f in dataset.fields if f.type in ("date", "datetime")]
    declared = None
    if dataset.deadline:
        where = f"dataset {dataset.id} deadline"
        declared = parse_deadline(dataset.deadline, date_fields=dates, cadence=dataset.cadence, path=where)
    value = pipeline.deadlines.get(dataset.id)
    rule = declared
    if value:
        rule = parse_deadline(
            value, date_fields=dates, cadence=dataset.cadence, path=f"deadlines.{dataset.id}", file=pipeline.file
        )
    source = "pipeline" if value else ("dataset" if declared else "default")
    if rule is None:
        return DeadlinePlan(dataset.id, default_rule(dataset.cadence), "default")
    if rule.per_period:
        return DeadlinePlan(dataset.id, rule, source)
    if declared is not None and declared.per_period:
        return DeadlinePlan(dataset.id, declared, "dataset", rule)
    return DeadlinePlan(dataset.id, default_rule(dataset.cadence), "default", rule)


#: Calendars by override file (path, mtime): pipelines of one folder share one, so
#: its answers and its warnings about unknown years are gathered once per command.
_CALENDARS: dict[tuple[str, int | None], WorkCalendar] = {}


def calendar_for(pipeline: Pipeline) -> WorkCalendar:
    """The pipeline's calendar: chinesecalendar plus ``workdays_override.csv`` beside the pipeline file."""
    path = pipeline.base_dir / OVERRIDE_FILENAME
    try:
        mtime: int | None = path.stat().st_mtime_ns
    except OSError:
        mtime = None
    key = (str(path), mtime)
    cal = _CALENDARS.get(key)
    if cal is None:
        cal = _CALENDARS[key] = WorkCalendar.load(pipeline.base_dir)
    return cal


def calendar_warnings(pipelines: list[Pipeline]) -> list[str]:
    """The warnings of the pipelines' calendars (years counted Monday-Friday), once each."""
    return list(dict.fromkeys(w for p in pipelines for w in calendar_for(p).warnings()))


__all__ = ["DEFAULT_DEADLINES", "DeadlinePlan", "calendar_for", "calendar_warnings", "deadline_plan"]
