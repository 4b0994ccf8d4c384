"""Tests of the HJ 633 AQI algorithm.

Expected values come from an independent reference written here (its own copy of the
DOMAIN.md table, its own interpolation and rounding), never from the module under test.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl_plugins import aqi

# --- independent reference ------------------------------------------------------------------

# Rows copied from DOMAIN.md: IAQI | SO2 24h | SO2 1h | NO2 24h | NO2 1h | PM10 24h | CO 24h |
# CO 1h | O3 1h | O3 8h | PM2.5 24h
_TABLE_TEXT = """
| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 50 | 50 | 150 | 40 | 100 | 50 | 2 | 5 | 160 | 100 | 35 |
| 100 | 150 | 500 | 80 | 200 | 150 | 4 | 10 | 200 | 160 | 75 |
| 150 | 475 | 650 | 180 | 700 | 250 | 14 | 35 | 300 | 215 | 115 |
| 200 | 800 | 800 | 280 | 1200 | 350 | 24 | 60 | 400 | 265 | 150 |
| 300 | 1600 | - | 565 | 2340 | 420 | 36 | 90 | 800 | 800 | 250 |
| 400 | 2100 | - | 750 | 3090 | 500 | 48 | 120 | 1000 | - | 350 |
| 500 | 2620 | - | 940 | 3840 | 600 | 60 | 150 | 1200 | - | 500 |
"""
_COLUMNS = ["SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h", "PM10_24h", "CO_24h", "CO_1h", "O3_1h", "O3_8h", "PM25_24h"]


def _parse_table(text: str) -> dict[str, list[tuple[int, int]]]:
    table: dict[str, list[tuple[int, int]]] = {key: [] for key in _COLUMNS}
    for line in text.strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        index = int(cells[0])
        for key, cell in zip(_COLUMNS, cells[1:]):
            if cell != "-":
                table[key].append((int(cell), index))
    return table


REF_2012 = _parse_table(_TABLE_TEXT)
REF_2026 = {**REF_2012}
REF_2026["PM25_24h"] = [(c if i != 100 else 60, i) for c, i in REF_2012["PM25_24h"]]
REF_2026["PM10_24h"] = [(c if i != 100 else 120, i) for c, i in REF_2012["PM10_24h"]]


def ref_iaqi(key: str, c: Fraction, table: dict[str, list[tuple[int, int]]] = REF_2012) -> int | None:
    rows = table[key]
    for (bl, il), (bh, ih) in zip(rows, rows[1:]):
        if bl <= c <= bh:
            value = Fraction(ih - il) * (c - bl) / (bh - bl) + il
            return -((-value.numerator) // value.denominator)  # ceiling by integer division
    return 500 if rows[-1][1] == 500 else None


def ref_round(value: Fraction, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def ref_grade(value: int) -> str:
    for top, grade in ((50, "一级"), (100, "二级"), (150, "三级"), (200, "四级"), (300, "五级")):
        if value <= top:
            return grade
    return "六级"


def as_fraction(x: object) -> Fraction | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)  # type: ignore[arg-type]


def ref_day(records: list[aqi.HourRecord], day: date) -> dict[str, object]:
    """Straight loops over the raw hours, HJ 633-2012, require_all, default validity."""
    start = datetime(day.year, day.month, day.day)
    hours = {int((r.hour_end - start).total_seconds() // 3600): r for r in records
             if start < r.hour_end <= start + timedelta(hours=24)}
    fields = {"SO2_24h": "so2", "NO2_24h": "no2", "PM10_24h": "pm10", "CO_24h": "co", "PM25_24h": "pm25"}
    reported: dict[str, Decimal | None] = {}
    for key, name in fields.items():
        total, n = Fraction(0), 0
        for h in range(1, 25):
            if h in hours and (v := as_fraction(getattr(hours[h], name))) is not None:
                total += v
                n += 1
        reported[key] = ref_round(total / n, 1 if key == "CO_24h" else 0) if n >= 20 else None
    o3 = {h: v for h in range(1, 25) if h in hours and (v := as_fraction(hours[h].o3)) is not None}
    reported["O3_1h"] = ref_round(max(o3.values()), 0) if len(o3) >= 20 else None
    best, valid_windows = None, 0
    for end in range(8, 25):
        got = [o3[h] for h in range(end - 7, end + 1) if h in o3]
        if len(got) >= 6:
            valid_windows += 1
            m = sum(got, Fraction(0)) / len(got)
            best = m if best is None or m > best else best
    reported["O3_8h"] = ref_round(best, 0) if best is not None and valid_windows >= 14 else None
    sub = {k: (None if v is None else ref_iaqi(k, Fraction(v))) for k, v in reported.items()}
    if reported["O3_8h"] is not None and reported["O3_8h"] > 800:
        sub["O3_8h"] = sub["O3_1h"]
    value = None if any(v is None for v in sub.values()) else max(sub.values())  # type: ignore[type-var]
    order = ["SO2_24h", "NO2_24h", "PM10_24h", "CO_24h", "O3_1h", "O3_8h", "PM25_24h"]
    names = {"SO2_24h": "SO2", "NO2_24h": "NO2", "PM10_24h": "PM10", "CO_24h": "CO",
             "O3_1h": "O3_1h", "O3_8h": "O3_8h", "PM25_24h": "PM2.5"}
    primary = None
    if value is not None and value > 50:
        primary = ",".join(names[k] for k in order if sub[k] == value)
    exceeding = tuple(names[k] for k in order if (v := sub[k]) is not None and v > 100)
    return {"reported": reported, "iaqi": sub, "aqi": value, "primary": primary, "exceeding": exceeding}


# --- helpers ----------------------------------------------------------------------------------

BASE = {"so2": 10, "no2": 20, "pm10": 30, "pm25": 20, "co": Fraction(1, 2), "o3": 50}  # all IAQI < 50


def make_day(day: date, missing: dict[str, set[int]] | None = None, **values: object) -> list[aqi.HourRecord]:
    """24 records of one day; ``values`` override BASE (constant or callable of the hour 1..24)."""
    missing = missing or {}
    start = datetime(day.year, day.month, day.day)
    out = []
    for h in range(1, 25):
        row = {}
        for name in ("so2", "no2", "pm10", "pm25", "co", "o3"):
            spec = values.get(name, BASE[name])
            v = spec(h) if callable(spec) else spec
            row[name] = None if h in missing.get(name, set()) else v
        out.append(aqi.HourRecord(start + timedelta(hours=h), **row))
    return out


D = date(2016, 6, 15)

# --- breakpoints and interpolation -------------------------------------------------------------


@pytest.mark.parametrize("key", _COLUMNS)
def test_every_breakpoint_gives_its_exact_index(key: str) -> None:
    for conc, index in REF_2012[key]:
        for form in (conc, Fraction(conc), Decimal(conc), float(conc)):
            assert aqi.iaqi(key, form, aqi.HJ633_2012) == index, (key, form)


def test_breakpoints_of_2026() -> None:
    for key in ("PM10_24h", "PM25_24h", "SO2_24h", "O3_8h"):
        for conc, index in REF_2026[key]:
            assert aqi.iaqi(key, conc, aqi.HJ633_2026) == index


@pytest.mark.parametrize(
    ("key", "conc", "expected"),
    [
        ("PM25_24h", Fraction("35.1"), 51),  # 50 + 50/40 * 0.1 = 50.125
        ("PM25_24h", 36, 52),  # 51.25
        ("PM25_24h", 36.6, 52),  # exactly 52; the binary float 36.6 is above 36.6 and would give 53
        ("PM25_24h", Decimal("35.01"), 51),
        ("CO_24h", Decimal("4.1"), 101),  # 100 + 50/10 * 0.1 = 100.5
        ("SO2_24h", 151, 101),  # 100 + 50/325
        ("O3_8h", 161, 101),  # 100 + 50/55
        ("NO2_24h", 1, 2),  # 1.25
        ("PM10_24h", 600.0001, 500),  # above the scale: capped
        ("PM10_24h", 10_000, 500),
        ("SO2_1h", 800, 200),
        ("SO2_1h", 801, None),  # SO2 1 h above 800: no index from the 1 h value
        ("O3_8h", 800, 300),
        ("O3_8h", Fraction(8001, 10), None),  # O3 8 h above 800: the 1 h index is used instead
        ("O3_1h", 1300, 500),
    ],
)
def test_between_breakpoints_rounds_up(key: str, conc: object, expected: int | None) -> None:
    assert aqi.iaqi(key, conc, aqi.HJ633_2012) == expected
    exact = Fraction(str(conc)) if isinstance(conc, float) else Fraction(conc)  # type: ignore[arg-type]
    assert ref_iaqi(key, exact) == expected  # the reference agrees with the hand computation


def test_iaqi_rejects_bad_input() -> None:
    std = aqi.HJ633_2012
    with pytest.raises(ValueError):
        aqi.iaqi("PM2.5", 10, std)
    with pytest.raises(ValueError):
        aqi.iaqi("PM25_24h", -1, std)
    with pytest.raises(ValueError):
        aqi.iaqi("PM25_24h", float("nan"), std)
    with pytest.raises(TypeError):
        aqi.iaqi("PM25_24h", True, std)


def test_hourly_so2_falls_back_to_24h_above_800() -> None:
    assert aqi.hourly_so2_iaqi(500, 40, aqi.HJ633_2012) == 100
    assert aqi.hourly_so2_iaqi(900, 150, aqi.HJ633_2012) == 100  # from the 24 h value
    assert aqi.hourly_so2_iaqi(900, None, aqi.HJ633_2012) is None


@settings(max_examples=300)
@given(
    key=st.sampled_from(_COLUMNS),
    a=st.fractions(min_value=0, max_value=4000, max_denominator=1000),
    b=st.fractions(min_value=0, max_value=4000, max_denominator=1000),
)
def test_iaqi_monotonic_and_bounded(key: str, a: Fraction, b: Fraction) -> None:
    lo, hi = min(a, b), max(a, b)
    if key in ("SO2_1h", "O3_8h"):  # columns that stop at 800: beyond, no index by design
        lo, hi = lo / 5, hi / 5
    i_lo, i_hi = aqi.iaqi(key, lo, aqi.HJ633_2012), aqi.iaqi(key, hi, aqi.HJ633_2012)
    assert i_lo is not None and i_hi is not None
    assert 0 <= i_lo <= i_hi <= 500
    assert i_lo == ref_iaqi(key, lo) and i_hi == ref_iaqi(key, hi)


@given(x=st.floats(min_value=0, max_value=700, allow_nan=False), key=st.sampled_from(["PM25_24h", "CO_24h"]))
def test_float_input_means_its_decimal_repr(x: float, key: str) -> None:
    assert aqi.iaqi(key, x, aqi.HJ633_2012) == ref_iaqi(key, Fraction(repr(x)))


# --- levels and versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grade", "category", "colour", "name_en"),
    [
        (0, "一级", "优", "#00E400", "Excellent"),
        (50, "一级", "优", "#00E400", "Excellent"),
        (51, "二级", "良", "#FFFF00", "Good"),
        (100, "二级", "良", "#FFFF00", "Good"),
        (101, "三级", "轻度污染", "#FF7E00", "Lightly Polluted"),
        (150, "三级", "轻度污染", "#FF7E00", "Lightly Polluted"),
        (151, "四级", "中度污染", "#FF0000", "Moderately Polluted"),
        (200, "四级", "中度污染", "#FF0000", "Moderately Polluted"),
        (201, "五级", "重度污染", "#99004C", "Heavily Polluted"),
        (300, "五级", "重度污染", "#99004C", "Heavily Polluted"),
        (301, "六级", "严重污染", "#7E0023", "Severely Polluted"),
        (500, "六级", "严重污染", "#7E0023", "Severely Polluted"),
    ],
)
def test_level(value: int, grade: str, category: str, colour: str, name_en: str) -> None:
    got = aqi.level(value)
    assert (got.grade, got.category, got.colour, got.name_en) == (grade, category, colour, name_en)


def test_standard_for_chooses_by_data_date() -> None:
    assert aqi.standard_for(date(2016, 6, 1)) is aqi.HJ633_2012
    assert aqi.standard_for(date(2026, 2, 28)) is aqi.HJ633_2012
    assert aqi.standard_for(date(2026, 3, 1)) is aqi.HJ633_2026
    assert aqi.standard_for(date(2030, 1, 1)) is aqi.HJ633_2026
    with pytest.raises(ValueError):
        aqi.standard_for(date(2011, 12, 31))
    assert aqi.iaqi("PM25_24h", 60, aqi.standard_for(date(2026, 3, 1))) == 100
    assert aqi.iaqi("PM25_24h", 60, aqi.HJ633_2012) == 82  # 50 + 25 * 5/4 = 81.25
    assert aqi.iaqi("PM10_24h", 120, aqi.HJ633_2026) == 100


def test_daily_uses_the_standard_of_its_date() -> None:
    day = date(2026, 3, 1)
    result = aqi.daily_aqi(make_day(day, pm25=60), day)
    assert result.standard == "HJ633-2026"
    assert result.aqi == 100 and result.primary == "PM2.5"
    old = aqi.daily_aqi(make_day(date(2026, 2, 28), pm25=60), date(2026, 2, 28))
    assert old.standard == "HJ633-2012" and old.aqi == 82


# --- daily validity -----------------------------------------------------------------------------


def test_19_hours_of_pm25_give_no_pm25_index() -> None:
    result = aqi.daily_aqi(make_day(D, missing={"pm25": {1, 5, 9, 13, 24}}), D)
    assert result.counts["PM25_24h"] == 19
    assert result.means["PM25_24h"] is None and result.iaqi["PM25_24h"] is None
    assert result.valid["PM25_24h"] is False
    assert result.aqi is None and result.level is None and result.primary is None  # require_all
    assert result.iaqi["PM10_24h"] is not None
    relaxed = aqi.daily_aqi(make_day(D, missing={"pm25": {1, 5, 9, 13, 24}}), D, require_all=False)
    assert relaxed.aqi == max(v for v in relaxed.iaqi.values() if v is not None)


def test_20_hours_are_enough_and_missing_hours_are_not_zero_filled() -> None:
    result = aqi.daily_aqi(make_day(D, missing={"pm25": {1, 2, 3, 4}}, pm25=100), D)
    assert result.counts["PM25_24h"] == 20
    assert result.means["PM25_24h"] == 100
    assert result.iaqi["PM25_24h"] == ref_iaqi("PM25_24h", Fraction(100))
    assert result.aqi is not None and result.valid["PM25_24h"] is True


def test_nan_counts_as_missing() -> None:
    result = aqi.daily_aqi(make_day(D, pm25=lambda h: float("nan") if h <= 5 else 40.0), D)
    assert result.counts["PM25_24h"] == 19 and result.iaqi["PM25_24h"] is None


def test_o3_window_needs_6_of_8_hours() -> None:
    loose = {"min_o3_8h_windows": 1, "min_hours_o3_1h": 1}
    six = aqi.daily_aqi(make_day(D, missing={"o3": set(range(7, 25))}, o3=lambda h: 10 * h), D, **loose)
    assert six.counts["O3_8h"] == 1  # only the window ending 08:00 (hours 01..08) has 6 values
    assert six.means["O3_8h"] == Fraction(10 + 20 + 30 + 40 + 50 + 60, 6)
    five = aqi.daily_aqi(make_day(D, missing={"o3": set(range(6, 25))}, o3=lambda h: 10 * h), D, **loose)
    assert five.counts["O3_8h"] == 0 and five.means["O3_8h"] is None and five.iaqi["O3_8h"] is None


def test_o3_daily_max_8h_needs_14_windows() -> None:
    # O3 present for hours 01..17: windows ending 08..19 have >= 6 values -> 12 valid windows
    twelve = aqi.daily_aqi(make_day(D, missing={"o3": set(range(18, 25))}), D)
    assert twelve.counts["O3_8h"] == 12 and twelve.means["O3_8h"] is None
    # hours 01..19: windows ending 08..21 -> 14 valid windows
    fourteen = aqi.daily_aqi(make_day(D, missing={"o3": set(range(20, 25))}), D)
    assert fourteen.counts["O3_8h"] == 14 and fourteen.means["O3_8h"] == 50
    assert aqi.daily_aqi(make_day(D, missing={"o3": set(range(18, 25))}), D, min_o3_8h_windows=12).means["O3_8h"] == 50


def test_o3_8h_window_max_is_of_the_window_means() -> None:
    # A single high hour at 08:00 raises every window containing it equally; the max is 1/8 of it.
    result = aqi.daily_aqi(make_day(D, o3=lambda h: 400 if h == 8 else 0), D)
    assert result.means["O3_8h"] == 50 and result.means["O3_1h"] == 400
    assert result.iaqi["O3_1h"] == 200 and result.aqi == 200 and result.primary == "O3_1h"


def test_o3_8h_above_800_reports_the_1h_index() -> None:
    result = aqi.daily_aqi(make_day(D, o3=900), D)
    expected = ref_iaqi("O3_1h", Fraction(900))
    assert expected == 350
    assert result.iaqi["O3_8h"] == expected and result.iaqi["O3_1h"] == expected
    assert result.aqi == 350 and result.primary == "O3_1h,O3_8h"
    assert result.category == "严重污染" and result.colour == "#7E0023" and result.grade == "六级"
    # 2026: O3 1 h leaves the daily index but still stands in for the 8 h value above 800
    day = date(2026, 6, 15)
    new = aqi.daily_aqi(make_day(day, o3=900), day)
    assert new.iaqi["O3_1h"] is None and new.iaqi["O3_8h"] == 350 and new.primary == "O3_8h"
    # without a valid 1 h value the 8 h value above 800 has no index
    short = aqi.daily_aqi(make_day(D, missing={"o3": set(range(19, 25))}, o3=900), D, min_o3_8h_windows=13)
    assert short.means["O3_8h"] == 900 and short.means["O3_1h"] is None
    assert short.iaqi["O3_8h"] is None and short.aqi is None


def test_2026_daily_index_ignores_o3_1h() -> None:
    day = date(2026, 6, 15)
    spike = lambda h: 400 if h == 12 else 50  # noqa: E731
    result = aqi.daily_aqi(make_day(day, o3=spike), day)
    assert result.means["O3_1h"] == 400 and result.iaqi["O3_1h"] is None
    assert result.aqi is not None and result.aqi <= 50
    assert aqi.daily_aqi(make_day(D, o3=spike), D).aqi == 200


def test_primary_ties_are_joined_and_none_at_or_below_50() -> None:
    tie = aqi.daily_aqi(make_day(D, pm25=75, pm10=150), D)
    assert tie.aqi == 100 and tie.primary == "PM10,PM2.5" and tie.exceeding == ()
    assert tie.category == "良"
    clean = aqi.daily_aqi(make_day(D, pm25=35), D)
    assert clean.aqi == 50 and clean.primary is None and clean.category == "优"
    dirty = aqi.daily_aqi(make_day(D, pm25=115, co=Fraction(41, 10)), D)
    assert dirty.aqi == 150 and dirty.primary == "PM2.5" and dirty.exceeding == ("CO", "PM2.5")


def test_index_comes_from_the_reported_rounded_value() -> None:
    # PM2.5 mean 35.4 is reported as 35 -> IAQI 50 (the exact 35.4 would give 51)
    result = aqi.daily_aqi(make_day(D, pm25=lambda h: 36 if h % 5 == 0 else 35), D)
    assert result.means["PM25_24h"] == Fraction(35 * 24 + 4, 24)
    assert result.reported["PM25_24h"] == Decimal("35") and result.iaqi["PM25_24h"] == 50
    # half to even (GB/T 8170): CO 1.25 -> 1.2, PM2.5 34.5 -> 34
    halves = aqi.daily_aqi(make_day(D, co=lambda h: 1.2 if h % 2 else 1.3, pm25=lambda h: 34 if h % 2 else 35), D)
    assert halves.reported["CO_24h"] == Decimal("1.2") and halves.reported["PM25_24h"] == Decimal("34")


def test_hour_handling() -> None:
    day_records = make_day(D, pm25=40)
    neighbours = make_day(D - timedelta(days=1), pm25=500) + make_day(D + timedelta(days=1), pm25=500)
    assert aqi.daily_aqi(neighbours + day_records, D).means["PM25_24h"] == 40
    # the hour ending 24:00 (next day 00:00) belongs to the day, the one ending 00:00 does not
    midnight = [r for r in day_records if r.hour_end.hour == 0]
    assert len(midnight) == 1 and midnight[0].hour_end.date() == D + timedelta(days=1)
    utc = [r._replace(hour_end=(r.hour_end - timedelta(hours=8)).replace(tzinfo=timezone.utc)) for r in day_records]
    assert aqi.daily_aqi(utc, D).means == aqi.daily_aqi(day_records, D).means
    with pytest.raises(ValueError):
        aqi.daily_aqi(day_records + day_records[:1], D)
    with pytest.raises(ValueError):
        aqi.daily_aqi([day_records[0]._replace(hour_end=day_records[0].hour_end + timedelta(minutes=30))], D)
    empty = aqi.daily_aqi([], D)
    assert empty.aqi is None and all(v is None for v in empty.iaqi.values()) and empty.exceeding == ()


# --- a synthetic month, checked against the reference --------------------------------------------

MONTH_START = date(2016, 6, 1)


def synthetic_month() -> list[aqi.HourRecord]:
    records = []
    start = datetime(2016, 6, 1)
    for t in range(1, 30 * 24 + 1):
        d, h = (t - 1) // 24 + 1, (t - 1) % 24 + 1
        if t % 53 == 0 or (d == 17 and h > 15):  # whole hours lost; day 17 keeps only 15 hours
            continue
        pm25 = 10 + 9 * d + (h * 7) % 13 + (0.5 if h % 4 == 0 else 0)
        records.append(aqi.HourRecord(
            hour_end=start + timedelta(hours=t),
            so2=5 + (t * 3) % 20,
            no2=20 + 2 * d + (h * 11) % 19,
            pm10=30 + 11 * d + (h * 5) % 17,
            pm25=None if t % 37 == 0 or (d == 23 and h <= 5) else pm25,
            co=float("nan") if t % 41 == 0 else (5 + (t * 7) % 23) / 10,
            o3=None if t % 29 == 0 else 20 + 3 * d + 6 * min(h, 15) - 5 * max(h - 15, 0),
        ))
    return records


def test_synthetic_month_against_reference() -> None:
    records = synthetic_month()
    days = [MONTH_START + timedelta(days=i) for i in range(30)]
    results = [aqi.daily_aqi(records, day) for day in days]

    expected_days = [ref_day(records, day) for day in days]
    for day, got, want in zip(days, results, expected_days):
        assert dict(got.reported) == want["reported"], day
        assert dict(got.iaqi) == want["iaqi"], day
        assert got.aqi == want["aqi"], day
        assert (got.primary, got.exceeding) == (want["primary"], want["exceeding"]), day
        assert got.grade == (None if want["aqi"] is None else ref_grade(want["aqi"])), day  # type: ignore[arg-type]

    valid = [w for w in expected_days if w["aqi"] is not None]
    compliant = sum(1 for w in valid if w["aqi"] <= 100)  # type: ignore[operator]
    per_level = {g: 0 for g in ("一级", "二级", "三级", "四级", "五级", "六级")}
    for w in valid:
        per_level[ref_grade(w["aqi"])] += 1  # type: ignore[arg-type]
    means = {}
    for key in _COLUMNS:
        if key in ("SO2_1h", "NO2_1h", "CO_1h"):
            continue
        reported = [w["reported"][key] for w in expected_days]  # type: ignore[index]
        values = [Fraction(v) for v in reported if v is not None]
        means[key] = sum(values, Fraction(0)) / len(values) if values else None

    # the data must exercise what it is meant to: invalid days, several levels, a mixed ratio
    assert len(valid) < 30 and expected_days[16]["aqi"] is None  # day 17
    assert expected_days[22]["reported"]["PM25_24h"] is None  # type: ignore[index]  # day 23: 19 hours
    assert 0 < compliant < len(valid) and sum(1 for n in per_level.values() if n) >= 4
    assert any("," in str(w["primary"]) for w in valid)  # a tie for the primary pollutant

    summary = aqi.monthly_summary(results)
    pm25_days = sum(1 for w in expected_days if w["reported"]["PM25_24h"] is not None)  # type: ignore[index]
    assert summary.days == 30
    assert summary.valid_days == len(valid)
    assert summary.compliant_days == compliant
    assert summary.compliant_ratio == Fraction(compliant, len(valid))
    assert summary.compliant_percent == float(ref_round(Fraction(100 * compliant, len(valid)), 1))
    assert dict(summary.days_per_level) == per_level
    assert dict(summary.means) == means
    assert summary.mean_days["PM25_24h"] == pm25_days
    assert summary.reported_means["CO_24h"] == ref_round(means["CO_24h"], 1)  # type: ignore[arg-type]


def test_monthly_summary_edge_cases() -> None:
    empty = aqi.monthly_summary([aqi.daily_aqi([], D)])
    assert empty.valid_days == 0 and empty.compliant_ratio is None and empty.compliant_percent is None
    assert empty.means["PM25_24h"] is None
    assert list(empty.days_per_level) == ["一级", "二级", "三级", "四级", "五级", "六级"]
    result = aqi.daily_aqi(make_day(D), D)
    with pytest.raises(ValueError):
        aqi.monthly_summary([result, result])
