"""The obligations window: ``since:``/``until:`` bound what a pipeline owes, and
``etl status`` folds runs of missing periods into one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from support import run_etl

from gongkai_etl.errors import ConfigError
from gongkai_etl.schedule.status import StatusItem, folded_rows
from gongkai_etl.spec import load_pipeline
from gongkai_etl.workdays import Timeliness


def _shantytown(project: Path, window: str) -> Path:
    path = project / "pipelines/shantytown.yaml"
    text = path.read_text(encoding="utf-8")
    assert "since: 2016-08\nuntil: 2016-10\n" in text  # the shipped window of the sample data
    path.write_text(text.replace("since: 2016-08\nuntil: 2016-10\n", window), encoding="utf-8")
    return path


def test_quick_start_status_is_short_and_true(project: Path) -> None:
    run = run_etl("run", str(project / "pipelines"))
    assert run.returncode == 0, run.stderr
    # Quick start's output ends with one summary table: a row per pipeline and the total
    out_lines = run.stdout.splitlines()
    tail = out_lines[out_lines.index("运行汇总 run summary"):]
    assert tail[1].split()[:2] == ["流水线", "pipeline"]
    pipelines = sorted(p.stem for p in (project / "pipelines").glob("*.yaml"))
    assert [line.split()[0] for line in tail[2:]] == [*pipelines, "合计"]  # the table is the end of the output
    published = run.stdout.count("已发布 published v")
    assert tail[-1].split()[2:6] == [str(published), "0", "0", "0"]  # every dataset-period published, none failed
    assert run.stdout.count("运行汇总 run summary") == 1
    proc = run_etl("status", str(project / "pipelines"), "--as-of", "2026-12-05")
    lines = proc.stdout.splitlines()
    assert len(lines) < 100, len(lines)
    assert proc.returncode == 0, proc.stdout  # nothing overdue: every owed period is published
    assert "0 overdue" in lines[-1]
    assert not [line for line in lines if "  2016-11  " in line]  # no row for a period past the sample window


def test_status_folds_consecutive_missing_periods(project: Path) -> None:
    path = _shantytown(project, "since: 2016-08\n")  # no until: owes every closed month
    proc = run_etl("status", str(path), "--as-of", "2017-03-01")
    assert proc.returncode == 1  # overdue
    rows = [line for line in proc.stdout.splitlines() if line.startswith("  shantytown_progress")]
    assert len(rows) == 2, proc.stdout  # 2016-08..2017-01 in one line, and 2017-02 not yet due
    assert "2016-08..2017-01 (6 期 periods)" in rows[0] and "OVERDUE" in rows[0]
    assert "2017-02" in rows[1] and "not yet due" in rows[1]
    assert "18 overdue" in proc.stdout.splitlines()[-1]  # the count is still per period


def test_until_ends_the_window_for_status_and_due(project: Path) -> None:
    path = _shantytown(project, "since: 2016-08\nuntil: 2016-09\n")
    status = run_etl("status", str(path), "--as-of", "2017-03-01")
    assert "2016-08..2016-09 (2 期 periods)" in status.stdout and "  2016-10" not in status.stdout
    assert "2016-09-14..2016-10-19" in status.stdout  # the folded line's first and last due dates
    due = run_etl("run", "--due", str(path), "--as-of", "2017-03-01")
    assert due.returncode == 0, due.stdout + due.stderr
    out = project / "output"
    assert (out / "shantytown_progress/data/shantytown_progress_2016-09.parquet").exists()
    assert not (out / "shantytown_progress/data/shantytown_progress_2016-10.parquet").exists()


def test_until_before_since_is_a_config_error(project: Path) -> None:
    path = _shantytown(project, "since: 2016-09\nuntil: 2016-08\n")
    try:
        load_pipeline(path)
    except ConfigError as exc:
        assert "until" in str(exc) and "since" in str(exc)
    else:
        raise AssertionError("until before since was accepted")


def _item(period: str, due: str, status: Timeliness, version: int | None, days: int | None) -> StatusItem:
    return StatusItem(
        pipeline="p", dataset="d", cadence="monthly", period=period, rule="r", rule_source="default",
        due=date.fromisoformat(due), status=status, version=version, days=days,
        published_on=date(2016, 11, 10) if version else None,
    )


def test_status_folds_published_periods_with_the_same_status_unless_each_period() -> None:
    items = [
        _item("2016-08", "2016-09-14", Timeliness.LATE, 1, 37),
        _item("2016-09", "2016-10-19", Timeliness.LATE, 1, 16),
        _item("2016-10", "2016-11-14", Timeliness.ON_TIME, 1, None),
        _item("2016-11", "2016-12-14", Timeliness.LATE, 2, 3),
    ]
    rows = [cells for _, cells in folded_rows(items)]
    assert [r[1] for r in rows] == ["2016-08..2016-09 (2 期 periods)", "2016-10", "2016-11"]
    assert rows[0][2] == "2016-09-14..2016-10-19" and rows[0][6] == "late by 16..37 wd"
    assert rows[0][4] == "v1" and rows[2][4] == "v2"
    assert len(folded_rows(items, each_period=True)) == 4
