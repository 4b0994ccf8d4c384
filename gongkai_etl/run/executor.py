"""Scale-out: stage (pipeline, period) units on worker processes, publish here.

``etl run --executor local --workers N`` (worker processes of this machine, standard
library) or ``--executor dask --scheduler ADDRESS`` (a dask.distributed cluster).

Who does what:

* A **worker** (a process of a local ``ProcessPoolExecutor``, or a dask worker)
  runs :func:`stage_unit` for one (pipeline file, period, run id): it
  re-loads the pipeline and the plugins, then extract -> normalize -> validate ->
  protect -> stage into the run's staging folder ``<out>/.gongkai/staging/<run>/...``
  exactly as an in-process run does. It opens the ledger read-only (a source's
  cross-period checks read the published previous period) and never writes it.
  It returns a picklable :class:`StagedUnit`: staged paths, hashes, outcome
  counts, input hashes, and the reporter events to replay.
* The **coordinator** (the ``etl`` process) keeps one thread per pipeline, under
  that pipeline's lock. The thread runs the ordinary :meth:`Runner.run`; its
  ``stager`` submits each period to the workers and waits for it, then the
  runner publishes (or holds for review) and writes the ledger exactly as a
  local run, one pipeline at a time per output folder (``publish_lock``).

Ordering: units of different pipelines run in parallel; the periods of one
pipeline run in order, and period N is published before period N+1 is
submitted, so a source's cross-period checks see the previous period. (A
pipeline's periods are therefore not parallel: honest and simple.)

Workers must see the same paths as the coordinator (one machine, or a shared
file system): inputs, the output folder and its ``.gongkai`` state.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError, GongkaiError, PublishError
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Period
from gongkai_etl.publish.recovery import recover
from gongkai_etl.report import DatasetOutcome, PeriodOutcome, Reporter, StageInfo
from gongkai_etl.run.context import RunContext, local_salt
from gongkai_etl.run.runner import Runner
from gongkai_etl.spec import load_pipeline
from gongkai_etl.stage.staged import StagedVersion

EXECUTORS = ("local", "dask")


@dataclass
class StagedUnit:
    """What a worker hands back for one (pipeline, period): picklable, no open files."""

    pipeline_file: str
    period: str
    run_id: str
    outcome: PeriodOutcome
    staged: dict[str, StagedVersion] | None
    input_hashes: dict[str, str] = field(default_factory=dict)
    fingerprint: str | None = None
    events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    #: a fatal (environment) error of the worker: message, exit code, errno
    fatal: tuple[str, int, int | None] | None = None

    def replay(self, reporter: Reporter) -> None:
        """Tell the coordinator's reporter what the worker's reporter was told."""
        for event in self.events:
            getattr(reporter, event[0])(*event[1], **event[2])

    def adopt(
        self,
        reporter: Reporter,
        ctx: RunContext,
        outcome: PeriodOutcome,
        outcomes: dict[str, DatasetOutcome],
        stage_dirs: dict[str, Path],
    ) -> dict[str, StagedVersion]:
        """Coordinator side: take over what the worker staged, for publishing.

        Fills ``outcomes`` and ``stage_dirs`` (dataset id -> ...) the way a local
        staging would, and returns the staged versions."""
        self.replay(reporter)
        ctx.input_hashes.update(self.input_hashes)
        outcome.excluded_rows = self.outcome.excluded_rows
        outcome.excluded = dict(self.outcome.excluded)
        by_id = {d.dataset: d for d in self.outcome.datasets}
        staged = self.staged or {}
        for d in ctx.datasets:
            if d.id in staged:
                outcomes[d.id] = by_id[d.id]
                stage_dirs[d.id] = Path(staged[d.id].dir)
        return staged


class _RecordingReporter:
    """Keeps a worker's reporter calls; the coordinator replays them in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def stage(self, info: StageInfo) -> None:
        self.events.append(("stage", (info,), {}))

    def note(self, message: str, **fields: object) -> None:
        self.events.append(("note", (message,), dict(fields)))

    def warn(self, message: str, **fields: object) -> None:
        self.events.append(("warn", (message,), dict(fields)))

    def period_done(self, outcome: PeriodOutcome) -> None:
        pass


class ReadOnlyLedger:
    """The ledger as a worker sees it: reads only. A write is a bug, and says so."""

    _READS = frozenset({"current", "current_all", "versions", "runs", "input_check", "timeliness", "schema_version", "path"})

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger

    def __getattr__(self, name: str) -> Any:
        if name in self._READS:
            return getattr(self._ledger, name)
        raise RuntimeError(f"a worker must not write the ledger (Ledger.{name})")

    def close(self) -> None:
        self._ledger.close()


def stage_unit(pipeline_file: str, period_key: str, run_id: str, as_of: str | None = None) -> StagedUnit:
    """Worker side: stage one period of one pipeline; never publish, never write the ledger."""

    pipeline = load_pipeline(Path(pipeline_file))
    reporter = _RecordingReporter()
    runner = Runner(pipeline, reporter)
    runner.run_id = run_id
    runner.as_of = date.fromisoformat(as_of) if as_of else None
    runner.stage_only = True
    period = Period.parse(period_key)
    hashes: dict[str, str] = {}
    unit = StagedUnit(pipeline_file, period_key, run_id, PeriodOutcome(pipeline.id, period_key), None)
    ledger = ReadOnlyLedger(Ledger(runner.home.ledger))
    try:
        unit.outcome = runner.run_period(period, ledger, hashes)  # type: ignore[arg-type]
    except GongkaiError as exc:
        unit.fatal = (str(exc), int(exc.exit_code), getattr(exc, "os_errno", None))
        unit.outcome.error = str(exc)
        unit.outcome.exit_code = int(exc.exit_code)
    finally:
        ledger.close()
    staged, fingerprint = runner.staged_units.get(period_key, (None, None))
    unit.staged = staged if not unit.outcome.error else None
    unit.fingerprint = fingerprint
    unit.input_hashes = hashes
    unit.events = reporter.events
    return unit


