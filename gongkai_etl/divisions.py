"""Chaoyang's 43 街道/地区 and their 12-digit 统计用区划代码.

Codes are 110105 + a 3-digit serial + 000. Code lists change from year to year
(streets split, 地区 become 街道), so the list is pinned to one vintage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from gongkai_etl.errors import NormalizeError
from gongkai_etl.values import to_halfwidth

#: Year of the code list below; bump it together with the table.
VINTAGE = "2016"

DISTRICT_CODE = "110105000000"
DISTRICT_NAME = "朝阳区"

_TABLE = """
001 建外街道 002 朝外街道 003 呼家楼街道 004 三里屯街道 005 左家庄街道 006 香河园街道
007 和平街街道 008 安贞街道 009 亚运村街道 010 小关街道 011 酒仙桥街道 012 麦子店街道
013 团结湖街道 014 六里屯街道 015 八里庄街道 016 双井街道 017 劲松街道 018 潘家园街道
019 垡头街道 021 南磨房地区 022 高碑店地区 023 将台地区 024 太阳宫地区 025 大屯街道
026 望京街道 027 小红门地区 028 十八里店地区 029 平房地区 030 东风地区 031 奥运村街道
032 来广营地区 033 常营地区 034 三间房地区 035 管庄地区 036 金盏地区 037 孙河地区
038 崔各庄地区 039 东坝地区 040 黑庄户地区 041 豆各庄地区 042 王四营地区 043 东湖街道
400 首都机场街道
"""

#: 12-digit code -> official name, the 43 街道/地区 (the district itself is DISTRICT_CODE).
DIVISIONS: dict[str, str] = {
    f"110105{serial}000": name for serial, name in zip(_TABLE.split()[::2], _TABLE.split()[1::2], strict=True)
}

# Longest first, so '街道办事处' is removed whole rather than leaving '办事处'.
_SUFFIXES = ("街道办事处", "地区办事处", "街道办", "办事处", "街道", "地区", "乡")
_PREFIXES = ("北京市", "北京", "朝阳区")
# Long forms still seen in older department tables.
_LONG_FORMS = {"建国门外": "建外", "朝阳门外": "朝外"}


def _base(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


# Each base is unique, so 建外地区 or 将台乡 resolve without ambiguity; matching
# is exact on the base, never by substring (奥运村 and 亚运村 share two characters).
_BY_BASE: dict[str, str] = {_base(name): code for code, name in DIVISIONS.items()}
_BY_BASE.update({long: _BY_BASE[short] for long, short in _LONG_FORMS.items()})
_SPACES = re.compile(r"\s+")


def division_code(name_or_code: str) -> str:
    """12-digit code for a name ('建外街道', '建外', '朝阳区建外街道') or a 6/9/12-digit code."""
    text = _SPACES.sub("", to_halfwidth(str(name_or_code)))
    if text.isascii() and text.isdigit():
        code = {6: text + "000000", 9: text + "000", 12: text}.get(len(text), "")
        if code == DISTRICT_CODE or code in DIVISIONS:
            return code
        raise NormalizeError(
            f"未知的区划代码 {name_or_code!r} (unknown division code; {len(DIVISIONS)} 街道/地区 "
            f"of 110105 朝阳区 known, vintage {VINTAGE})"
        )
    rest = text
    for prefix in _PREFIXES:
        rest = rest.removeprefix(prefix)
    if not rest and text:
        return DISTRICT_CODE  # '朝阳区' or '北京市朝阳区' alone
    code = _BY_BASE.get(_base(rest))
    if code is None:
        raise NormalizeError(
            f"未知的街道/地区 {name_or_code!r} (unknown subdistrict; {len(DIVISIONS)} known in "
            f"朝阳区, vintage {VINTAGE})"
        )
    return code


def division_codes(values: Iterable[Any]) -> list[str | None]:
    """The code of each street name or code; None where it is missing or unknown.

    For sources that map a whole column and reject the unknown streets in their
    own check, naming the street. Each distinct value is looked up once.
    """
    known: dict[Any, str | None] = {}
    out: list[str | None] = []
    for value in values:
        if value not in known:
            try:
                known[value] = division_code(value) if value is not None and str(value).strip() else None
            except NormalizeError:
                known[value] = None
        out.append(known[value])
    return out


def division_name(code: str) -> str:
    """Official name ('建外街道') for a code; the district code gives '朝阳区'."""
    resolved = division_code(code)
    return DISTRICT_NAME if resolved == DISTRICT_CODE else DIVISIONS[resolved]
