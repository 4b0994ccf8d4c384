"""Scalar normalizers: examples, messages, round trips, and no stray exceptions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.errors import NormalizeError
from gongkai_etl import values as nz
from gongkai_etl.values import (
    CONTROL,
    clean_text,
    convert_unit,
    parse_amount,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_month,
    parse_percent,
    to_halfwidth,
)

FW = {ord(c): ord(c) + 0xFEE0 for c in "0123456789.,-+/:"}  # ASCII -> full-width

MISSING = ["", "   ", "\u3000", "-", "—", "NA", "na", "N/A", "n/a", "/", "无", " - ", "－", "ＮＡ", None]


def fullwidth(text: str) -> str:
    return text.translate(FW)


# --- text ----------------------------------------------------------------------


def test_to_halfwidth() -> None:
    assert to_halfwidth("ＡＢｃ１２３，．！　～") == "ABc123,.! ~"
    assert to_halfwidth("中文，。") == "中文,。"  # U+3002 is not in the full-width ASCII block


def test_clean_text_keeps_chinese_punctuation() -> None:
    assert clean_text("  建外街道，\u3000第１２号\xa0\xa0楼  ") == "建外街道， 第12号 楼"
    assert clean_text("Ａｂｃ（一）") == "Abc（一）"
    assert clean_text("a\tb\n\nc") == "a b c"
    assert clean_text("x\u200by") == "xy"
    assert clean_text(12) == "12"
    assert clean_text(True) == "true"


@pytest.mark.parametrize("value", MISSING)
def test_missing_markers(value: str | None) -> None:
    for parse in (clean_text, parse_date, parse_datetime, parse_month, parse_decimal, parse_int, parse_percent, parse_bool):
        assert parse(value) is None, parse.__name__
    assert parse_amount(value, unit="元") is None


def test_whitespace_constant_is_exactly_isspace() -> None:
    expected = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(nz.WHITESPACE) == expected


# --- dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2016年10月3日", "2016年10月03日", "2016/10/3", "2016-10-03", "2016.10.3", "20161003",
     "2016-10-03 00:00:00", "２０１６－１０－０３", "２０１６年１０月３日", " 2016 - 10 - 03 ", "2016年10月3号",
     42646, 42646.0, Decimal(42646), date(2016, 10, 3), datetime(2016, 10, 3)],
)
def test_parse_date_formats(text: object) -> None:
    assert parse_date(text) == date(2016, 10, 3)


@pytest.mark.parametrize(
    ("value", "start"),
    [("2016年13月1日", "无法识别的日期 '2016年13月1日'"), ("2016-02-30", "无法识别的日期 '2016-02-30'：日期不存在"),
     ("2015-02-29", "无法识别的日期"), ("abc", "无法识别的日期 'abc' (unrecognised date; expected e.g. 2016年10月3日"),
     ("2016-10-03 14:00", "日期含有时间"), ("0201-10-03", "年份超出范围"), (42646.5, "无法识别的Excel日期序号"),
     (100, "无法识别的Excel日期序号"), ("2016/10-3", "无法识别的日期"), (True, "不支持的值类型"), ([1], "不支持的值类型")],
)
def test_parse_date_errors(value: object, start: str) -> None:
    with pytest.raises(NormalizeError) as info:
        parse_date(value)
    assert str(info.value).startswith(start)
    assert "(" in str(info.value)  # English alongside


def test_parse_date_leap_day() -> None:
    assert parse_date("2016-02-29") == date(2016, 2, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2016-10-03 14:00", datetime(2016, 10, 3, 14)), ("2016/10/3 14:00:00", datetime(2016, 10, 3, 14)),
     ("2016年10月3日14时", datetime(2016, 10, 3, 14)), ("2016年10月3日 14时30分", datetime(2016, 10, 3, 14, 30)),
     ("2016年10月3日14时30分15秒", datetime(2016, 10, 3, 14, 30, 15)), ("2016-10-03T07:05:09", datetime(2016, 10, 3, 7, 5, 9)),
     ("2016-10-03 24:00", datetime(2016, 10, 4)), ("2016-12-31 24:00:00", datetime(2017, 1, 1)),
     ("2016-10-03", datetime(2016, 10, 3)), ("2016-10-03 14:00:00.000", datetime(2016, 10, 3, 14)),
     ("２０１６－１０－０３　１４：００", datetime(2016, 10, 3, 14)), (42646.5, datetime(2016, 10, 3, 12)),
     (date(2016, 10, 3), datetime(2016, 10, 3)), (datetime(2016, 10, 3, 13, 59, 59, 999_999), datetime(2016, 10, 3, 14)),
     (datetime(2016, 10, 3, 6, tzinfo=timezone.utc), datetime(2016, 10, 3, 14))],
)
def test_parse_datetime_formats(text: object, expected: datetime) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["2016-10-03 24:01", "2016-10-03 25:00", "2016-10-03 14:60", "2016-10-03 14", "nope"])
def test_parse_datetime_errors(text: str) -> None:
    with pytest.raises(NormalizeError, match="^无法识别的日期时间"):
        parse_datetime(text)


@pytest.mark.parametrize(
    "value", ["2016.10", "2016年10月", "2016-10", "201610", "2016/10", "2016年10月份", 201610, date(2016, 10, 3),
              datetime(2016, 10, 31, 23)],
)
def test_parse_month(value: object) -> None:
    assert parse_month(value) == "2016-10"


@pytest.mark.parametrize("value", ["2016-13", "2016.10.3", "16-10", 2016.1, "2016"])
def test_parse_month_errors(value: object) -> None:
    with pytest.raises(NormalizeError):
        parse_month(value)


DATE_FORMATS = [
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d:%Y-%m-%d} 00:00:00",
    lambda d: fullwidth(f"{d:%Y-%m-%d}"),
]
DATES = st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31))


@settings(max_examples=150)
@given(DATES, st.sampled_from(DATE_FORMATS))
def test_date_round_trip(day: date, fmt) -> None:  # type: ignore[no-untyped-def]
    assert parse_date(fmt(day)) == day


@settings(max_examples=100)
@given(st.dates(min_value=date(1954, 10, 3), max_value=date(2119, 1, 10)))
def test_excel_serial_round_trip(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_datetime(float(serial) + 0.25) == datetime.combine(day, datetime.min.time()) + timedelta(hours=6)


DATETIME_FORMATS = [
    lambda t: f"{t:%Y-%m-%d %H:%M:%S}",
    lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}:{t.second:02d}",
    lambda t: f"{t:%Y-%m-%dT%H:%M:%S}",
    lambda t: f"{t.year}年{t.month}月{t.day}日{t.hour}时{t.minute}分{t.second}秒",
    lambda t: fullwidth(f"{t:%Y-%m-%d %H:%M:%S}"),
]


@settings(max_examples=150)
@given(st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2199, 12, 31, 23, 59, 59)),
       st.sampled_from(DATETIME_FORMATS))
def test_datetime_round_trip(moment: datetime, fmt) -> None:  # type: ignore[no-untyped-def]
    moment = moment.replace(microsecond=0)
    assert parse_datetime(fmt(moment)) == moment


@settings(max_examples=50)
@given(DATES.filter(lambda d: d < date(2199, 12, 31)))
def test_hour_24_is_next_midnight(day: date) -> None:
    assert parse_datetime(f"{day:%Y-%m-%d} 24:00") == datetime.combine(day + timedelta(days=1), datetime.min.time())


# --- numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1,234.50", Decimal("1234.50")), ("１，２３４．５０", Decimal("1234.50")), (" 1 234.5 ", Decimal("1234.5")),
     ("+12", Decimal(12)), ("-0.5", Decimal("-0.5")), ("－１２．５", Decimal("-12.5")), ("1e3", Decimal(1000)),
     (".5", Decimal("0.5")), (12, Decimal(12)), (0.1, Decimal("0.1")), (Decimal("2.50"), Decimal("2.50")),
     (float("nan"), None)],
)
def test_parse_decimal(value: object, expected: Decimal | None) -> None:
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [("1.005", 2, "1.01"), ("-1.005", 2, "-1.01"), (2.675, 2, "2.68"), ("0.125", 2, "0.13"), ("12", 2, "12.00"),
     ("1234.5", 0, "1235"), ("-0.001", 2, "0.00")],
)
def test_parse_decimal_half_up(value: object, scale: int, expected: str) -> None:
    result = parse_decimal(value, scale=scale)
    assert result is not None and str(result) == expected


@pytest.mark.parametrize(
    ("value", "start"),
    [("12%", "此处数值不应带百分号"), ("1,5", "无法识别的数值 '1,5'"), ("12.3.4", "无法识别的数值"), ("abc", "无法识别的数值"),
     ("Infinity", "无法识别的数值"), ("١٢", "无法识别的数值"), (True, "布尔值不是数值"), (float("inf"), "数值为无穷大"),
     ("0x1F", "无法识别的数值"), ("1_000", "无法识别的数值")],
)
def test_parse_decimal_errors(value: object, start: str) -> None:
    with pytest.raises(NormalizeError) as info:
        parse_decimal(value)
    assert str(info.value).startswith(start)


def test_parse_decimal_huge_quantize_is_a_normalize_error() -> None:
    with pytest.raises(NormalizeError, match="数值超出范围"):
        parse_decimal("1e9999", scale=2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), ("12.0", 12), ("1,200", 1200), ("12户", 12), ("12人", 12), ("12套", 12), ("3 人次", 3), ("5辆", 5),
     ("１２户", 12), ("-3", -3), (12.0, 12), (Decimal("7.00"), 7), ("1e3", 1000)],
)
def test_parse_int(value: object, expected: int) -> None:
    assert parse_int(value) == expected


@pytest.mark.parametrize("value", ["12.5", 12.5, "12斤", "户", "1e30", 2**63, "12.5户"])
def test_parse_int_errors(value: object) -> None:
    with pytest.raises(NormalizeError):
        parse_int(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5%", Decimal("12.5")), ("12.5", Decimal("12.5")), ("0.125", Decimal("0.125")), ("１２．５％", Decimal("12.5")),
     ("12.5 %", Decimal("12.5")), (50, Decimal(50))],
)
def test_parse_percent(value: object, expected: Decimal) -> None:
    assert parse_percent(value) == expected


def test_parse_percent_errors() -> None:
    for bad in ("%", "12%%", "abc%"):
        with pytest.raises(NormalizeError):
            parse_percent(bad)


@pytest.mark.parametrize(("value", "expected"), [("是", True), ("否", False), ("TRUE", True), ("false", False),
                                                 ("1", True), ("0", False), ("Y", True), ("n", False), (1, True), (0.0, False)])
def test_parse_bool(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected


def test_parse_bool_error() -> None:
    with pytest.raises(NormalizeError, match="无法识别的是/否值 'maybe'"):
        parse_bool("maybe")


# --- units and amounts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [("12.5", "万元", "元", "125000"), ("125000", "元", "万元", "12.5"), ("3", "亿元", "万元", "30000"), ("1", "万", "yuan", "10000"),
     ("35", "μg/m³", "mg/m³", "0.035"), ("35", "µg/m³", "mg/m3", "0.035"), ("1.2", "mg/m3", "ug/m3", "1200"),
     ("1500", "m", "km", "1.5"), ("1.5", "km²", "m²", "1500000"), ("7", "元", "元", "7"), ("0.5", "mg/L", "mg/L", "0.5")],
)
def test_convert_unit(value: str, src: str, dst: str, expected: str) -> None:
    assert convert_unit(Decimal(value), src, dst) == Decimal(expected)


def test_convert_unit_result_has_no_exponent() -> None:
    assert str(convert_unit(Decimal("1.5"), "km²", "m²")) == "1500000"


@pytest.mark.parametrize(("src", "dst", "start"), [("元", "km", "单位不兼容"), ("亩", "m²", "未知单位 '亩'"), ("元", "美元", "未知单位")])
def test_convert_unit_errors(src: str, dst: str, start: str) -> None:
    with pytest.raises(NormalizeError) as info:
        convert_unit(Decimal(1), src, dst)
    assert str(info.value).startswith(start)


UNIT_GROUPS = [["元", "千元", "万元", "亿元"], ["μg/m³", "mg/m³"], ["m", "km"], ["m²", "公顷", "km²"]]


@settings(max_examples=150)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**15, max_value=10**15),
       st.sampled_from(UNIT_GROUPS).flatmap(lambda g: st.tuples(st.sampled_from(g), st.sampled_from(g))))
def test_convert_unit_is_invertible(value: Decimal, units: tuple[str, str]) -> None:
    src, dst = units
    assert convert_unit(convert_unit(value, src, dst), dst, src) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", "1234.50"), ("12.5万元", "125000.00"), ("3亿元", "300000000.00"), ("1234元", "1234.00"),
     ("１２．５万", "125000.00"), ("12.5 万元", "125000.00"), (1234.5, "1234.50"), ("0.001元", "0.00")],
)
def test_parse_amount_to_yuan(text: object, expected: str) -> None:
    assert str(parse_amount(text, unit="元")) == expected


def test_parse_amount_default_unit() -> None:
    assert parse_amount("1234", unit="万元", default_unit="元", scale=4) == Decimal("0.1234")
    assert parse_amount("1234元", unit="万元", default_unit="亿元", scale=4) == Decimal("0.1234")
    assert parse_amount("35", unit="mg/m³", default_unit="μg/m³", scale=3) == Decimal("0.035")
    assert parse_amount("12", unit="mg/L", scale=None) == Decimal(12)


@pytest.mark.parametrize("text", ["12.5km", "万元12", "约12万", "12.5.3万", "1,5万元"])
def test_parse_amount_errors(text: str) -> None:
    with pytest.raises(NormalizeError):
        parse_amount(text, unit="元")


AMOUNTS = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**12, max_value=10**12)


@settings(max_examples=200)
@given(AMOUNTS, st.sampled_from(["", "元", "万元", "亿元", "万"]), st.booleans(), st.booleans())
def test_amount_round_trip(amount: Decimal, unit: str, grouped: bool, wide: bool) -> None:
    power = {"": 0, "元": 0, "万元": 4, "万": 4, "亿元": 8}[unit]
    shown = amount.scaleb(-power)
    text = f"{shown:,f}" if grouped else f"{shown:f}"
    text = fullwidth(text) if wide else text
    assert parse_amount(text + unit, unit="元") == amount


@settings(max_examples=100)
@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["", "户", "人次", " 人"]), st.booleans())
def test_int_round_trip(number: int, unit: str, grouped: bool) -> None:
    assert parse_int((f"{number:,}" if grouped else str(number)) + unit) == number


# --- nothing but NormalizeError on arbitrary input ---------------------------------------

PARSERS = [parse_date, parse_datetime, parse_month, parse_decimal, parse_int, parse_percent, parse_bool,
           lambda v: parse_decimal(v, scale=2), lambda v: parse_amount(v, unit="元"),
           lambda v: parse_amount(v, unit="mg/m³", default_unit="μg/m³", scale=None)]
NEAR_MISS = st.text(alphabet="0123456789年月日号时点分秒-/.:, T元万亿%+eE０１２．，－　NA户人次\u3000\xa0", max_size=24)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=30), NEAR_MISS))
def test_never_raises_anything_but_normalize_error(text: str) -> None:
    try:
        assert clean_text(text) is None or isinstance(clean_text(text), str)
    except NormalizeError:
        assert any(c in CONTROL for c in text)  # the only text clean_text refuses
    for parse in PARSERS:
        try:
            parse(text)
        except NormalizeError:
            pass


@settings(max_examples=100)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.decimals(), st.dates(), st.datetimes()))
def test_typed_values_raise_only_normalize_error(value: object) -> None:
    for parse in PARSERS:
        try:
            parse(value)
        except NormalizeError:
            pass
