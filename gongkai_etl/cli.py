"""The ``etl`` command line: the one place where errors become messages and exit codes.

Exit codes: 0 ok, 1 data failure, 2 usage or configuration error, 3 source
unreachable, 4 waiting for review. A user error prints one ``Error: ...`` line
on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from gongkai_etl import __version__
from gongkai_etl.errors import ConfigError, ExitCode, GongkaiError

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
    from gongkai_etl.console import make_reporter

    return make_reporter(Settings.log_format, Settings.quiet)


def _pipelines(paths: list[Path]):  # noqa: ANN202
    from gongkai_etl.spec import load_pipeline, pipeline_files

    return [load_pipeline(p) for p in pipeline_files(list(paths))]


PipelinesArg = Annotated[list[Path], typer.Argument(help="Pipeline YAML files or folders of them.")]


@app.command()
def run(
    pipelines: PipelinesArg,
    period: Annotated[Optional[str], typer.Option("--period", "-p", help="2016-11, 2016Q3, 2016H2, 2016, a range 2016-01..2016-06, or a comma list.")] = None,
) -> None:
    """运行流水线 Run pipelines: extract, validate, protect, stage and publish."""
    from gongkai_etl.periods import parse_periods
    from gongkai_etl.runner import Runner

    loaded = _pipelines(pipelines)
    runners = [Runner(p, _reporter()) for p in loaded]  # check every pipeline before running any
    worst = 0
    for runner in runners:
        periods = parse_periods(period) if period else runner.pipeline.periods
        if not periods:
            raise ConfigError("没有指定期间 (no period: give --period, or `periods:` in the pipeline)", file=runner.pipeline.file)
        if period:  # only the periods this pipeline has datasets for
            cadences = {d.cadence for d in runner.datasets}
            periods = [p for p in periods if p.cadence in cadences]
            if not periods:
                continue
        report = runner.run(periods)
        worst = max(worst, report.exit_code)
    raise typer.Exit(worst)


@app.command()
def validate(pipelines: PipelinesArg) -> None:
    """检查流水线文件 Validate pipeline files without running them."""
    from gongkai_etl.runner import check_pipeline

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
    from gongkai_etl.runner import _unknown

    reg = load_plugins()
    found = reg.datasets().get(dataset)
    if not found:
        raise ConfigError(_unknown("数据集 dataset", dataset, reg.datasets()))
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
        print(f"Error: {exc}", file=sys.stderr)
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
