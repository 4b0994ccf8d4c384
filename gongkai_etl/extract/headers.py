"""Finding the header of an irregular raw table and mapping its columns.

Departments put title rows above the header, merge header cells over two rows,
rename and reorder columns. These helpers work on small lists of rows (the
top of a sheet); the data itself is never handled row by row here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: The label of a 合计/小计 row: the word alone, perhaps with a 全区/本月 prefix,
#: 数 suffix, or a bracket or colon after it ("合计（8个项目）"); never a longer word
#: that merely starts the same way (总计划投资).
TOTAL_ROW = re.compile(
    r"^\s*(?:全区|全市|全部|本月|本期|总)?\s*(?:合\s*计|小\s*计|总\s*计|总\s*和)\s*数?\s*(?:[:：(（\[【].*)?$"
)
_SPACE = re.compile(r"[\s\u3000\u00a0]+")


def header_key(text: Any) -> str:
    """Comparable form of a header: half-width, no spaces, no line breaks, lower case."""
    if text is None:
        return ""
    s = str(text)
    s = "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in s)
    s = s.replace("（", "(").replace("）", ")")
    return _SPACE.sub("", s).lower()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def combine_header_rows(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    """Per column, the header variants a multi-row header offers.

    Merged parent cells appear as a value followed by empty cells: the parent is
    carried to the right until the next non-empty parent. For a column the
    variants are the leaf text, ``parent/leaf`` and ``parentleaf``.
    """
    width = max((len(r) for r in rows), default=0)
    filled: list[list[str]] = []
    for depth, row in enumerate(rows):
        texts = [cell_text(row[i]) if i < len(row) else "" for i in range(width)]
        if depth < len(rows) - 1:  # upper rows: carry merged parents rightwards
            last = ""
            for i, t in enumerate(texts):
                if t:
                    last = t
                elif last:
                    texts[i] = last
        filled.append(texts)
    variants: list[list[str]] = []
    for i in range(width):
        parts = [filled[d][i] for d in range(len(rows)) if filled[d][i]]
        # A parent that repeats down (vertical merge) counts once.
        dedup: list[str] = []
        for p in parts:
            if not dedup or dedup[-1] != p:
                dedup.append(p)
        leaf = dedup[-1] if dedup else ""
        opts = [leaf]
        if len(dedup) > 1:
            opts += ["/".join(dedup), "".join(dedup)]
        variants.append(opts)
    return variants


def _wanted(header: str, wanted: set[str]) -> bool:
    """``header`` is an expected name, as it stands or without its unit (金额（元） for 金额)."""
    key, bare = _match_keys(header)
    return key in wanted or bare in wanted


@functools.lru_cache(maxsize=8192)
def _match_keys(header: str) -> tuple[str, str]:
    # find_header tries up to 30 rows x 3 depths x every column: the same texts again and again
    return header_key(header), header_key(header_unit(header)[0])


def choose_names(variants: list[list[str]], expected: Iterable[str]) -> list[str]:
    """One name per column: the variant that matches an expected header, else the fullest."""
    wanted = {header_key(e) for e in expected}
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, opts in enumerate(variants):
        hit = next((o for o in opts if _wanted(o, wanted)), None)
        name = hit or (opts[1] if len(opts) > 1 else opts[0]) or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        names.append(name)
    return names


def find_header(
    rows: Sequence[Sequence[Any]], expected: Iterable[str], *, header_rows: int | None = None, scan: int = 30
) -> tuple[int, int]:
    """Locate the header: (index of its first row, number of header rows).

    With ``expected`` names, the row (or pair of rows) matching most of them
    wins; without, the first non-empty row. ``header_rows`` fixes the depth.
    """
    wanted = {header_key(e) for e in expected}
    best = (-1, 0, 1)  # score, start, depth
    depths = [header_rows] if header_rows else [1, 2, 3]
    limit = min(scan, len(rows))
    wide = max((sum(1 for c in r if cell_text(c)) for r in rows[:limit]), default=0) >= 3
    for start in range(limit):
        if not any(cell_text(c) for c in rows[start]):
            continue
        if wide and not header_rows and is_title_row(rows[start]):
            continue  # a title or a 单位： line above the header, never part of it
        for depth in depths:
            if start + depth > len(rows):
                continue
            variants = combine_header_rows(rows[start : start + depth])
            score = sum(1 for opts in variants if any(_wanted(o, wanted) for o in opts))
            if score > best[0]:
                best = (score, start, depth)
        if not wanted and best[0] >= 0:
            break
    if best[0] < 0:
        return 0, header_rows or 1
    return best[1], best[2]


def is_title_row(values: Sequence[Any]) -> bool:
    """A row with one distinct text only: a title (often merged across the
    table) or a note such as ``单位：万元`` above the header."""
    texts = {cell_text(v) for v in values if cell_text(v)}
    return len(texts) == 1


FOOTNOTE = re.compile(r"^\s*(注[:：\s0-9１-９一二三、.]|注$|说明[:：]|备注[:：]|填表|制表|审核人|负责人|联系人|联系电话|数据来源|资料来源|单位负责人)")


def is_footnote_row(values: Sequence[Any]) -> bool:
    """A note below (or inside) a table: one non-empty cell starting with 注：, 说明：,
    填表人, 数据来源 ..., never data."""
    first = next((t for t in map(cell_text, values) if t), "")
    if not first or not FOOTNOTE.match(first):  # the common case, a data row: one cell looked at
        return False
    texts = [t for t in map(cell_text, values) if t]
    return len(texts) == 1 or all(FOOTNOTE.match(t) for t in texts)


def is_total_row(values: Sequence[Any]) -> bool:
    """A 合计/小计 row: its first non-empty text cell starts with such a word."""
    for v in values[:4]:
        t = cell_text(v)
        if t:
            return bool(TOTAL_ROW.match(t))
    return False


def match_columns(
    found: Sequence[str],
    declared: Mapping[str, tuple[str, ...]],
    mapping: Mapping[str, str],
    optional: Iterable[str] = (),
) -> tuple[dict[str, str], list[str], list[str]]:
    """Map declared column names to found headers.

    Returns (declared name -> found header, missing declared names, found
    headers nothing was mapped to). The pipeline's ``mapping`` (declared name ->
    department header) wins over the declared aliases.
    """
    by_key: dict[str, str] = {}
    for h in found:
        by_key.setdefault(header_key(h), h)
    # A header that carries its unit (金额（元）) also answers to its bare name
    # (金额): the unit is read from it separately (header_unit), never lost.
    by_bare: dict[str, str] = {}
    for h in found:
        bare, unit = header_unit(h)
        if unit is not None:
            by_bare.setdefault(header_key(bare), h)
    result: dict[str, str] = {}
    missing: list[str] = []
    optional = set(optional)
    for name, aliases in declared.items():
        candidates = [mapping[name]] if name in mapping else [name, *aliases]
        hit = next((by_key[header_key(c)] for c in candidates if header_key(c) in by_key), None)
        if hit is None:
            bare_keys = (header_key(header_unit(c)[0]) for c in candidates)
            hit = next((by_bare[k] for k in bare_keys if k in by_bare), None)
        if hit is None:
            if name not in optional:
                missing.append(name)
        else:
            result[name] = hit
    used = set(result.values())
    unexpected = [h for h in found if h not in used]
    return result, missing, unexpected


#: A unit in brackets at the end of a header, full-width or ASCII: 金额（元）, 投资(万元), PM2.5(μg/m³).
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（\[【]\s*(?:单位[:：]\s*)?(?P<unit>[^()（）\[\]【】]{1,12})\s*[)）\]】]\s*$")
_UNIT_WORDS = {"元", "千元", "万元", "亿元", "μg/m³", "µg/m³", "ug/m3", "μg/m3", "mg/m³", "mg/m3", "%", "％", "户", "人",
               "个", "平方米", "m²", "m2", "公顷", "平方公里", "km²", "米", "m", "公里", "km", "吨", "万吨", "盏", "家", "件", "次", "天"}


_SAID_UNIT = re.compile(r"^(?P<name>.*?\S)\s*单位\s*[:：]\s*(?P<unit>\S{1,12})$")


def header_unit(header: str) -> tuple[str, str | None]:
    """(the header without its unit, the unit): ``金额（元）``, ``金额(元)``,
    ``金额/元`` and ``金额 单位：元`` -> (金额, 元). Only a known unit word counts,
    so a bracketed word that is no unit (``建设地点（街乡）``) or a two-row header
    ``2016年/本年数`` stays in the name."""
    text = header or ""
    for pattern in (_HEADER_UNIT, _SAID_UNIT):
        m = pattern.match(text)
        if m and m["name"].strip() and m["unit"].strip() in _UNIT_WORDS:
            return m["name"].strip(), m["unit"].strip().replace("％", "%")
    # 金额/元, PM2.5/μg/m³: the unit is whatever follows the first slash that
    # leaves a known unit word (a unit such as μg/m³ has a slash of its own).
    for i, ch in enumerate(text):
        if ch == "/" and text[:i].strip() and text[i + 1 :].strip() in _UNIT_WORDS:
            return text[:i].strip(), text[i + 1 :].strip().replace("％", "%")
    return header, None
