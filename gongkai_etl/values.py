"""Scalar normalizers for raw table cells (str, int, float, Decimal, date, datetime, None).

Each returns the typed value, None for a missing cell, or raises NormalizeError --
never another exception, whatever the text. ``columns`` vectorizes a subset of these
rules and falls back to these functions, so the two must agree.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, DecimalException, localcontext
from typing import Any

from gongkai_etl.errors import NormalizeError

#: Exactly the characters for which ``str.isspace()`` is true; normalize/text.py builds
#: its RE2 class from this string so both paths collapse the same whitespace.
WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + (
    "\u2028\u2029\u202f\u205f\u3000")
#: Invisible characters that creep in from Word/web copies; deleted outright.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
#: Control characters no text cell holds (NUL, backspace, escape ...): a damaged or
#: binary file. A cell with one is rejected, never published. (Tab, line feeds and
#: the separators \x0b-\x0c, \x1c-\x1f are whitespace above; DEL is left alone:
#: finding it would cost the column cleaner a pass of its own.)
CONTROL = "".join(map(chr, [*range(0x09), *range(0x0E, 0x1C)]))
_CONTROL_RE = re.compile("[" + re.escape(CONTROL) + "]")

#: Cell texts meaning "no value", compared after cleaning and ASCII upper-casing.
#: Full-width punctuation variants are listed because clean_text keeps punctuation.
MISSING_VALUES = frozenset({"", "-", "--", "—", "——", "–", "―", "－", "－－", "NA", "N/A", "#N/A", "/", "／", "无"})
#: Trailing counting units parse_int tolerates ("12户"); longest first for regexes.
COUNT_UNITS = ("人次", "户", "人", "套", "个", "次", "辆", "家", "项", "宗")
_COUNT_SUFFIX = re.compile("(?:" + "|".join(COUNT_UNITS) + ")$")

_FULLWIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_FW_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}
_DROP_ZW = {ord(c): None for c in ZERO_WIDTH}
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_WS_RUN = re.compile("[" + re.escape(WHITESPACE) + "]+")

_CST = timezone(timedelta(hours=8))  # data are Beijing wall time
_UNIX_EPOCH = datetime(1970, 1, 1)
# Excel 1900 date system (day 1 = 1900-01-01, sound after its fake 1900-02-29).
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20000, 80000  # 1954-10-03 .. 2119-01-10
EXCEL_UNIX_OFFSET = 25569  # serial of 1970-01-01
YEAR_MIN, YEAR_MAX = 1800, 2199  # anything else in a 2016 table is a typo


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _error(zh: str, value: Any, en: str) -> NormalizeError:
    """Message in the house style: Chinese, the offending value, English in brackets."""
    return NormalizeError(f"{zh} {_show(value)} ({en})")


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (U+FF01..U+FF5E) to ASCII and U+3000 to a space."""
    return text.translate(_FULLWIDTH)


def _squash(text: str) -> str | None:
    """Whitespace collapsed and trimmed, zero-width characters gone; None when missing."""
    cleaned = _WS_RUN.sub(" ", text.translate(_DROP_ZW)).strip(" ")
    return None if cleaned.translate(_ASCII_UPPER) in MISSING_VALUES else cleaned


def clean_text(value: Any) -> str | None:
    """Free text: trim, collapse whitespace, full-width digits/letters to ASCII.

    Chinese punctuation (，。：) is kept on purpose: it is correct in prose.
    """
    if value is None or _is_nan(value):
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"  # what pyarrow's cast prints
    else:
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    control = _CONTROL_RE.search(text)
    if control:
        code = f"U+{ord(control.group()):04X}"
        raise NormalizeError(f"文本含控制字符 {code}，文件可能损坏 (control character {code} in the text: a damaged or binary file?)")
    return _squash(text.translate(_FW_ALNUM))


def _prepare(value: str) -> str | None:
    """Half-width, squashed text of a non-text cell, or None when it is missing."""
    return _squash(to_halfwidth(value))


