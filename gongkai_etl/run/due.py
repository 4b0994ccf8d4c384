"""``etl run --due``: run exactly the periods that are owed and not yet
published, or whose inputs changed since their last run, in order.

For each pipeline, under its lock (:mod:`gongkai_etl.schedule.locks`):

* owed periods: from the first period to the latest one closed as of
  ``--as-of`` (see :mod:`gongkai_etl.schedule.scope`), per cadence;
* a period is run when a dataset of its cadence has no publication, or when
  the fingerprint of its input files (sha256 of every configured local input
  file that exists for the period, combined like the runner's ``input_hash``)
  differs from the one recorded at its last run (or, for periods published
  before fingerprints were kept, from the publication's ``input_hash``);
* a period whose required input file is missing is not run but reported, one
  line per period; that needs a person only once the period is overdue;
* a period staged for review with unchanged inputs waits for the reviewer;
* remote (``url:``) inputs are not fetched to check for changes.

Re-running is safe: a period whose output equals what is published publishes
nothing new, and the lock keeps two runs of a pipeline from overlapping.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai_etl.deadlines import calendar_for, deadline_plan
from gongkai_etl.errors import ConfigError, ExitCode
from gongkai_etl.extract.archive import input_sha256
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Period
from gongkai_etl.report import PeriodOutcome, Reporter, worst_exit
from gongkai_etl.review import list_reviews
from gongkai_etl.schedule.locks import DEFAULT_WAIT, pipeline_lock
from gongkai_etl.schedule.scope import owed_periods
from gongkai_etl.schedule.status import due_date
from gongkai_etl.spec import Pipeline


def input_files(pipeline: Pipeline, period: Period, known: dict[str, str] | None = None) -> dict[str, str | None]:
    """Local input files of a period: location -> sha256 (None when missing).

    ``known`` are digests a run already took (its archive): what it read, even if
    a file changed since."""
    out: dict[str, str | None] = {}
    for spec in pipeline.inputs.values():
        if spec.url is not None:
            continue
        found = spec.locations(period, pipeline.base_dir)
        for loc in found or [spec.location(period, pipeline.base_dir)]:
            if known and loc in known:
                out[loc] = known[loc]
            else:
                out[loc] = input_sha256(loc) if Path(loc).is_file() else None
    return out


def combine(hashes: dict[str, str]) -> str:
    """The runner's combined input hash: sha256 over the digests sorted by location."""
    h = hashlib.sha256()
    for k in sorted(hashes):
        h.update(hashes[k].encode())
    return h.hexdigest()


def input_fingerprint(pipeline: Pipeline, period: Period, known: dict[str, str] | None = None) -> str | None:
    """Fingerprint of the period's existing local input files (None if they cannot be read)."""
    try:
        files = input_files(pipeline, period, known)
    except Exception:  # noqa: BLE001 - the run itself reports unreadable inputs
        return None
    return combine({k: v for k, v in files.items() if v is not None})


def record_input_check(
    ledger: Ledger, pipeline: Pipeline, period: Period, fingerprint: str | None, outcome: PeriodOutcome, run_id: str
) -> None:
    """After a period ran: remember its inputs' fingerprint when the run got through
    (published, unchanged, or staged for review); failures are retried next time."""
    if fingerprint is None:
        return
    if outcome.error is None:
        state = "ok"
    elif outcome.exit_code == ExitCode.WAITING_FOR_REVIEW:
        state = "waiting-review"
    else:
        return
    ledger.record_input_check(pipeline.id, period.key, fingerprint, state, run_id)


def missing_inputs(runner: Any, period: Period) -> list[tuple[str, str]]:
    """Required local inputs whose file does not exist for ``period``: (name, location)."""
    out: list[tuple[str, str]] = []
    pipeline: Pipeline = runner.pipeline
    wanted = {d.id for d in runner.datasets_for(period)}
    for decl in runner.source.inputs:
        spec = pipeline.inputs.get(decl.name)
        if not decl.required or spec is None or spec.url is not None:
            continue
        if decl.datasets and not wanted.intersection(decl.datasets):
            continue  # feeds only datasets of another cadence
        if not spec.locations(period, pipeline.base_dir):
            out.append((decl.name, spec.location(period, pipeline.base_dir)))
    return out


