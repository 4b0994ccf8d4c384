"""Make the shantytown sample inputs, deterministically, as the departments keep them.

- 棚改项目清单.xlsx: title row, two-row merged header, a 合计 row at the bottom.
- 棚改进度_<YYYY-MM>.xlsx: one per month, title row, merged header groups
  (签约情况 / 搬迁情况 / 开工情况 / 竣工情况), Chinese dates, a 合计 row.
- 棚改后期管理_<YYYY-MM>.csv: GBK, as a street office's Excel exports it.

Planted dirty rows (must land in rejects): 2016-10 progress CY-PG-2016-003
signs more households than the project has; 2016-10 progress CY-PG-2016-006
has 待定 as cumulative units started; 2016-10 follow-up CY-PG-2015-002 reports
fewer resettled households than in September.

Run: python sample_data/shantytown/generate.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
MONTHS = ["2016-08", "2016-09", "2016-10"]

PROJECTS = [
    # id, name, street, implementer, type, households, mode, units, investment (亿元), start
    ("CY-PG-2015-001", "南磨房地区双井村棚户区改造项目", "南磨房地区", "北京市朝阳区住房保障事务中心", "城中村", 1260, "混合", 1500, "48.60", "2015年3月18日"),
    ("CY-PG-2015-002", "垡头地区翠城周边棚户区改造项目", "垡头街道", "北京朝开棚改投资有限公司", "城市棚户区", 842, "实物安置", 960, "31.25", "2015/6/1"),
    ("CY-PG-2016-001", "酒仙桥地区危旧房改造项目", "酒仙桥街道", "北京电控置业有限公司", "国有工矿", 2230, "混合", 2600, "96.40", "2016.01.12"),
    ("CY-PG-2016-002", "东坝地区单店村棚户区改造项目", "东坝地区", "北京市朝阳区东坝乡人民政府", "城中村", 615, "货币补偿", 0, "18.90", "2016年2月26日"),
    ("CY-PG-2016-003", "豆各庄地区于家围棚户区改造项目", "豆各庄地区", "北京朝开棚改投资有限公司", "城中村", 430, "实物安置", 520, "12.35", "2016年3月8日"),
    ("CY-PG-2016-004", "三间房地区北双桥棚户区改造项目", "三间房地区", "北京市朝阳区三间房乡人民政府", "城中村", 388, "混合", 410, "10.80", "2016/4/20"),
    ("CY-PG-2016-005", "王四营地区观音堂棚户区改造项目", "王四营地区", "北京市朝阳区王四营乡人民政府", "城中村", 276, "货币补偿", 0, "7.65", "2016/5/5"),
    ("CY-PG-2016-006", "十八里店地区吕家营棚户区改造项目", "十八里店地区", "北京朝开棚改投资有限公司", "城中村", 954, "实物安置", 1100, "35.10", "2016年6月30日"),
]


def _title_and_header(ws, title: str, top: list[tuple[str, int]], sub: list[str]) -> None:
    width = len(sub)
    ws.append([title] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    row2: list[str | None] = []
    for text, span in top:
        row2 += [text] + [None] * (span - 1)
    ws.append(row2)
    ws.append(sub)
    col = 1
    for text, span in top:
        if span > 1:
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + span - 1)
        elif sub[col - 1] in (None, ""):
            ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
        col += span


def project_list() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目清单"
    top = [("序号", 1), ("项目编号", 1), ("项目名称", 1), ("所属街乡", 1), ("实施主体", 1), ("项目类型", 1),
           ("改造户数", 1), ("安置方式", 1), ("计划安置房套数", 1), ("总投资(亿元)", 1), ("启动日期", 1)]
    _title_and_header(ws, "朝阳区2016年棚户区改造项目清单", top, [""] * len(top))
    for i, p in enumerate(PROJECTS, start=1):
        pid, name, street, impl, typ, hh, mode, units, inv, start = p
        street_text = " " + street if i == 4 else street  # stray space, as typed by hand
        ws.append([i, pid, name, street_text, impl, typ, f"{hh:,}" if i == 3 else hh, mode, units, inv, start])
    ws.append(["合计", None, None, None, None, None, sum(p[5] for p in PROJECTS), None, sum(p[7] for p in PROJECTS),
               f"{sum(float(p[8]) for p in PROJECTS):.2f}", None])
    hidden = wb.create_sheet("填表说明")
    hidden.append(["本表由区住房城乡建设委填报"])
    hidden.sheet_state = "hidden"
    wb.save(HERE / "棚改项目清单.xlsx")


def progress(month: str, state: dict[str, list[float]], rng: random.Random) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "进展"
    year, mon = month.split("-")
    top = [("序号", 1), ("项目编号", 1), ("项目名称", 1), ("签约情况", 2), ("搬迁情况", 1), ("开工情况", 2),
           ("竣工情况", 1), ("累计完成投资(亿元)", 1), ("填报日期", 1)]
    sub = ["", "", "", "累计签约户数", "签约比例", "累计搬迁户数", "本月开工", "累计开工", "累计竣工", "", ""]
    _title_and_header(ws, f"朝阳区棚户区改造项目建设进展情况表（{year}年{int(mon)}月）", top, sub)
    totals = [0, 0, 0, 0, 0, 0.0]
    for i, p in enumerate(PROJECTS, start=1):
        pid, hh, units, inv = p[0], p[5], p[7], float(p[8])
        s = state.setdefault(pid, [hh * rng.uniform(0.3, 0.6), 0.0, 0.0, 0.0, inv * rng.uniform(0.1, 0.3)])
        s[0] = min(hh, s[0] + hh * rng.uniform(0.02, 0.12))
        s[1] = min(s[0], s[1] + s[0] * rng.uniform(0.05, 0.3))
        started_now = int(units * rng.uniform(0.0, 0.15)) if units else 0
        s[2] = min(units, s[2] + started_now)
        s[3] = min(s[2], s[3] + s[2] * rng.uniform(0.0, 0.2))
        s[4] = min(inv, s[4] + inv * rng.uniform(0.01, 0.06))
        signed, relocated = int(s[0]), int(s[1])
        started_cum, completed = int(s[2]), int(s[3])
        invest = f"{s[4]:.2f}"
        if month == "2016-10" and pid == "CY-PG-2016-003":
            signed = hh + 35  # planted: more signed than households
        started_cell: object = started_cum
        if month == "2016-10" and pid == "CY-PG-2016-006":
            started_cell = "待定"  # planted: not a number
        if i == 2:
            invest = f"{s[4]:.2f}亿元"  # a unit typed into the cell
        if i == 5:
            started_cell = str(started_cum).translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width
        day = rng.randint(1, 5)
        ws.append([i, pid, p[1], signed, f"{signed / hh:.1%}", relocated, started_now, started_cell, completed, invest,
                   f"{year}年{int(mon) % 12 + 1}月{day}日" if mon != "12" else f"{int(year) + 1}年1月{day}日"])
        totals = [totals[0] + signed, totals[1] + relocated, totals[2] + started_now, totals[3] + started_cum,
                  totals[4] + completed, totals[5] + s[4]]
    ws.append(["合计", None, None, totals[0], None, totals[1], totals[2], totals[3], totals[4], f"{totals[5]:.2f}", None])
    ws.append([None] * 11)  # empty trailing rows, as saved by Excel
    ws.append([None] * 11)
    wb.save(HERE / f"棚改进度_{month}.xlsx")


def followup(month: str, state: dict[str, list[int]], rng: random.Random) -> None:
    rows = []
    for p in PROJECTS:
        pid, hh = p[0], p[5]
        if not pid.startswith("CY-PG-2015"):
            continue  # only older projects are in the resettlement phase
        s = state.setdefault(pid, [int(hh * 0.2), 0])
        s[0] = min(hh, s[0] + int(hh * rng.uniform(0.02, 0.08)))
        s[1] = min(s[0], s[1] + int(s[0] * rng.uniform(0.1, 0.3)))
        resettled = s[0]
        if month == "2016-10" and pid == "CY-PG-2015-002":
            resettled = s[0] - 150  # planted: cumulative value goes down
        note = "回迁楼配套幼儿园已开工" if pid.endswith("001") else "配套道路施工中"
        rows.append([pid, p[1], f"{resettled:,}", f"{rng.uniform(40, 90):.1f}", s[1], note])
    with open(HERE / f"棚改后期管理_{month}.csv", "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["项目编号", "项目名称", "回迁安置户数", "配套设施完成比例(%)", "累计办理产权证(本)", "备注"])
        w.writerows(rows)


def main() -> None:
    rng = random.Random(20161031)
    project_list()
    prog_state: dict[str, list[float]] = {}
    follow_state: dict[str, list[int]] = {}
    for month in MONTHS:
        progress(month, prog_state, rng)
        followup(month, follow_state, rng)
    print(f"wrote shantytown samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
