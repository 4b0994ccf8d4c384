"""Columnar normalization: pyarrow kernels first, the scalar parsers for the rest.

Fast path: kernels clean whole columns (whitespace, thousands separators,
counting units, date separators), strict RE2 patterns gate the cleaned text and
only gated rows are cast, so a cast can neither fail nor accept anything odd.
Slow path: a row that is not missing and that the fast path did not produce
goes, as its raw value, through the scalar parser of ``normalize``, which yields
the value or the error text. The fast path accepts a subset of what the scalar
parsers accept and gives the same result, so a value never depends on the path
its row took; clean columns never reach Python row by row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import values as nz
from gongkai_etl.arrowtext import one_array, string_payload
from gongkai_etl.datasets import Field
from gongkai_etl.errors import ConfigError, NormalizeError
from gongkai_etl.normalize.text import (
    any_true,
    as_text,
    clean_column,
    false_array,
    holds,
    is_ascii,
    strip_number,
    strip_spaces,
)

Fast = tuple[pa.Array, pa.Array]  # (typed values, rows for the slow path)


_UNITS = "|".join(nz.COUNT_UNITS)
_INT_GATE = rf"^[+-]?(?:\d{{1,3}}(?:,\d{{3}}){{1,5}}|\d{{1,18}})(?:\.0+)?(?:{_UNITS})?$"
_FLOAT_GATE = r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d{1,300})(?:\.\d+)?$"
_TRUE = pa.array(["是", "TRUE", "YES", "Y", "T", "1", "√"])
_FALSE = pa.array(["否", "FALSE", "NO", "N", "F", "0", "×"])

# Rewrites of every fast date form to y-m-d[ H:M[:S]]; all but the first three
# are anchored at both ends so no digit can slide into a neighbouring field.
_YMD_CN = r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号] ?"
_CANON = (
    ("/", r"^(\d{4})/(\d{1,2})/(\d{1,2})", r"\1-\2-\3"),
    (".", r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3"),
    (None, r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3"),
    ("年", _YMD_CN + "$", r"\1-\2-\3"),
    ("年", _YMD_CN + r"(\d{1,2}:\d{1,2}(?::\d{1,2})?)$", r"\1-\2-\3 \4"),
    ("年", _YMD_CN + r"(\d{1,2})[时点]$", r"\1-\2-\3 \4:0"),
    ("年", _YMD_CN + r"(\d{1,2})[时点](\d{1,2})分$", r"\1-\2-\3 \4:\5"),
    ("年", _YMD_CN + r"(\d{1,2})[时点](\d{1,2})分(\d{1,2})秒$", r"\1-\2-\3 \4:\5:\6"),
)
_CANON_RE = (
    r"^(?P<y>(?:1[89]|2[01])\d{2})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<h>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<s>\d{1,2}))?)?$"
)


def _nulls_nothing(values: pa.Array, good: pa.Array) -> bool:
    """Whether every row of ``values`` is ``good`` or null already."""
    return pc.all(pc.or_(good, pc.is_null(values))).as_py() is not False


def _settle(values: pa.Array, good: pa.Array, missing: pa.Array, out: pa.DataType) -> Fast:
    good = pc.fill_null(good, False)
    # if_else copies every value (all the text of a string column) even when it
    # would null out nothing, the common case.
    if values.type == out and _nulls_nothing(values, good):
        typed = values
    else:
        typed = pc.if_else(good, values, pa.scalar(None, out))
    return typed, pc.invert(pc.or_(good, missing))


def _all_slow(arr: pa.Array, out: pa.DataType) -> Fast:
    return pa.nulls(len(arr), out), pc.is_valid(arr)


def _plain_digits(text: pa.Array) -> pa.Array | None:
    """What the _INT_GATE regex answers, for a column of plain ASCII digits (counts
    of people, households): 1 to 18 digits is good, an empty or null cell is not.
    None when some byte is not a digit, for the regex to decide: a regex pass
    costs some 40 ns a value, this one byte test a few ns."""
    data, offsets = string_payload(text)
    if len(data) and int((data - np.uint8(0x30)).max()) > 9:  # a byte below '0' wraps around
        return None
    lengths = np.diff(offsets)
    good = (lengths >= 1) & (lengths <= 18)
    if text.null_count:
        good &= text.is_valid().to_numpy(zero_copy_only=False)
    return pa.array(good)


def _fast_string(arr: pa.Array, field: Field, shift: int) -> Fast:
    try:
        text = arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _all_slow(arr, pa.string())
    if pa.types.is_floating(arr.type):  # NaN is pandas' empty cell, not the text 'nan'
        text = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.string()), text)
    cleaned, missing, python_rows = clean_column(text)
    return _settle(cleaned, pc.invert(pc.or_(python_rows, missing)), missing, pa.string())


def _fast_integer(arr: pa.Array, field: Field, shift: int) -> Fast:
    if pa.types.is_integer(arr.type) and not pa.types.is_uint64(arr.type):
        ints, missing = arr.cast(pa.int64()), pc.is_null(arr)
        good = pc.is_valid(ints)
    else:
        prepared = as_text(arr)
        if prepared is None:
            return _all_slow(arr, pa.int64())
        cleaned, missing, _ = prepared
        compact = strip_spaces(cleaned)
        good = _plain_digits(compact)
        if good is None:
            good = pc.fill_null(pc.match_substring_regex(compact, _INT_GATE), False)
        digits = compact
        if holds(compact, ".") or not is_ascii(compact):  # the units are not ASCII
            digits = pc.replace_substring_regex(compact, rf"(?:\.0+)?(?:{_UNITS})?$", "")
        ints = pc.cast(_where_good(good, strip_number(digits)), pa.int64())
    if shift > 0:
        try:
            ints = pc.multiply_checked(ints, 10**shift)
        except pa.ArrowInvalid:  # overflow somewhere: let the scalar parser say where
            good = false_array(len(ints))
    elif shift < 0:
        factor = 10**-shift
        whole = pc.divide(ints, factor)  # truncates; exact only for multiples
        good = pc.and_(good, pc.equal(pc.multiply(whole, factor), ints))
        ints = whole
    return _settle(ints, good, missing, pa.int64())


def _fast_number(arr: pa.Array, field: Field, shift: int) -> Fast:
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        floats = arr.cast(pa.float64(), safe=False)  # huge ints round, as float() does
        missing = pc.is_null(floats, nan_is_null=True)
        good = pc.and_(pc.is_finite(floats), pc.less(pc.abs(floats), 1e300))
    else:
        prepared = as_text(arr)
        if prepared is None:
            return _all_slow(arr, pa.float64())
        cleaned, missing, _ = prepared
        compact = strip_spaces(cleaned)
        good = pc.fill_null(pc.match_substring_regex(compact, _FLOAT_GATE), False)
        floats = pc.cast(_where_good(good, strip_number(compact)), pa.float64())
    # The scalar path applies the very same float operation (see _scalar_number).
    if shift > 0:
        floats = pc.multiply(floats, float(10**shift))
    elif shift < 0:
        floats = pc.divide(floats, float(10**-shift))
    return _settle(floats, good, missing, pa.float64())


def _fast_decimal(arr: pa.Array, field: Field, shift: int) -> Fast:
    out = field.arrow_type
    prepared = as_text(arr)
    # Parse at a wider scale, then move the decimal point by reinterpreting the
    # unscaled integers at another scale: an exact conversion, no arithmetic.
    wide = min(field.scale + 6 + max(shift, 0), 38 + min(shift, 0))
    int_digits = 37 - wide
    if prepared is None or wide < max(shift, 0) or int_digits < 1:
        return _all_slow(arr, out)
    cleaned, missing, _ = prepared
    compact = strip_spaces(cleaned)
    groups = max((int_digits - 3) // 3, 1)
    gate = rf"^[+-]?(?:\d{{1,3}}(?:,\d{{3}}){{1,{groups}}}|\d{{1,{int_digits}}})(?:\.\d{{1,{wide}}})?$"
    good = pc.fill_null(pc.match_substring_regex(compact, gate), False)
    at_scale = _decimal_at_scale(compact, good, field) if shift == 0 else None
    try:
        if at_scale is None:
            parsed = pc.cast(_where_good(good, strip_number(compact)), pa.decimal128(38, wide))
            moved = pa.Array.from_buffers(
                pa.decimal128(38, wide - shift), len(parsed), parsed.buffers(), null_count=parsed.null_count
            )
            if wide - shift > field.scale:
                moved = pc.round(moved, ndigits=field.scale, round_mode="half_towards_infinity")
            at_scale = moved.cast(pa.decimal128(38, field.scale))
        limit = pa.scalar(Decimal(10 ** (field.precision - field.scale)), pa.decimal128(38, field.scale))
        good = pc.and_(good, pc.fill_null(pc.less(pc.abs(at_scale), limit), False))
        values = _where_good(good, at_scale).cast(out)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.nulls(len(arr), out), pc.invert(missing)
    return _settle(values, good, missing, out)


def _where_good(good: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` with the rows that are not ``good`` nulled; no copy when all are good."""
    return values if pc.all(good).as_py() else pc.if_else(good, values, pa.scalar(None, values.type))


