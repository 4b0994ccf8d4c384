"""The 低保 list's column-wise ID handling equals the scalar rules, whatever the IDs look like."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gongkai_etl.protect.pii import id18_check_char, is_valid_id18
import pyarrow.compute as pc

from gongkai_etl_plugins.social_assistance import (
    _PLAIN_NAME,
    _all_common_han,
    _canonical_ids,
    _clean_name,
    _clean_names,
    _id18_check,
    canonical_id,
)

VALID = ["11010519491231002X", "440524188001010014", "110105194912310021"]


@st.composite
def id_like(draw: st.DrawFn) -> str | None:
    kind = draw(st.sampled_from(["valid", "lower", "spaced", "wide", "old", "mutated", "junk", "none", "empty"]))
    base = draw(st.sampled_from(VALID))
    if kind == "valid":
        return base
    if kind == "lower":
        return base.lower()
    if kind == "spaced":
        cut = draw(st.integers(0, 18))
        return base[:cut] + draw(st.sampled_from([" ", "\t", "  "])) + base[cut:]
    if kind == "wide":
        return base.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    if kind == "old":
        return base[:6] + base[8:17]  # 15 digits, century dropped
    if kind == "mutated":
        i = draw(st.integers(0, 17))
        return base[:i] + draw(st.sampled_from("0123456789X")) + base[i + 1 :]
    if kind == "none":
        return None
    if kind == "empty":
        return ""
    return draw(st.text(max_size=20))


@settings(max_examples=150, deadline=None)
@given(st.lists(id_like(), max_size=25))
@example(VALID * 3)
@example(["11010519491231002x", "1101051949123100", None])
def test_column_wise_ids_equal_the_scalar_rules(values: list[str | None]) -> None:
    canonical = _canonical_ids(pa.array(values, pa.string()))
    expected = [canonical_id(v) for v in values]
    assert canonical.to_pylist() == expected
    valid, keys = _id18_check(canonical)
    for v, ok, key in zip(expected, valid.tolist(), keys.tolist()):
        assert ok == (v is not None and is_valid_id18(v)), v
        if ok:
            assert key == int(v[:17]) and id18_check_char(v[:17]) == v[17]


@st.composite
def eighteen_chars(draw: st.DrawFn) -> str:
    """18 ASCII characters, mostly ID-shaped: the path that reads the bytes as a matrix."""
    region = draw(st.sampled_from("0123456789:/A"))
    rest = draw(st.text(st.sampled_from("0123456789"), min_size=5, max_size=5))
    born = f"{draw(st.integers(1790, 2035)):04d}{draw(st.integers(0, 13)):02d}{draw(st.integers(0, 32)):02d}"
    seq = draw(st.text(st.sampled_from("0123456789:"), min_size=3, max_size=3))
    first17 = region + rest + born + seq
    if draw(st.booleans()) and first17.isdigit():
        return first17 + id18_check_char(first17)
    return first17 + draw(st.sampled_from("0123456789XYx/"))


@settings(max_examples=150, deadline=None)
@given(st.lists(eighteen_chars(), min_size=1, max_size=40))
def test_fixed_width_ids_equal_the_scalar_rules(values: list[str]) -> None:
    valid, keys = _id18_check(pa.array(values, pa.string()))
    for v, ok, key in zip(values, valid.tolist(), keys.tolist()):
        assert ok == (v.isascii() and v[17] != "x" and is_valid_id18(v)), v
        if ok:
            assert key == int(v[:17])


def test_birth_dates_at_the_edges() -> None:
    def with_check(first17: str) -> str:
        return first17 + id18_check_char(first17)

    ids = {
        with_check("11010517991231001"): False,  # before 1800
        with_check("11010518000101001"): True,
        with_check("11010519000229001"): False,  # 1900 was not a leap year
        with_check("11010520000229001"): True,
        with_check("11010519491231001"): True,
        with_check("11010519490431001"): False,  # April has 30 days
        with_check("11010520991231001"): False,  # not born yet
    }
    valid, _ = _id18_check(pa.array(list(ids), pa.string()))
    assert valid.tolist() == list(ids.values())


NAME_CHARS = st.sampled_from(
    ["王", "芳", "一", "龥", "鿿", "䶿", "䷀", "䷿", "丁", "㐀", "a", " ", "·", "\u3000", "𠀀", "é", "\ue000", "ｗ", "Ａ"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(NAME_CHARS, max_size=4)), min_size=1, max_size=8))
def test_the_byte_check_of_names_passes_only_what_the_regex_passes(values: list[str | None]) -> None:
    names = pa.array(values, pa.string())
    if _all_common_han(names):
        assert all(pc.match_substring_regex(pa.array([v]), _PLAIN_NAME)[0].as_py() for v in values if v)
    # whichever path runs, the cleaned names are the scalar rule's
    assert _clean_names(names).to_pylist() == [_clean_name(v) for v in values]
