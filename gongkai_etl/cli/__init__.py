"""The ``etl`` command line: the one place where errors become messages and exit codes.

Exit codes: 0 ok, 1 data failure, 2 usage or configuration error, 3 source
unreachable, 4 waiting for review, 5 another run holds the pipeline's lock. A user error prints one ``Error: ...`` line
on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

# Arrow buffers from jemalloc unless the user chose a pool: it hands freed
# batches back to the system sooner than mimalloc, pyarrow's default; a 1M-row
# list peaked at about 300 MiB instead of 365 (bench/RESULTS.md). Arrow reads
# this when it first allocates, so it is set before anything imports pyarrow.
# Linux wheels carry jemalloc; elsewhere Arrow would warn and ignore it.
if sys.platform.startswith("linux"):
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
# A float matrix product in numpy goes to OpenBLAS, which starts a thread per core
# whose threads then spin between calls. On two cores they took the CPU from the
# batch threads: 18 s of CPU for a 5M-row list instead of 12 (bench/RESULTS.md,
# 02:57). The engine has no such product now; this keeps plugins from the trap.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer

from gongkai_etl import __version__
from gongkai_etl.errors import ConfigError, ExitCode, GongkaiError
from gongkai_etl.report import worst_exit

app = typer.Typer(
    name="etl",
    help="gongkai-etl: 政务公开数据按期发布 (publish government open data on its legal cadence).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Settings:
    debug = False
    quiet = False
    log_format = "text"


def _version(value: bool) -> None:
    if value:
        print(f"gongkai-etl {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only problems.")] = False,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json (JSON lines).")] = "text",
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True)] = None,
) -> None:
    if log_format not in ("text", "json"):
        raise ConfigError(f"--log-format: expected text or json, got {log_format!r}")
    Settings.debug, Settings.quiet, Settings.log_format = debug, quiet, log_format


def _reporter():  # noqa: ANN202
    from gongkai_etl.cli.console import make_reporter

    return make_reporter(Settings.log_format, Settings.quiet)


def _pipelines(paths: list[Path]):  # noqa: ANN202
    from gongkai_etl.spec import load_pipeline, pipeline_files

    return [load_pipeline(p) for p in pipeline_files(list(paths))]


PipelinesArg = Annotated[list[Path], typer.Argument(help="Pipeline YAML files or folders of them.")]


OptionalPipelinesArg = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Pipeline YAML files or folders of them (default for --due, status: ./pipelines)."),
]
AsOfOption = Annotated[
    Optional[str], typer.Option("--as-of", help="Act as if today were DATE (YYYY-MM-DD): closed periods, due dates, publication date.")
]
WaitOption = Annotated[
    float, typer.Option("--wait", help="Seconds to wait for another run of the same pipeline to finish (then exit 5).")
]


def _default_pipelines(paths: Optional[list[Path]]) -> list[Path]:
    if paths:
        return list(paths)
    from gongkai_etl.schedule.versions import default_pipeline_paths

    return default_pipeline_paths()


@app.command()
def run(
    pipelines: OptionalPipelinesArg = None,
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="2016-11, 2016Q3, 2016H2, 2016, a range 2016-01..2016-06, or a comma list.")] = None,
    due: Annotated[bool, typer.Option("--due", help="Run exactly the closed periods not yet published (or whose input changed), in order.")] = False,
    as_of: AsOfOption = None,
    wait: WaitOption = 5.0,
    executor: Annotated[Optional[str], typer.Option("--executor", help="Stage on a dask cluster: `local` (own LocalCluster, see --workers) or `dask` (see --scheduler); publishing stays in this process. Default: in-process.")] = None,
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
    loaded = _pipelines(_default_pipelines(pipelines))
    runners = [Runner(p, _reporter()) for p in loaded]  # check every pipeline before running any
    for runner in runners:
        runner.as_of = day
    if (scheduler or workers is not None) and not executor:
        raise ConfigError("--scheduler/--workers 需要 --executor (give --executor dask or --executor local)")
    if due:
        from gongkai_etl.schedule.due import print_needs_person, run_due

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

    def run_one(runner: Runner, periods: list) -> int:  # type: ignore[type-arg]
        with pipeline_lock(runner.pipeline, wait) as lock:
            runner.lock_held = True
            stale = lock.stale_message()
            if stale:
                runner.reporter.warn(stale, pipeline=runner.pipeline.id)
            return runner.run(periods).exit_code

    if executor:
        from gongkai_etl.run.executor import open_executor

        todo = dict((id(r), ps) for r, ps in plans)
        with open_executor(executor, scheduler, workers) as ex:
            codes = ex.map([r for r, _ in plans], lambda r: run_one(r, todo[id(r)]))
    else:
        codes = [run_one(r, ps) for r, ps in plans]
    raise typer.Exit(worst_exit(codes))


@app.command()
def status(
    pipelines: OptionalPipelinesArg = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """公开时效 Publication status: every dataset and closed period, its due date, published on time / late / overdue.

    Exit 0 when nothing is overdue, 1 when something is."""
    from gongkai_etl.schedule.scope import parse_as_of
    from gongkai_etl.schedule.status import build_status, render_json, render_plain, render_rich

    report = build_status(_pipelines(_default_pipelines(pipelines)), parse_as_of(as_of))
    if as_json:
        render_json(report)
    elif sys.stdout.isatty():
        render_rich(report)
    else:
        render_plain(report)
    raise typer.Exit(report.exit_code)


@app.command()
def schedule(
    pipelines: PipelinesArg,
    systemd: Annotated[bool, typer.Option("--systemd", help="Print systemd service and timer units instead of crontab lines.")] = False,
    at: Annotated[str, typer.Option("--at", help="Daily time HH:MM.")] = "06:15",
    wait: Annotated[float, typer.Option("--wait", help="--wait of the scheduled runs (seconds).")] = 60.0,
) -> None:
    """定时运行 Print crontab lines (or systemd units) that run `etl run --due` daily."""
    from gongkai_etl.run.runner import check_pipeline
    from gongkai_etl.schedule.cron import crontab, systemd_units

    loaded = _pipelines(pipelines)
    for p in loaded:
        check_pipeline(p)
    print(systemd_units(loaded, at, wait) if systemd else crontab(loaded, at, wait), end="")


PipelineOption = Annotated[
    Optional[list[Path]],
    typer.Option("--pipeline", "-P", help="Pipeline file or folder to look in (default ./pipelines)."),
]


@app.command()
def history(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="Only this period.")] = None,
    pipeline: PipelineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """版本历史 List the published versions of a dataset (version, published at, rows, content hash, current)."""
    from gongkai_etl.schedule.versions import find_home, history as versions, history_json, render_history

    home, ds = find_home(dataset, pipeline)
    pubs = versions(home, ds, period)
    if as_json:
        print(json.dumps(history_json(pubs), ensure_ascii=False, indent=2))
    else:
        render_history(ds.id, pubs)


@app.command()
def restore(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    period: Annotated[str, typer.Argument(help="Period key, e.g. 2016-09.")],
    version: Annotated[int, typer.Option("--version", help="Version number to bring back (see `etl history`).")],
    pipeline: PipelineOption = None,
    wait: WaitOption = 5.0,
) -> None:
    """恢复版本 Republish an earlier version of a dataset-period, atomically and byte for byte."""
    from gongkai_etl.schedule.versions import find_home, restore as do_restore

    home, ds = find_home(dataset, pipeline)
    pub, changed = do_restore(home, ds, period, version, wait=wait)
    if not Settings.quiet:
        if changed:
            print(f"已恢复 restored {pub.dataset} {pub.period} v{pub.version} (published {pub.published_at}, {pub.rows:,} rows)")
        else:
            print(f"{pub.dataset} {pub.period} v{pub.version} 已是当前版本 (is already the current version)")


@app.command()
def validate(pipelines: PipelinesArg) -> None:
    """检查流水线文件 Validate pipeline files without running them."""
    from gongkai_etl.run.runner import check_pipeline

    for p in _pipelines(pipelines):
        source, datasets = check_pipeline(p)
        if not Settings.quiet:
            print(f"OK {p.file}: source {source.name}, datasets {', '.join(d.id for d in datasets)}")


@app.command()
def plugins() -> None:
    """列出插件 List plugins, where they come from, and the datasets each source feeds."""
    from gongkai_etl.plugins import load_plugins

    reg = load_plugins()
    by_plugin: dict[str, list[str]] = {}
    for name, plugin in reg.source_plugin.items():
        by_plugin.setdefault(plugin, []).append(name)
    for info in reg.infos:
        print(f"{info.name}  ({info.distribution} {info.version}, {info.module})")
        print(f"    hooks: {', '.join(info.hooks) or '-'}")
        for src_name in by_plugin.get(info.name, []):
            src = reg.sources[src_name]
            print(f"    source {src.name}: {src.title_zh} {src.title_en}".rstrip())
            for ds in src.datasets:
                print(f"      - {ds.id}  {ds.title_zh} ({ds.cadence.value})")


@app.command()
def datasets() -> None:
    """列出数据集 List every dataset the installed sources declare."""
    from gongkai_etl.plugins import load_plugins

    reg = load_plugins()
    for ds_id, (source, ds) in sorted(reg.datasets().items()):
        print(f"{ds_id:<28} {ds.cadence.value:<12} {source.name:<18} {ds.title_zh} / {ds.title_en}")


@app.command()
def schema(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Frictionless Table Schema.")] = False,
) -> None:
    """显示数据集结构 Show one dataset's fields (or --json: its Table Schema)."""
    from gongkai_etl.plugins import load_plugins
    from gongkai_etl.errors import unknown_name

    reg = load_plugins()
    found = reg.datasets().get(dataset)
    if not found:
        raise ConfigError(unknown_name("数据集 dataset", dataset, reg.datasets()))
    ds = found[1]
    if as_json:
        print(json.dumps(ds.table_schema(), ensure_ascii=False, indent=2))
        return
    print(f"{ds.id}: {ds.title_zh} / {ds.title_en}")
    print(f"cadence {ds.cadence.value}; primary key {', '.join(ds.primary_key) or '-'}; publisher {ds.publisher}")
    for f in ds.fields:
        cons = []
        if f.required:
            cons.append("required")
        if f.enum:
            cons.append("enum " + "/".join(f.enum))
        if f.minimum is not None:
            cons.append(f">= {f.minimum:g}")
        if f.maximum is not None:
            cons.append(f"<= {f.maximum:g}")
        if f.pattern:
            cons.append(f"pattern {f.pattern}")
        print(f"  {f.name:<26} {f.title_zh:<12} {f.type:<8} {f.unit or '':<8} {'; '.join(cons)}")


