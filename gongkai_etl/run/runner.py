"""One run: a pipeline for one or more periods. The runner is the loop that
strings the stages together, and nothing else:

    extract (the source, through ctx.read) -> normalize -> validate -> derive
    -> protect -> stage -> review or publish

Each dataset is processed in chunks: the whole period's table for small
datasets, batch by batch (bounded memory) for the source's streaming datasets.
Every stage has the entry point ``run(chunk, ctx) -> (chunk, StageInfo)``
(:mod:`gongkai_etl.stages`); a failure is stamped with its stage, dataset and
period here.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ExitCode, GongkaiError, PublishError, WaitingForReview
from gongkai_etl.extract.mapping import as_dict
from gongkai_etl.files import environment_error, failpoint, is_environment_failure
from gongkai_etl.ledger import Ledger
from gongkai_etl.normalize import derive as derive_stage
from gongkai_etl.normalize import stage as normalize_stage
from gongkai_etl.periods import Period
from gongkai_etl.pipeline_check import check_pipeline
from gongkai_etl.plugins import Registry, load_plugins
from gongkai_etl.protect import stage as protect_stage
from gongkai_etl.protect.pii import redact
from gongkai_etl.publish.objectstore import sync_output
from gongkai_etl.publish.publish import clean_staging, publish_period
from gongkai_etl.publish.recovery import recover
from gongkai_etl.deadlines import calendar_for
from gongkai_etl.report import (
    DatasetOutcome,
    PeriodOutcome,
    Progress,
    Reporter,
    RunReport,
    SilentReporter,
    StageInfo,
)
from gongkai_etl.review import hold_for_review
from gongkai_etl.review.approve import show_record_timeliness
from gongkai_etl.run.context import RunContext
from gongkai_etl.run.due import input_fingerprint, record_input_check
from gongkai_etl.run.mapping_report import provenance, provenance_notes
from gongkai_etl.run.read_ahead import read_ahead, timed
from gongkai_etl.schedule.timeliness import assess_version
from gongkai_etl.spec import Pipeline
from gongkai_etl.stage import write as write_stage
from gongkai_etl.stage.finish import discard, finish_period
from gongkai_etl.stage.staged import StagedVersion, combined_input_hash
from gongkai_etl.stages import Chunk, Stage, StageContext, run_chunk
from gongkai_etl.validate import stage as validate_stage

#: The stages every chunk passes, in data-flow order.
STAGES: tuple[Stage, ...] = (normalize_stage, validate_stage, derive_stage, protect_stage, write_stage)  # type: ignore[assignment]


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
        try:
            self.home.state.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PublishError(f"无法创建输出目录 (cannot create the output folder): {exc.strerror}", file=self.home.out) from None
        try:
            return Ledger(self.home.ledger)
        except sqlite3.Error as exc:
            raise environment_error(exc, "无法打开台账 (cannot open the ledger)", self.home.ledger) from None

    def run(self, periods: list[Period]) -> RunReport:
        report = RunReport(self.run_id, self.pipeline.id)
        bind = getattr(self.reporter, "bind", None)  # JSON lines carry the run id and pipeline
        if bind is not None:
            bind(run_id=self.run_id, pipeline=self.pipeline.id)
        ledger = self.open_ledger()
        try:
            # its own journals under the lock it holds; another pipeline's only if that lock is free
            finished = recover(
                self.home, ledger, {d.id: d for d in self.registry_datasets()},
                held={self.pipeline.id} if self.lock_held else (),
            )
            for item in finished:
                self.reporter.warn(f"已完成上次中断的发布 (finished an interrupted publish): {item}")
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
            raise environment_error(exc, "写入输出失败 (writing the output failed)") from None
        except PublishError as exc:
            if is_environment_failure(exc):  # from run_period: the output refuses writes
                try:
                    ledger.finish_run(self.run_id, "failed", error=str(exc))
                except (OSError, sqlite3.Error):
                    pass  # the ledger is on the same broken file system
            raise
        finally:
            ledger.close()
        for warning in calendar_for(self.pipeline).warnings():  # timeliness counted Monday-Friday
            self.reporter.warn(warning, pipeline=self.pipeline.id)
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
            adopted.replay(self.reporter)  # failed while staging: nothing to publish
            hashes.update(adopted.input_hashes)
            return adopted.outcome
        outcome = PeriodOutcome(self.pipeline.id, period.key)
        datasets = self.datasets_for(period)
        if not datasets:
            outcome.error = f"本流水线没有 {period.cadence.title_zh} 周期的数据集 (no {period.cadence.value} dataset in this pipeline)"
            outcome.exit_code = ExitCode.USAGE
            self.reporter.warn(outcome.error, period=period.key, exit_code=int(ExitCode.USAGE))
            return outcome
        # The inputs' fingerprint (for `run --due`) is taken after the run from
        # the digests the archive took as the files were read (one hash per file).
        fingerprint = adopted.fingerprint if adopted is not None else None
        fingerprinted = adopted is not None
        ctx = RunContext(self.pipeline, self.source, self.registry, period, datasets, self.home, ledger)
        contexts: dict[str, StageContext] = {}
        outcomes: dict[str, DatasetOutcome] = {}
        stage_dirs: dict[str, Path] = {}
        try:
            if adopted is None:
                self._stage_period(ctx, period, datasets, contexts, outcomes, stage_dirs)
                staged = self._finish(ctx, period, contexts)
                outcome.excluded_rows = len(ctx.excluded)
                for _, _, why in ctx.excluded:
                    outcome.excluded[why] = outcome.excluded.get(why, 0) + 1
            else:
                staged = adopted.adopt(self.reporter, ctx, outcome, outcomes, stage_dirs)
            if not fingerprinted:
                fingerprint, fingerprinted = input_fingerprint(self.pipeline, period, ctx.input_hashes), True
            if self.stage_only:
                self.staged_units[period.key] = (staged, fingerprint)
            else:
                self._publish(ctx, period, outcomes, staged, ledger)
        except (OSError, sqlite3.Error) as exc:
            discard(contexts.values(), outcomes, stage_dirs)
            raise environment_error(exc, "写入输出失败 (writing the output failed)", period=period.key) from None
        except GongkaiError as exc:
            exc.period = exc.period or period.key
            outcome.error = redact(str(exc))  # a message may quote a raw cell: logs, reports, ledger get it masked
            outcome.exit_code = int(exc.exit_code)
            discard(contexts.values(), outcomes, stage_dirs)
            if is_environment_failure(exc):
                raise  # a full or read-only output: stop the run, one `Error:` line
            if not isinstance(exc, WaitingForReview):
                self.reporter.warn(outcome.error, period=period.key, exit_code=int(exc.exit_code),
                                   dataset=getattr(exc, "dataset", None), stage=getattr(exc, "stage", None))
        finally:
            with contextlib.suppress(Exception):  # an archiving error was raised by _finish already
                ctx.settle_inputs()
            hashes.update(ctx.input_hashes)
            outcome.datasets.extend(outcomes.values())
        if not self.stage_only:
            if not fingerprinted:
                fingerprint = input_fingerprint(self.pipeline, period, ctx.input_hashes)
            record_input_check(ledger, self.pipeline, period, fingerprint, outcome, self.run_id)
        return outcome

    def _stage_period(
        self,
        ctx: RunContext,
        period: Period,
        datasets: list[Dataset],
        contexts: dict[str, StageContext],
        outcomes: dict[str, DatasetOutcome],
        stage_dirs: dict[str, Path],
    ) -> None:
        """Extract the period and pass each dataset's rows through the stages:
        a streaming dataset batch by batch, the others as one table."""
        writers = {fmt: self.registry.writers[fmt] for fmt in self.pipeline.formats}
        for d in datasets:
            stage_dir = self.home.staging(self.run_id, d.id, period.key)
            stage_dir.mkdir(parents=True, exist_ok=True)
            outcome = outcomes[d.id] = DatasetOutcome(d.id, period.key)
            stage_dirs[d.id] = stage_dir
            contexts[d.id] = StageContext(
                d, period, self.pipeline, self.source, ctx, writers, d.arrow_schema(), stage_dir, outcome
            )
        pending: dict[str, list[pa.Table]] = {d.id: [] for d in datasets}
        extract = self.source.extract(ctx)
        batches = read_ahead(extract, ctx) if self.source.streaming else timed(extract, ctx)
        progress = getattr(self.reporter, "progress", None)
        started, rows = time.perf_counter(), 0
        try:
            for batch in batches:
                if callable(progress):
                    rows += batch.data.num_rows
                    done, total = ctx.bytes_read()
                    progress(Progress(self.pipeline.id, period.key, rows, done, total, time.perf_counter() - started))
                if batch.dataset not in contexts:
                    continue
                table = batch.data if isinstance(batch.data, pa.Table) else pa.Table.from_batches([batch.data])
                if batch.dataset in self.source.streaming:
                    self._chunk(contexts[batch.dataset], table)
                else:
                    pending[batch.dataset].append(table)
        except GongkaiError as exc:
            exc.stage = exc.stage or "extract"  # the stages stamp their own errors
            raise
        for ds_id, tables in pending.items():
            if ds_id not in self.source.streaming and tables:
                self._chunk(contexts[ds_id], pa.concat_tables(tables, promote_options="permissive"))
        for message in ctx.warnings:
            self.reporter.warn(message, period=period.key)
        failpoint("run:after-extract")

    def _chunk(self, sc: StageContext, table: pa.Table) -> None:
        """One chunk of a dataset's rows through every stage, in data-flow order."""
        sc.outcome.rows_in += table.num_rows
        run_chunk(STAGES, Chunk(table), sc)

    def _finish(self, ctx: RunContext, period: Period, contexts: dict[str, StageContext]) -> dict[str, StagedVersion]:
        ctx.settle_inputs()
        mapping = getattr(self.reporter, "mapping", None)
        if callable(mapping):  # every input's mapping report, for the JSON log
            for report in ctx.mappings:
                mapping(period=period.key, **as_dict(report))
        for sc in contexts.values():  # conversions, constants and absent fields: in the report and datapackage.json
            sc.provenance = provenance(ctx.mappings, self.pipeline, self.source, sc.dataset, period)
            for note in provenance_notes(sc.provenance, sc.dataset.id):
                self.reporter.note(note, period=period.key, dataset=sc.dataset.id)
        staged = finish_period(
            self.home, contexts, max_reject_ratio=self.pipeline.max_reject_ratio,
            reject_ratios=self.pipeline.reject_ratios,
            input_hash=combined_input_hash(ctx.input_hashes),
        )
        rows_in = sum(sc.outcome.rows_in for sc in contexts.values())
        self.reporter.stage(StageInfo("extract", ",".join(contexts), period.key, rows_in, rows_in, 0, ctx.extract_seconds))
        for sc in contexts.values():
            sc.outcome.stages.extend(sc.totals.values())
            for info in sc.outcome.stages:
                self.reporter.stage(info)
        return staged

    def _publish(
        self,
        ctx: RunContext,
        period: Period,
        outcomes: dict[str, DatasetOutcome],
        staged: dict[str, StagedVersion],
        ledger: Ledger,
    ) -> None:
        """Publish each staged dataset (or hold them all for review)."""
        jumps = [message for out in outcomes.values() for message in out.unit_jumps]
        for message in jumps:  # unit_jumps: warn holds the period until a person looks
            self.reporter.warn(f"{message}; 已暂缓发布，等待审查 (held for review)", period=period.key)
        if jumps or self.review_required():
            hold_for_review(
                self.home, ledger, self.pipeline, self.run_id, period, staged, outcomes, self.reporter, inputs=ctx.input_hashes
            )
            return
        by_id = {d.id: d for d in self.datasets}
        for i, (ds_id, sv) in enumerate(staged.items()):
            if i:
                failpoint("run:between-datasets")
            out = outcomes[ds_id]
            t = time.perf_counter()
            try:
                version = publish_period(
                    self.home, ledger, by_id[ds_id], sv, run_id=self.run_id, pipeline=self.pipeline.id,
                    published_on=self.published_on.isoformat(),
                )
            except GongkaiError as exc:
                exc.stage, exc.dataset = exc.stage or "publish", exc.dataset or ds_id
                raise
            out.version = version
            out.status = "published" if version else "unchanged"
            if version:
                out.timeliness = assess_version(
                    self.home, ledger, self.pipeline, by_id[ds_id], period.key, version, self.published_on, self.run_id
                )
                if out.timeliness and "error" not in out.timeliness:
                    # the after_publish hook ran before the records were judged: show them on the site too
                    show_record_timeliness(self.home, ledger, ds_id)
            info = StageInfo("publish", ds_id, period.key, sv.rows, sv.rows if version else 0, 0, time.perf_counter() - t)
            out.stages.append(info)
            self.reporter.stage(info)

    @property
    def published_on(self) -> date:
        return self.as_of or date.today()

    def review_required(self) -> bool:
        if self.pipeline.review == "required":
            return True
        return "review" not in self.pipeline.raw and any(d.review == "required" for d in self.datasets)


def run_pipeline(pipeline: Pipeline, periods: list[Period], reporter: Reporter | None = None) -> RunReport:
    return Runner(pipeline, reporter).run(periods)


__all__ = ["STAGES", "Runner", "check_pipeline", "run_pipeline"]