# --- numbers -----------------------------------------------------------------
_NUM_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$")
_NUM_PLAIN = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?$")


def _decimal_from_text(raw: str) -> Decimal | None:
    text = _prepare(raw)
    if text is None:
        return None
    compact = text.replace(" ", "")
    if compact.endswith("%"):
        raise _error("此处数值不应带百分号", raw, "a percent sign is not allowed here")
    if _NUM_GROUPED.match(compact):
        compact = compact.replace(",", "")
    elif not _NUM_PLAIN.match(compact):  # also rejects '1,5': a decimal comma, not thousands
        raise _error("无法识别的数值", raw, "unrecognised number; expected e.g. 1234.5, 1,234.50, -12")
    number = Decimal(compact)
    return number.copy_abs() if number.is_zero() else number  # no '-0' in output


def _decimal_from_any(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _error("布尔值不是数值", value, "a boolean is not a number")
    if isinstance(value, str):
        return _decimal_from_text(value)
    if not isinstance(value, int | float | Decimal):
        raise _error("不支持的值类型", value, f"unsupported value type {type(value).__name__}")
    if _is_nan(value):  # NaN: how pandas spells an empty cell
        return None
    # repr gives the shortest text that round-trips: the digits a person typed.
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number.is_infinite():
        raise _error("数值为无穷大", value, "infinite number")
    return number


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value) or isinstance(value, Decimal) and value.is_nan()


def _quantize(number: Decimal, scale: int, raw: Any) -> Decimal:
    try:
        with localcontext() as ctx:
            ctx.prec = 80
            result = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except DecimalException:
        raise _error("数值超出范围", raw, "number out of range") from None
    return result.copy_abs() if result.is_zero() else result


def parse_decimal(value: Any, *, scale: int | None = None) -> Decimal | None:
    """Exact decimal from '1,234.50', '－１２．５', ' 12 ', 12.5; ROUND_HALF_UP to ``scale``."""
    number = _decimal_from_any(value)
    if number is None or scale is None:
        return number
    return _quantize(number, scale, value)


def parse_int(value: Any) -> int | None:
    """Whole number from '12', '12.0', '1,200', '12户', '3 人次'; 12.5 is an error."""
    if isinstance(value, str):
        text = _prepare(value)
        if text is None:
            return None
        text = _COUNT_SUFFIX.sub("", text.replace(" ", ""))
        number = _decimal_from_text(text) if text else None
        if number is None:
            raise _error("无法识别的整数", value, "unrecognised whole number; expected e.g. 12, 1,200, 12户")
    else:
        number = _decimal_from_any(value)
        if number is None:
            return None
    if number != number.to_integral_value():
        raise _error("不是整数", value, "not a whole number")
    if number.adjusted() > 18 or not -(2**63) <= int(number) < 2**63:  # adjusted() first: 1E+999999
        raise _error("整数超出范围", value, "whole number out of 64-bit range")
    return int(number)


def parse_percent(value: Any) -> Decimal | None:
    """'12.5%' and '12.5' give 12.5; '0.125' stays 0.125 (no guessing of the base)."""
    if isinstance(value, str):
        text = _prepare(value)
        if text is None:
            return None
        number_text = text.removesuffix("%").rstrip()
        if not number_text:
            raise _error("无法识别的百分数", value, "unrecognised percentage; expected e.g. 12.5%")
        return _decimal_from_text(number_text)
    return _decimal_from_any(value)


_TRUE = frozenset({"是", "TRUE", "YES", "Y", "T", "1", "√"})
_FALSE = frozenset({"否", "FALSE", "NO", "N", "F", "0", "×"})


