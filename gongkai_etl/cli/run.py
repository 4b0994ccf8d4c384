"""``etl run``: run pipelines for periods, or exactly what is due."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from gongkai_etl.cli.app import (
    settings,
    AsOfOption,
    OptionalPipelinesArg,
    WaitOption,
    app,
    default_pipelines,
    load_pipelines,
    make_cli_reporter,
)
from gongkai_etl.errors import ConfigError
from gongkai_etl.report import worst_exit


@app.command()
def run(
    pipelines: OptionalPipelinesArg = None,
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="2016-11, 2016Q3, 2016H2, 2016, a range 2016-01..2016-06, or a comma list.")] = None,
    due: Annotated[bool, typer.Option("--due", help="Run exactly the closed periods not yet published (or whose input changed), in order.")] = False,
    as_of: AsOfOption = None,
    wait: WaitOption = 5.0,
    executor: Annotated[Optional[str], typer.Option("--executor", help="Stage on worker processes: `local` (this machine, see --workers) or `dask` (a dask cluster, see --scheduler); publishing stays in this process. Default: in-process.")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786.")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Worker processes of --executor local (default: CPU count).")] = None,
) -> None:
    """运行流水线 Run pipelines: extract, validate, protect, stage and publish."""
    from gongkai_etl.periods import parse_periods
    from gongkai_etl.run.runner import Runner
    from gongkai_etl.schedule.locks import pipeline_lock
    from gongkai_etl.schedule.scope import parse_as_of

    if due and period:
        raise ConfigError("--due 与 --period 不能同时使用 (--due chooses the periods itself; drop --period)")
    if not pipelines and not due:
        raise ConfigError("缺少参数 PIPELINES (missing argument PIPELINES...: pipeline files or folders)")
    day = parse_as_of(as_of) if as_of else None
    loaded = load_pipelines(default_pipelines(pipelines))
    runners = [Runner(p, make_cli_reporter()) for p in loaded]  # check every pipeline before running any
    for runner in runners:
        runner.as_of = day
    if (scheduler or workers is not None) and not executor:
        raise ConfigError("--scheduler/--workers 需要 --executor (give --executor dask or --executor local)")
    if due:
        from gongkai_etl.run.due import print_needs_person, run_due

        if executor:
            from gongkai_etl.run.executor import open_executor

            with open_executor(executor, scheduler, workers) as ex:
                results = ex.map(runners, lambda r: run_due(r, day, r.reporter, wait))  # type: ignore[arg-type]
        else:
            results = [run_due(r, day, r.reporter, wait) for r in runners]
        print_needs_person(results)  # type: ignore[arg-type]
        raise typer.Exit(worst_exit(r.exit_code for r in results))  # type: ignore[attr-defined]
    plans = []
    for runner in runners:
        periods = parse_periods(period) if period else runner.pipeline.periods
        if not periods:
            raise ConfigError("没有指定期间 (no period: give --period, or `periods:` in the pipeline)", file=runner.pipeline.file)
        if period:  # only the periods this pipeline has datasets for
            cadences = {d.cadence for d in runner.datasets}
            periods = [p for p in periods if p.cadence in cadences]
            if not periods:
                continue
        plans.append((runner, periods))
    if period and not plans:  # nothing to do is a mistake, not a quiet success
        raise ConfigError(f"--period {period}: 没有数据集按此周期发布 (no dataset of these pipelines has that period); "
                          f"served: {'; '.join(_served(r) for r in runners)}")

    reports: list = []  # type: ignore[type-arg]
    seconds: dict[str, float] = {}

    def run_one(runner: Runner, periods: list) -> int:  # type: ignore[type-arg]
        with pipeline_lock(runner.pipeline, wait) as lock:
            runner.lock_held = True
            stale = lock.stale_message()
            if stale:
                runner.reporter.warn(stale, pipeline=runner.pipeline.id)
            started = time.perf_counter()
            report = runner.run(periods)
            seconds[report.run_id] = time.perf_counter() - started
            reports.append(report)
            return report.exit_code

    if executor:
        from gongkai_etl.run.executor import open_executor

        todo = dict((id(r), ps) for r, ps in plans)
        with open_executor(executor, scheduler, workers) as ex:
            codes = ex.map([r for r, _ in plans], lambda r: run_one(r, todo[id(r)]))
    else:
        codes = [run_one(r, ps) for r, ps in plans]
    from gongkai_etl.cli.console import print_summary

    if not settings.quiet and runners:
        print_summary(runners[0].reporter, reports, seconds)  # reports of a dask run stay in its workers
    raise typer.Exit(worst_exit(codes))


def _served(runner: object) -> str:
    """``shantytown: monthly 2016-08..2016-10``: what a pipeline's datasets publish."""
    pipeline = runner.pipeline  # type: ignore[attr-defined]
    cadences = sorted({d.cadence.value for d in runner.datasets})  # type: ignore[attr-defined]
    keys = [p.key for p in pipeline.periods]
    span = f" {keys[0]}..{keys[-1]}" if len(keys) > 1 else (f" {keys[0]}" if keys else "")
    return f"{pipeline.id}: {'/'.join(cadences)}{span}"


@app.command()
def plan(
    pipelines: OptionalPipelinesArg = None,
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="Periods as for `etl run --period` (default: the pipeline's periods).")] = None,
    due: Annotated[bool, typer.Option("--due", help="The periods `etl run --due` would take up.")] = False,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """预演 Dry run: which periods, inputs (found or missing, sha256) and datasets a run would take, and for each
    whether it would publish, stay unchanged or wait for review. Nothing is written.

    Exit 0, or 1 when a dataset would fail for a missing required input."""
    import json
    from datetime import date

    from gongkai_etl.periods import parse_periods
    from gongkai_etl.run.plan import due_periods, plan_run, render, would_fail
    from gongkai_etl.run.runner import Runner
    from gongkai_etl.schedule.scope import parse_as_of
    from gongkai_etl.schedule.status import open_existing_ledger

    if due and period:
        raise ConfigError("--due 与 --period 不能同时使用 (--due chooses the periods itself; drop --period)")
    day = parse_as_of(as_of) if as_of else date.today()
    steps = []
    for pipeline in load_pipelines(default_pipelines(pipelines)):
        runner = Runner(pipeline)
        ledger = open_existing_ledger(pipeline)
        try:
            if due:
                periods = due_periods(runner, ledger, day)
            else:
                periods = parse_periods(period) if period else pipeline.periods
                cadences = {d.cadence for d in runner.datasets}
                periods = [p for p in periods if p.cadence in cadences]
            steps.extend(plan_run(runner, ledger, periods))
        finally:
            if ledger is not None:
                ledger.close()
    if as_json:
        print(json.dumps([s.to_json() for s in steps], ensure_ascii=False, indent=2))
    else:
        for line in render(steps) or ["没有要运行的期间 (nothing to run)"]:
            print(line)
        print("预演，未写入任何文件 (dry run: nothing was written)")
    raise typer.Exit(1 if would_fail(steps) else 0)