def _add_plugin_commands() -> None:
    try:
        from gongkai_etl.plugins import load_plugins

        reg = load_plugins()
    except GongkaiError:
        return  # reported when a command needs the plugins
    reg.manager.hook.register_commands(app=app)


def _redact(text: str) -> str:
    from gongkai_etl.protect.pii import redact

    return redact(text)


def _click_exceptions():  # noqa: ANN202
    """click's exception module: typer >= 0.20 vendors click as ``typer._click``."""
    try:
        from click import exceptions
    except ImportError:
        from typer._click import exceptions  # type: ignore[no-redef]
    return exceptions


def main() -> None:
    """Console-script entry point."""
    debug = "--debug" in sys.argv
    try:
        _add_plugin_commands()
        rv = app(standalone_mode=False)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
    except GongkaiError as exc:
        if debug:
            traceback.print_exc()
        print(f"Error: {_redact(str(exc))}", file=sys.stderr)  # never a raw ID or phone on the console
        sys.exit(int(exc.exit_code))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        click_exc = _click_exceptions()
        if isinstance(exc, typer.Abort):
            sys.exit(1)
        if isinstance(exc, click_exc.ClickException):
            exc.show()
            sys.exit(ExitCode.USAGE)
        raise
    sys.exit(0)


if __name__ == "__main__":
    main()
