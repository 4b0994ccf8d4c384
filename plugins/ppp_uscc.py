"""统一社会信用代码 (unified social credit code, GB 32100-2015).

An 18-character code: 登记管理部门码 (1), 机构类别码 (1), 登记管理机关行政区划码
(6 digits), 主体标识码 (9, the former organization code) and a check character.
The alphabet has 31 characters (the digits and the capitals without I, O, S, V,
Z, which are easily misread); character ``c`` has the value of its index in
:data:`CHARSET`. The check character is ``31 - (sum of value * weight mod 31)``,
where 31 becomes 0; because 31 is prime and no weight is a multiple of it, every
single-character error and every swap of two different characters is caught.
"""

from __future__ import annotations

#: The 31 code characters in value order (GB 32100-2015 表1).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1-17: 3**(i-1) mod 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARSET)}
#: Shape of a code: two code characters, a 6-digit division code, ten code characters.
PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"


def check_char(first17: str) -> str:
    """The check character of the first 17 characters of a code.

    Raises ValueError when ``first17`` is not 17 code characters.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = 0
    for c, w in zip(first17, WEIGHTS):
        value = _VALUE.get(c)
        if value is None:
            raise ValueError(f"{c!r} is not a code character")
        total += value * w
    return CHARSET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Upper case, full-width to half-width, spaces removed: how codes get typed."""
    text = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in code)
    return "".join(text.split()).upper()


def uscc_error(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None when it is.

    The reason is Chinese first with English in brackets, and names the
    expected check character, so a typo can be found in the register.
    """
    if len(code) != 18:
        return f"应为18位，实为{len(code)}位 (must be 18 characters, got {len(code)})"
    bad = [c for c in code if c not in _VALUE]
    if bad:
        return (
            f"含非法字符 {''.join(dict.fromkeys(bad))}，不得含 I O S V Z 或小写 "
            f"(invalid characters; allowed: {CHARSET})"
        )
    if not code[2:8].isdigit():
        return f"第3-8位应为行政区划码数字，实为 {code[2:8]} (positions 3-8 must be a 6-digit division code)"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"校验位应为 {expected}，实为 {code[17]} (check character should be {expected}, got {code[17]})"
    return None


def is_valid_uscc(code: str) -> bool:
    """True if ``code`` (exactly as given) is a well-formed code with a correct check character."""
    return uscc_error(code) is None
