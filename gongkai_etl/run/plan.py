"""``etl plan``: what ``etl run`` would do, without doing it.

For every period: which inputs it would read (the files found, each with its
sha256, or missing), which datasets, and for each whether it would publish a
new version, stay unchanged, wait for review, or fail for a missing input.
Nothing is written: the ledger is read when it exists, never created.

"Unchanged" is judged from the inputs' fingerprint (the same one ``--due``
uses): the inputs are the ones the current version was made from. A run still
compares the rows it makes, so a changed pipeline file or plugin can publish
where the plan says unchanged; the plan says so in its reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai_etl.extract.archive import input_sha256
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Period
from gongkai_etl.run.due import (
    held_for_review,
    input_fingerprint,
    missing_inputs,
    plan_due,
)

# what a dataset of a period would do
PUBLISH, UNCHANGED, REVIEW, WAITING, FAIL = "publish", "unchanged", "review", "waiting-review", "fail"
ACTION_TEXT = {
    PUBLISH: "将发布 would publish",
    UNCHANGED: "不变 unchanged",
    REVIEW: "将待审查 would be staged for review",
    WAITING: "仍待审查 still waiting for review",
    FAIL: "将失败 would fail",
}


@dataclass
class InputFile:
    input: str
    location: str
    sha256: str | None  # None: missing, or a URL (not fetched)
    state: str  # found | missing | remote | optional-missing


@dataclass
class DatasetStep:
    dataset: str
    action: str
    version: int | None  # the version it would publish, or the current one when unchanged
    reason: str


@dataclass
class PeriodStep:
    pipeline: str
    period: str
    inputs: list[InputFile] = field(default_factory=list)
    datasets: list[DatasetStep] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _inputs(runner: Any, period: Period) -> list[InputFile]:
    pipeline = runner.pipeline
    wanted = {d.id for d in runner.datasets_for(period)}
    out: list[InputFile] = []
    for decl in runner.source.inputs:
        if decl.datasets and not wanted.intersection(decl.datasets):
            continue
        spec = pipeline.inputs.get(decl.name)
        if spec is None:
            continue  # an optional input the pipeline does not configure
        if spec.url is not None:
            out.append(InputFile(decl.name, spec.location(period, pipeline.base_dir), None, "remote"))
            continue
        found = spec.locations(period, pipeline.base_dir)
        for loc in found:
            out.append(InputFile(decl.name, loc, input_sha256(loc) if Path(loc).is_file() else None, "found"))
        if not found:
            state = "missing" if decl.required else "optional-missing"
            out.append(InputFile(decl.name, spec.location(period, pipeline.base_dir), None, state))
    return out


def _feeds(runner: Any, names: set[str], dataset: str) -> bool:
    return any(decl.name in names and (not decl.datasets or dataset in decl.datasets) for decl in runner.source.inputs)


def plan_period(runner: Any, ledger: Ledger | None, period: Period) -> PeriodStep:
    """What ``etl run --period`` would do with one period."""
    pipeline = runner.pipeline
    step = PeriodStep(pipeline.id, period.key, _inputs(runner, period))
    missing = {name for name, _ in missing_inputs(runner, period)}
    fingerprint = input_fingerprint(pipeline, period)
    check = ledger.input_check(pipeline.id, period.key) if ledger else None
    held = held_for_review(ledger, pipeline.id, period.key, check, fingerprint)
    review = runner.review_required()
    for d in runner.datasets_for(period):
        current = ledger.current(d.id, period.key) if ledger else None
        if missing and _feeds(runner, missing, d.id):
            names = ", ".join(sorted(n for n in missing if _feeds(runner, {n}, d.id)))
            step.datasets.append(DatasetStep(d.id, FAIL, None, f"缺少输入 required input missing: {names}"))
            continue
        if held == "waiting":
            step.datasets.append(DatasetStep(d.id, WAITING, None, "staged with these inputs; `etl review approve` publishes it"))
            continue
        nxt = (current.version + 1) if current else 1
        if current is None:
            action, version, reason = (REVIEW if review else PUBLISH), nxt, "not yet published 尚未发布"
        elif fingerprint is not None and fingerprint != (check.fingerprint if check else current.input_hash):
            action, version = (REVIEW if review else PUBLISH), nxt
            reason = f"input changed since v{current.version} 输入已变化 (published only if its rows change)"
        else:
            action, version = UNCHANGED, current.version
            reason = f"same inputs as v{current.version} 输入未变 (a changed pipeline file or plugin may still change it)"
        step.datasets.append(DatasetStep(d.id, action, version, reason))
    return step


def plan_run(runner: Any, ledger: Ledger | None, periods: list[Period]) -> list[PeriodStep]:
    """What ``etl run`` would do with ``periods`` (of the pipeline's cadences)."""
    return [plan_period(runner, ledger, p) for p in periods]


def due_periods(runner: Any, ledger: Ledger | None, as_of: date) -> list[Period]:
    """The periods ``etl run --due`` would take up (to run, or to report as blocked)."""
    return [p.period for p in plan_due(runner, ledger, as_of) if p.action != "done"]


def render(steps: list[PeriodStep]) -> list[str]:
    """Plain lines: a period, its inputs, its datasets."""
    lines: list[str] = []
    for step in steps:
        lines.append(f"{step.pipeline} {step.period}")
        for f in step.inputs:
            digest = f"sha256 {f.sha256[:12]}" if f.sha256 else {
                "missing": "缺少 MISSING", "optional-missing": "缺少 (可选) optional, absent", "remote": "远程 remote, not fetched"
            }.get(f.state, f.state)
            lines.append(f"  input 输入   {f.input}: {f.location}  {digest}")
        for d in step.datasets:
            version = f" v{d.version}" if d.version and d.action in (PUBLISH, REVIEW, UNCHANGED) else ""
            lines.append(f"  dataset 数据集 {d.dataset}: {ACTION_TEXT[d.action]}{version} ({d.reason})")
    return lines


def would_fail(steps: list[PeriodStep]) -> bool:
    return any(d.action == FAIL for s in steps for d in s.datasets)
