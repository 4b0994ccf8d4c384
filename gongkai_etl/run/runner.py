"""One run: a pipeline for one or more periods, through
extract -> normalize/validate -> protect -> stage -> publish.

Each dataset is processed in chunks: the whole period's table for small
datasets, batch by batch (bounded memory) for the source's streaming datasets.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.run.context import RunContext
from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN, Batch, Reject, Source, WriterSession
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, DataError, ExitCode, GongkaiError, PublishError, WaitingForReview, unknown_name
from gongkai_etl.ledger import Ledger
from gongkai_etl.files import is_environment_failure, write_error
from gongkai_etl.stage.writers import BackgroundSession
from gongkai_etl.publish.publish import StagedVersion, clean_staging, combined_input_hash, failpoint, finish_stage, publish_period, recover
from gongkai_etl.home import Home
import gongkai_etl.portal.catalog  # noqa: F401  registers on_publish: changelog, catalog.json, site
from gongkai_etl.periods import Period
from gongkai_etl.plugins import Registry, load_plugins
from gongkai_etl.report import DatasetOutcome, PeriodOutcome, Reporter, RunReport, SilentReporter, StageInfo
from gongkai_etl.spec import Pipeline
from gongkai_etl.validate.validate import KeySet, check_unique, normalize_and_validate


def check_pipeline(pipeline: Pipeline, registry: Registry | None = None) -> tuple[Source, list[Dataset]]:
    """Checks that need the plugins: source, datasets, inputs, options, formats."""
    registry = registry or load_plugins()
    file = pipeline.file
    try:
        source = registry.source(pipeline.source)
    except ConfigError as exc:
        raise ConfigError(f"source.plugin: {exc.message}", file=file) from None
    known = {d.id: d for d in source.datasets}
    chosen: list[Dataset] = []
    for i, ds_id in enumerate(pipeline.datasets or list(known)):
        if ds_id not in known:
            raise ConfigError(f"datasets[{i}]: {unknown_name('数据集 dataset', ds_id, known)}", file=file)
        chosen.append(known[ds_id])
    declared_inputs = {d.name: d for d in source.inputs}
    for name in pipeline.inputs:
        if name not in declared_inputs:
            raise ConfigError(f"inputs.{name}: {unknown_name('输入 input', name, declared_inputs)}", file=file)
    for name, spec in pipeline.inputs.items():
        decl = declared_inputs[name]
        for key in ("columns", "units"):
            for col in getattr(spec, key):
                if col not in decl.columns:
                    raise ConfigError(f"inputs.{name}.{key}.{col}: {unknown_name('列 column', col, decl.columns)}", file=file)
        for col in spec.fixed:
            if col not in decl.columns:
                raise ConfigError(f"inputs.{name}.fixed.{col}: {unknown_name('列 column', col, decl.columns)}", file=file)
    for key, value in pipeline.source_options.items():
        opt = source.options.get(key)
        if opt is None:
            raise ConfigError(f"source.options.{key}: {unknown_name('选项 option', key, source.options)}", file=file)
        if not isinstance(value, opt.type) or (isinstance(value, bool) and opt.type is not bool):
            raise ConfigError(f"source.options.{key}: expected {opt.type.__name__}, got {value!r}", file=file)
    for i, fmt in enumerate(pipeline.formats):
        if fmt not in registry.writers:
            raise ConfigError(f"output.formats[{i}]: {unknown_name('格式 format', fmt, registry.writers)}", file=file)
    for key in (*pipeline.deadlines, *pipeline.privacy):
        if key not in known:
            raise ConfigError(f"{_section(pipeline, key)}.{key}: {unknown_name('数据集 dataset', key, known)}", file=file)
    from gongkai_etl.schedule.deadlines import deadline_plan

    for d in chosen:  # deadline rules parse and name a date field of the dataset
        deadline_plan(pipeline, d)
    return source, chosen


def _section(pipeline: Pipeline, key: str) -> str:
    return "deadlines" if key in pipeline.deadlines else "privacy"


@dataclass
class _DatasetRun:
    """State of one dataset while its period is processed."""

    dataset: Dataset
    schema: pa.Schema
    stage_dir: Path
    outcome: DatasetOutcome
    sessions: dict[str, tuple[WriterSession, str]] = field(default_factory=dict)
    seen_keys: KeySet = field(default_factory=KeySet)
    rejects: list[Reject] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    times: dict[str, float] = field(default_factory=dict)

    def tick(self, stage: str, started: float) -> None:
        self.times[stage] = self.times.get(stage, 0.0) + time.perf_counter() - started


class Runner:
    """Runs one pipeline. Use :func:`run_pipeline`."""

    def __init__(self, pipeline: Pipeline, reporter: Reporter | None = None, registry: Registry | None = None) -> None:
        self.pipeline = pipeline
        self.registry = registry or load_plugins()
        self.source, self.datasets = check_pipeline(pipeline, self.registry)
        self.reporter = reporter or SilentReporter()
        self.home = pipeline.home
        self.run_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        #: The day publications of this run count as made (``--as-of``); None: today.
        self.as_of: date | None = None
        #: True while the caller holds this pipeline's lock (schedule/locks.py):
        #: then a run still marked ``running`` in the ledger was killed.
        self.lock_held = False
        #: Scale-out (gongkai_etl.run.executor): ``stager(period)`` stages a period elsewhere and
        #: returns a StagedUnit this runner publishes; ``stage_only`` is the worker side
        #: (stage, never publish, never write the ledger); ``publish_lock`` serializes
        #: the publishing of several runners in one coordinating process.
        self.stager: Any = None
        self.stage_only = False
        self.staged_units: dict[str, Any] = {}
        self.publish_lock: Any = contextlib.nullcontext()

    def open_ledger(self) -> Ledger:
        from gongkai_etl.errors import PublishError

        try:
            self.home.state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"无法创建输出目录 (cannot create the output folder): {exc.strerror}", file=self.home.out) from None
        try:
            return Ledger(self.home.ledger)
        except sqlite3.Error as exc:
            raise _environment_error(exc, "无法打开台账 (cannot open the ledger)", self.home.ledger) from None

    def run(self, periods: list[Period]) -> RunReport:
        report = RunReport(self.run_id, self.pipeline.id)
        ledger = self.open_ledger()
        try:
            finished = recover(self.home, ledger, {d.id: d for d in self.registry_datasets()})
            for item in finished:
                self.reporter.warn(f"已完成上次中断的发布 (finished an interrupted publish): {item}")
            from gongkai_etl.publish.objectstore import sync_output

            for item in sync_output(self.home.out, ledger):  # an s3:// output a killed run left behind
                self.reporter.warn(f"已完成上次中断的对象存储发布 (finished an interrupted upload): {item}")
            clean_staging(self.home)
            if self.lock_held:
                ledger.close_interrupted_runs(self.pipeline.id)
            ledger.start_run(self.run_id, self.pipeline.id, str(self.pipeline.file), [p.key for p in periods])
            totals = [0, 0, 0]
            hashes: dict[str, str] = {}
            errors: list[str] = []
            for i, period in enumerate(periods):
                if i:
                    failpoint("run:between-periods")
                outcome = self.run_period(period, ledger, hashes)
                report.periods.append(outcome)
                for d in outcome.datasets:
                    totals[0] += d.rows_in
                    totals[1] += d.rows_out
                    totals[2] += d.rejected
                if outcome.error:
                    errors.append(f"{period.key}: {outcome.error}")
                self.reporter.period_done(outcome)
            code = report.exit_code
            result = "ok" if code == 0 else ("waiting-review" if code == ExitCode.WAITING_FOR_REVIEW else "failed")
            ledger.finish_run(
                self.run_id, result, rows_in=totals[0], rows_out=totals[1], rows_rejected=totals[2],
                input_hashes=hashes, error="; ".join(errors) or None,
            )
        except (OSError, sqlite3.Error) as exc:
            raise _environment_error(exc, "写入输出失败 (writing the output failed)") from None
        except PublishError as exc:
            if is_environment_failure(exc):  # from run_period: the output refuses writes
                try:
                    ledger.finish_run(self.run_id, "failed", error=str(exc))
                except (OSError, sqlite3.Error):
                    pass  # the ledger is on the same broken file system
            raise
        finally:
            ledger.close()
        return report

    def registry_datasets(self) -> list[Dataset]:
        return [ds for _, ds in self.registry.datasets().values()]

    def datasets_for(self, period: Period) -> list[Dataset]:
        return [d for d in self.datasets if d.cadence is period.cadence]

    # one period -------------------------------------------------------------
    def run_period(self, period: Period, ledger: Ledger, hashes: dict[str, str]) -> PeriodOutcome:
        adopted = self.stager(period) if self.stager is not None else None
        with self.publish_lock:
            return self._run_period(period, ledger, hashes, adopted)

    def _run_period(self, period: Period, ledger: Ledger, hashes: dict[str, str], adopted: Any = None) -> PeriodOutcome:
        """Stage and publish one period. ``adopted``: a StagedUnit staged by a
        worker (gongkai_etl.run.executor); then only the publishing happens here."""
        if adopted is not None and (adopted.outcome.error or adopted.staged is None):
            for event in adopted.events:  # failed while staging: nothing to publish
                getattr(self.reporter, event[0])(*event[1], **event[2])
            hashes.update(adopted.input_hashes)
            return adopted.outcome
        outcome = PeriodOutcome(self.pipeline.id, period.key)
        datasets = self.datasets_for(period)
        if not datasets:
            outcome.error = f"本流水线没有 {period.cadence.title_zh} 周期的数据集 (no {period.cadence.value} dataset in this pipeline)"
            outcome.exit_code = ExitCode.USAGE
            self.reporter.warn(outcome.error, period=period.key)
            return outcome
        from gongkai_etl.schedule.due import input_fingerprint, record_input_check

        # The inputs' fingerprint (for `run --due`) is taken after the run from
        # the digests the archive took as the files were read (one hash per file).
        fingerprint = adopted.fingerprint if adopted is not None else None
        fingerprinted = adopted is not None
        ctx = RunContext(self.pipeline, self.source, self.registry, period, datasets, self.home, ledger)
        runs: dict[str, _DatasetRun] = {}
        try:
            if adopted is None:
                self._process(ctx, period, datasets, runs)
                staged = self._finish(ctx, period, runs)
                outcome.excluded_rows = len(ctx.excluded)
            else:
                staged = adopted.adopt(self, ctx, datasets, runs, outcome)
            if not fingerprinted:
                fingerprint, fingerprinted = input_fingerprint(self.pipeline, period, ctx.input_hashes), True
            if self.stage_only:
                self.staged_units[period.key] = (staged, fingerprint)
            else:
                self._publish(ctx, period, runs, staged, ledger)
        except (OSError, sqlite3.Error) as exc:
            self._discard(runs)
            raise _environment_error(exc, "写入输出失败 (writing the output failed)", period=period.key) from None
        except GongkaiError as exc:
            exc.period = exc.period or period.key
            outcome.error = _redact(str(exc))  # a message may quote a raw cell: logs, reports, ledger get it masked
            outcome.exit_code = int(exc.exit_code)
            self._discard(runs)
            if is_environment_failure(exc):
                raise  # a full or read-only output: stop the run, one `Error:` line
            if not isinstance(exc, WaitingForReview):
                self.reporter.warn(outcome.error, period=period.key, exit_code=int(exc.exit_code))
        finally:
            with contextlib.suppress(Exception):  # an archiving error was raised by _finish already
                ctx.settle_inputs()
            hashes.update(ctx.input_hashes)
            for r in runs.values():
                outcome.datasets.append(r.outcome)
        if not self.stage_only:
            if not fingerprinted:
                fingerprint = input_fingerprint(self.pipeline, period, ctx.input_hashes)
            record_input_check(ledger, self.pipeline, period, fingerprint, outcome, self.run_id)
        return outcome

    def _process(self, ctx: RunContext, period: Period, datasets: list[Dataset], runs: dict[str, _DatasetRun]) -> None:
        wanted = {d.id: d for d in datasets}
        pending: dict[str, list[pa.Table]] = {d.id: [] for d in datasets}
        for d in datasets:
            runs[d.id] = self._open_run(d, period)
        units: dict[str, str] = {}  # units travel as column metadata from ctx.read
        batches = _read_ahead(self.source.extract(ctx), ctx) if self.source.streaming else _timed(self.source.extract(ctx), ctx)
        for batch in batches:
            if batch.dataset not in wanted:
                continue
            table = batch.data if isinstance(batch.data, pa.Table) else pa.Table.from_batches([batch.data])
            if batch.dataset in self.source.streaming:
                self._chunk(ctx, runs[batch.dataset], table, units)
            else:
                pending[batch.dataset].append(table)
        for ds_id, tables in pending.items():
            if ds_id in self.source.streaming:
                continue
            table = pa.concat_tables(tables, promote_options="permissive") if tables else None
            if table is not None:
                self._chunk(ctx, runs[ds_id], table, units)
        for message in ctx.warnings:
            self.reporter.warn(message, period=period.key)
        failpoint("run:after-extract")

    def _open_run(self, dataset: Dataset, period: Period) -> _DatasetRun:
        stage_dir = self.home.staging(self.run_id, dataset.id, period.key)
        stage_dir.mkdir(parents=True, exist_ok=True)
        return _DatasetRun(dataset, dataset.arrow_schema(), stage_dir, DatasetOutcome(dataset.id, period.key),
                           seen_keys=KeySet(spill_dir=stage_dir))

    def _chunk(self, ctx: RunContext, run: _DatasetRun, table: pa.Table, units: dict[str, str]) -> None:
        ds = run.dataset
        n = table.num_rows
        run.outcome.rows_in += n
        t = time.perf_counter()
        typed, rejects = normalize_and_validate(table, ds, units)
        run.tick("normalize+validate", t)
        t = time.perf_counter()
        bad = {r.index for r in rejects}
        rejects += check_unique(typed, ds, run.seen_keys, bad)
        rejects += list(self.source.check(ctx, ds, typed) or ())
        run.tick("check", t)
        if rejects:
            bad = {r.index for r in rejects}
            keep = pa.array([i not in bad for i in range(n)])
            typed = typed.filter(keep)
            run.rejects += rejects
            run.outcome.rejected += len(bad)
        typed = self.source.derive(ctx, ds, typed)
        t = time.perf_counter()
        typed = self._protect(ctx, run, typed)
        run.tick("protect", t)
        t = time.perf_counter()
        out = _conform(typed, run.schema)
        self._write(run, out)
        run.outcome.rows_out += out.num_rows
        run.tick("stage", t)

    def _protect(self, ctx: RunContext, run: _DatasetRun, table: pa.Table) -> pa.Table:
        from gongkai_etl.protect.protect import protect

        table, findings = protect(table, run.dataset, self.pipeline, ctx.period, salt=ctx.salt, row_offset=run.outcome.rows_out)
        run.findings += findings
        return table

    def _write(self, run: _DatasetRun, table: pa.Table) -> None:
        if not run.sessions:
            for fmt in self.pipeline.formats:
                writer = self.registry.writers[fmt]
                rel = writer.filename(run.dataset, Period.parse(run.outcome.period))
                path = run.stage_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                # Written by a thread per format: output overlaps the next batch's work.
                run.sessions[fmt] = (BackgroundSession(writer.open(path, run.dataset, run.schema)), rel)
        for session, _ in run.sessions.values():
            for batch in table.to_batches():
                session.write(batch)
            failpoint("stage:after-write")

    def _finish(self, ctx: RunContext, period: Period, runs: dict[str, _DatasetRun]) -> dict[str, StagedVersion]:
        from gongkai_etl.protect.protect import findings_error

        ctx.settle_inputs()

        findings = [f for r in runs.values() for f in r.findings]
        rows_in = sum(r.outcome.rows_in for r in runs.values())
        rejected = sum(r.outcome.rejected for r in runs.values())
        for r in runs.values():
            if r.rejects:
                r.outcome.rejects_file = str(self._write_rejects(r))
        for r in runs.values():
            if not r.sessions:  # no rows at all: still publish an empty, typed file
                self._write(r, r.schema.empty_table())
            for session, _ in r.sessions.values():
                session.close()
                failpoint("stage:after-close")
        if findings:
            raise findings_error(findings)
        if rows_in and rejected / rows_in > self.pipeline.max_reject_ratio:
            files = ", ".join(r.outcome.rejects_file for r in runs.values() if r.outcome.rejects_file)
            raise DataError(
                f"{rejected} 行被拒绝，超过上限 (rows rejected: {rejected} of {rows_in}, above max_reject_ratio "
                f"{self.pipeline.max_reject_ratio:g}); nothing was published; see {files}",
                period=period.key,
            )
        staged: dict[str, StagedVersion] = {}
        input_hash = combined_input_hash(ctx.input_hashes)
        for ds_id, r in runs.items():
            files: dict[str, dict[str, Any]] = {}
            for fmt, (session, rel) in r.sessions.items():
                files[rel] = {"format": fmt}
                digest = getattr(session, "sha256", None)
                if digest:
                    files[rel]["sha256"] = digest
            sv = StagedVersion(ds_id, period.key, r.stage_dir, r.outcome.rows_out, files, input_hash)
            staged[ds_id] = finish_stage(sv)
            for stage, secs in r.times.items():
                info = StageInfo(stage, ds_id, period.key, r.outcome.rows_in, r.outcome.rows_out, r.outcome.rejected, secs)
                r.outcome.stages.append(info)
        extract_info = StageInfo("extract", ",".join(runs), period.key, rows_in, rows_in, 0, ctx.extract_seconds)
        self.reporter.stage(extract_info)
        for r in runs.values():
            for info in r.outcome.stages:
                self.reporter.stage(info)
        return staged

    def _write_rejects(self, run: _DatasetRun) -> Path:
        """Rejected rows, with reasons, outside the published folder and private:
        they may hold the raw personal data that was about to be published."""
        path = self.home.rejects(run.dataset.id, run.outcome.period)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(path, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "row", "field", "value", "reason"])
            for rej in sorted(run.rejects, key=lambda r: (r.row or 0, r.field)):
                w.writerow([rej.file, rej.row, rej.field, rej.value, rej.reason])
        return path

    def _publish(
        self, ctx: RunContext, period: Period, runs: dict[str, _DatasetRun], staged: dict[str, StagedVersion], ledger: Ledger
    ) -> None:
        if self.review_required():
            from gongkai_etl.review import hold_for_review

            outcomes = {ds_id: r.outcome for ds_id, r in runs.items()}
            hold_for_review(
                self.home, ledger, self.pipeline, self.run_id, period, staged, outcomes, self.reporter, inputs=ctx.input_hashes
            )
            return
        for i, (ds_id, sv) in enumerate(staged.items()):
            if i:
                failpoint("run:between-datasets")
            r = runs[ds_id]
            t = time.perf_counter()
            version = publish_period(
                self.home, ledger, r.dataset, sv, run_id=self.run_id, pipeline=self.pipeline.id,
                published_on=self.published_on.isoformat(),
            )
            r.outcome.version = version
            r.outcome.status = "published" if version else "unchanged"
            if version:
                from gongkai_etl.schedule.timeliness import assess_version

                r.outcome.timeliness = assess_version(
                    self.home, ledger, self.pipeline, r.dataset, period.key, version, self.published_on, self.run_id
                )
            info = StageInfo("publish", ds_id, period.key, sv.rows, sv.rows if version else 0, 0, time.perf_counter() - t)
            r.outcome.stages.append(info)
            self.reporter.stage(info)

    @property
    def published_on(self) -> date:
        return self.as_of or date.today()

    def review_required(self) -> bool:
        if self.pipeline.review == "required":
            return True
        return "review" not in self.pipeline.raw and any(d.review == "required" for d in self.datasets)

    def _discard(self, runs: dict[str, _DatasetRun]) -> None:
        import shutil

        for r in runs.values():
            for session, _ in r.sessions.values():
                try:
                    session.close()
                except Exception:  # the stage is being thrown away anyway
                    pass
            if r.outcome.status == "pending":
                r.outcome.status = "failed"
                shutil.rmtree(r.stage_dir, ignore_errors=True)


def _timed(batches: Iterable[Batch], ctx: RunContext) -> Iterator[Batch]:
    """The source's batches, its time counted as extract time."""
    gen = iter(batches)
    try:
        while True:
            started = time.perf_counter()
            try:
                batch = next(gen)
            except StopIteration:
                return
            finally:
                ctx.extract_seconds += time.perf_counter() - started
            yield batch
    finally:
        close = getattr(gen, "close", None)
        if callable(close):
            close()  # a caller that stops early still closes the source's files


