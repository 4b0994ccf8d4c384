"""Make the 饮用水水质 (drinking water quality) samples, deterministically, as the three
offices keep them. Quarters 2016Q1..2016Q3.

- ``水质指标限值对照表.xlsx``: the 卫生计生委's table of limits (GB 5749-2006 表1/表2 for
  出厂水 and 末梢水, GB/T 14848-93 Ⅲ类 for 水源水), a title row, one workbook for every quarter;
  a limit like 6.5～8.5 is split into 限值下限 / 限值上限 and kept as written in 限值（原文）.
- ``水源水质_<YYYYQn>.xlsx``: the 区水务局's source-well results, a title row and a 采样单位
  line, units in the headers, 是否达标 as 是/否, dates as date cells.
- ``出厂水水质_<YYYYQn>.csv``: GBK, one row per plant and month from the plants' own tests,
  dates as 2016/1/12, 未检出 for coliforms.
- ``末梢水水质_<YYYYQn>.json``: the health inspectorate's LIMS export ``{"status": "ok",
  "rows": [...]}``, numbers as JSON numbers or text, 是否达标 as 是/否.

Honest exceedances (published as measured, not rejected): the 孙河 well's nitrate is above
the 20 mg/L groundwater limit in 2016Q2, and one tap in 2016Q3 has too little free chlorine.

Planted dirty rows (must land in rejects):
- 2016Q1 出厂水: 总大肠菌群 written ``<2`` instead of 未检出 -> dw_plant_quality,
  field ``total_coliform``.
- 2016Q2 末梢水: pH ``75`` (the point dropped from 7.5) -> dw_tap_quality, field ``ph``.
- 2016Q3 水源水: 所在乡 typed 北苑乡, not a Chaoyang 地区 -> dw_source_quality, field
  ``township``.

Run: python sample_data/drinking_water/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
QUARTERS = ("2016Q1", "2016Q2", "2016Q3")
GB5749, GB14848 = "GB 5749-2006《生活饮用水卫生标准》", "GB/T 14848-93《地下水质量标准》Ⅲ类"
# indicator, name, unit, (source limit), (plant limit), (tap limit): each (min, max, text) or None
LIMITS = [
    ("turbidity_ntu", "浑浊度", "NTU", (None, 3, "≤3"), (None, 1, "≤1"), (None, 1, "≤1")),
    ("ph", "pH", "", (6.5, 8.5, "6.5～8.5"), (6.5, 8.5, "6.5～8.5"), (6.5, 8.5, "6.5～8.5")),
    ("color", "色度", "度", (None, 15, "≤15"), (None, 15, "≤15"), (None, 15, "≤15")),
    ("total_hardness", "总硬度（以CaCO3计）", "mg/L", (None, 450, "≤450"), (None, 450, "≤450"), (None, 450, "≤450")),
    ("tds", "溶解性总固体", "mg/L", (None, 1000, "≤1000"), (None, 1000, "≤1000"), None),
    ("codmn", "耗氧量（CODMn法，以O2计）", "mg/L", (None, 3.0, "≤3.0"), (None, 3, "≤3"), (None, 3, "≤3")),
    ("ammonia_n", "氨氮（以N计）", "mg/L", (None, 0.2, "≤0.2"), (None, 0.5, "≤0.5"), (None, 0.5, "≤0.5")),
    ("nitrate_n", "硝酸盐（以N计）", "mg/L", (None, 20, "≤20"), (None, 20, "≤10，地下水源限制时为20"), None),
    ("fluoride", "氟化物", "mg/L", (None, 1.0, "≤1.0"), (None, 1.0, "≤1.0"), None),
    ("arsenic", "砷", "mg/L", (None, 0.05, "≤0.05"), (None, 0.01, "≤0.01"), None),
    ("bacteria_cfu", "菌落总数", "CFU/mL", (None, 100, "≤100"), (None, 100, "≤100"), (None, 100, "≤100")),
    ("total_coliform", "总大肠菌群", "MPN/100mL", (None, 3.0, "≤3.0（个/L）"), (None, None, "不得检出"), (None, None, "不得检出")),
    ("free_chlorine", "游离氯", "mg/L", None, (0.3, 4, "0.3～4（出厂水中余量≥0.3）"), (0.05, 4, "≥0.05（管网末梢水中余量）")),
]
# well / plant id, name, 乡 as typed
WELLS = [("孙河水厂1号水源井", "孙河地区"), ("金盏水厂水源井", "金盏乡"), ("黑庄户水厂水源井", "黑庄户地区"), ("豆各庄水厂水源井", "豆各庄乡")]
PLANTS = [("孙河水厂", "孙河地区"), ("金盏水厂", "金盏地区"), ("黑庄户水厂", "黑庄户"), ("豆各庄水厂", "豆各庄地区"), ("第九水厂", "来广营地区")]
TAPS = [("望京西园三区", "北京市自来水集团", "望京街道"), ("朝阳区实验小学", "北京市自来水集团", "朝外街道"),
        ("金盏乡政府家属院", "金盏水厂", "金盏地区"), ("孙河乡康营家园", "孙河水厂", "孙河地区"),
        ("黑庄户乡郎各庄社区", "黑庄户水厂", "黑庄户地区"), ("豆各庄乡于家围社区", "豆各庄水厂", "豆各庄地区")]


def months(quarter: str) -> list[tuple[int, int]]:
    y, q = int(quarter[:4]), int(quarter[-1])
    return [(y, m) for m in range(3 * q - 2, 3 * q + 1)]


def limits_workbook() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "限值"
    head = ["序号", "适用水体", "指标代码", "指标名称", "单位", "限值下限", "限值上限", "限值（原文）", "依据标准"]
    ws.append(["朝阳区饮用水水质指标限值对照表"] + [None] * 8)
    ws.merge_cells("A1:I1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(head)
    n = 0
    for water, col, standard in (("水源水", 3, GB14848), ("出厂水", 4, GB5749), ("末梢水", 5, GB5749)):
        for row in LIMITS:
            limit = row[col]
            if limit is None:
                continue
            n += 1
            lo, hi, text = limit
            ws.append([n, water, row[0], row[1], row[2], lo, hi, text, standard])
    ws.append([])
    ws.append(["注：限值摘自上述标准；总大肠菌群“不得检出”无数值上限。"])
    save_frozen(wb, HERE / "水质指标限值对照表.xlsx", dt.datetime(2016, 1, 5))


def measure(rng: random.Random, kind: str) -> dict[str, object]:
    """Plausible values for a sample of ``kind`` (水源水, 出厂水, 末梢水)."""
    values: dict[str, object] = {
        "turbidity_ntu": round(rng.uniform(0.1, 0.6 if kind != "水源水" else 1.5), 2),
        "ph": round(rng.uniform(7.2, 8.1), 1),
        "color": rng.choice([5, 5, 5, 10]) if kind == "水源水" else 5,
        "total_hardness": round(rng.uniform(180, 320), 1),
        "tds": round(rng.uniform(260, 480), 1),
        "codmn": round(rng.uniform(0.6, 1.8), 2),
        "ammonia_n": round(rng.uniform(0.02, 0.12), 3),
        "nitrate_n": round(rng.uniform(2.5, 9.5), 2),
        "fluoride": round(rng.uniform(0.2, 0.6), 2),
        "arsenic": "<0.001" if rng.random() < 0.5 else 0.001,
        "bacteria_cfu": rng.choice([0, 1, 2, 4, 8, 12]),
        "total_coliform": "未检出",
    }
    if kind != "水源水":
        values["free_chlorine"] = round(rng.uniform(0.45, 0.9) if kind == "出厂水" else rng.uniform(0.1, 0.5), 2)
    return values


def sources(quarter: str, rng: random.Random) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "水源水"
    head = ["样品编号", "水源地名称", "水源类型", "所在乡（地区）", "采样日期", "浑浊度(NTU)", "pH值", "色度(度)", "总硬度(mg/L)",
            "溶解性总固体(mg/L)", "耗氧量(mg/L)", "氨氮(mg/L)", "硝酸盐(mg/L)", "氟化物(mg/L)", "砷(mg/L)", "菌落总数(CFU/mL)",
            "总大肠菌群", "是否达标", "超标指标"]
    ws.append([f"朝阳区乡镇集中式饮用水水源井水质监测结果（{quarter[:4]}年第{quarter[-1]}季度）"] + [None] * (len(head) - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["采样单位：朝阳区水务局水质监测中心"] + [None] * (len(head) - 1))
    ws.append(head)
    y, m = months(quarter)[1]
    for n, (name, township) in enumerate(WELLS, start=1):
        v = measure(rng, "水源水")
        ok, exceeded = "是", ""
        if quarter == "2016Q2" and name.startswith("孙河"):  # honest exceedance: published as measured
            v["nitrate_n"], ok, exceeded = 22.6, "否", "硝酸盐"
        if quarter == "2016Q3" and n == 3:
            township = "北苑乡"  # planted: not a Chaoyang 地区
        ws.append([f"SY{quarter}-{n:03d}", name, "地下水", township, dt.date(y, m, 8 + n), *v.values(), ok, exceeded])
        ws.cell(ws.max_row, 5).number_format = "yyyy-mm-dd"
    save_frozen(wb, HERE / f"水源水质_{quarter}.xlsx", dt.datetime(2016, 10, 12))


def plants(quarter: str, rng: random.Random) -> None:
    head = ["样品编号", "供水厂名称", "所在街乡", "采样日期", "浑浊度(NTU)", "pH值", "色度(度)", "总硬度(mg/L)", "溶解性总固体(mg/L)",
            "耗氧量(mg/L)", "氨氮(mg/L)", "硝酸盐(mg/L)", "氟化物(mg/L)", "砷(mg/L)", "菌落总数(CFU/mL)", "总大肠菌群",
            "游离氯(mg/L)", "是否达标", "超标指标"]
    with open(HERE / f"出厂水水质_{quarter}.csv", "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        n = 0
        for y, m in months(quarter):
            for plant, township in PLANTS:
                n += 1
                v = measure(rng, "出厂水")
                if quarter == "2016Q1" and n == 7:
                    v["total_coliform"] = "<2"  # planted: not 未检出 / 检出
                w.writerow([f"CC{quarter}-{n:03d}", plant, township, f"{y}/{m}/{rng.randint(10, 20)}", *v.values(), "是", ""])


def taps(quarter: str, rng: random.Random) -> None:
    records = []
    y, m = months(quarter)[rng.randint(0, 2)]
    for n, (point, supplier, township) in enumerate(TAPS, start=1):
        v = measure(rng, "末梢水")
        for drop in ("tds", "nitrate_n", "fluoride", "arsenic"):  # not in the tap programme
            v.pop(drop)
        ok, exceeded = "是", None
        if quarter == "2016Q3" and n == 5:  # honest finding: too little chlorine at the tap
            v["free_chlorine"], ok, exceeded = 0.03, "否", "游离氯"
        if quarter == "2016Q2" and n == 2:
            v["ph"] = "75"  # planted: the point dropped
        records.append({"报告编号": f"WS{quarter}-{n:03d}", "采样点": point, "供水单位": supplier, "所在街乡": township,
                        "采样日期": f"{y}-{m:02d}-{14 + n:02d}", "浑浊度": v["turbidity_ntu"], "pH": v["ph"], "色度": v["color"],
                        "总硬度": str(v["total_hardness"]), "耗氧量": v["codmn"], "氨氮": v["ammonia_n"], "菌落总数": v["bacteria_cfu"],
                        "总大肠菌群": v["total_coliform"], "余氯": v["free_chlorine"], "是否达标": ok, "超标项目": exceeded,
                        "检验人": "卫生监督所检验科"})
    doc = {"status": "ok", "count": len(records), "rows": records}
    (HERE / f"末梢水水质_{quarter}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    rng = random.Random(20161012)
    limits_workbook()
    for quarter in QUARTERS:
        sources(quarter, rng)
        plants(quarter, rng)
        taps(quarter, rng)
    print(f"wrote 饮用水 samples for {', '.join(QUARTERS)} to {HERE}")


if __name__ == "__main__":
    main()
