"""Per-record deadlines of an event-driven dataset: a pipeline rule counted from
a date field of each record; the run report counts records published late."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pyarrow as pa
from schedule_support import by_key, install_qtest, qtest_pipeline, status_json

from gongkai_etl.schedule.timeliness import assess
from gongkai_etl.workdays import DeadlineRule, WorkCalendar

CASES = "事项,数值,决定日期\nCF-001,1,2016-10-03\nCF-002,2,2016-10-20\nCF-003,3,2016-10-28\nCF-004,4,2016-10-30\nCF-005,5,\n"


def _setup(tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = install_qtest(tmp_path)
    pipeline = qtest_pipeline(
        tmp_path / "p",
        """
        datasets: [qt_cases]
        first_period: 2016-10
        deadlines:
          qt_cases: "7 days after decision_date"
        """,
    )
    (tmp_path / "p/data").mkdir()
    (tmp_path / "p/data/2016-10.csv").write_text(CASES, encoding="utf-8")
    return env, pipeline


def test_run_report_counts_records_published_after_their_deadline(tmp_path: Path, etl) -> None:
    env, pipeline = _setup(tmp_path)
    run = etl("run", "--due", str(pipeline), "--as-of", "2016-11-05", env=env)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert (
        "逐条时效 record deadlines (7 days after decision_date): 3 of 4 new records published after their deadline "
        "(published 2016-11-05); 1 without a date" in out
    )
    worst = [ln.strip() for ln in out.splitlines() if ln.strip().startswith("item=CF-")]
    assert worst == [
        "item=CF-001: decision_date 2016-10-03, due 2016-10-10, 26 days late",
        "item=CF-002: decision_date 2016-10-20, due 2016-10-27, 9 days late",
        "item=CF-003: decision_date 2016-10-28, due 2016-11-04, 1 day late",
    ]

    # the period as a whole keeps the monthly default and was on time; the records were not
    code, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-20", env=env)
    item = by_key(doc)[("qt_cases", "2016-10")]
    assert code == 0
    assert (item["status"], item["due"]) == ("on_time", "2016-11-14")
    assert item["records"]["late"] == 3 and item["records"]["records"] == 4 and item["records"]["max_days_late"] == 26
    assert doc["rules"]["qtest"]["qt_cases"] == "10 working days after period end (default); per record: 7 days after decision_date"

    # a new record in a later version is counted once, the earlier ones are carried
    (pipeline.parent / "data/2016-10.csv").write_text(CASES + "CF-006,6,2016-10-31\n", encoding="utf-8")
    run = etl("--log-format", "json", "run", "--due", str(pipeline), "--as-of", "2016-11-10", env=env)
    assert run.returncode == 0, run.stderr
    events = [json.loads(ln) for ln in run.stdout.splitlines()]
    period = next(e for e in events if e["event"] == "period")
    summary = period["datasets"][0]["timeliness"]
    assert (summary["records"], summary["late"], summary["carried"], summary["max_days_late"]) == (1, 1, 5, 3)
    assert summary["worst"][0]["key"] == "item=CF-006"

    conn = sqlite3.connect(pipeline.parent / "out/.gongkai/state.db")
    rows = list(conn.execute("SELECT version, records, late FROM record_timeliness ORDER BY version"))
    conn.close()
    assert rows == [(1, 4, 3), (2, 1, 1)]
    _, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-20", env=env)
    records = by_key(doc)[("qt_cases", "2016-10")]["records"]
    assert (records["records"], records["late"]) == (5, 4)


def test_working_day_rule_per_record_uses_the_calendar() -> None:
    rule = DeadlineRule.parse("2 working days after decision_date")
    table = pa.table({"decision_date": pa.array([date(2016, 9, 30), date(2016, 10, 10)], pa.date32())})
    summary = assess(table, ["a", "b"], set(), rule, date(2016, 10, 10), WorkCalendar())
    # 2016-09-30 + 2 working days: the worked weekend 10-08, 10-09 -> due 10-09, one working day late on 10-10
    assert summary["late"] == 1 and summary["records"] == 2
    assert summary["worst"] == [{"key": "a", "decision_date": "2016-09-30", "due": "2016-10-09", "days_late": 1, "unit": "working days"}]


def test_a_per_record_rule_must_name_a_date_field(tmp_path: Path, etl) -> None:
    env = install_qtest(tmp_path)
    pipeline = qtest_pipeline(tmp_path / "p", 'datasets: [qt_cases]\ndeadlines:\n  qt_cases: "7 days after item"\n')
    result = etl("validate", str(pipeline), env=env)
    assert result.returncode == 2
    assert "deadlines.qt_cases" in result.stderr and "decision_date" in result.stderr