def parse_bool(value: Any) -> bool | None:
    """是/否, true/false, yes/no, Y/N, 1/0 (case-insensitive)."""
    if value is None or isinstance(value, bool):
        return value
    if _is_nan(value):
        return None
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = clean_text(value)
        if text is None:
            return None
        key = text.translate(_ASCII_UPPER)
        if key in _TRUE or key in _FALSE:
            return key in _TRUE
    raise _error("无法识别的是/否值", value, "unrecognised boolean; expected 是/否, true/false, 1/0, Y/N")


# --- units -------------------------------------------------------------------
# Every supported unit is a power of ten of its dimension's base unit, so the
# conversion is an exact exponent shift (Decimal.scaleb), never a rounding.
# Keys are _unit_key() forms: NFKC-folded, lower case, μ spelt u. 亩 is left out.
_UNITS: dict[str, tuple[str, int]] = {
    name: (dimension, power)
    for dimension, power, names in (
        ("money", 0, "元 yuan cny rmb 人民币元"), ("money", 3, "千元"), ("money", 4, "万元 万"), ("money", 8, "亿元 亿"),
        ("concentration", 0, "ug/m3 微克/立方米"), ("concentration", 3, "mg/m3 毫克/立方米"),
        ("length", 0, "m 米"), ("length", 3, "km 公里 千米"),
        ("area", 0, "m2 平方米"), ("area", 4, "ha 公顷"), ("area", 6, "km2 平方公里 平方千米"),
    )
    for name in names.split()
}


def _unit_key(unit: str) -> str:
    # NFKC folds µ (micro sign) to μ, ³ to 3, ㎡ to m2 and full-width forms to ASCII.
    key = unicodedata.normalize("NFKC", unit)
    return "".join(key.split()).lower().replace("μ", "u")


def is_convertible_unit(unit: str) -> bool:
    """Whether ``unit`` is one this table converts (元/万元, μg/m³/mg/m³ ...), not a label (户, %)."""
    return _unit_key(unit) in _UNITS


def same_unit(a: str, b: str) -> bool:
    """``a`` and ``b`` spell the same unit (μg/m³ and ug/m3, 米 and m, ％ and %)."""
    ka, kb = _unit_key(a), _unit_key(b)
    return ka == kb or (ka in _UNITS and _UNITS.get(ka) == _UNITS.get(kb))


def unit_exponent(from_unit: str, to_unit: str) -> int:
    """k such that a value in ``from_unit`` times 10**k is the value in ``to_unit``."""
    src, dst = _unit_key(from_unit), _unit_key(to_unit)
    if src == dst:
        return 0  # also fine for units this table does not know (mg/L, cm)
    for name, key in ((from_unit, src), (to_unit, dst)):
        if key not in _UNITS:
            raise _error("未知单位", name, "unknown unit; known: 元 万元 亿元, μg/m³ mg/m³, m km, m² km²")
    (src_dim, src_pow), (dst_dim, dst_pow) = _UNITS[src], _UNITS[dst]
    if src_dim != dst_dim:
        raise NormalizeError(f"单位不兼容 {_show(from_unit)} -> {_show(to_unit)} (incompatible units)")
    return src_pow - dst_pow


