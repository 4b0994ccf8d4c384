"""The byte-level shortcuts of normalize/text.py and columns.py skip a kernel only where it would change
nothing: with them and with every kernel forced to run, the results are the same."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.datasets import Field
from gongkai_etl import arrowtext
from gongkai_etl.normalize import columns
from gongkai_etl.normalize import text as normtext
from gongkai_etl import values as nz
from gongkai_etl.normalize.columns import normalize_column

# Every character class the kernels of _clean treat specially, and some they do not.
SPECIAL = (
    " \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"  # whitespace
    "\u200b\u200c\u200d\u2060\ufeff"  # zero width
    "０９ＡＺａｚ＋，．"  # full width
    "\x00\x01\xe9\u2010\u201c\u3001\u300a\uff01\U0001f600"  # look-alike bytes: no effect
)
ORDINARY = "aAnN/#-—–―－／无街道社区1234567890.,+户人次万元年月日%eE:"
TEXT_CHARS = SPECIAL + ORDINARY
# A column draws on a few characters, so most columns lack most special ones and
# each shortcut gets to skip its kernel, or must not.
PALETTE = st.tuples(
    st.lists(st.sampled_from(ORDINARY), min_size=1, max_size=4),
    st.lists(st.sampled_from(SPECIAL), max_size=2),
    st.sampled_from(["", " ", "  "]),
).map(lambda p: "".join(p[0]) + "".join(p[1]) + p[2][:1])
WORDS = st.sampled_from(
    ["", " ", "na", "N/a", "#n/A", "—", "－－", "无", " x ", "x  y", "\u3000NA\u3000", "1,234", "+5", "3.0户", "12 人次", "２０"]
)


def column_of(cells: st.SearchStrategy[str | None], max_size: int = 30) -> st.SearchStrategy[list[str | None]]:
    return PALETTE.flatmap(
        lambda chars: st.lists(st.text(alphabet=chars, max_size=8) | cells | st.none(), max_size=max_size)
    )




def _array(values: list[str | None], cut: int) -> pa.Array:
    """The values as a string array, sliced out of a longer one when ``cut`` is set."""
    if not cut:
        return pa.array(values, pa.string())
    pad = ["  pad\u3000"] * cut
    return pa.array(pad + values + pad, pa.string()).slice(cut, len(values))


def _exact_clean(text: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """_clean as it was before the shortcuts: every kernel on every column."""
    ascii_only = pc.all(pc.string_is_ascii(text)).as_py() is not False
    if not ascii_only:
        text = pc.replace_substring_regex(text, normtext.ZERO_WIDTH_CLASS, "")
    text = pc.utf8_trim(pc.replace_substring_regex(text, normtext.WS_RUN, " "), " ")
    if ascii_only:
        python_rows = pa.repeat(pa.scalar(False), len(text))
    else:
        python_rows = pc.fill_null(pc.match_substring_regex(text, normtext.FW_ALNUM), False)
    # a control character: the scalar path rejects the cell
    control = pc.fill_null(pc.match_substring_regex(text, normtext._CONTROL_CLASS), False)
    python_rows = pc.or_(python_rows, control)
    missing_values = pa.array(sorted(nz.MISSING_VALUES), pa.string())
    missing = pc.or_(pc.is_null(text), pc.is_in(pc.ascii_upper(text), value_set=missing_values))
    return text, pc.and_not(missing, python_rows), python_rows


@contextmanager
def every_kernel() -> Iterator[None]:
    """Every shortcut answers "needed", so each kernel runs as without them."""
    with mock.patch.multiple(
        normtext,
        rare_chars=lambda data: set(normtext.RARE),
        _has_double_space=lambda data: True,
        holds=lambda text, char: True,
        _MISSING_MAX_BYTES=10**9,
    ), mock.patch.multiple(
        columns,
        holds=lambda text, char: True,
        is_ascii=lambda text: False,
        _plain_digits=lambda text: None,
        _nulls_nothing=lambda values, good: False,
    ):
        yield


@settings(max_examples=300, deadline=None)
@given(column_of(WORDS), st.integers(0, 3))
def test_clean_matches_every_kernel(values: list[str | None], cut: int) -> None:
    arr = _array(values, cut)
    got = normtext.clean_column(arr)
    want = _exact_clean(arr)
    for g, w in zip(got, want, strict=True):
        assert g.equals(w), (values, g.to_pylist(), w.to_pylist())
    with every_kernel():
        forced = normtext.clean_column(arr)
    for g, f in zip(got, forced, strict=True):
        assert g.equals(f)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=TEXT_CHARS, max_size=40))
def test_rare_chars_finds_exactly_the_rare_characters(text: str) -> None:
    data, _ = arrowtext.string_payload(pa.array([text]))
    assert normtext.rare_chars(data) == {ord(c) for c in text} & normtext.RARE


FIELDS = (
    Field("note", "备注"),
    Field("households", "户数", "integer", unit="户"),
    Field("amount", "金额", "decimal", unit="万元", precision=18, scale=2),
    Field("ratio", "比例", "decimal", precision=10, scale=3),
    Field("no2", "NO2", "number"),
    Field("day", "日期", "date"),
    Field("hour", "时间", "datetime"),
    Field("flag", "标志", "boolean"),
)
NUMBERISH = st.sampled_from(["12", "1,234", "+7", "-3", "4.00", "5.5", "6户", "7 人次", "8万元", "9%", "1e3", "１０", "1\u30002",
                             "2016/7/1", "2016.07.01", "20160701", "2016年7月1日", "2016年7月1日 8时", "2016-07-01 24:00"])


def _outcome(values: list[Any], field: Field, source_unit: str | None, cut: int) -> tuple[list[Any], ...]:
    """Values and errors, and which rows the fast path left to Python: a skipped
    kernel must not send rows there that it would have handled."""
    arr = _array(values, cut)
    typed, errors = normalize_column(arr, field, source_unit=source_unit)
    assert typed.type == field.arrow_type
    fast, slow = columns._FAST[field.type](arr, field, columns._unit_shift(field, source_unit))
    return typed.to_pylist(), errors.to_pylist(), fast.to_pylist(), slow.to_pylist()


@settings(max_examples=150, deadline=None)
@given(column_of(WORDS | NUMBERISH, 25), st.sampled_from(FIELDS), st.integers(0, 2))
def test_normalize_column_matches_every_kernel(values: list[str | None], field: Field, cut: int) -> None:
    source_unit = "元" if field.name == "amount" else None
    got = _outcome(values, field, source_unit, cut)
    with every_kernel():
        want = _outcome(values, field, source_unit, cut)
    assert got == want


def test_ascii_digits_skip_the_kernels_and_agree() -> None:
    values = [str(i) for i in range(1, 500)] + ["", "NA", None, "007"]
    for field in FIELDS[:5]:
        got = _outcome(values, field, "元" if field.name == "amount" else None, 0)
        with every_kernel():
            assert got == _outcome(values, field, "元" if field.name == "amount" else None, 0)


def test_missing_spellings_any_case() -> None:
    cells = ["na", "nA", "Na", "NA", "n/a", "N/A", "#n/a", "#N/a", "无", "—", "", "nan", "N A", "NAN"]
    cleaned, missing, _ = normtext.clean_column(pa.array(cells))
    assert missing.to_pylist() == [nz.clean_text(c) is None for c in cells]


# Columns where exactly one shortcut decides, the rest of the column being plain.
ALONE = [
    ["a ", "b"], [" a", "b"], ["a  b", "c"], ["a\tb"], ["a\u3000"], ["\xa0a"], ["a\u200bb"], ["\ufeffNA"],
    ["a \u200b b"], ["\u200b a"], ["ＮＡ", "x"], ["n/a", "b c"], ["#N/a", "—"], ["街道 ", "社区"], ["x", None, " "], [" ", "  "], ["a", "b\u2029"],
]
NUMBERS_ALONE = [["4.00", "5"], ["1,234", "5"], ["+7", "8"], ["6户", "7"], ["1 2", "3"], ["9人次", "10.0"], ["", "NA", "3"],
                  ["2016/7/1", "20160701"], ["2016.07.01"], ["2016年7月1日 8时", "2016年7月1日"], ["2016-07-01 24:00"]]


def test_each_shortcut_alone() -> None:
    for values in ALONE:
        arr = pa.array(values, pa.string())
        for g, w in zip(normtext.clean_column(arr), _exact_clean(arr), strict=True):
            assert g.equals(w), values
    for values in ALONE + NUMBERS_ALONE:
        for field in FIELDS:
            source_unit = "元" if field.name == "amount" else None
            got = _outcome(values, field, source_unit, 0)
            with every_kernel():
                assert got == _outcome(values, field, source_unit, 0), (values, field.name)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans() | st.none(), st.sampled_from(["a", "", "NA"]) | st.none())), st.integers(0, 2))
def test_settle_returns_what_if_else_would(rows: list[tuple[bool | None, str | None]], cut: int) -> None:
    good = pa.array([g for g, _ in rows], pa.bool_())
    values = _array([v for _, v in rows], cut)
    missing = pc.is_null(values)
    typed, slow = columns._settle(values, good, missing, pa.string())
    want = pc.if_else(pc.fill_null(good, False), values, pa.scalar(None, pa.string()))
    assert typed.equals(want)
    assert slow.equals(pc.invert(pc.or_(pc.fill_null(good, False), missing)))


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.lists(st.binary(max_size=12), max_size=20), st.lists(st.binary(min_size=3, max_size=3), max_size=8)),
       st.data())
def test_byte_matrix_lays_out_any_rows(values: list[bytes], data: st.DataObject) -> None:
    arr = pa.array(values, pa.binary())
    payload, offsets = arrowtext.string_payload(arr)
    picked = data.draw(st.lists(st.integers(0, max(len(values) - 1, 0)), max_size=len(values))) if values else []
    for rows in (list(range(len(values))), picked):  # a whole column, then any subset in any order
        idx = np.array(rows, np.int64)
        starts, lengths = offsets[:-1][idx], (offsets[1:] - offsets[:-1])[idx]
        got = arrowtext.byte_matrix(payload, starts, lengths, 12)
        assert [bytes(got[i, : len(values[r])]) for i, r in enumerate(rows)] == [values[r] for r in rows]
        assert all(not got[i, len(values[r]) :].any() for i, r in enumerate(rows))


def test_byte_matrix_repeated_rows_are_not_taken_for_a_run() -> None:
    # Rows 0, 0, 2 of equal length span the bytes of rows 0..2 but are not them.
    payload, offsets = arrowtext.string_payload(pa.array([b"abc", b"def", b"ghi"], pa.binary()))
    starts = offsets[:-1][[0, 0, 2]]
    got = arrowtext.byte_matrix(payload, starts, np.array([3, 3, 3]), 4)
    assert [bytes(r[:3]) for r in got] == [b"abc", b"abc", b"ghi"]


AMOUNTS = st.builds(
    lambda sign, whole, frac, comma: sign + (f"{whole:,}" if comma else str(whole)) + frac,
    st.sampled_from(["", "-", "+"]),
    st.integers(0, 10**14),
    st.sampled_from(["", ".5", ".50", ".505", ".125", ".9999", "."]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(AMOUNTS | st.sampled_from(["", "NA", "1,23", "1e3", "abc"]) | st.none(), max_size=25),
       st.sampled_from([(12, 2), (18, 3), (6, 0)]), st.integers(0, 2))
def test_decimal_straight_at_scale_agrees_with_the_rounding_path(values: list[str | None], shape: tuple[int, int],
                                                                cut: int) -> None:
    field = Field("amount", "金额", "decimal", precision=shape[0], scale=shape[1])
    arr = _array(values, cut)
    direct = normalize_column(arr, field)
    with mock.patch.object(columns, "_decimal_at_scale", return_value=None):
        general = normalize_column(arr, field)
    assert direct[0].equals(general[0]) and direct[1].equals(general[1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", max_size=20) | st.none(), max_size=25), st.integers(0, 2))
def test_plain_digits_answer_like_the_integer_gate(values: list[str | None], cut: int) -> None:
    arr = _array(values, cut)
    want = pc.fill_null(pc.match_substring_regex(arr, columns._INT_GATE), False)
    assert columns._plain_digits(arr).equals(want)
    assert columns._plain_digits(pa.array(["12", "1,234"])) is None
    assert columns._plain_digits(pa.array(["12", "/"])) is None  # '/' is just below '0'
