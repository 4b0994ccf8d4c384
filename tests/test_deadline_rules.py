"""Deadline rules in the plan's words and in the structured form (gongkai_etl.deadline_rules).

Hand counts follow the State Council holiday notice for 2016 (国办发明电〔2015〕18号):
Spring Festival 02-07..02-13 off, Saturday 02-06 and Sunday 02-14 worked; National
Day 10-01..10-07 off, Saturday 10-08 and Sunday 10-09 worked. Days count from the
day after the event (民法典 art. 201); a calendar-day term whose last day is a rest
day ends on the next working day (art. 203).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import run_etl

from gongkai_etl.deadline_rules import explain, parse_deadline
from gongkai_etl.declare import load_dataset_file
from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.workdays import DeadlineRule, WorkCalendar

CAL = WorkCalendar.load(None)
DATES = ["decision_date", "adjustment_date", "approval_date"]


def rule(value: object, **kw: object) -> DeadlineRule:
    return parse_deadline(value, date_fields=DATES, **kw)  # type: ignore[arg-type]


# --- 调休 around National Day and Spring Festival 2016 ------------------------
def test_seven_calendar_days_into_national_day_end_on_the_tiaoxiu_saturday() -> None:
    sgs = rule({"text": "做出行政许可决定和行政处罚结案后的7日内", "anchor": "decision_date"})
    assert (sgs.amount, sgs.working, sgs.anchor, sgs.roll) == (7, False, "decision_date", True)
    # 2016-09-28 + 7 = 10-05, a holiday: 10-06, 10-07 are holidays too, Saturday 10-08 is worked.
    assert sgs.due_for_record(date(2016, 9, 28), CAL) == date(2016, 10, 8)
    # A decision on 10-01 + 7 = Saturday 10-08, itself a working day: not moved.
    assert sgs.due_for_record(date(2016, 10, 1), CAL) == date(2016, 10, 8)
    # 10-02 + 7 = Sunday 10-09, worked too.
    assert sgs.due_for_record(date(2016, 10, 2), CAL) == date(2016, 10, 9)
    # roll_to_workday: false keeps the plain arithmetic.
    fixed = rule({"text": "做出行政许可决定和行政处罚结案后的7日内", "anchor": "decision_date", "roll_to_workday": False})
    assert fixed.due_for_record(date(2016, 9, 28), CAL) == date(2016, 10, 5)


def test_calendar_days_into_spring_festival() -> None:
    approval = rule({"text": "批准后20日内", "anchor": "approval_date"})
    # 2016-01-19 + 20 = 02-08 (初一): the holiday runs to 02-13, Sunday 02-14 is worked.
    assert approval.due_for_record(date(2016, 1, 19), CAL) == date(2016, 2, 14)
    # 2016-01-17 + 20 = Saturday 02-06, a 调休 working day: it stays.
    assert approval.due_for_record(date(2016, 1, 17), CAL) == date(2016, 2, 6)
    # An ordinary weekend: 2016-03-05 + 20 = Friday 03-25; 03-06 + 20 = Saturday 03-26 -> Monday 03-28.
    assert approval.due_for_record(date(2016, 3, 5), CAL) == date(2016, 3, 25)
    assert approval.due_for_record(date(2016, 3, 6), CAL) == date(2016, 3, 28)


def test_working_days_across_national_day() -> None:
    ipr = rule({"text": "作出行政处罚决定之日起20个工作日内", "anchor": "decision_date"})
    assert (ipr.amount, ipr.working, ipr.anchor) == (20, True, "decision_date")
    # From Tue 2016-09-20: 09-21..23 (3), 26..30 (8), Sat 10-08, Sun 10-09 (10), 10-10..14 (15), 17..21 (20).
    assert ipr.due_for_record(date(2016, 9, 20), CAL) == date(2016, 10, 21)


def test_working_days_across_spring_festival() -> None:
    lists = rule({"text": "清单调整后10个工作日内", "anchor": "adjustment_date"})
    assert (lists.amount, lists.working, lists.anchor) == (10, True, "adjustment_date")
    # From Mon 2016-02-01: 02-02..05 (4), Sat 02-06 (5), Sun 02-14 (6), 02-15..18 (10).
    assert lists.due_for_record(date(2016, 2, 1), CAL) == date(2016, 2, 18)


# --- each phrase of the plan ------------------------------------------------
@pytest.mark.parametrize(
    ("words", "cadence", "period", "due"),
    [
        # 10 working days after 2016-09-30: 10-08, 10-09, 10-10..14, 10-17..19
        ("每月", Cadence.MONTHLY, "2016-09", date(2016, 10, 19)),
        ("按季度", Cadence.QUARTERLY, "2016Q3", date(2016, 11, 2)),
        # 20 working days after 2016-12-31 (2017: 01-02 off, Sunday 01-22 worked, 01-27..02-02 off)
        ("每半年向社会公布", Cadence.HALF_YEARLY, "2016H2", date(2017, 2, 3)),
    ],
)
def test_a_cadence_phrase_takes_the_cadence_default_term(words: str, cadence: Cadence, period: str, due: date) -> None:
    r = rule(words, cadence=cadence)
    assert r.per_period and r.cadence is cadence and r.working
    assert r.due_for_period(Period.parse(period), CAL) == due
    assert "cadence" in explain(r) and "每期 per period" in explain(r)


def test_a_cadence_phrase_must_agree_with_the_dataset() -> None:
    with pytest.raises(ConfigError) as err:
        rule("每半年", cadence=Cadence.QUARTERLY)
    assert "half-yearly" in err.value.message and "quarterly" in err.value.message


def test_the_structured_form() -> None:
    r = rule({"days": 20, "working": True, "after": "decision_date"})
    assert (r.amount, r.working, r.anchor) == (20, True, "decision_date")
    p = rule({"days": 15, "after": "period_end", "roll_to_workday": False})
    assert p.per_period and not p.working and not p.roll
    # 2016-09-30 + 15 = Saturday 10-15, kept as is.
    assert p.due_for_period(Period.parse("2016-09"), CAL) == date(2016, 10, 15)
    assert "末日不顺延" in explain(p)


def test_field_and_period_forms_still_read() -> None:
    assert rule("decision_date后7日内") == DeadlineRule(7, False, "decision_date")
    assert rule("期末后十个工作日内") == DeadlineRule(10, True)
    assert rule("7 days after decision_date") == DeadlineRule(7, False, "decision_date")


@pytest.mark.parametrize(
    ("value", "path", "said"),
    [
        ("批准后20日内", "deadline", "anchor"),  # an event phrase without the field
        ({"text": "批准后20日内", "anchor": "approved"}, "deadline", "approval_date"),  # not a date field
        ("尽快公开", "deadline", "accepted forms"),
        ({"days": 0, "after": "decision_date"}, "deadline.days", ">= 1"),
        ({"dayz": 7}, "deadline.dayz", "did you mean 'days'"),
        ({"text": "每月", "anchor": "decision_date"}, "deadline.anchor", "cadence"),
        ({"days": 5, "working": True, "after": "decision_date", "roll_to_workday": False}, "deadline.roll_to_workday", "working"),
        ({"text": "decision_date后7日内", "anchor": "approval_date"}, "deadline.anchor", "contradicts"),
    ],
)
def test_bad_rules_name_the_key_and_what_is_accepted(value: object, path: str, said: str) -> None:
    with pytest.raises(ConfigError) as err:
        rule(value, cadence=Cadence.MONTHLY)
    assert err.value.message.startswith(f"{path}:") and said in err.value.message


def test_a_dataset_file_error_names_file_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "lists.yaml"
    path.write_text(
        "dataset: lists\ntitle: {zh: 清单, en: lists}\ncadence: monthly\n"
        "deadline: 清单调整后10个工作日内\n"
        "fields:\n  - {name: item, title: {zh: 事项, en: item}}\n"
        "  - {name: adjustment_date, title: {zh: 调整日期, en: adjusted on}, type: date}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_dataset_file(path)
    assert str(err.value.file) == str(path) and err.value.message.startswith("deadline:")
    path.write_text(path.read_text(encoding="utf-8").replace(
        "deadline: 清单调整后10个工作日内", "deadline: {text: 清单调整后10个工作日内, anchor: adjustment_date}"
    ), encoding="utf-8")
    (declared,) = load_dataset_file(path)
    assert declared.dataset.deadline == DeadlineRule(10, True, "adjustment_date")


# --- properties ---------------------------------------------------------------
ANCHORS = st.dates(min_value=date(2016, 1, 1), max_value=date(2023, 12, 31))


@settings(max_examples=300, deadline=None)
@given(anchor=ANCHORS, n=st.integers(min_value=1, max_value=60))
def test_a_rolled_calendar_term_ends_on_the_first_working_day_on_or_after_the_plain_day(anchor: date, n: int) -> None:
    due = DeadlineRule(n, False, "decision_date").due_for_record(anchor, CAL)
    plain = anchor + timedelta(days=n)
    assert CAL.is_workday(due) and due >= plain > anchor
    assert all(not CAL.is_workday(plain + timedelta(days=k)) for k in range((due - plain).days))


@settings(max_examples=200, deadline=None)
@given(anchor=ANCHORS, n=st.integers(min_value=1, max_value=30))
def test_a_working_day_term_ends_on_a_working_day_after_the_anchor(anchor: date, n: int) -> None:
    due = DeadlineRule(n, True, "decision_date").due_for_record(anchor, CAL)
    assert CAL.is_workday(due) and due > anchor
    assert due >= DeadlineRule(n, False, "decision_date", roll=False).due_for_record(anchor, CAL)


# --- etl validate shows how a rule was understood -----------------------------
def test_etl_validate_shows_each_rule_as_understood(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "cases.yaml").write_text(
        "dataset: cases\ntitle: {zh: 案件, en: cases}\ncadence: monthly\n"
        "deadline: {text: 作出行政处罚决定之日起20个工作日内, anchor: decided}\n"
        "primary_key: [period, case_no]\n"
        "fields:\n  - name: period\n  - {name: case_no, title: {zh: 案号, en: case number}, required: true}\n"
        "  - {name: decided, title: {zh: 决定日期, en: decided on}, type: date}\n",
        encoding="utf-8",
    )
    (tmp_path / "cases.yaml").write_text(
        "pipeline: cases\ntitle: 案件 / cases\nsource: {plugin: declared}\ndataset_files: [datasets/*.yaml]\n"
        "inputs:\n  cases:\n    path: raw/cases_{period}.csv\nperiods: 2016-09\noutput: {dir: out}\n",
        encoding="utf-8",
    )
    ok = run_etl("validate", str(tmp_path / "cases.yaml"))
    assert ok.returncode == 0, ok.stderr
    assert "cases 逐条期限 record deadline: '作出行政处罚决定之日起20个工作日内' -> 20 个工作日 working days after 字段 field decided; 逐条 per record" in ok.stdout
    assert "cases 期限 deadline (default): 10 个工作日" in ok.stdout

    (tmp_path / "cases.yaml").write_text(
        (tmp_path / "cases.yaml").read_text(encoding="utf-8") + "deadlines:\n  cases: 按季度\n", encoding="utf-8"
    )
    bad = run_etl("validate", str(tmp_path / "cases.yaml"))
    assert bad.returncode == 2
    errors = [line for line in bad.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "cases.yaml" in errors[0] and "deadlines.cases" in errors[0]
    assert "quarterly" in errors[0] and "monthly" in errors[0]
