"""Cleaning whole text columns the way :func:`gongkai_etl.values.clean_text`
cleans one value: whitespace runs, zero-width characters, edge spaces, missing
markers. Byte scans first decide whether a kernel would change anything, so a
clean column passes with no regex pass at all.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import values as nz
from gongkai_etl.arrowtext import payload_holds, string_payload


def _re2_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in chars) + "]"


def _case_variants(text: str) -> set[str]:
    variants = {""}
    for ch in text:
        variants = {v + c for v in variants for c in {ch, ch.lower() if ch.isascii() else ch}}
    return variants


WS_RUN = _re2_class(nz.WHITESPACE) + "+"


ZERO_WIDTH_CLASS = _re2_class(nz.ZERO_WIDTH)


_FW_RANGES = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))


FW_ALNUM = "[" + "".join(f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in _FW_RANGES) + "]"


# Code points that make a kernel of clean_column change a value (a lone space does not).
_WS_CODES = frozenset(map(ord, nz.WHITESPACE)) - {ord(" ")}


_ZW_CODES = frozenset(map(ord, nz.ZERO_WIDTH))


_FW_CODES = frozenset(c for lo, hi in _FW_RANGES for c in range(lo, hi + 1))


# All below 0x20, so finding them costs rare_chars nothing more.
_CONTROL_CODES = frozenset(map(ord, nz.CONTROL))
_CONTROL_CLASS = "[" + "".join(f"\\x{c:02x}" for c in sorted(_CONTROL_CODES)) + "]"


RARE = _WS_CODES | _ZW_CODES | _FW_CODES | _CONTROL_CODES


_RARE_ASCII_END = max(c for c in RARE if c < 0x80) + 1


_RARE_LEADS = tuple(sorted({chr(c).encode()[0] for c in RARE if c >= 0x80}))


# ASCII upper-casing before is_in costs a copy of the column; the lower-case
# spellings in the set give the same answer.
_MISSING = pa.array(sorted({v for m in nz.MISSING_VALUES for v in _case_variants(m)}), pa.string())


_MISSING_MAX_BYTES = max(len(m.encode()) for m in nz.MISSING_VALUES)


def false_array(length: int) -> pa.Array:
    return pa.repeat(pa.scalar(False), length)


def any_true(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


def rare_chars(data: np.ndarray) -> set[int]:
    """Which code points of RARE occur in the UTF-8 bytes ``data``.

    Exact, and far cheaper than a regex pass: a lead byte never occurs inside
    another character's encoding, so each occurrence of a rare character's lead
    byte starts a character, and only those few are decoded.
    """
    found: set[int] = set(np.unique(data[data < _RARE_ASCII_END]).tolist())
    for lead in _RARE_LEADS:
        pos = np.flatnonzero(data == lead)
        if not len(pos):
            continue
        width = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        pos = pos[pos <= len(data) - width]
        code = np.full(len(pos), lead & (0x7F >> width), np.int64)
        for k in range(1, width):
            code = (code << 6) | (data[pos + k] & 0x3F)
        found.update(np.unique(code).tolist())
    return found & RARE


def _has_double_space(data: np.ndarray) -> bool:
    """Whether two spaces adjoin (perhaps across two values: a false alarm costs a regex pass)."""
    spaces = np.flatnonzero(data == 0x20)
    return len(spaces) > 1 and bool((np.diff(spaces) == 1).any())


def _has_edge_space(data: np.ndarray, offsets: np.ndarray) -> bool:
    """Whether a value starts or ends with a space."""
    filled = offsets[1:] > offsets[:-1]
    return bool((data[offsets[:-1][filled]] == 0x20).any() or (data[offsets[1:][filled] - 1] == 0x20).any())


def missing_mask(text: pa.Array) -> pa.Array:
    """Null or one of MISSING_VALUES (in any ASCII case); a column of longer values needs no lookup."""
    shortest = pc.min(pc.binary_length(text)).as_py()
    if shortest is None or shortest > _MISSING_MAX_BYTES:
        return pc.is_null(text)
    return pc.or_(pc.is_null(text), pc.is_in(text, value_set=_MISSING))


def clean_column(text: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """clean_text for a column: (cleaned, missing, rows left to Python).

    Rows with full-width letters or digits are left as they are and flagged:
    no kernel translates characters, and such rows are rare. Each regex pass
    runs only when the column holds something it would change; most hold
    nothing of the sort.
    """
    data, offsets = string_payload(text)
    rare = rare_chars(data)
    if rare & _ZW_CODES:
        text = pc.replace_substring_regex(text, ZERO_WIDTH_CLASS, "")
    if rare & (_ZW_CODES | _WS_CODES) or _has_double_space(data):
        text = pc.utf8_trim(pc.replace_substring_regex(text, WS_RUN, " "), " ")
    elif _has_edge_space(data, offsets):
        text = pc.utf8_trim(text, " ")
    if not rare & (_FW_CODES | _CONTROL_CODES):
        return text, missing_mask(text), false_array(len(text))
    python_rows = false_array(len(text))
    if rare & _FW_CODES:
        python_rows = pc.fill_null(pc.match_substring_regex(text, FW_ALNUM), False)
    if rare & _CONTROL_CODES:  # the scalar path rejects them with their reason
        python_rows = pc.or_(python_rows, pc.fill_null(pc.match_substring_regex(text, _CONTROL_CLASS), False))
    return text, pc.and_not(missing_mask(text), python_rows), python_rows


def as_text(arr: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array] | None:
    """Cleaned text of a string or numeric column, or None for other types."""
    kind = arr.type
    if pa.types.is_string(kind):
        return clean_column(arr)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        missing = pc.is_null(arr, nan_is_null=True)  # NaN is how pandas writes an empty cell
        return pc.cast(arr, pa.string()), missing, false_array(len(arr))
    return None


def holds(text: pa.Array, char: str) -> bool:
    """Whether some value (or the bytes behind a null) holds ``char``: a byte
    scan, to skip a kernel that would change nothing."""
    return payload_holds(string_payload(text)[0], char)


def is_ascii(text: pa.Array) -> bool:
    data = string_payload(text)[0]
    return not len(data) or int(data.max()) < 0x80


def strip_spaces(text: pa.Array) -> pa.Array:
    return pc.replace_substring(text, " ", "") if holds(text, " ") else text


def strip_number(text: pa.Array) -> pa.Array:
    if holds(text, ","):
        text = pc.replace_substring(text, ",", "")
    return pc.replace_substring_regex(text, r"^\+", "") if holds(text, "+") else text
