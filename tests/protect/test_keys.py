"""Salted keys: AES-CMAC column-wise equals the scalar reference and RFC 4493."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gongkai_etl.protect.keys import _Cmac, derive_key, salted_key_array, salted_key_scalar

# RFC 4493 section 4: AES-128 key and the example messages of 0, 16, 40 and 64 bytes.
RFC_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
RFC_MESSAGE = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
RFC_MACS = {
    0: "bb1d6929e95937287fa37d129b756746",
    16: "070a16b46b4d4144f79bdd9dd04a287c",
    40: "dfa66747de9ae63030ca32611497c827",
    64: "51f0bebf7e3b9d92fc49741779363cfe",
}


def test_rfc4493_examples_column_wise() -> None:
    lengths = list(RFC_MACS)
    column = pa.array([RFC_MESSAGE[:n] for n in lengths], pa.binary())
    assert _Cmac(RFC_KEY).hex_array(column).to_pylist() == [RFC_MACS[n] for n in lengths]


def test_same_as_scalar_for_ids_nulls_and_slices() -> None:
    ids = ["11010519491231002X", None, "440524188001010014", "", "王芳", "x" * 16, "y" * 33]
    column = pa.array(ids, pa.string())
    expected = [None if v is None else salted_key_scalar("pepper", v) for v in ids]
    assert salted_key_array("pepper", column).to_pylist() == expected
    assert salted_key_array("pepper", column.slice(2)).to_pylist() == expected[2:]
    assert salted_key_array("pepper", pa.chunked_array([column[:3], column[3:]])).to_pylist() == expected
    assert salted_key_array("pepper", column.cast(pa.large_string())).to_pylist() == expected


def test_equal_length_fast_path_matches_general_path() -> None:
    # Back-to-back 18-character IDs take the reshape path; a 17-character one
    # among them sends the chunk down the general path. Both must agree.
    same = ["11010519491231002X", "440524188001010014", "110105194912310021"] * 5
    mixed = [*same, "11010519491231002"]
    keys_same = salted_key_array("s", pa.array(same)).to_pylist()
    keys_mixed = salted_key_array("s", pa.array(mixed)).to_pylist()
    assert keys_same == keys_mixed[:-1] == [salted_key_scalar("s", v) for v in same]


def test_key_depends_on_salt_and_format() -> None:
    key = salted_key_scalar("s1", "11010519491231002X")
    assert len(key) == 32 and set(key) <= set("0123456789abcdef")
    assert key != salted_key_scalar("s2", "11010519491231002X")
    assert derive_key("s1") != derive_key("s2")
    with pytest.raises(ValueError):
        derive_key("")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=70)), max_size=40), st.text(min_size=1, max_size=80))
@example(["", "a" * 15, "a" * 16, "a" * 17, "a" * 32, "a" * 48], "salt")
def test_column_wise_equals_scalar(values: list[str | None], salt: str) -> None:
    got = salted_key_array(salt, pa.array(values, pa.string())).to_pylist()
    assert got == [None if v is None else salted_key_scalar(salt, v) for v in values]
