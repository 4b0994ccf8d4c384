"""Schedule and versions: ``etl status``, ``etl schedule``, ``etl history``, ``etl restore``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gongkai_etl.cli.app import (
    AsOfOption,
    OptionalPipelinesArg,
    PipelinesArg,
    WaitOption,
    app,
    default_pipelines,
    finish_interrupted,
    load_pipelines,
    settings,
)


@app.command()
def status(
    pipelines: OptionalPipelinesArg = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
    each_period: Annotated[
        bool, typer.Option("--each-period", help="逐期显示 One line per published period (default: consecutive periods with the same status share a line).")
    ] = False,
) -> None:
    """公开时效 Publication status: every dataset and closed period, its due date, published on time / late / overdue.

    Exit 0 when nothing is overdue, 1 when something is."""
    from gongkai_etl.schedule.record_status import print_record_timeliness
    from gongkai_etl.schedule.scope import parse_as_of
    from gongkai_etl.schedule.status import (
        build_status,
        render_json,
        render_plain,
        render_rich,
    )

    loaded = load_pipelines(default_pipelines(pipelines))
    for out, led in sorted({(p.output_dir, p.ledger_path) for p in loaded}, key=str):
        finish_interrupted(out, led)
    report = build_status(loaded, parse_as_of(as_of))
    if not as_json:  # per-record timeliness above the tables, so the summary line stays last
        print_record_timeliness(report.items)
    if as_json:
        render_json(report)
    elif sys.stdout.isatty():
        render_rich(report, each_period=each_period)
    else:
        render_plain(report, each_period=each_period)
    raise typer.Exit(report.exit_code)


@app.command()
def schedule(
    pipelines: PipelinesArg,
    systemd: Annotated[bool, typer.Option("--systemd", help="Print systemd service and timer units instead of crontab lines.")] = False,
    at: Annotated[str, typer.Option("--at", help="Daily time HH:MM.")] = "06:15",
    wait: Annotated[float, typer.Option("--wait", help="--wait of the scheduled runs (seconds).")] = 60.0,
) -> None:
    """定时运行 Print crontab lines (or systemd units) that run `etl run --due` daily."""
    from gongkai_etl.pipeline_check import check_pipeline
    from gongkai_etl.schedule.cron import crontab, systemd_units

    loaded = load_pipelines(pipelines)
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
    from gongkai_etl.publish.versions import find_home, history_json, render_history
    from gongkai_etl.publish.versions import history as versions

    home, ds = find_home(dataset, pipeline)
    finish_interrupted(home.output_dir, home.ledger_path)
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
    from gongkai_etl.publish.versions import find_home
    from gongkai_etl.publish.versions import restore as do_restore

    home, ds = find_home(dataset, pipeline)
    pub, changed = do_restore(home, ds, period, version, wait=wait)
    if not settings.quiet:
        if changed:
            print(f"已恢复 restored {pub.dataset} {pub.period} v{pub.version} (published {pub.published_at}, {pub.rows:,} rows)")
        else:
            print(f"{pub.dataset} {pub.period} v{pub.version} 已是当前版本 (is already the current version)")


calendar_app = typer.Typer(
    name="calendar",
    help="工作日历 Working-day calendar: which years are known (statutory holidays and 调休), and from where.",
    no_args_is_help=True,
)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("check")
def calendar_check(
    years: Annotated[list[int], typer.Argument(help="Years to check, e.g. 2026 2027.")],
    pipelines: Annotated[
        Optional[list[Path]], typer.Option("--pipeline", "-P", help="Pipeline file or folder whose workdays_override.csv counts (default ./pipelines).")
    ] = None,
) -> None:
    """检查工作日历 Whether each year's working days are known and from where (chinesecalendar or the override file).

    Exit 0 when every year is known; 1 when some year would be counted Monday-Friday (with a warning)."""
    from gongkai_etl.deadlines import calendar_for
    from gongkai_etl.workdays import WorkCalendar

    calendars: list[tuple[str, WorkCalendar]] = []
    paths = default_pipelines(pipelines)
    existing = [p for p in paths if p.exists()]
    if existing:
        seen: set[str] = set()
        for pipeline in load_pipelines(existing):
            cal = calendar_for(pipeline)
            where = str(cal.override_path)
            if where not in seen:
                seen.add(where)
                calendars.append((where, cal))
    else:
        calendars.append(("(no pipeline)", WorkCalendar.load(None)))
    unknown = False
    for where, cal in calendars:
        for year in years:
            source = cal.source(year)
            if source:
                print(f"{year}: 已知 known — {source}")
            else:
                unknown = True
                print(f"{year}: 未知 NOT KNOWN — {cal.unknown_year_warning(year)}")
    raise typer.Exit(1 if unknown else 0)
