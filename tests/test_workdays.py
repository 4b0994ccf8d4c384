"""Working-day calendar, deadline rules and timeliness.

Hand counts below follow the State Council holiday notices: for 2016
国办发明电〔2015〕18号 (National Day: 10-01..10-07 off, Saturday 10-08 AND
Sunday 10-09 worked), for 2017 国办发明电〔2016〕17号 (New Year: 01-01 and
Monday 01-02 off; Spring Festival: 01-27..02-02 off, Sunday 01-22 and
Saturday 02-04 worked).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.errors import ConfigError, ExitCode
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.workdays import (
    DEFAULT_DEADLINES,
    OVERRIDE_FILENAME,
    DeadlineRule,
    Timeliness,
    WorkCalendar,
    add_working_days,
    classify,
    count_working_days,
    default_rule,
)

CAL = WorkCalendar.load(None)
TEN_WD = DeadlineRule.parse("10 working days after period end")
TWENTY_WD = DeadlineRule.parse("20 working days after period end")


def write_override(folder: Path, text: str) -> Path:
    path = folder / OVERRIDE_FILENAME
    path.write_text(text, encoding="utf-8")
    return path


# --- the official calendar -------------------------------------------------


def test_official_calendar_knows_2016_national_day() -> None:
    assert not CAL.is_workday(date(2016, 10, 3))  # Monday, National Day
    assert CAL.is_workday(date(2016, 10, 8))  # Saturday, adjusted workday
    assert CAL.is_workday(date(2016, 10, 9))  # Sunday, adjusted workday
    assert not CAL.is_workday(date(2016, 10, 15))  # ordinary Saturday
    assert CAL.covers(2016) and not CAL.covers(2030)


def test_monthly_2016_10_due_10_working_days_after_month_end() -> None:
    # 2016-10-31 is a Monday; November 2016 has no holidays.
    # Count from 11-01: Tue 01(1) 02(2) 03(3) Fri 04(4),
    # Mon 07(5) 08(6) 09(7) 10(8) Fri 11(9), Mon 14(10) -> 2016-11-14.
    assert date(2016, 10, 31).weekday() == 0
    assert TEN_WD.due_for_period(Period.parse("2016-10"), CAL) == date(2016, 11, 14)


def test_monthly_2016_09_national_day_and_adjusted_weekend_both_matter() -> None:
    # 2016-09-30 is a Friday. 10-01..10-07 are off; then
    # Sat 08(1) Sun 09(2) [both adjusted workdays], Mon 10(3) 11(4) 12(5)
    # 13(6) Fri 14(7), Mon 17(8) 18(9) Wed 19(10) -> 2016-10-19.
    # Holiday ignored (plain weekdays) it would be 10-14; adjusted weekend
    # ignored (holiday honoured) it would be 10-21.
    due = TEN_WD.due_for_period(Period.parse("2016-09"), CAL)
    assert due == date(2016, 10, 19)
    assert due != date(2016, 10, 21)


def test_quarterly_2016q3_due_20_working_days_after_quarter_end() -> None:
    # From 2016-09-30 (Fri): Sat 10-08(1) Sun 10-09(2), 10-10..10-14 (3-7),
    # 10-17..10-21 (8-12), 10-24..10-28 (13-17), Mon 10-31(18),
    # Tue 11-01(19), Wed 11-02(20) -> 2016-11-02.
    assert TWENTY_WD.due_for_period(Period.parse("2016Q3"), CAL) == date(2016, 11, 2)


def test_half_yearly_2016h2_due_20_working_days_after_half_end() -> None:
    # 2016-12-31 is a Saturday. 2017-01-01 (Sun) and 01-02 (Mon, in lieu) off.
    # Tue 01-03(1) 04(2) 05(3) Fri 06(4), 01-09..01-13 (5-9),
    # 01-16..01-20 (10-14), Sun 01-22(15) [adjusted workday],
    # Mon 23(16) 24(17) 25(18) Thu 26(19); 01-27..02-02 Spring Festival off;
    # Fri 02-03(20) -> 2017-02-03.
    assert TWENTY_WD.due_for_period(Period.parse("2016H2"), CAL) == date(2017, 2, 3)
    # A year ends the same day as its second half, so the same due date.
    assert TWENTY_WD.due_for_period(Period.parse("2016"), CAL) == date(2017, 2, 3)


def test_start_day_itself_never_counts() -> None:
    # 2016-11-14 is a Monday (a working day); the next working day is 11-15.
    assert add_working_days(date(2016, 11, 14), 1, CAL) == date(2016, 11, 15)
    # From inside the holiday: the first working day after 10-03 is Sat 10-08.
    assert add_working_days(date(2016, 10, 3), 1, CAL) == date(2016, 10, 8)
    with pytest.raises(ValueError):
        add_working_days(date(2016, 11, 14), 0, CAL)


def test_count_working_days_inverts_add() -> None:
    assert count_working_days(date(2016, 9, 30), date(2016, 10, 19), CAL) == 10
    assert count_working_days(date(2016, 9, 30), date(2016, 10, 7), CAL) == 0
    assert count_working_days(date(2016, 10, 19), date(2016, 9, 30), CAL) == 0


# --- years outside chinesecalendar ----------------------------------------


def test_uncovered_year_names_year_and_override_file_when_strict(tmp_path: Path) -> None:
    cal = WorkCalendar.load(tmp_path / OVERRIDE_FILENAME, strict=True)  # file absent: fine
    with pytest.raises(ConfigError) as exc:
        cal.is_workday(date(2030, 3, 4))
    text = str(exc.value)
    assert "2030" in text
    assert OVERRIDE_FILENAME in text
    assert str(tmp_path) in text
    assert "工作日历未覆盖 2030 年" in text
    assert "holiday/workday" in text and "休/班" in text
    assert exc.value.exit_code is ExitCode.USAGE


def test_an_uncovered_year_is_counted_monday_to_friday_with_a_warning(tmp_path: Path) -> None:
    cal = WorkCalendar.load(tmp_path)
    # 2030-01-01 is a Tuesday: without its schedule, New Year's Day counts as a working day
    assert cal.is_workday(date(2030, 1, 1)) and not cal.is_workday(date(2030, 1, 5))
    assert add_working_days(date(2030, 1, 1), 3, cal) == date(2030, 1, 4)
    assert cal.guessed_years == {2030}
    (warning,) = cal.warnings()
    assert "工作日历未覆盖 2030 年" in warning and "Monday-Friday" in warning
    assert str(tmp_path / OVERRIDE_FILENAME) in warning and "休/班" in warning
    assert cal.source(2030) is None and "chinesecalendar" in (cal.source(2026) or "")


def test_december_2026_deadline_falls_in_2027_and_warns(tmp_path: Path) -> None:
    # The last covered month's deadline already falls in the next year.
    cal = WorkCalendar.load(tmp_path)
    due = TEN_WD.due_for_period(Period.parse("2026-12"), cal)
    assert due == date(2027, 1, 14)  # ten Monday-Friday days after 2026-12-31 (New Year unknown)
    assert cal.guessed_years == {2027}


def test_override_table_covers_a_new_year(tmp_path: Path) -> None:
    # 2030-01-01 is a Tuesday. Invented schedule: Wed 01-02 and Thu 01-03 off,
    # Saturday 01-05 worked.
    write_override(
        tmp_path,
        "date,kind,note\n"
        "2030-01-01,holiday,元旦\n"
        "2030-01-02,休,\n"
        "2030/1/3,Holiday,Excel date style\n"
        "\n"
        "# Saturday worked in lieu\n"
        "2030-01-05,班,\n",
    )
    cal = WorkCalendar.load(tmp_path)  # the pipeline folder also works
    assert cal.covers(2030)
    assert not cal.is_workday(date(2030, 1, 2))  # weekday marked holiday
    assert cal.is_workday(date(2030, 1, 5))  # Saturday marked workday
    assert not cal.is_workday(date(2030, 1, 6))  # unlisted Sunday: weekend rule
    assert cal.is_workday(date(2030, 1, 7))  # unlisted Monday: weekday rule
    # After 2029-12-31 (Mon): 01-01..01-03 off, Fri 04(1), Sat 05(2), Mon 07(3).
    # The 2029 start day itself is never asked about.
    assert add_working_days(date(2029, 12, 31), 3, cal) == date(2030, 1, 7)
    # Another uncovered year is counted Monday-Friday, the warning pointing into the existing file.
    assert cal.is_workday(date(2031, 1, 1)) and cal.guessed_years == {2031}
    assert "has no row for 2031" in cal.warnings()[0]


def test_override_wins_over_official_calendar(tmp_path: Path) -> None:
    write_override(tmp_path, "date,kind\n2016-11-14,holiday\n2016-10-15,workday\n")
    cal = WorkCalendar.load(tmp_path / OVERRIDE_FILENAME)
    assert not cal.is_workday(date(2016, 11, 14))
    assert cal.is_workday(date(2016, 10, 15))
    # Unlisted days of an official year still follow chinesecalendar.
    assert cal.is_workday(date(2016, 10, 9))
    assert not cal.is_workday(date(2016, 10, 3))
    assert TEN_WD.due_for_period(Period.parse("2016-10"), cal) == date(2016, 11, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date,kind\n2030-02-30,holiday\n", "row 2.*2030-02-30"),
        ("date,kind\n2030-01-01,holiday\n2030-01-02,off\n", "row 3.*'off'.*holiday, workday, 休 or 班"),
        ("day,type\n2030-01-01,holiday\n", "row 1.*date,kind"),
        ("date,kind\n2030-01-01,休\n2030-01-01,班\n", "row 3.*row 2"),
        ("", "date,kind"),
    ],
)
def test_bad_override_rows(tmp_path: Path, text: str, expected: str) -> None:
    path = write_override(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as exc:
        WorkCalendar.load(path)
    assert exc.value.file == str(path)
    assert OVERRIDE_FILENAME in str(exc.value)


def test_override_file_saved_as_gbk(tmp_path: Path) -> None:
    path = tmp_path / OVERRIDE_FILENAME
    path.write_bytes("date,kind\n2030-01-02,休\n".encode("gbk"))
    assert not WorkCalendar.load(path).is_workday(date(2030, 1, 2))


# --- deadline rules --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "working", "anchor", "canonical", "zh"),
    [
        ("10 working days after period end", 10, True, "period_end", "10 working days after period end", "期末后10个工作日"),
        ("20 days after period end", 20, False, "period_end", "20 days after period end", "期末后20日"),
        ("7 days after decision_date", 7, False, "decision_date", "7 days after decision_date", "decision_date后7日"),
        ("2 working days after signing_date", 2, True, "signing_date", "2 working days after signing_date", "signing_date后2个工作日"),
        ("  1 Working Day after  the end of the period ", 1, True, "period_end", "1 working day after period end", "期末后1个工作日"),
        ("5 calendar days after period_end", 5, False, "period_end", "5 days after period end", "期末后5日"),
        ("期末后10个工作日", 10, True, "period_end", "10 working days after period end", "期末后10个工作日"),
        ("期末后20日", 20, False, "period_end", "20 days after period end", "期末后20日"),
        ("decision_date后7日内", 7, False, "decision_date", "7 days after decision_date", "decision_date后7日"),
        ("signing_date后2个工作日", 2, True, "signing_date", "2 working days after signing_date", "signing_date后2个工作日"),
    ],
)
def test_parse_rules(text: str, amount: int, working: bool, anchor: str, canonical: str, zh: str) -> None:
    rule = DeadlineRule.parse(text)
    assert (rule.amount, rule.working, rule.anchor) == (amount, working, anchor)
    assert str(rule) == canonical
    assert rule.describe_zh() == zh
    assert DeadlineRule.parse(str(rule)) == rule
    assert DeadlineRule.parse(rule.describe_zh()) == rule


@pytest.mark.parametrize(
    "text",
    ["", "ten working days after period end", "10 working days before period end",
     "0 days after period end", "10 working days", "after period end 10 days", "期末前10日"],
)
def test_parse_errors_list_accepted_forms(text: str) -> None:
    with pytest.raises(ConfigError) as exc:
        DeadlineRule.parse(text)
    message = str(exc.value)
    assert repr(text) in message or "at least 1" in message
    if "at least 1" not in message:
        assert "10 working days after period end" in message
        assert "7 days after decision_date" in message


def test_calendar_day_rule_ending_on_a_rest_day_moves_to_the_next_working_day() -> None:
    rule = DeadlineRule.parse("20 days after period end")
    # 2016-10-31 + 20 days = Sunday 2016-11-20 -> Monday 2016-11-21 (民法典 art. 203).
    assert rule.due_for_period(Period.parse("2016-10"), CAL) == date(2016, 11, 21)
    # roll=False is plain date arithmetic and needs no calendar: an uncovered year is fine.
    fixed = DeadlineRule(20, False, roll=False)
    assert fixed.due_for_period(Period.parse("2016-10"), CAL) == date(2016, 11, 20)
    assert fixed.due_for_period(Period.parse("2030-01"), CAL) == date(2030, 2, 20)
    # Rolling asks the calendar: a strict one must cover the year; the default one
    # counts it Monday-Friday and says so (2030-02-20 is a Wednesday).
    with pytest.raises(ConfigError, match="2030"):
        rule.due_for_period(Period.parse("2030-01"), WorkCalendar(strict=True))
    guessing = WorkCalendar()
    assert rule.due_for_period(Period.parse("2030-01"), guessing) == date(2030, 2, 20)
    assert guessing.guessed_years == {2030}


def test_record_rules() -> None:
    seven_days = DeadlineRule.parse("7 days after decision_date")
    # 2016-09-28 + 7 calendar days = 2016-10-05, inside the National Day holiday:
    # the term ends on the next working day, the 调休 Saturday 2016-10-08.
    assert seven_days.due_for_record(date(2016, 9, 28), CAL) == date(2016, 10, 8)
    assert DeadlineRule(7, False, "decision_date", roll=False).due_for_record(date(2016, 9, 28), CAL) == date(2016, 10, 5)
    two_wd = DeadlineRule.parse("2 working days after signing_date")
    # Signed Thu 2016-09-29: Fri 09-30(1), then Sat 10-08(2) -> a Saturday due date.
    assert two_wd.due_for_record(date(2016, 9, 29), CAL) == date(2016, 10, 8)
    assert not two_wd.per_period
    with pytest.raises(ConfigError, match="signing_date"):
        two_wd.due_for_period(Period.parse("2016-09"), CAL)


def test_default_deadlines_cover_every_cadence() -> None:
    assert set(DEFAULT_DEADLINES) == {c.value for c in Cadence}
    for cadence in Cadence:
        assert default_rule(cadence).per_period
    assert default_rule(Cadence.MONTHLY) == TEN_WD


# --- timeliness ------------------------------------------------------------


DUE = date(2016, 11, 14)


@pytest.mark.parametrize(
    ("published_on", "as_of", "expected"),
    [
        (date(2016, 11, 14), date(2016, 12, 1), Timeliness.ON_TIME),  # on the due day
        (date(2016, 11, 1), date(2016, 11, 2), Timeliness.ON_TIME),
        (date(2016, 11, 15), date(2016, 12, 1), Timeliness.LATE),
        (None, date(2016, 11, 15), Timeliness.OVERDUE),
        (None, date(2016, 11, 14), Timeliness.NOT_YET_DUE),  # due day not over yet
        (None, date(2016, 11, 1), Timeliness.NOT_YET_DUE),
    ],
)
def test_classify(published_on: date | None, as_of: date, expected: Timeliness) -> None:
    assert classify(DUE, published_on, as_of) is expected


def test_timeliness_is_a_str_enum() -> None:
    assert Timeliness.NOT_YET_DUE == "not_yet_due"
    assert Timeliness("overdue") is Timeliness.OVERDUE
    assert Timeliness.LATE.title_zh == "逾期公开"


# --- properties ------------------------------------------------------------


days_2005_2025 = st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=days_2005_2025, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_properties(start: date, n: int) -> None:
    result = add_working_days(start, n, CAL)
    assert CAL.is_workday(result)
    assert result > start
    assert add_working_days(start, n + 1, CAL) > result
    # Exactly n working days in (start, result], counted independently.
    days = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
    assert sum(CAL.is_workday(d) for d in days) == n


@given(
    amount=st.integers(min_value=1, max_value=400),
    working=st.booleans(),
    anchor=st.sampled_from(["period_end", "decision_date", "signing_date", "x1"]),
)
def test_rule_text_round_trips(amount: int, working: bool, anchor: str) -> None:
    rule = DeadlineRule(amount, working, anchor)
    assert DeadlineRule.parse(str(rule)) == rule
    assert DeadlineRule.parse(rule.describe_zh()) == rule


_SPAN = st.dates(min_value=date(2012, 1, 1), max_value=date(2026, 12, 31))


@given(after=_SPAN, until=_SPAN)
@settings(max_examples=200, deadline=None)
def test_counting_working_days_by_yearly_running_counts_equals_walking_the_days(after: date, until: date) -> None:
    cal = WorkCalendar()
    walked = sum(1 for i in range(1, (until - after).days + 1) if cal.is_workday(after + timedelta(days=i)))
    assert count_working_days(after, until, cal) == walked

