"""统一社会信用代码 (GB 32100-2015) check character."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai_etl_plugins.ppp_uscc import CHARSET, PATTERN, WEIGHTS, check_char, is_valid_uscc, normalize, uscc_error

# The standard's own example, and codes of well-known companies as printed on
# their business licences (checked here by hand, not by this module).
KNOWN_VALID = [
    "91350100M000100Y43",  # GB 32100-2015 example
    "91440300708461136T",
    "91330100716105852F",
    "914403001922038216",
    "91110000802100433B",
    "91110108551385082Q",
]


def test_charset_and_weights_follow_the_standard() -> None:
    assert len(CHARSET) == 31 and not set("IOSVZ") & set(CHARSET)
    assert WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert re.fullmatch(PATTERN, code)


def test_worked_example() -> None:
    # Values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4; weighted sum
    # 9 + 3 + 27 + 135 + 26 + 21*20 + 8 + 30*30 + 4*28 = 1640 = 31*52 + 28;
    # 31 - 28 = 3 -> '3', the standard's check character.
    values = [CHARSET.index(c) for c in "91350100M000100Y4"]
    assert sum(v * w for v, w in zip(values, WEIGHTS)) == 1640
    assert check_char("91350100M000100Y4") == "3"


def test_remainder_zero_gives_check_zero() -> None:
    # 17 zeros: sum 0, 31 - 0 = 31 -> 0
    assert check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91350100M000100Y44", "校验位应为 3"),
        ("91350100M000100Y4", "18位"),
        ("91350100M000100I43", "非法字符"),
        ("9135010AM000100Y43", "行政区划码"),
        ("91350100m000100y43", "非法字符"),  # lower case is normalized by the caller, not here
    ],
)
def test_invalid_codes_say_why(code: str, words: str) -> None:
    error = uscc_error(code)
    assert error is not None and words in error
    assert not is_valid_uscc(code)


def test_normalize_handles_typing_habits() -> None:
    assert normalize(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert normalize("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


CODE_CHAR = st.sampled_from(CHARSET)
FIRST17 = st.builds(
    lambda a, b, division, body: a + b + division + body,
    CODE_CHAR,
    CODE_CHAR,
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CHARSET, min_size=9, max_size=9),
)


@given(FIRST17)
def test_generated_codes_are_valid(first17: str) -> None:
    code = first17 + check_char(first17)
    assert is_valid_uscc(code)
    assert re.fullmatch(PATTERN, code)


@given(FIRST17, st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_error_is_caught(first17: str, pos: int, shift: int) -> None:
    code = first17 + check_char(first17)
    wrong = CHARSET[(CHARSET.index(code[pos]) + shift) % 31]
    typo = code[:pos] + wrong + code[pos + 1 :]
    if pos in range(2, 8) and not wrong.isdigit():
        return  # caught by the shape rule instead; covered below
    assert not is_valid_uscc(typo)


@given(FIRST17, st.integers(0, 15))
def test_swapping_two_neighbours_is_caught(first17: str, pos: int) -> None:
    code = first17 + check_char(first17)
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert not is_valid_uscc(swapped)