def _read_ahead(batches: Iterable[Batch], ctx: RunContext, depth: int = 1) -> Iterator[Batch]:
    """The source's batches, extracted by a thread up to ``depth`` batches ahead.

    For a streaming source on the heavy path: reading and reshaping the next
    batch (pyarrow and numpy release the GIL) overlaps normalizing, checking and
    writing this one, which on two cores takes about the time of the slower half
    instead of both. An error in the source is raised here, in the caller's
    thread; when the caller stops early the thread closes the source's generator
    (so its files are closed) and ends.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand_over(item: tuple[BaseException | None, Any]) -> bool:
        """Queue ``item`` for the caller; False once the caller has stopped."""
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        gen = _timed(batches, ctx)
        try:
            for batch in gen:
                if not hand_over((None, batch)):
                    return
            item: tuple[BaseException | None, Any] = (None, done)
        except BaseException as exc:  # handed over to the caller's thread
            item = (exc, None)
        finally:
            gen.close()
        hand_over(item)

    thread = threading.Thread(target=produce, name="gongkai-extract", daemon=True)
    thread.start()
    try:
        while True:
            error, batch = out.get()
            if error is not None:
                raise error
            if batch is done:
                return
            yield batch
    finally:
        stop.set()
        thread.join()


def _environment_error(exc: OSError | sqlite3.Error, message: str, file: Path | None = None, **where: Any) -> PublishError:
    """A write failure of the output's file system (full, read-only, ...) as a
    PublishError that stops the run; sqlite's own errors count as such."""
    if isinstance(exc, OSError):
        return write_error(message, exc, file, **where)
    hint = _fs_hint(file) if file is not None else ""
    err = PublishError(f"{message}: 台账 ledger: {exc}{hint}", file=file, **where)
    err.os_errno = errno.EIO  # type: ignore[attr-defined]
    return err


def _fs_hint(path: Path) -> str:
    """Why sqlite's terse 'disk I/O error' / 'unable to open database file' probably happened."""
    for probe in (path, *path.parents):
        if probe.exists():
            break
    else:
        return ""
    try:
        st = os.statvfs(probe)
    except OSError:
        return ""
    if st.f_flag & os.ST_RDONLY:
        return " (Read-only file system)"
    if st.f_bavail * st.f_frsize < (1 << 20):
        return f" (No space left on device: {st.f_bavail * st.f_frsize // 1024} KiB free)"
    return ""


def _redact(text: str) -> str:
    from gongkai_etl.protect.pii import redact

    return redact(text)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Exactly the schema's columns, in its order and types."""
    arrays = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            arrays.append(col if col.type == f.type else pc.cast(col, f.type))
        else:
            arrays.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def run_pipeline(pipeline: Pipeline, periods: list[Period], reporter: Reporter | None = None) -> RunReport:
    return Runner(pipeline, reporter).run(periods)


__all__ = ["Runner", "check_pipeline", "run_pipeline", "ROW_COLUMN", "FILE_COLUMN"]
