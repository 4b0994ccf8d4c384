"""normalize_column: agrees with the scalar parsers, types its output, stays vectorized."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.datasets import Field
from gongkai_etl.errors import ConfigError, NormalizeError
from gongkai_etl.normalize import columns
from gongkai_etl import values as nz
from gongkai_etl.normalize.columns import normalize_column

FW = {ord(c): ord(c) + 0xFEE0 for c in "0123456789.,-+/:"}

TEXT = Field("note", "备注")
INT = Field("households", "户数", "integer", unit="户")
MONEY = Field("amount", "金额", "decimal", unit="万元", precision=18, scale=2)
PLAIN_DECIMAL = Field("ratio", "比例", "decimal", precision=10, scale=3)
FLOAT = Field("no2", "NO2", "number")
CONC = Field("co", "CO", "number", unit="mg/m³")
DAY = Field("day", "日期", "date")
MOMENT = Field("hour", "时间", "datetime")
FLAG = Field("flag", "标志", "boolean")


def outcome(parse: Callable[[Any], Any], value: Any) -> tuple[Any, str | None]:
    try:
        return parse(value), None
    except NormalizeError as exc:
        return None, str(exc)


def money_reference(value: Any) -> Any:
    amount = nz.parse_amount(value, unit="万元", default_unit="元", scale=2)
    if amount is not None and abs(amount) >= Decimal(10) ** 16:
        raise NormalizeError("precision")
    return amount


def assert_matches(values: list[Any], field: Field, parse: Callable[[Any], Any], *, source_unit: str | None = None,
                   close: bool = False) -> None:
    typed, errors = normalize_column(pa.array(values, pa.string()), field, source_unit=source_unit)
    assert typed.type == field.arrow_type and errors.type == pa.string()
    assert len(typed) == len(errors) == len(values)
    for raw, got, reason in zip(values, typed.to_pylist(), errors.to_pylist(), strict=True):
        want, want_reason = outcome(parse, raw)
        if want_reason is not None:
            assert got is None and reason is not None, raw
            if want_reason != "precision":
                assert reason == want_reason, raw
        else:
            assert reason is None, (raw, reason)
            if close and want is not None:
                assert got is not None and math.isclose(got, want, rel_tol=1e-12), raw
            else:
                assert got == want and type(got) is type(want), (raw, got, want)


# --- strategies: mixed valid, missing and broken cells -----------------------------------

MISSING = st.sampled_from(["", " ", "\u3000", "-", "—", "NA", "n/a", "/", "无", "－", "ＮＡ"]) | st.none()
NOISE = st.text(alphabet="0123456789年月日号时点分秒-/.:, T元万亿%+０１２．，　NA户人次\xa0", max_size=16)
DATES = st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31))
DATE_TEXT = st.one_of(
    st.tuples(DATES, st.sampled_from(["{y}年{m}月{d}日", "{y}/{m}/{d}", "{y}-{m:02d}-{d:02d}", "{y}.{m}.{d}",
                                      "{y}{m:02d}{d:02d}", "{y}-{m}-{d} 00:00:00", "{y}年{m}月{d}号"])).map(
        lambda p: p[1].format(y=p[0].year, m=p[0].month, d=p[0].day)),
    # Impossible dates: strptime would roll 2016-02-30 into March.
    st.tuples(st.sampled_from([1799, 1800, 1900, 2015, 2016, 2100, 2199, 2200]), st.sampled_from([0, 1, 2, 4, 9, 12, 13]),
              st.sampled_from([0, 1, 28, 29, 30, 31, 32]), st.sampled_from("-/.")).map(
        lambda p: f"{p[0]}{p[3]}{p[1]}{p[3]}{p[2]}"),
    DATES.map(lambda d: f"{d:%Y-%m-%d}".translate(FW)),
)
TIME_TEXT = st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)).flatmap(
    lambda t: st.sampled_from([f" {t[0]}:{t[1]:02d}", f" {t[0]}:{t[1]:02d}:{t[2]:02d}", f"T{t[0]:02d}:{t[1]:02d}:{t[2]:02d}",
                               f"{t[0]}时", f" {t[0]}时{t[1]}分", f"{t[0]}时{t[1]}分{t[2]}秒", " 24:00", " 24:00:00", ""]))
DATETIME_TEXT = st.tuples(DATE_TEXT, TIME_TEXT).map(lambda p: p[0] + p[1])
NUMBERS = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**13, max_value=10**13)
NUMBER_TEXT = st.tuples(NUMBERS, st.sampled_from(["{:f}", "{:,f}", " {:f} ", "{:f}元", "{:f}万元", "{:f}亿元", "{:f}万",
                                                  "{:f}%", "{:e}", "+{:f}", "{:,f}户"]), st.booleans()).map(
    lambda p: p[1].format(p[0]).translate(FW) if p[2] else p[1].format(p[0]))
INT_TEXT = st.tuples(st.integers(-(10**20), 10**20), st.sampled_from(["{}", "{:,}", "{}户", "{:,} 人次", "{}.0", "{}.5", "+{}"])).map(
    lambda p: p[1].format(p[0]))
BOOL_TEXT = st.sampled_from(["是", "否", "true", "FALSE", "Yes", "n", "1", "0", "√", "×", "Ｙ", "maybe", "2"])


def cells(*valid: st.SearchStrategy[str]) -> st.SearchStrategy[list[str | None]]:
    return st.lists(st.one_of(*valid, MISSING, NOISE), max_size=40)


@settings(max_examples=80, deadline=None)
@given(cells(DATE_TEXT, DATETIME_TEXT))
def test_dates_agree_with_scalar(values: list[str | None]) -> None:
    assert_matches(values, DAY, nz.parse_date)


@settings(max_examples=80, deadline=None)
@given(cells(DATETIME_TEXT, DATE_TEXT))
def test_datetimes_agree_with_scalar(values: list[str | None]) -> None:
    assert_matches(values, MOMENT, nz.parse_datetime)


@settings(max_examples=60, deadline=None)
@given(cells(INT_TEXT, NUMBER_TEXT))
def test_integers_agree_with_scalar(values: list[str | None]) -> None:
    assert_matches(values, INT, nz.parse_int)


@settings(max_examples=80, deadline=None)
@given(cells(NUMBER_TEXT, INT_TEXT))
def test_money_agrees_with_scalar(values: list[str | None]) -> None:
    assert_matches(values, MONEY, money_reference, source_unit="元")


@settings(max_examples=60, deadline=None)
@given(cells(NUMBER_TEXT))
def test_plain_decimal_agrees_with_scalar(values: list[str | None]) -> None:
    def reference(value: Any) -> Any:
        amount = nz.parse_decimal(value, scale=3)
        if amount is not None and abs(amount) >= Decimal(10) ** 7:
            raise NormalizeError("precision")
        return amount

    assert_matches(values, PLAIN_DECIMAL, reference)


@settings(max_examples=60, deadline=None)
@given(cells(NUMBER_TEXT))
def test_floats_agree_with_scalar(values: list[str | None]) -> None:
    def reference(value: Any) -> float | None:
        number = nz.parse_decimal(value)
        return None if number is None else float(number)

    assert_matches(values, FLOAT, reference)


@settings(max_examples=40, deadline=None)
@given(cells(NUMBER_TEXT.map(lambda t: t + "μg/m³"), NUMBER_TEXT))
def test_converted_floats_agree_with_scalar(values: list[str | None]) -> None:
    def reference(value: Any) -> float | None:
        number = nz.parse_amount(value, unit="mg/m³", default_unit="μg/m³", scale=None)
        return None if number is None else float(number)

    assert_matches(values, CONC, reference, source_unit="μg/m³", close=True)


@settings(max_examples=40, deadline=None)
@given(cells(BOOL_TEXT))
def test_booleans_agree_with_scalar(values: list[str | None]) -> None:
    assert_matches(values, FLAG, nz.parse_bool)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), MISSING, st.text(alphabet=" \u3000\xa0\tＡｂ１２，。a\u200b", max_size=8)),
                max_size=30))
def test_text_agrees_with_clean_text(values: list[str | None]) -> None:
    assert_matches(values, TEXT, nz.clean_text)


# --- examples ----------------------------------------------------------------------------


def test_money_from_yuan_to_wanyuan() -> None:
    typed, errors = normalize_column(pa.array(["1,234,500", "12.5万元", "3亿元", "0.004", "NA", "1,5"]), MONEY, source_unit="元")
    assert typed.to_pylist() == [Decimal("123.45"), Decimal("12.50"), Decimal("30000.00"), Decimal("0.00"), None, None]
    assert errors.to_pylist()[:5] == [None] * 5
    assert errors[5].as_py().startswith("无法识别的数量 '1,5'")


def test_rounding_is_half_up_after_conversion() -> None:
    typed, _ = normalize_column(pa.array(["1235", "-1235", "1234.999"]), MONEY, source_unit="元")
    assert typed.to_pylist() == [Decimal("0.12"), Decimal("-0.12"), Decimal("0.12")]
    typed, _ = normalize_column(pa.array(["125", "-125"]), Field("x", "x", "decimal", unit="千元", scale=1), source_unit="元")
    assert typed.to_pylist() == [Decimal("0.1"), Decimal("-0.1")]
    typed, _ = normalize_column(pa.array(["150", "-150"]), Field("x", "x", "decimal", unit="千元", scale=1), source_unit="元")
    assert typed.to_pylist() == [Decimal("0.2"), Decimal("-0.2")]


def test_concentration_ug_to_mg() -> None:
    typed, errors = normalize_column(pa.array(["35", "1200", "NA", "5mg/m³", "x"]), CONC, source_unit="μg/m³")
    assert typed.to_pylist() == [0.035, 1.2, None, 5.0, None]
    assert errors.to_pylist()[:4] == [None] * 4 and errors[4].as_py().startswith("无法识别的数量 'x'")


def test_decimal_precision_overflow_is_an_error() -> None:
    typed, errors = normalize_column(pa.array(["99999999999999999.99", "9999999999999999.99"]), MONEY)
    assert typed.to_pylist() == [None, Decimal("9999999999999999.99")]
    assert errors[0].as_py().startswith("数值超出精度")


def test_errors_array_content() -> None:
    typed, errors = normalize_column(pa.array(["2016-10-03", "2016-02-30", "", "2016年13月1日", None, "abc"]), DAY)
    assert typed.to_pylist() == [date(2016, 10, 3), None, None, None, None, None]
    reasons = errors.to_pylist()
    assert reasons[0] is None and reasons[2] is None and reasons[4] is None
    assert reasons[1] == "无法识别的日期 '2016-02-30'：日期不存在 (no such calendar date; expected e.g. 2016年10月3日, 2016/10/3, 2016-10-03)"
    assert reasons[3].startswith("无法识别的日期 '2016年13月1日'")
    assert reasons[5] == "无法识别的日期 'abc' (unrecognised date; expected e.g. 2016年10月3日, 2016/10/3, 2016-10-03)"


def test_strptime_rollover_is_caught() -> None:
    values = ["2016-02-30", "2015/2/29", "2016.4.31", "2016年2月30日", "20160230", "2016-02-29", "2016-2-30 10:00"]
    typed, errors = normalize_column(pa.array(values), DAY)
    assert typed.to_pylist() == [None] * 5 + [date(2016, 2, 29), None]
    assert all("日期不存在" in e for e in errors.to_pylist()[:5])
    typed, errors = normalize_column(pa.array(values), MOMENT)
    assert typed.to_pylist() == [None] * 5 + [datetime(2016, 2, 29), None]


def test_hour_ending_24() -> None:
    typed, errors = normalize_column(pa.array(["2016-10-03 24:00", "2016-12-31 24:00:00", "2016-10-03 24:30"]), MOMENT)
    assert typed.to_pylist()[:2] == [datetime(2016, 10, 4), datetime(2017, 1, 1)]
    assert typed[2].as_py() is None and "时间不存在" in errors[2].as_py()


def test_text_column() -> None:
    typed, errors = normalize_column(pa.array(["  建外\u3000街道 ", "Ａ座１２号，东", "-", None, "a\t\tb"]), TEXT)
    assert typed.to_pylist() == ["建外 街道", "A座12号，东", None, None, "a b"]
    assert errors.null_count == 5


# --- input types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "field", "expected"),
    [
        (pa.array(["12", "3户"], pa.large_string()), INT, [12, 3]),
        (pa.array(["是", "否", "是", None]).dictionary_encode(), FLAG, [True, False, True, None]),
        (pa.chunked_array([pa.array(["1"]), pa.array(["2,000"])]), INT, [1, 2000]),
        (pa.chunked_array([], pa.string()), INT, []),
        (pa.nulls(3), DAY, [None, None, None]),
        (pa.array([1, None, 3], pa.int32()), INT, [1, None, 3]),
        (pa.array([1.0, float("nan"), 3.0]), INT, [1, None, 3]),
        (pa.array([1, 2], pa.uint64()), INT, [1, 2]),
        (pa.array([1.5, None]), MONEY, [Decimal("1.50"), None]),
        (pa.array([Decimal("1.005")], pa.decimal128(10, 3)), MONEY, [Decimal("1.01")]),
        (pa.array([3, 4], pa.int8()), FLOAT, [3.0, 4.0]),
        (pa.array([2**62 + 1]), FLOAT, [float(2**62 + 1)]),
        (pa.array([1.5, float("nan"), None]), TEXT, ["1.5", None, None]),
        (pa.array([date(2016, 10, 3)]), DAY, [date(2016, 10, 3)]),
        (pa.array([date(2016, 10, 3)]), MOMENT, [datetime(2016, 10, 3)]),
        (pa.array([datetime(2016, 10, 3, 14, 0, 0, 600_000)], pa.timestamp("us")), MOMENT, [datetime(2016, 10, 3, 14, 0, 1)]),
        (pa.array([datetime(2016, 10, 3, 6)], pa.timestamp("ms", tz="UTC")), MOMENT, [datetime(2016, 10, 3, 14)]),
        (pa.array([datetime(2016, 10, 3)], pa.timestamp("s")), DAY, [date(2016, 10, 3)]),
        (pa.array([42646, 42646.5]), MOMENT, [datetime(2016, 10, 3), datetime(2016, 10, 3, 12)]),
        (pa.array([42646]), DAY, [date(2016, 10, 3)]),
        (pa.array([True, None]), FLAG, [True, None]),
        (pa.array([1, 0]), FLAG, [True, False]),
        (pa.array([12, None]), TEXT, ["12", None]),
    ],
)
def test_input_types(array: pa.Array | pa.ChunkedArray, field: Field, expected: list[Any]) -> None:
    typed, errors = normalize_column(array, field)
    assert typed.type == field.arrow_type
    assert typed.to_pylist() == expected
    assert errors.null_count == len(expected)


@pytest.mark.parametrize(
    ("array", "field"),
    [(pa.array([datetime(2016, 10, 3, 14)], pa.timestamp("s")), DAY), (pa.array([2, 7]), FLAG),
     (pa.array([True]), INT), (pa.array([100]), DAY), (pa.array([date(2016, 1, 1)]), MONEY),
     (pa.array([2**64 - 1], pa.uint64()), INT), (pa.array([2**62]), DAY), (pa.array([2**62]), MOMENT)],
)
def test_typed_values_that_fail(array: pa.Array, field: Field) -> None:
    typed, errors = normalize_column(array, field)
    assert typed.null_count == len(array)
    assert errors.null_count == 0


def test_unit_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        normalize_column(pa.array(["1"]), MONEY, source_unit="km")
    with pytest.raises(ConfigError):
        normalize_column(pa.array(["1"]), PLAIN_DECIMAL, source_unit="元")


def test_integer_conversion() -> None:
    field = Field("n", "n", "integer", unit="元")
    typed, errors = normalize_column(pa.array(["3", "2万元"]), field, source_unit="万元")
    assert typed.to_pylist() == [30000, 20000] and errors.null_count == 2
    field = Field("n", "n", "integer", unit="万元")
    typed, errors = normalize_column(pa.array(["30000", "12345"]), field, source_unit="元")
    assert typed.to_pylist() == [3, None] and errors[1].as_py().startswith("不是整数")


# --- the fast path stays in the kernels -------------------------------------------------

N = 30_000


@pytest.mark.parametrize(
    ("values", "field", "source_unit"),
    [
        ([f"2016/{i % 12 + 1}/{i % 28 + 1}" for i in range(N)], DAY, None),
        ([f"2016年{i % 12 + 1}月{i % 28 + 1}日" for i in range(N)], DAY, None),
        ([f"2016{i % 12 + 1:02d}{i % 28 + 1:02d}" for i in range(N)], DAY, None),
        ([f"2016-10-{i % 28 + 1:02d} {i % 24 + 1}:00" for i in range(N)], MOMENT, None),
        ([f"2016年10月{i % 28 + 1}日{i % 24 + 1}时" for i in range(N)], MOMENT, None),
        ([f"{i:,}户" if i % 2 else f" {i} " for i in range(N)], INT, None),
        ([f"{i * 37:,}.{i % 100:02d}" for i in range(N)], MONEY, "元"),
        ([f"{i / 7:.4f}" for i in range(N)], CONC, "μg/m³"),
        (["是", "否", "Y", "false", "NA", ""] * (N // 6), FLAG, None),
        ([" 朝阳区\u3000建外  街道 ", "abc", "-"] * (N // 3), TEXT, None),
    ],
)
def test_clean_columns_never_reach_python(monkeypatch: pytest.MonkeyPatch, values: list[str], field: Field,
                                          source_unit: str | None) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("slow path used on a clean column")

    monkeypatch.setattr(columns, "_scalar_parser", refuse)
    typed, errors = normalize_column(pa.array(values), field, source_unit=source_unit)
    assert errors.null_count == len(values)
    assert typed.null_count == sum(v.strip() in ("NA", "", "-") for v in values)


def test_dictionary_normalizes_each_value_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    parser = columns._scalar_parser

    def counting(*args: Any) -> Callable[[Any], Any]:
        inner = parser(*args)
        return lambda value: seen.append(value) or inner(value)

    monkeypatch.setattr(columns, "_scalar_parser", counting)
    array = pa.array(["１２", "x", "１２"] * 1000).dictionary_encode()
    typed, errors = normalize_column(array, INT)
    assert sorted(seen) == ["x", "１２"]
    assert typed.to_pylist()[:3] == [12, None, 12] and errors.null_count == 2000


def test_aware_python_datetimes_in_slow_path() -> None:
    typed, _ = normalize_column(pa.array([datetime(2016, 10, 3, 6, tzinfo=timezone.utc)]), MOMENT)
    assert typed.to_pylist() == [datetime(2016, 10, 3, 14)]