@dataclass
class PeriodPlan:
    pipeline: str
    period: Period
    action: str  # run | missing | waiting-review | done
    reason: str
    due: date | None  # None: the calendar does not cover the due date's year
    overdue: bool
    datasets: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        state = "overdue 已逾期" if self.overdue else "not yet overdue 未逾期"
        due = f"due {self.due.isoformat()}, {state}" if self.due else "due date unknown"
        if self.action == "missing":
            files = "; ".join(f"{name}: {loc}" for name, loc in self.missing)
            return f"缺少输入 missing {self.pipeline} {self.period.key}: {files} ({due})"
        if self.action == "waiting-review":
            return f"待审查 waiting for review {self.pipeline} {self.period.key} ({due})"
        if self.action == "rejected":
            return f"审查未通过 review rejected {self.pipeline} {self.period.key}: fix the input; it runs again once the input changes ({due})"
        return f"{self.action} {self.pipeline} {self.period.key}: {self.reason}"


def plan_due(runner: Any, ledger: Ledger | None, as_of: date, problems: list[str] | None = None) -> list[PeriodPlan]:
    """What ``etl run --due`` does with every owed period of a pipeline, in period order.

    A due date the calendar cannot compute (a year it does not cover) does not
    keep a period from being published: the period is planned with an unknown
    due date and the error is added to ``problems``.
    """
    pipeline: Pipeline = runner.pipeline
    cal = calendar_for(pipeline)
    by_cadence: dict[Any, list[Any]] = {}
    for d in runner.datasets:
        by_cadence.setdefault(d.cadence, []).append(d)
    plans: list[PeriodPlan] = []
    for cadence, datasets in by_cadence.items():
        published: set[str] = set()
        if ledger:
            for d in datasets:
                published.update(p.period for p in ledger.current_all(d.id))
        for period in owed_periods(pipeline, cadence, as_of, published):
            try:
                due: date | None = min(due_date(deadline_plan(pipeline, d).period_rule, period, cal, d.id) for d in datasets)
            except ConfigError as exc:
                due = None
                if problems is not None and str(exc) not in problems:
                    problems.append(str(exc))
            plan = PeriodPlan(pipeline.id, period, "done", "", due, due is not None and as_of > due, [d.id for d in datasets])
            current = {d.id: ledger.current(d.id, period.key) if ledger else None for d in datasets}
            unpublished = [k for k, v in current.items() if v is None]
            check = ledger.input_check(pipeline.id, period.key) if ledger else None
            missing = missing_inputs(runner, period)
            fingerprint = input_fingerprint(pipeline, period) if (unpublished or not missing) else None
            held = held_for_review(ledger, pipeline.id, period.key, check, fingerprint)
            if held == "waiting":
                plan.action, plan.reason = "waiting-review", "staged, waiting for `etl review approve`"
            elif held == "rejected":
                plan.action, plan.reason = "rejected", "review rejected; fix the input, then it runs again"
            elif unpublished:
                if missing:
                    plan.action, plan.missing = "missing", missing
                    plan.reason = "required input missing"
                else:
                    plan.action = "run"
                    plan.reason = "not yet published" if len(unpublished) == len(datasets) else f"not yet published: {', '.join(unpublished)}"
            elif not missing:
                if check is not None:
                    baseline = check.fingerprint
                else:
                    latest = max((p for p in current.values() if p), key=lambda p: (p.published_at, p.version))
                    baseline = latest.input_hash
                if fingerprint is not None and fingerprint != baseline:
                    plan.action, plan.reason = "run", "input changed 输入已变化"
            plans.append(plan)
    plans.sort(key=lambda p: p.period)
    return plans


def held_for_review(ledger: Ledger | None, pipeline: str, period: str, check: Any, fingerprint: str | None) -> str | None:
    """"waiting" or "rejected" when the period's last run, with the same inputs as now,
    was held for review and that review is still waiting or was rejected; else None."""
    if ledger is None or check is None or check.outcome != "waiting-review" or check.fingerprint != fingerprint:
        return None
    try:
        reviews = [r for r in list_reviews(ledger, status=None, pipeline=pipeline) if r.period == period]
    except Exception:  # noqa: BLE001 - no review support: trust the recorded outcome
        return "waiting"
    latest = next((r for r in reviews if r.run_id == check.run_id), None)
    if latest is None:
        return "waiting" if not reviews else None
    return latest.status if latest.status in ("waiting", "rejected") else None


