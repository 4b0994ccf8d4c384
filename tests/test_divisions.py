"""Chaoyang 街道/地区 codes: every name and code, spelling variants, and refusals."""

from __future__ import annotations

import pytest

from gongkai_etl.divisions import DISTRICT_CODE, DIVISIONS, VINTAGE, division_code, division_name
from gongkai_etl.errors import NormalizeError

# Straight from the DOMAIN.md table, so a typo in the module cannot hide.
EXPECTED = {
    "001": "建外街道", "002": "朝外街道", "003": "呼家楼街道", "004": "三里屯街道", "005": "左家庄街道",
    "006": "香河园街道", "007": "和平街街道", "008": "安贞街道", "009": "亚运村街道", "010": "小关街道",
    "011": "酒仙桥街道", "012": "麦子店街道", "013": "团结湖街道", "014": "六里屯街道", "015": "八里庄街道",
    "016": "双井街道", "017": "劲松街道", "018": "潘家园街道", "019": "垡头街道", "021": "南磨房地区",
    "022": "高碑店地区", "023": "将台地区", "024": "太阳宫地区", "025": "大屯街道", "026": "望京街道",
    "027": "小红门地区", "028": "十八里店地区", "029": "平房地区", "030": "东风地区", "031": "奥运村街道",
    "032": "来广营地区", "033": "常营地区", "034": "三间房地区", "035": "管庄地区", "036": "金盏地区",
    "037": "孙河地区", "038": "崔各庄地区", "039": "东坝地区", "040": "黑庄户地区", "041": "豆各庄地区",
    "042": "王四营地区", "043": "东湖街道", "400": "首都机场街道",
}
ITEMS = sorted(EXPECTED.items())


def test_table() -> None:
    assert VINTAGE == "2016"
    assert len(DIVISIONS) == 43
    assert DIVISIONS == {f"110105{serial}000": name for serial, name in EXPECTED.items()}
    assert all(len(code) == 12 and code.isdigit() for code in DIVISIONS)


@pytest.mark.parametrize(("serial", "name"), ITEMS)
def test_every_name_and_code(serial: str, name: str) -> None:
    code = f"110105{serial}000"
    short = name.removesuffix("街道").removesuffix("地区")
    variants = [name, short, f"朝阳区{name}", f"北京市朝阳区{name}", f" {name[0]} {name[1:]}\u3000", f"{short}办事处",
                f"{name}办事处", code, f"110105{serial}", code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})]
    for variant in variants:
        assert division_code(variant) == code, variant
    assert division_name(code) == name
    assert division_name(f"110105{serial}") == name


@pytest.mark.parametrize(
    ("text", "code"),
    [("建外地区", "110105001000"), ("将台乡", "110105023000"), ("建国门外街道", "110105001000"),
     ("朝阳门外街道", "110105002000"), ("和平街", "110105007000"), ("奥运村", "110105031000"), ("亚运村", "110105009000"),
     ("首都机场", "110105400000"), ("朝阳区", DISTRICT_CODE), ("北京市朝阳区", DISTRICT_CODE), ("110105", DISTRICT_CODE),
     (DISTRICT_CODE, DISTRICT_CODE)],
)
def test_variants(text: str, code: str) -> None:
    assert division_code(text) == code


def test_district_name() -> None:
    assert division_name(DISTRICT_CODE) == "朝阳区"


@pytest.mark.parametrize(
    "text",
    ["运村", "奥亚运村", "和平", "街道", "地区", "", "海淀区", "110105020000", "110105001001", "110108001000", "1101050010",
     "001", "东城区建外街道x", "建外街道建外街道"],
)
def test_unknown(text: str) -> None:
    with pytest.raises(NormalizeError) as info:
        division_code(text)
    message = str(info.value)
    assert message.startswith("未知的")
    assert "43" in message and VINTAGE in message and len(message) < 120


def test_names_are_not_matched_by_substring() -> None:
    # '亚运村' and '奥运村' share '运村'; neither may swallow the other.
    assert division_code("奥运村街道") != division_code("亚运村街道")
    assert len({division_code(name) for name in EXPECTED.values()}) == 43


def test_division_codes_maps_a_column_and_leaves_unknown_or_missing_empty() -> None:
    from gongkai_etl.divisions import division_codes

    assert division_codes(["建外街道", " 南磨房地区", None, "", "  ", "北苑地区", "建外街道", "110105011"]) == [
        "110105001000", "110105021000", None, None, None, None, "110105001000", "110105011000",
    ]
