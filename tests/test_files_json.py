"""gongkai_etl.files.json_text: the standard library's indented JSON, byte for byte, at C speed."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.files import json_text

# Keys and texts as the catalog and datapackages hold them: Chinese, control characters,
# quotes, backslashes, line separators, and number-like texts such as "1e5".
texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "低保", "1e5", "2016-11", "\u2028", "\x00", '"', "\\", "a\nb", "单位：元"])
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | texts)
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                         max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_the_text_is_the_standard_librarys(doc: object) -> None:
    assert json_text(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("value", [1e16, 1e-7, -2.5e300, 5e-324, 123456789012345678901234567890])
def test_exponents_and_big_integers_read_as_the_standard_library_writes_them(value: float) -> None:
    assert json_text({"v": [value]}) == json.dumps({"v": [value]}, ensure_ascii=False, indent=2)


def test_non_string_keys_are_written_as_the_standard_library_writes_them() -> None:
    doc = {1: "a", 2.5: "b", None: "c", True: "d"}
    assert json_text(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


def test_nan_and_infinity_are_written_as_the_standard_library_writes_them() -> None:
    doc = {"a": math.nan, "b": [math.inf, -math.inf], "c": 1.5}
    assert json_text(doc) == json.dumps(doc, ensure_ascii=False, indent=2)


@dataclass
class Row:
    n: int


@pytest.mark.parametrize("value", [datetime(2016, 11, 1), Row(1), {1, 2}, b"raw"])
def test_what_the_standard_library_cannot_encode_is_still_refused(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        json_text({"v": value})


def test_hashes_and_texts_that_look_like_exponents_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {"sha256": "3e5a0c", "name": "1e5", "list": ["9E-2x", "7e7"], "n": 12, "x": 0.5}
    expected = json.dumps(doc, ensure_ascii=False, indent=2)

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("fell back to the standard library")

    monkeypatch.setattr(json, "dumps", refuse)
    assert json_text(doc) == expected
