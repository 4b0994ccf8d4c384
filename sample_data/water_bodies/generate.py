"""Make the black-and-odorous-water (黑臭水体) sample inputs, deterministically.

Per half-year (2015H2, 2016H1, 2016H2), as the 区水务局 keeps them:

- ``黑臭水体名单_<period>.xlsx``: title row, a filing line (填报单位 / 填报日期), a two-row merged
  header (起止点, 责任人 and 整治进展 groups), one row per water body, a 合计 row. Responsible
  persons' mobile numbers are in the sheet (联系电话) and must never be published. Dates are
  typed the way people type them (2016年12月31日, 2017/6/30, real date cells).
- ``水质监测_<period>.json``: the monitoring system's export, ``{"code": 200, "data":
  {"list": [...]}}``, one record per sampling point and month (透明度 tmd, 溶解氧 rjy, orp, 氨氮 ad),
  numbers sometimes as text.

The 12 water bodies and their officials are fictional sample data.

Planted dirty rows (must land in rejects):

- 2016H1, CY-HC-012 马家湾湖: declared 轻度黑臭 while 治理中, but its dissolved oxygen averages
  below 0.2 mg/L, which is 重度黑臭 (wb_water_body, field severity, reason names do_mg_l).
- 2016H2, CY-HC-001 北小河: street typed as 北苑地区, not one of Chaoyang's 43 街道/地区
  (wb_water_body, field street).
- 2016H2, CY-HC-006 老君堂沟: target date 2016年11月31日 does not exist (wb_water_body, field
  target_date).
- 2016H2 monitoring: one stale record of CY-HC-002 sampled on 2016-06-28, in the first half
  (wb_monitoring, field sample_time).

Run: python sample_data/water_bodies/generate.py
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
FROZEN_AT = datetime(2017, 1, 1)  # every timestamp inside the saved workbooks
PERIODS = ("2015H2", "2016H1", "2016H2")
HEAVY, LIGHT = "重度黑臭", "轻度黑臭"

# id, name, street, type, start, end, length km, area km², declared severity, official, position,
# responsible unit, target date, planned investment (万元), measures, status per period
BODIES = [
    ("CY-HC-001", "北小河（北苑路—京承高速段）", "来广营地区", "河流", "北苑路", "京承高速", "3.20", None, HEAVY,
     "张立军", "来广营地区办事处主任", "来广营地区办事处", "2016年12月31日", 5600, "截污纳管、清淤疏浚、生态补水",
     ("方案制定", "治理中", "治理中")),
    ("CY-HC-002", "萧太后河（十八里店段）", "十八里店地区", "河流", "西直河桥", "大羊坊沟口", "4.85", None, HEAVY,
     "刘建华", "十八里店地区党委书记", "十八里店地区办事处", "2017/6/30", 9800, "截污治污、河道清淤、岸坡整治、再生水补水",
     ("治理中", "治理中", "治理中")),
    ("CY-HC-003", "通惠排干（高碑店段）", "高碑店地区", "河流", "高碑店闸", "化工桥", "3.60", None, LIGHT,
     "王海涛", "区水务局副局长", "区水务局", "2016年6月30日", 4200, "截污纳管、清淤、生态护岸",
     ("治理中", "完成治理", "长制久清")),
    ("CY-HC-004", "小场沟", "孙河地区", "沟渠", "京密路", "温榆河", "2.10", None, LIGHT,
     "陈志强", "孙河地区办事处副主任", "孙河地区办事处", "2016年12月31日", 1800, "截污、清淤、沟道护砌",
     ("方案制定", "治理中", "治理中")),
    ("CY-HC-005", "北土城沟（东段）", "安贞街道", "河流", "安定路", "北土城东路", "1.80", None, LIGHT,
     "李秀英", "安贞街道办事处主任", "安贞街道办事处", "2016年12月31日", 2300, "雨污分流改造、清淤、水生植物种植",
     ("治理中", "治理中", "完成治理")),
    ("CY-HC-006", "老君堂沟", "十八里店地区", "沟渠", "老君堂村", "萧太后河", "1.65", None, HEAVY,
     "赵国庆", "十八里店地区办事处副主任", "十八里店地区办事处", "2017年6月30日", 1500, "截污纳管、垃圾清理、清淤",
     ("方案制定", "方案制定", "治理中")),
    ("CY-HC-007", "驹子房坑塘", "东坝地区", "坑塘", None, None, None, "0.0120", HEAVY,
     "孙卫东", "东坝地区办事处副主任", "东坝地区办事处", "2017年6月30日", 650, "清除垃圾和底泥、截断排污口、生态修复",
     ("方案制定", "治理中", "治理中")),
    ("CY-HC-008", "红领巾湖北湖", "八里庄街道", "湖泊", None, None, None, "0.0450", LIGHT,
     "周敏", "八里庄街道办事处主任", "八里庄街道办事处", "2016年6月30日", 1200, "截污、底泥疏浚、循环净化",
     ("治理中", "完成治理", "完成治理")),
    ("CY-HC-009", "半壁店沟", "高碑店地区", "沟渠", "半壁店村", "通惠排干", "1.30", None, LIGHT,
     "吴建平", "高碑店地区办事处副主任", "高碑店地区办事处", "2016年12月31日", 900, "截污、清淤、沟坡绿化",
     ("治理中", "治理中", "完成治理")),
    ("CY-HC-010", "郎各庄坑塘", "黑庄户地区", "坑塘", None, None, None, "0.0085", LIGHT,
     "郑丽华", "黑庄户地区办事处副主任", "黑庄户地区办事处", "2017年6月30日", 480, "清淤、截污、岸边整治",
     ("方案制定", "治理中", "治理中")),
    ("CY-HC-011", "坝河支沟（将台段）", "将台地区", "沟渠", "酒仙桥路", "坝河", "0.95", None, HEAVY,
     "马俊峰", "将台地区办事处主任", "将台地区办事处", "2016年12月31日", 760, "截污纳管、清淤、生态补水",
     ("治理中", "治理中", "完成治理")),
    ("CY-HC-012", "马家湾湖", "崔各庄地区", "湖泊", None, None, None, "0.0310", LIGHT,
     "杨帆", "崔各庄地区办事处副主任", "崔各庄地区办事处", "2017年6月30日", 1350, "截污、清淤、水体循环与曝气",
     ("方案制定", "治理中", "治理中")),
]
DONE = ("完成治理", "长制久清")

# Sample value ranges (inclusive) kept inside one grade: transparency cm, DO mg/L, ORP mV, NH3-N mg/L.
RANGES = {
    "heavy": {"tmd": (11, 22), "rjy": (0.05, 0.18), "orp": (-190, -60), "ad": (9.0, 14.5)},
    "light": {"tmd": (12, 23), "rjy": (0.4, 1.8), "orp": (-180, 30), "ad": (8.5, 14.5)},
    "clean": {"tmd": (30, 60), "rjy": (2.5, 7.5), "orp": (60, 250), "ad": (0.3, 6.5)},
}
DECIMALS = {"tmd": 1, "rjy": 2, "orp": 1, "ad": 2}

COMPLETED = {
    "方案制定": "完成整治方案编制和现场踏勘",
    "治理中": "完成截污纳管{a}公里、清淤{b}万立方米",
    "完成治理": "截污、清淤和生态修复全部完成，通过区级验收",
    "长制久清": "落实河长制日常巡查养护，水质稳定达标",
}


def half_months(period: str) -> list[tuple[int, int]]:
    year, half = int(period[:4]), int(period[-1])
    return [(year, m) for m in range((half - 1) * 6 + 1, half * 6 + 1)]


def grade_for(body: tuple, period: str, status: str) -> str:
    if status in DONE:
        return "clean"
    if body[0] == "CY-HC-012" and period == "2016H1":
        return "heavy"  # planted: declared 轻度黑臭, indicators heavy
    return "heavy" if body[8] == HEAVY else "light"


def points(body: tuple) -> list[str]:
    return ["上游断面", "中游断面", "下游断面"] if body[3] in ("河流", "沟渠") else ["1#点位", "2#点位"]


def monitoring(period: str, rng: random.Random, statuses: dict[str, str]) -> None:
    records = []
    for body in BODIES:
        grade = grade_for(body, period, statuses[body[0]])
        for year, month in half_months(period):
            day, hour, minute = rng.randint(5, 25), rng.randint(8, 11), rng.choice((0, 15, 30, 45))
            for point in points(body):
                rec: dict[str, object] = {
                    "waterBodyCode": body[0],
                    "waterBodyName": body[1],
                    "pointName": point,
                    "sampleTime": f"{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:00",
                }
                for key, (lo, hi) in RANGES[grade].items():
                    value = round(rng.uniform(lo, hi), DECIMALS[key])
                    rec[key] = f"{value}" if rng.random() < 0.3 else value  # text or number, as exported
                rec["jcdw"] = "北京市朝阳区水务局水质监测中心"
                records.append(rec)
    if period == "2016H2":  # planted: a stale record from the first half-year
        stale = dict(records[next(i for i, r in enumerate(records) if r["waterBodyCode"] == "CY-HC-002")])
        stale["sampleTime"] = "2016-06-28 10:15:00"
        records.append(stale)
    doc = {"code": 200, "msg": "操作成功", "data": {"total": len(records), "pageNo": 1, "pageSize": 1000, "list": records}}
    (HERE / f"水质监测_{period}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def money(x: float) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def body_list(period: str, rng: random.Random, state: dict[str, dict[str, object]]) -> dict[str, str]:
    wb = Workbook()
    ws = wb.active
    ws.title = "黑臭水体"
    year, half = period[:4], "上" if period.endswith("1") else "下"
    top = ["序号", "水体编号", "水体名称", "所在街乡", "水体类型", "起止点", None, "长度(km)", "面积(km²)", "黑臭级别",
           "责任人", None, None, "责任单位", "计划完成时限", "整治措施", "计划投资(万元)", "整治进展", None, None, None, None]
    sub = [None] * 5 + ["起点", "终点"] + [None] * 3 + ["姓名", "职务", "联系电话"] + [None] * 4 + \
          ["治理状态", "已完成措施", "累计完成投资(万元)", "完成比例(%)", "完成日期"]
    width = len(top)
    ws.append([f"朝阳区城市建成区黑臭水体名单及整治进展情况（{year}年{half}半年）"] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    filed = date(int(year), 7, 8) if half == "上" else date(int(year) + 1, 1, 10)
    ws.append(["填报单位：北京市朝阳区水务局"] + [None] * (width - 2) + [f"填报日期：{filed.year}年{filed.month}月{filed.day}日"])
    ws.append(top)
    ws.append(sub)
    c = 1
    while c <= width:
        span = 1
        while c + span <= width and top[c + span - 1] is None:
            span += 1
        if span > 1:
            ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + span - 1)
        else:
            ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
        c += span
    statuses: dict[str, str] = {}
    sums = [Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    for n, body in enumerate(BODIES, start=1):
        (bid, name, street, kind, start, end, length, area, severity, person, position, unit, target, planned,
         measures, by_period) = body
        status = by_period[PERIODS.index(period)]
        statuses[bid] = status
        s = state.setdefault(bid, {"pct": 0.0, "cum": 0.0, "done": None})
        if status == "方案制定":
            s["pct"] = max(float(s["pct"]), round(rng.uniform(1, 5), 1))
            s["cum"] = max(float(s["cum"]), float(money(planned * rng.uniform(0.01, 0.03))))
        elif status == "治理中":
            s["pct"] = min(95.0, max(float(s["pct"]) + round(rng.uniform(15, 40), 1), 20.0))
            s["cum"] = max(float(s["cum"]), float(money(planned * float(s["pct"]) / 100 * rng.uniform(0.9, 1.05))))
        else:
            s["pct"] = 100.0
            s["cum"] = max(float(s["cum"]), float(money(planned * rng.uniform(0.92, 1.0))))
            if s["done"] is None:
                month = int(period[-1]) * 6 - rng.randint(0, 3)
                s["done"] = f"{period[:4]}年{month}月{rng.randint(1, 28)}日"
        cum = money(float(s["cum"]))
        phone = "13" + str(rng.randint(5, 9)) + f"{rng.randint(0, 99999999):08d}"
        if period == "2016H2" and bid == "CY-HC-001":
            street = "北苑地区"  # planted: not a Chaoyang 街道/地区
        if period == "2016H2" and bid == "CY-HC-006":
            target = "2016年11月31日"  # planted: no such date
        target_cell: object = target
        if bid in ("CY-HC-003", "CY-HC-008"):
            target_cell = datetime.strptime(target, "%Y年%m月%d日")  # a real date cell
        done_text = COMPLETED[status].format(a=round(rng.uniform(0.5, 2.5), 1), b=round(rng.uniform(0.3, 1.8), 1))
        ws.append([n, bid, name, street, kind, start, end, float(length) if length else None,
                   float(area) if area else None, severity, person, position, phone, unit, target_cell, measures,
                   planned, status, done_text, float(cum), float(s["pct"]), s["done"] if status in DONE else None])
        sums[0] += Decimal(length or 0)
        sums[1] += Decimal(area or 0)
        sums[2] += Decimal(planned)
        sums[3] += cum
    ws.append(["合计", None, f"{len(BODIES)}处", None, None, None, None, float(sums[0]), float(sums[1]), None, None, None,
               None, None, None, None, float(sums[2]), None, None, float(sums[3]), None, None])
    save_frozen(wb, HERE / f"黑臭水体名单_{period}.xlsx", FROZEN_AT)
    return statuses


def main() -> None:
    rng = random.Random(20160630)
    state: dict[str, dict[str, object]] = {}
    for period in PERIODS:
        statuses = body_list(period, rng, state)
        monitoring(period, rng, statuses)
    print(f"wrote 黑臭水体 samples for {', '.join(PERIODS)} to {HERE}")


if __name__ == "__main__":
    main()
