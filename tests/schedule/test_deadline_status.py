"""Due dates through `etl status` with a fixed --as-of: the official calendar's
holidays and adjusted working weekends, per-cadence defaults, overrides, and
years outside the calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from schedule_support import by_key, install_qtest, qtest_pipeline, status_json
from support import open_window

from gongkai_etl.periods import Period
from gongkai_etl.workdays import DeadlineRule, WorkCalendar


def test_monthly_due_dates_follow_the_official_calendar(project: Path, etl) -> None:
    code, doc = status_json(etl, str(project / "pipelines/shantytown.yaml"), "--as-of", "2016-11-20")
    items = by_key(doc)
    # 10 working days after 2016-10-31: 11-01..04, 07..11, 14 -> 2016-11-14
    assert items[("shantytown_progress", "2016-10")]["due"] == "2016-11-14"
    # after 2016-09-30: National Day 10-01..07 is off, Saturday 10-08 and Sunday 10-09 are
    # working days (调休), so the tenth working day is 10-19, not 10-21
    assert items[("shantytown_progress", "2016-09")]["due"] == "2016-10-19"
    # after 2016-08-31, with the Mid-Autumn holiday 09-15/16 (and working Sunday 09-18)
    assert items[("shantytown_progress", "2016-08")]["due"] == "2016-09-14"
    assert doc["as_of"] == "2016-11-20"
    assert {i["rule"] for i in doc["items"]} == {"10 working days after period end"}
    assert {i["status"] for i in doc["items"]} == {"overdue"}
    assert code == 1


def test_the_working_weekend_is_what_moves_the_september_due_date() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(date(2016, 10, 8)) and cal.is_workday(date(2016, 10, 9))
    assert not cal.is_workday(date(2016, 10, 7))

    class WithoutTiaoxiu(WorkCalendar):
        def is_workday(self, d: date) -> bool:
            return d.weekday() < 5 and super().is_workday(d)

    rule = DeadlineRule.parse("10 working days after period end")
    assert rule.due_for_period(Period.parse("2016-09"), cal) == date(2016, 10, 19)
    assert rule.due_for_period(Period.parse("2016-09"), WithoutTiaoxiu()) == date(2016, 10, 21)


def test_quarterly_and_half_yearly_due_dates(tmp_path: Path, etl) -> None:
    env = install_qtest(tmp_path)
    pipeline = qtest_pipeline(
        tmp_path / "p",
        """
        datasets: [qt_quarterly, qt_half]
        first_period: [2016Q3, 2016H1]
        """,
    )
    code, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-05", env=env)
    items = by_key(doc)
    assert sorted(items) == [("qt_half", "2016H1"), ("qt_quarterly", "2016Q3")]  # 2016H2, 2016Q4 not closed
    q3 = items[("qt_quarterly", "2016Q3")]
    # default 20 working days after 2016-09-30: 10-08, 10-09, 10-10..14, 17..21, 24..28, 31, 11-01, 11-02
    assert (q3["due"], q3["rule"], q3["rule_source"]) == ("2016-11-02", "20 working days after period end", "default")
    # overdue by 11-03 and 11-04 (11-05 is a Saturday)
    assert q3["status"] == "overdue" and q3["days"] == 2 and q3["days_unit"] == "working days"
    h1 = items[("qt_half", "2016H1")]
    # the dataset's own declaration: 30 calendar days after 2016-06-30 is Saturday
    # 2016-07-30, so the term ends on Monday 2016-08-01 (民法典 art. 203)
    assert (h1["due"], h1["rule_source"]) == ("2016-08-01", "dataset")
    assert code == 1

    code, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-01", env=env)
    assert by_key(doc)[("qt_quarterly", "2016Q3")]["status"] == "not_yet_due"


def test_pipeline_deadline_overrides_the_dataset_and_default(tmp_path: Path, etl) -> None:
    env = install_qtest(tmp_path)
    pipeline = qtest_pipeline(
        tmp_path / "p",
        """
        datasets: [qt_quarterly, qt_half]
        first_period: [2016Q3, 2016H1]
        deadlines:
          qt_half: "15 working days after period end"
          qt_quarterly: 期末后10个工作日
        """,
    )
    _, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-05", env=env)
    items = by_key(doc)
    # 2016-07-01 (Fri), 04..08, 11..15, 18..21 -> the 15th working day is 07-21
    assert items[("qt_half", "2016H1")]["due"] == "2016-07-21"
    assert items[("qt_half", "2016H1")]["rule_source"] == "pipeline"
    assert items[("qt_quarterly", "2016Q3")]["due"] == "2016-10-19"


def test_a_year_outside_the_calendar_is_counted_monday_to_friday_with_a_warning_until_an_override_covers_it(
    project: Path, etl
) -> None:
    pipeline = open_window(project / "pipelines/shantytown.yaml")
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "first_period: 2030-01\n", encoding="utf-8")
    override = project / "pipelines/workdays_override.csv"

    result = etl("status", str(pipeline), "--as-of", "2030-03-01")
    assert result.returncode == 1, result.stderr  # overdue, as documented: the unknown year does not stop status
    warning = next(line for line in result.stdout.splitlines() if line.startswith("注意 warning:"))
    assert "工作日历未覆盖 2030 年" in warning and str(override) in warning and "Monday-Friday" in warning
    assert "Traceback" not in result.stderr
    code, doc = status_json(etl, str(pipeline), "--as-of", "2030-03-01")
    assert code == 1 and len(doc["warnings"]) == 1
    assert by_key(doc)[("shantytown_project", "2030-01")]["due"] == "2030-02-14"  # ten Monday-Friday days
    check = etl("calendar", "check", "2026", "2030", "--pipeline", str(pipeline))
    assert check.returncode == 1 and "2030: 未知 NOT KNOWN" in check.stdout and "2026: 已知 known" in check.stdout

    # a (hypothetical) 2030 schedule: Spring Festival 02-04..08 off, Saturday 02-02 worked
    rows = ["date,kind", "2030-01-01,holiday", "2030-02-02,workday"] + [f"2030-02-0{d},holiday" for d in range(4, 9)]
    override.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, doc = status_json(etl, str(pipeline), "--as-of", "2030-03-01")
    assert doc["warnings"] == []
    assert "2030: 已知 known" in etl("calendar", "check", "2030", "--pipeline", str(pipeline)).stdout
    items = by_key(doc)
    assert sorted({k[1] for k in items}) == ["2030-01", "2030-02"]
    # 02-01 (Fri), 02-02 (worked Saturday), holiday week, 02-11..15, 02-18..20
    assert items[("shantytown_project", "2030-01")]["due"] == "2030-02-20"
    assert items[("shantytown_project", "2030-01")]["status"] == "overdue"
    assert items[("shantytown_project", "2030-02")]["due"] == "2030-03-14"
    assert items[("shantytown_project", "2030-02")]["status"] == "not_yet_due"
    assert code == 1


def test_a_bad_rule_is_named_with_its_key(project: Path, etl) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text(text + "deadlines:\n  shantytown_progress: ten days after month end\n", encoding="utf-8")
    result = etl("status", str(pipeline), "--as-of", "2016-11-20")
    assert result.returncode == 2
    assert "deadlines.shantytown_progress" in result.stderr and "accepted forms" in result.stderr

    pipeline.write_text(text + "deadlines:\n  shantytown_progress: 7 days after project_id\n", encoding="utf-8")
    result = etl("validate", str(pipeline))
    assert result.returncode == 2
    assert "deadlines.shantytown_progress" in result.stderr and "report_date" in result.stderr


def test_plain_output_and_first_period(project: Path, etl) -> None:
    pipeline = open_window(project / "pipelines/shantytown.yaml")
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "first_period: 2016-10\n", encoding="utf-8")
    result = etl("status", str(pipeline), "--as-of", "2016-11-08")
    assert result.returncode == 0, result.stdout + result.stderr  # 2016-10 is not yet due
    lines = result.stdout.splitlines()
    assert lines[0] == "shantytown  as of 2016-11-08"
    assert any("shantytown_progress" in ln and "2016-10" in ln and "2016-11-14" in ln and "not yet due" in ln for ln in lines)
    assert not any("2016-09" in ln for ln in lines)
    assert lines[-1].startswith("summary 汇总: 0 overdue, 0 late, 0 on time, 3 not yet due")


def test_bad_as_of_is_a_usage_error(project: Path, etl) -> None:
    result = etl("status", str(project / "pipelines/shantytown.yaml"), "--as-of", "2016-13-01")
    assert result.returncode == 2
    assert "--as-of" in result.stderr


def test_status_of_the_shipped_pipelines_in_2027_works_with_a_warning(project: Path, etl) -> None:
    """chinesecalendar knows no year after 2026: from 2027-01-01 status must still work."""
    assert etl("run", str(project / "pipelines/shantytown.yaml")).returncode == 0
    result = etl("status", str(project / "pipelines"), "--as-of", "2027-03-01")
    assert result.returncode == 1, result.stderr  # the unpublished sample pipelines are overdue; no usage error
    warnings = [line for line in result.stdout.splitlines() if line.startswith("注意 warning:")]
    assert len(warnings) == 1 and "2027" in warnings[0], result.stdout[-2000:]
    assert "Traceback" not in result.stderr
