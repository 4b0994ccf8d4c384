"""The PII scan: every output cell checked for ID numbers, phone numbers,
e-mail addresses and personal names before anything is staged. A finding
blocks publication; the report shows masked values only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.arrowtext import string_payload
from gongkai_etl.protect.pii import PiiKind, find_pii, mask_name, mask_value
from gongkai_etl.protect.privacy import KIND_LABELS, PrivacyPolicy, as_strings


@dataclass(frozen=True)
class Finding:
    """Personal data found in an output cell. Holds the masked value only."""

    dataset: str
    period: str
    row: int  # 1-based row of the output table
    column: str
    kind: PiiKind
    masked_value: str
    source_file: str | None = None  # raw input file (name only) the row came from, if known
    source_row: int | None = None  # its row number there, as in the rejects file

    def __str__(self) -> str:
        label = KIND_LABELS.get(self.kind, str(self.kind))
        where = ""
        if self.source_row is not None:
            name = f"{self.source_file} " if self.source_file else ""
            where = f" (源数据 source: {name}第 {self.source_row} 行 row {self.source_row})"
        return (
            f"数据集 {self.dataset} 期间 {self.period} 第 {self.row} 行 列 {self.column}: "
            f"{label} {self.masked_value}{where}"
        )


# RE2 prefilter: every detector's match contains one of these. Runs of 7+ digits
# (IDs, cards, landlines), 4+4 digit groups (grouped mobiles and cards), '@'.
_PREFILTER = r"[0-9０-９]{7}|[0-9０-９]{4}[ \-\x{3000}－][0-9０-９]{4}|[@＠]"


# An unmasked name: 2-4 CJK characters, or a minority name with a middle dot.
_NAME_RE = r"^(?:\p{Han}{2,4}|\p{Han}+[·•]\p{Han}[\p{Han}·•]*)$"


def _scannable(t: pa.DataType) -> bool:
    # Integers too: an ID number stored as int64 is 18 digits. Decimals and
    # floats are amounts; their decimal part is not an identifier.
    if pa.types.is_dictionary(t):
        return _scannable(t.value_type)
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)


def _too_small_for_pii(column: pa.ChunkedArray) -> bool:
    """An integer column whose values all have fewer than 7 digits cannot match
    the prefilter (household sizes, counts): no need to print and search them."""
    if not pa.types.is_integer(column.type) or len(column) == column.null_count:
        return False
    extremes = pc.min_max(column)
    low, high = extremes["min"].as_py(), extremes["max"].as_py()
    return low is not None and high is not None and -1_000_000 < low and high < 1_000_000


# What every prefilter match contains: an ASCII digit, '@', or EF BC, the first
# two bytes of the UTF-8 full-width forms (０-９, ＠).
_PII_MARKS = (*(bytes([c]) for c in b"0123456789@"), b"\xef\xbc")


def _may_hold_pii(arr: pa.Array) -> bool:
    """False when no value can match the prefilter: Chinese text without digits
    (streets, communities, categories, masked names). A few memchr-speed
    searches of the column's bytes instead of a regex search per value (null
    slots may hold bytes, which can only answer True)."""
    raw = string_payload(arr)[0].tobytes()
    return any(mark in raw for mark in _PII_MARKS)


def scan_table(
    table: pa.Table, policy: PrivacyPolicy, *, dataset: str, period: str, row_offset: int = 0
) -> list[Finding]:
    """Findings in every string and integer cell outside ``policy.ignore``.

    Rows are numbered from 1; ``row_offset`` is the number of output rows
    before this table, for a dataset scanned batch by batch.
    """
    found: list[tuple[int, int, int, Finding]] = []
    name_fields = set(policy.name_check_fields)
    for ci, name in enumerate(table.column_names):
        if name in policy.ignore or not _scannable(table.schema.field(ci).type):
            continue
        column = table.column(ci)
        if _too_small_for_pii(column):
            continue
        arr = as_strings(column)
        if _may_hold_pii(arr):
            candidates = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(arr, _PREFILTER), False))
        else:
            candidates = pa.array([], pa.uint64())
        for i in candidates.to_pylist():
            for hit in find_pii(arr[i].as_py()):
                masked = mask_value(hit.kind, hit.value)
                finding = Finding(dataset, period, row_offset + i + 1, name, hit.kind, masked)
                found.append((i, ci, hit.start, finding))
        if name in name_fields:
            trimmed = pc.utf8_trim_whitespace(arr)
            # A masked name holds '*', which _NAME_RE never matches: the regex
            # runs only when some value has no '*' (a plain substring test).
            if pc.all(pc.fill_null(pc.match_substring(trimmed, "*"), True)).as_py():
                continue
            names = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(trimmed, _NAME_RE), False))
            for i in names.to_pylist():
                masked = mask_name(trimmed[i].as_py())
                finding = Finding(dataset, period, row_offset + i + 1, name, PiiKind.NAME, masked)
                found.append((i, ci, -1, finding))
    found.sort(key=lambda f: f[:3])
    return [f[3] for f in found]


def format_findings(findings: list[Finding], limit: int = 20) -> str:
    """A report of the findings, Chinese first, one line each, at most ``limit`` lines."""
    if not findings:
        return "未发现个人信息 (no personal data found)"
    n = len(findings)
    lines = [f"发现 {n} 处个人信息，禁止发布 ({n} personal data findings block publication):"]
    lines.extend(str(f) for f in findings[:limit])
    if len(findings) > limit:
        rest = len(findings) - limit
        lines.append(f"…… 另有 {rest} 处未列出 ({rest} more not shown)")
    return "\n".join(lines)
