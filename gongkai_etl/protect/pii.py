"""Detectors and masks for personal data in text cells.

Every detector works on arbitrary text, including free-text remarks (备注,
增减原因) where a number sits directly between Chinese characters. Chinese has
no word boundaries, so ``\\b`` is useless here: the patterns use lookarounds on
digits instead, which also keeps a shorter pattern from matching inside a
longer digit run (a 20-digit order number is not a mobile number).

Masked forms follow the conventions in DOMAIN.md (ID first 6 + last 4, mobile
first 3 + last 4, names 王* / 李*华) and contain ``*``, which no detector
accepts, so a masked value is never flagged again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gongkai_etl.protect.keys import salted_key_scalar


class PiiKind(StrEnum):
    """What kind of personal data a hit is."""

    ID18 = "id18"  # 18-character resident ID with a correct check character
    ID18_SUSPICIOUS = "id18_suspicious"  # ID-shaped, but the check character is wrong
    ID15 = "id15"  # old 15-digit resident ID
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    EMAIL = "email"
    NAME = "name"  # only from name-column checks; free text cannot tell names apart


@dataclass(frozen=True)
class PiiHit:
    """One piece of personal data in a text: ``text[start:end] == value``."""

    kind: PiiKind
    start: int
    end: int
    value: str


# Full-width ASCII (FF01-FF5E) and the ideographic space map one-to-one onto
# ASCII, so detection runs on a translated copy whose offsets equal the original's.
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _half_width(text: str) -> str:
    return text.translate(_HALF_WIDTH)


# --- resident ID numbers (GB 11643-1999) -------------------------------------

#: Weights of the first 17 digits; the check character is ID18_CHECK_CHARS[sum % 11].
ID18_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID18_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = date(1800, 1, 1)  # DOMAIN.md's valid example was born in 1880


def id18_check_char(first17: str) -> str:
    """Check character of an 18-character ID from its first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {len(first17)} characters")
    total = sum(int(c) * w for c, w in zip(first17, ID18_WEIGHTS))
    return ID18_CHECK_CHARS[total % 11]


def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return _EARLIEST_BIRTH <= born <= date.today()


def _id18_shape_ok(s: str) -> bool:
    """Region starts 1-8 and the birth date is plausible; check char not tested."""
    return (
        len(s) == 18
        and s[:17].isascii()
        and s[:17].isdigit()
        and (s[17].isdigit() or s[17] == "X")
        and s[0] in "12345678"
        and _birth_date_ok(s[6:14])
    )


def is_valid_id18(s: str) -> bool:
    """True for an 18-character resident ID: shape, birth date and check character."""
    s = _half_width(s).strip().upper()
    return _id18_shape_ok(s) and id18_check_char(s[:17]) == s[17]


def _is_id15(s: str) -> bool:
    # Old IDs: 6 region digits, yymmdd of a 19xx birth date, 3 sequence digits.
    return len(s) == 15 and s.isdigit() and s[0] in "12345678" and _birth_date_ok("19" + s[6:12])


# --- cards ---------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _issuer_prefix_ok(digits: str) -> bool:
    # Cards issued in China start with 1 (old ABC), 3 (JCB), 4 (Visa), 5 (Mastercard),
    # 6 (UnionPay 62, 60) or 9 (domestic 95xx); Mastercard's 2-series is 2221-2720.
    # Rejecting the rest keeps date-prefixed order numbers (2016100312...) out.
    if digits[0] in "134569":
        return True
    return digits[0] == "2" and 2221 <= int(digits[:4]) <= 2720


# --- patterns ------------------------------------------------------------------

# Left: not inside a digit run, not the decimals of an amount. Right: likewise.
_L = r"(?<!\d)(?<!\d\.)"
_R = r"(?!\d)(?!\.\d)"
_AREA = r"0(?:10|2\d|[3-9]\d{2})"  # 010, 02x, or 0 + three digits

