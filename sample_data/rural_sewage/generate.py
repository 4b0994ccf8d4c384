"""Make the 农村污水治理设施 progress samples, deterministically, as the 区水务局 keeps them.

Per half-year (2015H2, 2016H1, 2016H2): ``农村污水治理设施建设进展_<period>.xlsx`` with a
title row, a 填报单位 / 截至日期 line, a two-row header (建设规模 over 设计处理能力(吨/日) /
配套管网(公里); 受益户数 over 计划 / 累计接入; 投资(万元) over 计划总投资 / 累计完成), one
row per village facility, a 合计 row and a 填表人 footnote. The 乡 is typed as the 乡 types it
(将台乡, 金盏地区, 孙河); dates as date cells or 2016年5月20日; facilities planned but not
started have no dates.

Ten facilities in eight of Chaoyang's rural 地区 (fictional villages' figures).

Planted dirty rows (must land in rejects):
- 2016H1, CY-NW-2015-004: 累计接入 1230 households typed for 123, above the 320 planned
  -> field ``households_connected`` (at_most).
- 2016H2, CY-NW-2016-007: 累计完成 投资 typed 86.00 below 2016H1's 186.00
  -> field ``investment_completed`` (not_decreasing).
- 2016H2, CY-NW-2016-009: the 乡 typed 北苑乡, not one of Chaoyang's 街道/地区
  -> field ``township`` (division_code).

Run: python sample_data/rural_sewage/generate.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
PERIODS = ("2015H2", "2016H1", "2016H2")
D = dt.date
# id, village, 乡 as typed, type, process, t/d, km, planned households, planned 万元
FACILITIES = [
    ("CY-NW-2015-001", "马各庄村", "孙河", "集中式处理站", "MBR膜生物反应器", 300, "4.20", 820, "1,260.00"),
    ("CY-NW-2015-002", "楼梓庄村", "金盏地区", "集中式处理站", "A2/O+人工湿地", 450, "6.80", 1150, "1,890.00"),
    ("CY-NW-2015-003", "北甸东村", "孙河乡", "纳入市政管网", "", None, "3.10", 640, "720.00"),
    ("CY-NW-2015-004", "奶子房村", "崔各庄地区", "分散式处理设施", "一体化生物接触氧化", 60, "1.35", 320, "268.50"),
    ("CY-NW-2016-005", "高安屯村", "金盏乡", "集中式处理站", "MBR膜生物反应器", 200, "2.90", 560, "930.00"),
    ("CY-NW-2016-006", "郎各庄村", "黑庄户地区", "纳入市政管网", "", None, "5.60", 980, "1,120.00"),
    ("CY-NW-2016-007", "双桥村", "管庄地区", "分散式处理设施", "一体化生物接触氧化", 80, "1.80", 410, "386.00"),
    ("CY-NW-2016-008", "南皋村", "崔各庄乡", "集中式处理站", "A2/O", 250, "3.70", 700, "1,050.00"),
    ("CY-NW-2016-009", "东洼村", "将台乡", "纳入市政管网", "", None, "2.20", 390, "460.00"),
    ("CY-NW-2016-010", "大鲁店村", "豆各庄地区", "分散式处理设施", "人工湿地", 50, "0.95", 260, "210.00"),
]
# period -> id -> (status, connected, completed 万元 as typed, start, completion, note); absent: not listed yet
PROGRESS = {
    "2015H2": {
        "CY-NW-2015-001": ("在建", 210, "520.00", D(2015, 8, 10), None, "处理站主体结构完成，管网铺设1.6公里"),
        "CY-NW-2015-002": ("在建", 0, "310.50", "2015年10月12日", None, "土方开挖"),
        "CY-NW-2015-003": ("前期工作", 0, "0", None, None, "完成设计方案"),
        "CY-NW-2015-004": ("在建", 40, "96.00", D(2015, 9, 1), None, "设备采购"),
    },
    "2016H1": {
        "CY-NW-2015-001": ("通水运行", 820, "1,236.80", D(2015, 8, 10), "2016年4月28日", "已通水运行，出水达到一级B标准"),
        "CY-NW-2015-002": ("在建", 460, "1,020.00", "2015年10月12日", None, "处理站设备安装"),
        "CY-NW-2015-003": ("在建", 120, "205.00", "2016年3月15日", None, "管网铺设1.1公里"),
        "CY-NW-2015-004": ("完工", 1230, "262.40", D(2015, 9, 1), D(2016, 5, 20), "设备调试"),  # planted: 123 typed 1230
        "CY-NW-2016-005": ("前期工作", 0, "0", None, None, "完成可研批复"),
        "CY-NW-2016-006": ("前期工作", 0, "0", None, None, "完成立项"),
        "CY-NW-2016-007": ("在建", 60, "186.00", D(2016, 4, 6), None, "设备基础施工"),
    },
    "2016H2": {
        "CY-NW-2015-001": ("通水运行", 820, "1,236.80", D(2015, 8, 10), "2016年4月28日", "稳定运行"),
        "CY-NW-2015-002": ("通水运行", 1150, "1,872.30", "2015年10月12日", D(2016, 11, 18), "已通水运行"),
        "CY-NW-2015-003": ("完工", 640, "716.20", "2016年3月15日", D(2016, 12, 2), "管网全部接通"),
        "CY-NW-2015-004": ("通水运行", 320, "262.40", D(2015, 9, 1), D(2016, 5, 20), "稳定运行"),
        "CY-NW-2016-005": ("在建", 150, "410.00", D(2016, 8, 22), None, "处理站主体施工"),
        "CY-NW-2016-006": ("在建", 300, "520.00", "2016年7月4日", None, "管网铺设2.6公里"),
        "CY-NW-2016-007": ("在建", 210, "86.00", D(2016, 4, 6), None, "设备安装"),  # planted: below 186.00
        "CY-NW-2016-008": ("前期工作", 0, "0", None, None, "方案设计"),
        "CY-NW-2016-009": ("在建", 90, "120.00", D(2016, 9, 12), None, "管网铺设0.6公里"),
        "CY-NW-2016-010": ("前期工作", 0, "0", None, None, "选址"),
    },
}
HEAD1 = ["序号", "设施编号", "行政村", "所属乡（地区）", "治理方式", "处理工艺", "建设规模", None, "受益户数", None,
         "投资(万元)", None, "建设状态", "开工日期", "完工日期", "形象进度"]
HEAD2 = [None] * 6 + ["设计处理能力(吨/日)", "配套管网(公里)", "计划", "累计接入", "计划总投资", "累计完成"] + [None] * 4
END = {"2015H2": "2015年12月31日", "2016H1": "2016年6月30日", "2016H2": "2016年12月31日"}


def workbook(period: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "建设进展"
    width = len(HEAD1)
    year, half = period[:4], "上半年" if period.endswith("H1") else "下半年"
    ws.append([f"朝阳区农村污水治理设施建设进展情况表（{year}年{half}）"] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["填报单位：朝阳区水务局农村水务科"] + [None] * 12 + [f"截至：{END[period]}", None, None])
    ws.append(HEAD1)
    ws.append(HEAD2)
    for c in range(1, width + 1):
        if c not in (7, 8, 9, 10, 11, 12):
            ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    for c in (7, 9, 11):
        ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 1)
    facilities = {f[0]: f for f in FACILITIES}
    totals = [0, 0, 0.0, 0.0]
    for n, (fid, (status, connected, done, start, finish, note)) in enumerate(PROGRESS[period].items(), start=1):
        _, village, township, kind, process, capacity, km, planned, invest = facilities[fid]
        if period == "2016H2" and fid == "CY-NW-2016-009":
            township = "北苑乡"  # planted: not a Chaoyang 地区
        ws.append([n, fid, village, township, kind, process, capacity, km, planned, connected, invest, done, status, start, finish, note])
        for c in (14, 15):
            if isinstance(ws.cell(ws.max_row, c).value, (dt.date, dt.datetime)):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
        totals[0] += planned
        totals[1] += connected
        totals[2] += float(invest.replace(",", ""))
        totals[3] += float(done.replace(",", ""))
    ws.append(["合计", None, None, None, None, None, None, None, totals[0], totals[1], f"{totals[2]:,.2f}", f"{totals[3]:,.2f}"])
    ws.append([])
    ws.append(["填表人：孙浩    审核人：李建平"])
    save_frozen(wb, HERE / f"农村污水治理设施建设进展_{period}.xlsx", dt.datetime(2017, 1, 10))


def main() -> None:
    for period in PERIODS:
        workbook(period)
    print(f"wrote 农村污水治理 samples for {', '.join(PERIODS)} to {HERE}")


if __name__ == "__main__":
    main()
