from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence, Period, latest_closed, parse_periods


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2016-11", date(2016, 11, 1), date(2016, 11, 30)),
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2016Q3", date(2016, 7, 1), date(2016, 9, 30)),
        ("2016H2", date(2016, 7, 1), date(2016, 12, 31)),
        ("2016", date(2016, 1, 1), date(2016, 12, 31)),
    ],
)
def test_parse_bounds(key: str, start: date, end: date) -> None:
    p = Period.parse(key)
    assert (p.key, p.start, p.end) == (key, start, end)


def test_ranges_and_lists() -> None:
    assert [p.key for p in parse_periods("2016-01..2016-03")] == ["2016-01", "2016-02", "2016-03"]
    assert [p.key for p in parse_periods("2015Q4..2016Q1, 2016H1")] == ["2015Q4", "2016Q1", "2016H1"]
    assert [p.key for p in parse_periods("2015..2016")] == ["2015", "2016"]


@pytest.mark.parametrize("bad", ["2016-13", "2016Q5", "16-01", "2016-06..2016-01", "2016-01..2016Q1", ""])
def test_bad_periods(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_periods(bad)


def test_latest_closed() -> None:
    assert latest_closed(Cadence.MONTHLY, date(2016, 11, 20)).key == "2016-10"
    assert latest_closed(Cadence.QUARTERLY, date(2016, 11, 20)).key == "2016Q3"
    assert latest_closed(Cadence.HALF_YEARLY, date(2017, 1, 1)).key == "2016H2"
    assert latest_closed(Cadence.YEARLY, date(2017, 1, 1)).key == "2016"


@given(st.sampled_from(list(Cadence)), st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_next_previous_round_trip(cadence: Cadence, day: date) -> None:
    p = Period.containing(cadence, day)
    assert p.start <= day <= p.end
    assert p.next().previous() == p
    assert Period.parse(p.key) == p
    assert p.next().start.toordinal() == p.end.toordinal() + 1
