"""Make the 重大建设项目 samples, deterministically, as the offices keep them. Quarters
2016Q1..2016Q3.

- ``立项审批_<YYYYQn>.json``: the 区发展改革委's export from the 投资项目在线审批监管平台,
  ``{"code": "0000", "data": {"rows": [...]}}`` with pinyin-initial keys (xmdm, xmmc, pfwh ...),
  amounts in 万元 as text (``12,800.00``) or numbers, dates as 2016-03-18.
- ``重大项目建设进度_<YYYYQn>.xlsx``: the 重大项目办's quarterly report, a title row, a
  填报单位 line, 投资完成情况(万元) merged over 年度计划 / 本年完成 / 累计完成, one row per
  project in the plan, a 合计 row; dates as date cells or 2016年4月6日.

Seven fictional projects in the 2016 district government-investment plan.

Planted dirty rows (must land in rejects):
- 2016Q2 approvals: the 项目单位's credit code has a wrong check character
  -> major_project_approval, field ``owner_uscc``.
- 2016Q3 approvals: 其中政府投资 38,600.00 above 总投资 36,800.00 (digits swapped)
  -> major_project_approval, field ``government_investment`` (at_most).
- 2016Q2 progress, 2016-110105-78-01-000318: 累计完成 4,120.00 below 2016Q1's 4,210.00
  -> major_project_progress, field ``investment_cum`` (not_decreasing).
- 2016Q3 progress, 2015-110105-83-01-000907: 竣工 with no 竣工日期
  -> major_project_progress, field ``completion_date`` (required_if).

Run: python sample_data/major_projects/generate.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# Shared helpers of the sample generators: sample_data/frozen_xlsx.py, sample_data/sample_ids.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402
from sample_ids import broken_code, credit_code  # noqa: E402

HERE = Path(__file__).resolve().parent
QUARTERS = ("2016Q1", "2016Q2", "2016Q3")
D = dt.date
# code, name, owner, street, total 万元, government 万元, scope
PROJECTS = [
    ("2015-110105-83-01-000907", "朝阳区垡头地区社区卫生服务中心新建工程", "北京市朝阳区卫生和计划生育委员会", "垡头街道", 8600, 8600,
     "新建社区卫生服务中心，建筑面积6200平方米"),
    ("2016-110105-78-01-000318", "朝阳区北小河（北苑路—京承高速段）综合治理工程", "北京市朝阳区水务局", "来广营地区", 12800, 12800,
     "河道清淤3.2公里，新建截污管线4.6公里，生态护岸"),
    ("2016-110105-82-01-000451", "朝阳区东坝中心小学新建工程", "北京市朝阳区教育委员会", "东坝地区", 36800, 36800,
     "新建36班小学，建筑面积2.8万平方米"),
    ("2016-110105-48-01-000526", "朝阳区姚家园路（东五环—东坝中路）道路工程", "北京市朝阳区交通委员会", "东坝地区", 68500, 41200,
     "新建城市主干路2.4公里及配套市政管线"),
    ("2016-110105-78-01-000612", "朝阳区孙河地区农村污水治理工程", "北京市朝阳区孙河地区办事处", "孙河地区", 4300, 4300,
     "新建村级污水处理站3座，配套管网7.5公里"),
    ("2016-110105-88-01-000733", "朝阳区文化馆改扩建工程", "北京市朝阳区文化委员会", "小关街道", 15600, 15600,
     "改扩建文化馆，新增建筑面积9800平方米"),
    ("2016-110105-47-01-000865", "朝阳区来广营地区保障性住房配套学校工程", "北京市朝阳区教育委员会", "来广营", 24200, 24200,
     "新建九年一贯制学校，建筑面积3.1万平方米"),
]
# quarter -> approvals granted: (code, type, stage, doc, date, authority, planned start)
APPROVALS = {
    "2016Q1": [
        ("2016-110105-78-01-000318", "审批", "可行性研究报告", "朝发改〔2016〕38号", "2016-02-24", "北京市朝阳区发展和改革委员会", "2016年4月"),
        ("2016-110105-82-01-000451", "审批", "项目建议书", "朝发改〔2016〕52号", "2016-03-18", "北京市朝阳区发展和改革委员会", "2016年9月"),
        ("2016-110105-48-01-000526", "审批", "项目建议书", "朝发改〔2016〕61号", "2016-03-29", "北京市朝阳区发展和改革委员会", "2017年3月"),
    ],
    "2016Q2": [
        ("2016-110105-82-01-000451", "审批", "可行性研究报告", "朝发改〔2016〕117号", "2016-05-20", "北京市朝阳区发展和改革委员会", "2016年9月"),
        ("2016-110105-78-01-000612", "审批", "初步设计概算", "朝发改〔2016〕128号", "2016-06-03", "北京市朝阳区发展和改革委员会", "2016年7月"),
        ("2016-110105-88-01-000733", "审批", "项目建议书", "朝发改〔2016〕142号", "2016-06-21", "北京市朝阳区发展和改革委员会", "2017年4月"),
    ],
    "2016Q3": [
        ("2016-110105-82-01-000451", "审批", "初步设计概算", "朝发改〔2016〕201号", "2016-08-09", "北京市朝阳区发展和改革委员会", "2016年9月"),
        ("2016-110105-47-01-000865", "审批", "项目建议书", "朝发改〔2016〕233号", "2016-09-13", "北京市朝阳区发展和改革委员会", "2017年6月"),
        ("2016-110105-48-01-000526", "审批", "可行性研究报告", "朝发改〔2016〕245号", "2016-09-27", "北京市朝阳区发展和改革委员会", "2017年3月"),
    ],
}
# quarter -> code -> (status, start, completion, plan this year, this year, cumulative, progress %, milestone)
PROGRESS = {
    "2016Q1": {
        "2015-110105-83-01-000907": ("在建", D(2015, 6, 18), None, "3,200.00", "620.00", "6,350.00", 72.0, "主体结构封顶，二次结构施工"),
        "2016-110105-78-01-000318": ("前期", None, None, "8,000.00", "0", "4,210.00", 0.0, "完成可研批复，开展征地拆迁"),
        "2016-110105-82-01-000451": ("前期", None, None, "5,000.00", "0", "0", 0.0, "项目建议书获批"),
    },
    "2016Q2": {
        "2015-110105-83-01-000907": ("在建", D(2015, 6, 18), None, "3,200.00", "1,480.00", "7,210.00", 88.0, "室内装修及设备安装"),
        # planted: cumulative below 2016Q1's 4,210.00
        "2016-110105-78-01-000318": ("在建", "2016年4月6日", None, "8,000.00", "2,860.00", "4,120.00", 20.0, "河道清淤1.1公里"),
        "2016-110105-82-01-000451": ("前期", None, None, "5,000.00", "0", "0", 0.0, "可研获批，开展招标"),
        "2016-110105-78-01-000612": ("前期", None, None, "2,500.00", "0", "0", 0.0, "初步设计获批"),
    },
    "2016Q3": {
        # planted: 竣工 without its date
        "2015-110105-83-01-000907": ("竣工", D(2015, 6, 18), None, "3,200.00", "2,150.00", "7,880.00", 100.0, "竣工验收"),
        "2016-110105-78-01-000318": ("在建", "2016年4月6日", None, "8,000.00", "5,640.00", "9,850.00", 55.0, "截污管线铺设2.9公里"),
        "2016-110105-82-01-000451": ("在建", D(2016, 9, 12), None, "5,000.00", "1,200.00", "1,200.00", 5.0, "基坑开挖"),
        "2016-110105-78-01-000612": ("在建", "2016年7月11日", None, "2,500.00", "1,350.00", "1,350.00", 35.0, "处理站土建施工"),
    },
}
CONTRACTORS = ["北京城建集团有限责任公司", "北京市政路桥股份有限公司", "北京建工集团有限责任公司", "北京住总集团有限责任公司"]


def approvals(quarter: str, rng: random.Random, owner_codes: dict[str, str]) -> None:
    projects = {p[0]: p for p in PROJECTS}
    rows = []
    for n, (code, kind, stage, doc, date, authority, start) in enumerate(APPROVALS[quarter], start=1):
        _, name, owner, street, total, gov, scope = projects[code]
        owner_code = owner_codes[owner]
        if quarter == "2016Q2" and n == 2:
            owner_code = broken_code(owner_code)  # planted: wrong check character
        if quarter == "2016Q3" and n == 1:
            gov = 38600  # planted: digits swapped, above the total of 36,800.00
        rows.append({"xmdm": code, "xmmc": name, "xmdw": owner, "tyshxydm": owner_code, "glfs": kind, "spsx": stage,
                     "pfwh": doc, "pfrq": date, "spbm": authority, "jsdd": street,
                     "ztz": f"{total:,.2f}" if n % 2 else total, "zftz": f"{gov:,.2f}", "jsgm": scope, "jhkgsj": start,
                     "blzt": "已办结", "czr": "区发展改革委投资科"})
    doc = {"code": "0000", "msg": "查询成功", "data": {"total": len(rows), "rows": rows}}
    (HERE / f"立项审批_{quarter}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def progress(quarter: str, rng: random.Random, contractors: dict[str, tuple[str, str]]) -> None:
    projects = {p[0]: p for p in PROJECTS}
    wb = Workbook()
    ws = wb.active
    ws.title = "进度"
    head1 = ["序号", "项目代码", "项目名称", "建设状态", "开工日期", "竣工日期", "总投资(万元)", "投资完成情况(万元)", None, None,
             "形象进度(%)", "本季度主要进展", "施工单位", "施工单位统一社会信用代码", "施工许可证号"]
    head2 = [None] * 7 + ["年度计划", "本年完成", "累计完成"] + [None] * 5
    width = len(head1)
    ws.append([f"朝阳区政府投资重大项目建设进度表（{quarter[:4]}年第{quarter[-1]}季度）"] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["填报单位：朝阳区重大项目建设指挥部办公室"] + [None] * (width - 1))
    ws.append(head1)
    ws.append(head2)
    for c in range(1, width + 1):
        if c not in (8, 9, 10):
            ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    ws.merge_cells(start_row=3, start_column=8, end_row=3, end_column=10)
    total_cum = 0.0
    for n, (code, (status, start, done, plan, year, cum, pct, note)) in enumerate(PROGRESS[quarter].items(), start=1):
        name, total = projects[code][1], projects[code][4]
        contractor, c_code = contractors[code] if status in ("在建", "竣工") else ("", "")
        permit = f"[2016]施建字{rng.randint(1000, 9999)}号" if status in ("在建", "竣工") else ""
        ws.append([n, code, name, status, start, done, f"{total:,.2f}", plan, year, cum, pct, note, contractor, c_code, permit])
        for c in (5, 6):
            if isinstance(ws.cell(ws.max_row, c).value, (dt.date, dt.datetime)):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
        total_cum += float(cum.replace(",", ""))
    ws.append(["合计", None, None, None, None, None, None, None, None, f"{total_cum:,.2f}"])
    ws.append([])
    ws.append(["填表人：陈曦    联系电话：010-65093321"])
    save_frozen(wb, HERE / f"重大项目建设进度_{quarter}.xlsx", dt.datetime(2016, 10, 20))


def main() -> None:
    rng = random.Random(20161020)
    owner_codes = {owner: credit_code(rng, "11") for owner in sorted({p[2] for p in PROJECTS})}
    contractors = {p[0]: (CONTRACTORS[n % len(CONTRACTORS)], credit_code(rng, "91")) for n, p in enumerate(PROJECTS)}
    for quarter in QUARTERS:
        approvals(quarter, rng, owner_codes)
        progress(quarter, rng, contractors)
    print(f"wrote 重大建设项目 samples for {', '.join(QUARTERS)} to {HERE}")


if __name__ == "__main__":
    main()