@dataclass
class DueResult:
    pipeline: str
    plans: list[PeriodPlan]
    exit_code: int = 0
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # configuration problems found while planning

    @property
    def needs_person(self) -> list[str]:
        out = [f"{p.period.key}: input missing" for p in self.plans if p.action == "missing" and p.overdue]
        out += [f"{p.period.key}: waiting for review" for p in self.plans if p.action == "waiting-review"]
        out += [f"{p.period.key}: review rejected" for p in self.plans if p.action == "rejected"]
        return out + self.failed + self.problems


def run_due(runner: Any, as_of: date | None, reporter: Reporter, wait: float = DEFAULT_WAIT) -> DueResult:
    """Plan and run the due periods of one pipeline under its lock."""
    pipeline: Pipeline = runner.pipeline
    day = as_of or date.today()
    runner.as_of = as_of
    with pipeline_lock(pipeline, wait) as lock:
        runner.lock_held = True
        stale = lock.stale_message()
        if stale:
            reporter.warn(stale, pipeline=pipeline.id)
        ledger = runner.open_ledger()
        problems: list[str] = []
        try:
            plans = plan_due(runner, ledger, day, problems)
        finally:
            ledger.close()
        result = DueResult(pipeline.id, plans, problems=problems)
        for problem in problems:
            reporter.warn(problem, pipeline=pipeline.id)
        for warning in calendar_for(pipeline).warnings():  # due dates counted Monday-Friday
            reporter.warn(warning, pipeline=pipeline.id)
        for plan in plans:
            if plan.action in ("missing", "waiting-review", "rejected"):
                _emit(reporter, plan)
        todo = [p.period for p in plans if p.action == "run"]
        if not todo:
            blocked = sum(1 for p in plans if p.action in ("missing", "waiting-review", "rejected"))
            extra = f", {blocked} waiting for input or review" if blocked else ""
            reporter.note(
                f"{pipeline.id}: 没有可运行的到期期间 (nothing to run as of {day.isoformat()}; "
                f"{len(plans)} owed periods checked{extra})",
                kind="due", pipeline=pipeline.id, as_of=day.isoformat(), ran=[],
            )
        else:
            for plan in plans:
                if plan.action == "run":
                    reporter.note(f"到期 due {pipeline.id} {plan.period.key}: {plan.reason}", kind="due-period",
                                  pipeline=pipeline.id, period=plan.period.key, reason=plan.reason)
            report = runner.run(todo)
            result.exit_code = report.exit_code
            result.ran = [p.key for p in todo]
            result.failed = [f"{o.period}: {o.error}" for o in report.periods if o.error and o.exit_code != ExitCode.WAITING_FOR_REVIEW]
    codes = [result.exit_code]
    if any((p.action == "missing" and p.overdue) or p.action == "rejected" for p in plans):
        codes.append(int(ExitCode.DATA_FAILURE))
    if any(p.action == "waiting-review" for p in plans):
        codes.append(int(ExitCode.WAITING_FOR_REVIEW))
    if problems:
        codes.append(int(ExitCode.USAGE))
    result.exit_code = worst_exit(codes)
    return result


def _emit(reporter: Reporter, plan: PeriodPlan) -> None:
    fields = {
        "pipeline": plan.pipeline,
        "period": plan.period.key,
        "due": plan.due.isoformat(),
        "overdue": plan.overdue,
        "missing": [{"input": n, "path": loc} for n, loc in plan.missing],
    }
    missing = getattr(reporter, "missing", None)
    if callable(missing):
        missing(plan.line(), **fields)
    else:
        reporter.note(plan.line(), **fields)


def print_needs_person(results: list[DueResult]) -> None:
    """One stderr line per pipeline that needs a person (cron mails stderr)."""
    for r in results:
        items = r.needs_person
        if items:
            print(f"Error: {r.pipeline}: 需要处理 (needs a person): {'; '.join(items)}", file=sys.stderr, flush=True)