# re.ASCII: \d is [0-9] only; full-width digits were translated beforehand.
# Written plain, or grouped as on forms and in bank-style displays: 6-8-4
# (110105 19491231 002X), 6-4-4-4 (110105 1949 1231 002X), 4-4-4-4-2.
# Followed by anything but a digit: a doubled or stray X after the check
# character ("…002XX", "…0014x") must not hide the number.
_ID18_RE = re.compile(
    _L
    + r"(?:\d{17}[\dXx]"
    + r"|\d{6}(?P<sep>[ -])\d{8}(?P=sep)\d{3}[\dXx]"
    + r"|\d{6}(?P<sep2>[ -])\d{4}(?P=sep2)\d{4}(?P=sep2)\d{3}[\dXx]"
    + r"|\d{4}(?P<sep3>[ -])\d{4}(?P=sep3)\d{4}(?P=sep3)\d{4}(?P=sep3)\d[\dXx])"
    + r"(?!\d)(?!\.\d)",
    re.ASCII,
)
_ID15_RE = re.compile(_L + r"\d{15}" + _R, re.ASCII)
_MOBILE_RE = re.compile(
    r"(?<![\d+])(?<!\d\.)(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}" + _R, re.ASCII
)
_LANDLINE_RE = re.compile(
    _L
    + r"(?:\("
    + _AREA
    + r"\)[ -]?\d{7,8}|"
    + _AREA
    + r"[ -]\d{7,8}|0(?:10|2\d)[2-9]\d{7}|0[3-9]\d{2}[2-9]\d{6,7})"
    + r"(?:(?:-|转|ext\.?|[xX#])\d{1,6})?"
    + _R,
    re.ASCII,
)
_BANK_RE = re.compile(_L + r"(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)" + _R, re.ASCII)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

_SEPARATORS = re.compile(r"[ ()\-]")


def _classify_id18(m: str) -> PiiKind | None:
    s = _SEPARATORS.sub("", m).upper()
    if not _id18_shape_ok(s):
        return None  # 18 digits without an ID's shape: maybe a bank card, checked apart
    return PiiKind.ID18 if id18_check_char(s[:17]) == s[17] else PiiKind.ID18_SUSPICIOUS


def _classify_bank(m: str) -> PiiKind | None:
    s = _SEPARATORS.sub("", m)
    return PiiKind.BANK_CARD if _issuer_prefix_ok(s) and _luhn_ok(s) else None


_DETECTORS: tuple[tuple[re.Pattern[str], Callable[[str], PiiKind | None]], ...] = (
    (_EMAIL_RE, lambda m: PiiKind.EMAIL),
    (_ID18_RE, _classify_id18),
    (_BANK_RE, _classify_bank),
    (_ID15_RE, lambda m: PiiKind.ID15 if _is_id15(m) else None),
    (_MOBILE_RE, lambda m: PiiKind.MOBILE),
    (_LANDLINE_RE, lambda m: PiiKind.LANDLINE),
)

# Tie-break between overlapping candidates of equal length: more specific first.
_PRIORITY = {
    PiiKind.EMAIL: 0,
    PiiKind.ID18: 1,
    PiiKind.ID18_SUSPICIOUS: 2,
    PiiKind.BANK_CARD: 3,
    PiiKind.ID15: 4,
    PiiKind.MOBILE: 5,
    PiiKind.LANDLINE: 6,
}


def find_pii(text: str) -> list[PiiHit]:
    """Every piece of personal data in ``text``, in order, without overlaps.

    Overlapping candidates are resolved longest first, then by specificity
    (email, id18, id18_suspicious, bank_card, id15, mobile, landline): a valid
    ID that also passes the Luhn check is an ID, not a bank card.
    """
    if not text:
        return []
    half = _half_width(text)
    candidates: list[tuple[int, int, PiiKind]] = []
    for pattern, classify in _DETECTORS:
        for m in pattern.finditer(half):
            kind = classify(m.group())
            if kind is not None:
                candidates.append((m.start(), m.end(), kind))
    candidates.sort(key=lambda c: (c[0] - c[1], _PRIORITY[c[2]], c[0]))
    taken: list[tuple[int, int, PiiKind]] = []
    for start, end, kind in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, kind))
    taken.sort()
    return [PiiHit(kind, start, end, text[start:end]) for start, end, kind in taken]


# --- masks ---------------------------------------------------------------------


# Already-masked shapes, returned unchanged so that masking is idempotent. Only
# the exact shape counts: a clear value with a stray '*' is still masked.
_MASKED_NAME = re.compile(r".\*+.?")
_MASKED_ID = re.compile(r"[0-9]{6}\*+[0-9]{3}[0-9X]|\*+")
_MASKED_PHONE = re.compile(r"[0-9]{3}\*{4}[0-9]{4}|0[0-9]{2,3}-\*{4}[0-9]{4}|\*+")
_MASKED_CARD = re.compile(r"[0-9]{4}\*+[0-9]{4}|\*+")
_MASKED_EMAIL = re.compile(r"[^@]?\*{3}@[^@]*|\*{3}")


