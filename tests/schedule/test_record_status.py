"""`etl status` and the site report per-record timeliness per dataset: records
published within their own deadline, late, and the worst ones with their period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from schedule_support import install_qtest, qtest_pipeline, status_json

from gongkai_etl.schedule.record_status import record_timeliness, render_lines
from gongkai_etl.schedule.status import StatusItem
from gongkai_etl.workdays import Timeliness

# The 双公示 rule in the plan's words, given in the pipeline with its anchor field.
RULE = "deadlines:\n  qt_cases: {text: 做出行政许可决定和行政处罚结案后的7日内, anchor: decision_date}\n"
SEPTEMBER = "事项,数值,决定日期\nCF-A,1,2016-09-28\nCF-B,2,2016-09-20\n"
OCTOBER = "事项,数值,决定日期\nCF-C,3,2016-10-25\nCF-D,4,2016-10-03\nCF-E,5,\n"


def test_status_and_site_show_records_within_their_deadline(tmp_path: Path, etl) -> None:
    env = install_qtest(tmp_path)
    pipeline = qtest_pipeline(tmp_path / "p", "datasets: [qt_cases]\nsince: 2016-09\nuntil: 2016-10\n" + RULE)
    # the site is generated after each publish (output.site)
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("output: {dir: out}", "output: {dir: out, site: true}"), encoding="utf-8")
    data = pipeline.parent / "data"
    data.mkdir()
    (data / "2016-09.csv").write_text(SEPTEMBER, encoding="utf-8")
    (data / "2016-10.csv").write_text(OCTOBER, encoding="utf-8")
    # September published on the 调休 Saturday 2016-10-08: CF-A (decided 09-28, 7 days = 10-05 in
    # the holiday) is on time because the term moves to the next working day; CF-B (due 09-27) is 11 days late.
    run = etl("run", str(pipeline), "--period", "2016-09", "--as-of", "2016-10-08", env=env)
    assert run.returncode == 0, run.stderr
    # October published 2016-11-01: CF-C (due 11-01) on time, CF-D (due 10-10) 22 days late, CF-E has no date.
    run = etl("run", str(pipeline), "--period", "2016-10", "--as-of", "2016-11-01", env=env)
    assert run.returncode == 0, run.stderr

    result = etl("status", str(pipeline), "--as-of", "2016-11-20", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    block = lines[lines.index(next(ln for ln in lines if ln.startswith("逐条时效"))) :][:3]
    assert block[1].strip() == (
        "qt_cases 2016-09..2016-10: 4 records 条, 2 on time 按时, 2 late 逾期 (50.0% on time), "
        "1 without a date 无日期  [7 days after decision_date]; "
        "worst 最久: 2016-10 item=CF-D: due 期限 2016-10-10, 22 days late 逾期"
    )
    assert not block[2].startswith("  ")  # one line per dataset
    assert "summary" in lines[-1]  # the summary line stays last

    _, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-20", env=env)
    (row,) = doc["record_timeliness"]
    assert (row["dataset"], row["records"], row["on_time"], row["late"], row["undated"], row["max_days_late"]) == (
        "qt_cases", 4, 2, 2, 1, 22)
    assert [w["key"] for w in row["worst"]] == ["item=CF-D", "item=CF-B"]

    page = (pipeline.parent / "out" / "qt_cases" / "index.html").read_text(encoding="utf-8")
    assert "逐条时效：4 条中 2 条按期公开，2 条逾期（最长逾期 22 日）" in page
    index = (pipeline.parent / "out" / "index.html").read_text(encoding="utf-8")
    assert "逐条时效：4 条中 2 条按期公开" in index


def _item(period: str, records: dict | None, version: int | None = 1) -> StatusItem:
    return StatusItem("p", "ds", "monthly", period, "r", "default", date(2016, 11, 14), Timeliness.ON_TIME,
                      version=version, records=records)


def test_datasets_without_a_record_rule_add_no_block() -> None:
    assert render_lines(record_timeliness([_item("2016-09", None), _item("2016-10", None)])) == []


def test_unpublished_periods_do_not_count() -> None:
    rec = {"rule": "7 days after decision_date", "records": 3, "late": 1, "undated": 0, "max_days_late": 4,
           "worst": [{"key": "k=1", "due": "2016-10-10", "days_late": 4, "unit": "days"}]}
    rows = record_timeliness([_item("2016-09", rec), _item("2016-10", {**rec, "records": 9}, version=None)])
    assert [(r.records, r.late, r.on_time, r.first_period, r.last_period) for r in rows] == [(3, 1, 2, "2016-09", "2016-09")]
    assert rows[0].summary_zh() == "逐条时效：3 条中 2 条按期公开，1 条逾期（最长逾期 4 日）"
