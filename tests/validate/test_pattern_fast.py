"""Fixed-width class patterns (record keys, codes) are checked on bytes; same answer as the regex."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.validate.constraints import _all_fixed_class, _fixed_class_table, _match

HEX32 = "^(?:[0-9a-f]{32})$"


def test_recognises_only_simple_fixed_classes() -> None:
    assert _fixed_class_table(HEX32) == (b"0123456789abcdef", 32)
    assert _fixed_class_table("^(?:[0-9]{12})$") == (b"0123456789", 12)
    assert _fixed_class_table("^(?:[-ac]{3})$") == (b"-ac", 3)
    for other in ("^(?:[^0-9]{3})$", "^(?:[0-9]{3}|x)$", r"^(?:[\d]{3})$", "^(?:[0-9]{2,3})$", "^(?:\\d{6})$"):
        assert _fixed_class_table(other) is None


def test_fast_path_answers_only_when_every_value_matches() -> None:
    good = pa.array(["0123456789abcdef" * 2] * 5)
    assert _all_fixed_class(good, HEX32)
    assert _all_fixed_class(good.slice(1, 3), HEX32)
    assert not _all_fixed_class(pa.array(["0123456789abcdef" * 2, "0123456789ABCDEF" * 2]), HEX32)
    assert not _all_fixed_class(pa.array(["0123456789abcdef" * 2, None]), HEX32)  # nulls: the regex decides
    assert not _all_fixed_class(pa.array(["0123456789abcdef" * 2 + "0"]), HEX32)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abcdefgA-é ", min_size=0, max_size=6), max_size=30),
       st.sampled_from(["^(?:[0-9a-f]{4})$", "^(?:[0-9]{3})$", "^(?:[-a-c]{2})$", "^(?:[a-z]{1})$"]))
def test_match_equals_regex(values: list[str], pattern: str) -> None:
    arr = pa.array(values, pa.string())
    assert _match(arr, pattern).to_pylist() == pc.match_substring_regex(arr, pattern).to_pylist()