def mask_name(name: str) -> str:
    """Mask a personal name: 王五 -> 王*, 李建华 -> 李*华, 欧阳娜娜 -> 欧**娜.

    A single character (a surname alone) becomes 王*, revealing no more than
    the two-character rule. An already masked name is returned as is.
    """
    name = name.strip()
    if not name or _MASKED_NAME.fullmatch(name):
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(s: str) -> str:
    """First 6 + ``*`` + last 4: 11010519491231002X -> 110105********002X."""
    if _MASKED_ID.fullmatch(s.strip()):
        return s.strip()
    t = _SEPARATORS.sub("", _half_width(s).strip()).upper()
    if len(t) <= 10:
        return "*" * len(t)  # too short to keep both ends without showing it all
    return t[:6] + "*" * (len(t) - 10) + t[-4:]


_PHONE_PREFIX = re.compile(r"^(?:\+|00)?86[ -]?(?=1[3-9]\d)")
_LANDLINE_PARTS = re.compile(r"^\(?(" + _AREA + r")\)?[ -]?(\d{7,8})")


def mask_phone(s: str) -> str:
    """Mobile: first 3 + ``****`` + last 4 (138****5678), without +86 or spaces.

    A landline keeps its area code: 010-65001234 -> 010-****1234 (extension dropped).
    """
    if _MASKED_PHONE.fullmatch(s.strip()):
        return s.strip()
    t = _PHONE_PREFIX.sub("", _half_width(s).strip())
    digits = re.sub(r"\D", "", t)
    if len(digits) == 11 and digits[0] == "1":
        return digits[:3] + "****" + digits[-4:]
    land = _LANDLINE_PARTS.match(t)
    if land:
        return land.group(1) + "-****" + land.group(2)[-4:]
    if len(digits) >= 8:
        return digits[:3] + "****" + digits[-4:]
    return "*" * len(digits)


def mask_bank_card(s: str) -> str:
    """First 4 + ``*`` + last 4: 6222021234567890123 -> 6222***********0123."""
    if _MASKED_CARD.fullmatch(s.strip()):
        return s.strip()
    digits = re.sub(r"\D", "", _half_width(s))
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def mask_email(s: str) -> str:
    """First character of the local part + ``***``: zhangsan@163.com -> z***@163.com."""
    if _MASKED_EMAIL.fullmatch(s.strip()):
        return s.strip()
    local, at, domain = _half_width(s).strip().partition("@")
    if not at:
        return "***"
    return local[:1] + "***@" + domain


_MASKERS: dict[PiiKind, Callable[[str], str]] = {
    PiiKind.ID18: mask_id,
    PiiKind.ID18_SUSPICIOUS: mask_id,
    PiiKind.ID15: mask_id,
    PiiKind.MOBILE: mask_phone,
    PiiKind.LANDLINE: mask_phone,
    PiiKind.BANK_CARD: mask_bank_card,
    PiiKind.EMAIL: mask_email,
    PiiKind.NAME: mask_name,
}


def mask_value(kind: PiiKind | str, value: str) -> str:
    """The masked form of ``value`` for its kind; raises ValueError on an unknown kind.

    Every mask returns a value already in its masked shape unchanged, so masking
    is idempotent and a re-run over published data changes nothing.
    """
    return _MASKERS[PiiKind(kind)](value)


def redact(text: str) -> str:
    """``text`` with every detected piece of personal data replaced by its mask.

    For logs, reports and error messages that may quote a raw cell.
    """
    hits = find_pii(text)
    if not hits:
        return text
    out: list[str] = []
    pos = 0
    for hit in hits:
        out.append(text[pos : hit.start])
        out.append(mask_value(hit.kind, hit.value))
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


# --- keys ----------------------------------------------------------------------

KEY_SEP = "\x1f"  # unit separator: ("ab", "c") and ("a", "bc") key apart


def salted_key(salt: str, *parts: str) -> str:
    """Stable pseudonymous key: AES-CMAC of the parts under a key derived from
    ``salt``, 32 hex chars (see :mod:`gongkai_etl.protect.keys`).

    The same parts give the same key for one salt across periods, so records can
    be followed month to month; without the salt the key cannot be reversed by
    trying all possible ID numbers.
    """

    return salted_key_scalar(salt, KEY_SEP.join(unicodedata.normalize("NFC", p) for p in parts))