def _decimal_at_scale(compact: pa.Array, good: pa.Array, field: Field) -> pa.Array | None:
    """The good values cast straight to the field's scale, when none has more
    decimals than it (the common case): no rounding pass. None otherwise (the
    cast refuses to drop digits), for the general path to round."""
    try:
        return pc.cast(_where_good(good, strip_number(compact)), pa.decimal128(38, field.scale))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _fast_temporal(arr: pa.Array, field: Field, shift: int) -> Fast:
    want_date = field.type == "date"
    out = field.arrow_type
    kind = arr.type
    if pa.types.is_date(kind):
        return arr.cast(out), false_array(len(arr))
    if pa.types.is_timestamp(kind):
        return _from_timestamps(arr, want_date)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return _from_serials(arr.cast(pa.float64(), safe=False), want_date)
    if not pa.types.is_string(kind):
        return _all_slow(arr, out)
    text, missing, _ = clean_column(arr)
    # No rewrite adds one of the literals, so the first answer for each stands
    # for the later rewrites too (a rewrite that finds nothing changes nothing).
    present: dict[str, bool] = {}
    for literal, pattern, rewrite in _CANON:
        if literal is not None and literal not in present:
            present[literal] = holds(text, literal)
        if literal is None or present[literal]:
            text = pc.replace_substring_regex(text, pattern, rewrite)
    parts = pc.extract_regex(text, _CANON_RE)
    raw = {k: pc.struct_field(parts, k) for k in ("y", "mo", "d", "h", "mi", "s")}
    # Optional groups come back as '': a leading '0' makes them parse as 0.
    num = {k: pc.binary_join_element_wise("0", raw[k], "").cast(pa.int32()) for k in ("mo", "d", "h", "mi", "s")}
    ymd = pc.binary_join_element_wise(raw["y"], raw["mo"], raw["d"], "-")
    days = pc.strptime(ymd, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2016-02-30 over to 2016-03-01: insist month and day survive.
    good = pc.and_(pc.equal(pc.month(days), num["mo"]), pc.equal(pc.day(days), num["d"]))
    h, mi, s = num["h"], num["mi"], num["s"]
    if want_date:
        good = pc.and_(good, pc.equal(pc.add(pc.add(h, mi), s), 0))
        return _settle(days.cast(out), good, missing, out)
    hour_24 = pc.and_(pc.equal(h, 24), pc.equal(pc.add(mi, s), 0))  # hour-ending 24:00
    good = pc.and_(good, pc.and_(pc.or_(pc.less_equal(h, 23), hour_24),
                                 pc.and_(pc.less_equal(mi, 59), pc.less_equal(s, 59))))
    seconds = pc.add(pc.add(pc.multiply(h.cast(pa.int64()), 3600), pc.multiply(mi.cast(pa.int64()), 60)), s)
    moments = pc.add(days, pc.cast(seconds.cast(pa.int64()), pa.duration("s")))
    return _settle(moments, good, missing, out)


def _from_timestamps(arr: pa.Array, want_date: bool) -> Fast:
    unit = arr.type.unit
    if arr.type.tz is not None:  # stored as UTC: shift to fixed UTC+8 wall time
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
        arr = pc.add(arr.cast(pa.int64()), 8 * 3600 * per_second).cast(pa.timestamp(unit))
    if unit != "s":  # round half up to the second, as the scalar path does
        arr = pc.floor_temporal(pc.add(arr, pa.scalar(timedelta(milliseconds=500), pa.duration(unit))), unit="second")
    moments = arr.cast(pa.timestamp("s"))
    missing = pc.is_null(moments)
    if not want_date:
        return moments, false_array(len(moments))
    days = moments.cast(pa.date32())
    good = pc.equal(days.cast(pa.timestamp("s")), moments)
    return _settle(days, good, missing, pa.date32())


def _from_serials(serials: pa.Array, want_date: bool) -> Fast:
    missing = pc.is_null(serials, nan_is_null=True)
    good = pc.and_(pc.greater_equal(serials, float(nz.EXCEL_SERIAL_MIN)),
                   pc.less_equal(serials, float(nz.EXCEL_SERIAL_MAX)))
    since_epoch = pc.subtract(serials, float(nz.EXCEL_UNIX_OFFSET))
    if want_date:
        good = pc.and_(good, pc.equal(pc.floor(serials), serials))
        days = pc.if_else(good, since_epoch, None).cast(pa.int32()).cast(pa.date32())
        return _settle(days, good, missing, pa.date32())
    seconds = pc.round(pc.multiply(since_epoch, 86400.0))  # half to even, like round()
    moments = pc.if_else(good, seconds, None).cast(pa.int64()).cast(pa.timestamp("s"))
    return _settle(moments, good, missing, pa.timestamp("s"))


def _fast_boolean(arr: pa.Array, field: Field, shift: int) -> Fast:
    if pa.types.is_boolean(arr.type):
        return arr, false_array(len(arr))
    if pa.types.is_integer(arr.type):
        good = pc.is_in(arr, value_set=pa.array([0, 1], arr.type))
        return _settle(pc.not_equal(arr, 0), good, pc.is_null(arr), pa.bool_())
    if not pa.types.is_string(arr.type):
        return _all_slow(arr, pa.bool_())
    cleaned, missing, _ = clean_column(arr)
    key = pc.ascii_upper(cleaned)
    is_true = pc.is_in(key, value_set=_TRUE)
    good = pc.or_(is_true, pc.is_in(key, value_set=_FALSE))
    return _settle(is_true, good, missing, pa.bool_())


_FAST: dict[str, Callable[[pa.Array, Field, int], Fast]] = {
    "string": _fast_string, "integer": _fast_integer, "number": _fast_number, "decimal": _fast_decimal,
    "date": _fast_temporal, "datetime": _fast_temporal, "boolean": _fast_boolean,
}


def _scalar_parser(field: Field, source_unit: str | None, shift: int) -> Callable[[Any], Any]:
    """The scalar parser the slow path applies to one raw value."""
    if field.type == "integer":
        if not shift:
            return nz.parse_int

        def parse_converted_int(value: Any) -> int | None:
            amount = nz.parse_amount(value, unit=field.unit or "", default_unit=source_unit, scale=None)
            return None if amount is None else nz.parse_int(amount)

        return parse_converted_int
    if field.type == "decimal":

        def parse_decimal(value: Any) -> Decimal | None:
            if field.unit:
                amount = nz.parse_amount(value, unit=field.unit, default_unit=source_unit, scale=field.scale)
            else:
                amount = nz.parse_decimal(value, scale=field.scale)
            if amount is not None and not amount.is_zero() and amount.adjusted() >= field.precision - field.scale:
                raise NormalizeError(
                    f"数值超出精度 {value!r} (does not fit decimal({field.precision}, {field.scale}))"
                )
            return amount

        return parse_decimal
    if field.type == "number":
        return lambda value: _scalar_number(value, field, source_unit)
    return {"string": nz.clean_text, "date": nz.parse_date, "datetime": nz.parse_datetime,
            "boolean": nz.parse_bool}[field.type]


def _scalar_number(value: Any, field: Field, source_unit: str | None) -> float | None:
    if field.unit:
        parts = nz.split_amount(value, default_unit=source_unit or field.unit)
        if parts is None:
            return None
        try:
            shift = nz.unit_exponent(parts[1], field.unit)
        except NormalizeError as exc:
            raise NormalizeError(f"无法换算 {value!r}: {exc}") from None
        number = float(parts[0])
    else:
        amount = nz.parse_decimal(value)
        if amount is None:
            return None
        number, shift = float(amount), 0
    number = number * float(10**shift) if shift >= 0 else number / float(10**-shift)
    if not math.isfinite(number):
        raise NormalizeError(f"数值超出范围 {value!r} (number out of float range)")
    return number


def _unit_shift(field: Field, source_unit: str | None) -> int:
    if source_unit is None or field.type not in ("integer", "number", "decimal"):
        return 0
    if not field.unit:
        raise ConfigError(f"字段没有声明单位，无法从 {source_unit!r} 换算 (field has no unit to convert to)",
                          field=field.name)
    try:
        return nz.unit_exponent(source_unit, field.unit)
    except NormalizeError as exc:
        raise ConfigError(str(exc), field=field.name) from None


def normalize_column(
    array: pa.Array | pa.ChunkedArray, field: Field, *, source_unit: str | None = None
) -> tuple[pa.Array, pa.Array]:
    """Typed ``field.arrow_type`` array plus an error array (string, null where fine).

    Missing cells become null without an error; a cell that fails becomes null
    with a Chinese + English reason. ``source_unit`` is the unit bare numbers
    are in when it differs from ``field.unit``.
    """
    arr = one_array(array)
    shift = _unit_shift(field, source_unit)
    if pa.types.is_dictionary(arr.type):  # normalize each distinct value once
        values, errors = normalize_column(arr.dictionary, field, source_unit=source_unit)
        if errors.null_count == len(errors):  # the common case: no take of nothing but nulls
            return values.take(arr.indices), pa.nulls(len(arr), pa.string())
        return values.take(arr.indices), errors.take(arr.indices)
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    out = field.arrow_type
    if len(arr) == 0 or arr.null_count == len(arr):
        return pa.nulls(len(arr), out), pa.nulls(len(arr), pa.string())
    values, slow = _FAST[field.type](arr, field, shift)
    errors = pa.nulls(len(arr), pa.string())
    if not any_true(slow):
        return values, errors
    parse = _scalar_parser(field, source_unit, shift)
    fixed: list[Any] = []
    reasons: list[str | None] = []
    for raw in arr.filter(slow).to_pylist():
        try:
            fixed.append(parse(raw))
            reasons.append(None)
        except NormalizeError as exc:
            fixed.append(None)
            reasons.append(str(exc))
    values = pc.replace_with_mask(values, slow, pa.array(fixed, out))
    errors = pc.replace_with_mask(errors, slow, pa.array(reasons, pa.string()))
    return values, errors