class Executor:
    """Where units are staged (local worker processes or a dask cluster) and the coordinator's threads.

    ``local`` is a ``ProcessPoolExecutor``: a unit is one pickled call each way, with no
    scheduler in this process. A dask LocalCluster here cost the coordinator ~25 ms of CPU
    a unit (its scheduler and heartbeats run in this process), which two workers on two
    cores then lack (bench/RESULTS.md, 2026-12-05 many districts)."""

    def __init__(self, kind: str, scheduler: str | None = None, workers: int | None = None) -> None:
        if kind not in EXECUTORS:
            raise ConfigError(f"--executor: expected one of {', '.join(EXECUTORS)}, got {kind!r}")
        if kind == "dask" and not scheduler:
            raise ConfigError("--executor dask 需要 --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        if kind == "local" and scheduler:
            raise ConfigError("--scheduler 只用于 --executor dask (--scheduler goes with --executor dask)")
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers: expected at least 1, got {workers}")
        if kind == "dask" and workers is not None:
            raise ConfigError("--workers 只用于 --executor local (--workers goes with --executor local)")
        self.client: Any = None
        self.pool: ProcessPoolExecutor | None = None
        if kind == "local":
            # spawn, not fork: the coordinator has threads (pipelines, archiving) a fork would copy mid-lock
            self.pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                            mp_context=multiprocessing.get_context("spawn"))
        else:
            try:
                from dask.distributed import Client
            except ImportError:
                raise ConfigError('--executor dask 需要 dask (install "dask[distributed]")') from None
            try:
                self.client = Client(scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(f"无法连接 dask 调度器 (cannot reach the dask scheduler {scheduler}): {exc}") from None
        self._publish_locks: dict[Path, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def publish_lock(self, out: Path) -> threading.Lock:
        """One lock per output folder: its ledger, catalog and changelogs take one
        publish at a time. Outputs of their own (a city's districts) publish side by
        side, so one output's fsyncs do not hold up the others (about 45 ms of
        waiting on the disk per dataset-period, bench/RESULTS.md 2026-12-05)."""
        key = out.resolve()
        with self._locks_lock:
            return self._publish_locks.setdefault(key, threading.Lock())

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.client is not None:
            self.client.close()

    def submit(self, *args: Any) -> Any:
        """Stage one unit elsewhere: a future whose ``result()`` is the :class:`StagedUnit`."""
        if self.pool is not None:
            return self.pool.submit(stage_unit, *args)
        return self.client.submit(stage_unit, *args, pure=False)

    def attach(self, runner: Any) -> None:
        """Make ``runner`` stage its periods on the workers and publish here."""

        if not os.environ.get(runner.pipeline.salt_env):
            local_salt(runner.home)  # made once here, so every worker hashes with the same salt
        as_of = runner.as_of.isoformat() if runner.as_of else None

        def stager(period: Any) -> StagedUnit:
            try:
                unit: StagedUnit = self.submit(str(runner.pipeline.file), period.key, runner.run_id, as_of).result()
            except BrokenProcessPool:
                # killed from outside (out of memory, a signal): no traceback to show, and the
                # pool is gone for every unit still waiting, so each says which one it was
                raise PublishError(
                    f"工作进程意外退出，本期间未发布 (a worker process of --executor local died while staging "
                    f"{runner.pipeline.id}, e.g. killed when out of memory; nothing of this period was published)",
                    period=period.key, file=runner.pipeline.file) from None
            if unit.fatal is not None:
                message, code, err = unit.fatal
                exc = PublishError(message)
                exc.os_errno = err  # type: ignore[attr-defined]
                raise exc
            return unit

        runner.stager = stager
        runner.publish_lock = self.publish_lock(runner.home.out)

    def map(self, runners: list[Any], fn: Callable[[Any], int]) -> list[int]:
        """``fn(runner)`` for every runner in its own coordinator thread; the first
        exception (in runner order) is raised after all have finished."""

        for runner in runners:  # finish interrupted publishes once, before threads race for them
            runner.home.state.mkdir(parents=True, exist_ok=True)
            ledger = Ledger(runner.home.ledger)
            try:
                recover(runner.home, ledger, {d.id: d for d in runner.registry_datasets()})
            finally:
                ledger.close()
            self.attach(runner)
        with ThreadPoolExecutor(max_workers=max(1, len(runners)), thread_name_prefix="gongkai-pipeline") as pool:
            futures = [pool.submit(fn, r) for r in runners]
        results: list[int] = []
        for f in futures:
            results.append(f.result())
        return results


@contextlib.contextmanager
def open_executor(kind: str, scheduler: str | None, workers: int | None) -> Iterator[Executor]:
    ex = Executor(kind, scheduler, workers)
    try:
        yield ex
    finally:
        ex.close()
