"""The obligations window: ``since:``/``until:`` bound what a pipeline owes, and
``etl status`` folds runs of missing periods into one line."""

from __future__ import annotations

from pathlib import Path

from support import run_etl

from gongkai_etl.errors import ConfigError
from gongkai_etl.spec import load_pipeline


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
    tail = run.stdout.splitlines()[-9:]
    assert tail[0] == "运行汇总 run summary" and tail[1].split()[:2] == ["流水线", "pipeline"]
    assert [line.split()[0] for line in tail[2:]] == [
        "air_quality", "ppp", "public_expenditure", "shantytown", "social_assistance", "water_bodies", "合计"]
    assert tail[-1].split()[2:4] == ["52", "0"]  # 52 dataset-periods published, none failed
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
    assert "2016-08..2016-09 (2 期 periods)" in status.stdout and "2016-10" not in status.stdout
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