def convert_unit(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Exact conversion, e.g. 12.5 万元 -> 125000 元, 35 μg/m³ -> 0.035 mg/m³."""
    shift = unit_exponent(from_unit, to_unit)
    number = Decimal(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(number, Decimal) or not number.is_finite():
        raise _error("无法换算的数值", value, "only finite Decimal values convert")
    if not shift:
        return number
    try:
        with localcontext() as ctx:
            ctx.prec = 200
            result = number.scaleb(shift)
            # 1.5E+6 -> 1500000: same value, but the form people and CSV writers expect.
            if result.as_tuple().exponent > 0 and result.adjusted() < 100:  # type: ignore[operator]
                result = result.quantize(Decimal(1))
    except DecimalException:
        raise _error("数值超出范围", value, "number out of range") from None
    return result


_AMOUNT = re.compile(r"^([+-]?(?:[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?)(.*)$")


def split_amount(value: Any, *, default_unit: str) -> tuple[Decimal, str] | None:
    """Number and its unit as written ('12.5万元' -> (12.5, '万元')); bare numbers get ``default_unit``."""
    if not isinstance(value, str):
        number = _decimal_from_any(value)
        return None if number is None else (number, default_unit)
    text = _prepare(value)
    if text is None:
        return None
    match = _AMOUNT.match(text.replace(" ", ""))
    if match is None or not (_NUM_GROUPED.match(match[1]) or _NUM_PLAIN.match(match[1])):
        raise _error("无法识别的数量", value, "unrecognised amount; expected e.g. 1,234.50, 12.5万元, 3亿元")
    return Decimal(match[1].replace(",", "")), match[2] or default_unit


def parse_amount(value: Any, *, unit: str, default_unit: str | None = None, scale: int | None = 2) -> Decimal | None:
    """Amount in ``unit`` from '1,234.50', '12.5万元', '3亿元', '１２．５万'; bare numbers are in ``default_unit``."""
    parts = split_amount(value, default_unit=default_unit or unit)
    if parts is None:
        return None
    try:
        number = convert_unit(parts[0], parts[1], unit)
    except NormalizeError as exc:
        raise NormalizeError(f"无法换算 {_show(value)}: {exc}") from None
    return number if scale is None else _quantize(number, scale, value)


# --- dates and times ---------------------------------------------------------
_DATE_FORMS = (
    r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})",
    r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})[日号]",
    r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})",
)
_TIME_FORMS = (
    r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2})(?::(?P<S>[0-9]{1,2})(?:\.0+)?)?",
    r"(?P<H>[0-9]{1,2})[时点](?:(?P<M>[0-9]{1,2})分(?:(?P<S>[0-9]{1,2})秒)?)?",
)
_DATETIME_RES = [re.compile(rf"^{d}(?:(?:[ T]|(?<=[日号])){t})?$") for d in _DATE_FORMS for t in _TIME_FORMS]
_SEP_SPACES = re.compile(r" ?([-/.:年月日号时点分秒]) ?")
_DATE_HELP = "expected e.g. 2016年10月3日, 2016/10/3, 2016-10-03"
_DATETIME_HELP = "expected e.g. 2016-10-03 14:00, 2016/10/3 14:00:00, 2016年10月3日14时"


def _datetime_from_text(raw: str, *, want_date: bool) -> datetime | None:
    text = _prepare(raw)
    if text is None:
        return None
    what, help_ = ("日期", _DATE_HELP) if want_date else ("日期时间", _DATETIME_HELP)
    text = _SEP_SPACES.sub(r"\1", text)
    match = next((m for m in map(lambda r: r.match(text), _DATETIME_RES) if m), None)
    if match is None:
        raise _error(f"无法识别的{what}", raw, f"unrecognised {'date' if want_date else 'date-time'}; {help_}")
    parts = match.groupdict()
    year, month, day = int(parts["y"]), int(parts["m"]), int(parts["d"])
    hour, minute, second = (int(parts.get(k) or 0) for k in ("H", "M", "S"))
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise _error("年份超出范围", raw, f"year outside {YEAR_MIN}-{YEAR_MAX}")
    try:
        day_value = date(year, month, day)
    except ValueError:
        raise NormalizeError(f"无法识别的{what} {_show(raw)}：日期不存在 (no such calendar date; {help_})") from None
    # Air data are hour-ending: '24:00' closes the day and is the next day's 00:00.
    if minute > 59 or second > 59 or hour > 24 or hour == 24 and (minute or second):
        raise NormalizeError(f"无法识别的{what} {_show(raw)}：时间不存在 (no such time of day; {help_})")
    if want_date and (hour or minute or second):
        raise _error("日期含有时间", raw, "a date must not carry a time of day")
    return datetime.combine(day_value, datetime.min.time()) + timedelta(hours=hour, minutes=minute, seconds=second)


def _datetime_from_serial(value: int | float | Decimal, raw: Any, *, want_date: bool) -> datetime:
    number = float(value) if EXCEL_SERIAL_MIN <= value <= EXCEL_SERIAL_MAX else math.nan
    if math.isnan(number) or want_date and not number.is_integer():
        whole = "a whole number " if want_date else ""
        raise _error("无法识别的Excel日期序号", raw, f"an Excel serial date is {whole}from {EXCEL_SERIAL_MIN} to {EXCEL_SERIAL_MAX}")
    # Same float operations as the columnar path, so both round identically.
    seconds = round((number - EXCEL_UNIX_OFFSET) * 86400.0)
    return _UNIX_EPOCH + timedelta(seconds=seconds)


def _datetime_from_any(value: Any, *, want_date: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _datetime_from_text(value, want_date=want_date)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_CST).replace(tzinfo=None)
        # Excel times carry float noise (13:59:59.999999): round to the second.
        whole = value.replace(microsecond=0)
        return whole + timedelta(seconds=1) if value.microsecond >= 500_000 else whole
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return None if _is_nan(value) else _datetime_from_serial(value, value, want_date=want_date)
    raise _error("不支持的值类型", value, f"unsupported value type {type(value).__name__}")


def parse_date(value: Any) -> date | None:
    """Calendar date from 2016年10月3日, 2016/10/3, 2016-10-03, 2016.10.3, 20161003, Excel serials."""
    moment = _datetime_from_any(value, want_date=True)
    if moment is None:
        return None
    if moment.time() != datetime.min.time():
        raise _error("日期含有时间", value, "a date must not carry a time of day")
    return moment.date()


def parse_datetime(value: Any) -> datetime | None:
    """Naive Beijing-time datetime; '2016-10-03 24:00' becomes 2016-10-04 00:00."""
    return _datetime_from_any(value, want_date=False)


_MONTH_RE = re.compile(r"^([0-9]{4})(?:[-/.]([0-9]{1,2})|年([0-9]{1,2})月份?|([0-9]{2}))$")


def parse_month(value: Any) -> str | None:
    """Month key '2016-10' from '2016.10', '2016年10月', '2016-10', '201610', '2016/10', dates."""
    if value is None:
        return None
    if isinstance(value, date):  # datetime is a date too
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # 201610 typed as a number in Excel
    if not isinstance(value, str):
        # A float 2016.1 may have been '2016.10' before Excel ate the zero: refuse to guess.
        raise _error("不支持的值类型", value, f"unsupported value type {type(value).__name__}")
    text = _prepare(value)
    if text is None:
        return None
    text = _SEP_SPACES.sub(r"\1", text)
    match = _MONTH_RE.match(text)
    if match is None:
        raise _error("无法识别的月份", value, "unrecognised month; expected e.g. 2016-10, 2016年10月, 201610")
    year, month = int(match[1]), int(match[2] or match[3] or match[4])
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        raise _error("月份不存在", value, "no such month")
    return f"{year:04d}-{month:02d}"


#: Year and month at the start of a date, month or timestamp as departments write
#: them: 2016-08-03, 2016/8/3 13:00, 2016.8, 2016年8月3日, 201608, 20160803.
MONTH_PREFIX = r"^\s*(?P<y>\d{4})\s*(?:[-/.年]\s*(?P<m>\d{1,2})|(?P<m2>\d{2}))"
_MONTH_PREFIX = re.compile(MONTH_PREFIX)


def written_month(text: str) -> tuple[int, int] | None:
    """(year, month) a date-like text starts with, as written: ``2016-09-30 24:00``
    is September (an hour-ending day's last hour), unlike :func:`parse_datetime`."""
    m = _MONTH_PREFIX.match(text)
    if m is None:
        return None
    month = int(m["m"] or m["m2"])
    return (int(m["y"]), month) if 1 <= month <= 12 else None
