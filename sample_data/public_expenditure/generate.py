"""Make the three-public-expenditure (三公经费) sample inputs, deterministically.

One workbook per department, fiscal year (2014, 2015, 2016) and version (预算 budget, 决算
final accounts), as each unit's finance office prints it from the budget system:

- ``<year>/<code>_<unit>_<year>年三公经费<version>.xlsx``: title row "XX2016年“三公”经费预算
  财政拨款情况表" merged over the table, a line "单位编码：108001 … 单位：万元", a two-row merged
  header (增减变化情况 / 实物量 groups), the 合计 row first, then the items with their
  经济分类款级 codes (30212, 31013, 30231, 30217) and the counts (团组, 人次, 辆, 批次).
- 北京市朝阳区民政局 (151001) still uses the old system: legacy ``.xls`` files with amounts in
  元 ("单位：元", thousands separators), written with xlwt.
- The 单位编码 line also says when the finance bureau approved the table ("批复日期：2016年2月12日"):
  预算法 art. 14 wants it published within 20 days of that. Budgets of year Y are approved in
  February of Y, final accounts in July of Y+1 (the sample's 2016 决算 is dated 2017-07 although
  the files are frozen at 2017-01-01: a sample, not a history). The dates take no random draws,
  so every amount stays what it was.
- Variations as found in real submissions: the 2014 tables of 102001 have no 科目编码 column
  (older template); 140001 writes the 2018 names (因公出国（境）费用, 公务用车购置费); the 2016
  budget of 132001 has full-width digits in one amount; stray spaces around item names.

Planted dirty rows (must land in rejects):

- 2016 预算, 108001 区教委: 合计 is 5.00 万元 more than the four items add up to
  (pe_sangong, field amount, "合计本年数 … 不等于 …").
- 2015 决算, 125001 区环保局: 公务接待费 this year is negative (field amount, below the minimum).
- 2016 决算, 127001 区水务局: 因公出国（境）费 carries code 30211 (差旅费), not a 三公 code
  (field econ_code, "不是“三公”经费科目").

Run: python sample_data/public_expenditure/generate.py
"""

from __future__ import annotations

import random
import shutil
import sys
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import chinese_calendar
import xlwt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
FROZEN_AT = datetime(2017, 1, 1)  # every timestamp inside the saved workbooks
YEARS = (2014, 2015, 2016)
VERSIONS = ("预算", "决算")
CENT = Decimal("0.01")

# code, full name, short name for the file, legacy .xls in 元, 2013 budget (万元): abroad, purchase, operation, reception
DEPARTMENTS = [
    ("102001", "北京市朝阳区发展和改革委员会", "区发展改革委", False, (18.0, 0.0, 42.0, 6.5)),
    ("108001", "北京市朝阳区教育委员会", "区教委", False, (65.0, 48.0, 168.0, 22.0)),
    ("113001", "北京市朝阳区财政局", "区财政局", False, (24.0, 0.0, 55.0, 8.0)),
    ("125001", "北京市朝阳区环境保护局", "区环保局", False, (12.0, 22.0, 75.0, 5.5)),
    ("127001", "北京市朝阳区水务局", "区水务局", False, (15.0, 25.0, 96.0, 7.0)),
    ("132001", "北京市朝阳区卫生和计划生育委员会", "区卫生计生委", False, (46.0, 0.0, 120.0, 15.0)),
    ("140001", "北京市朝阳区市政市容管理委员会", "区市政市容委", False, (10.0, 60.0, 210.0, 9.0)),
    ("151001", "北京市朝阳区民政局", "区民政局", True, (8.0, 0.0, 38.0, 4.2)),
]

ITEM_NAMES = {
    "total": "合计",
    "abroad": "1.因公出国（境）费",
    "subtotal": "2.公务用车购置及运行费",
    "purchase": "其中：（1）公务用车购置",
    "operation": "（2）公务用车运行维护费",
    "reception": "3.公务接待费",
}
NAMES_2018 = {**ITEM_NAMES, "abroad": "1.因公出国（境）费用", "purchase": "其中：（1）公务用车购置费"}
CODES = {"abroad": "30212", "purchase": "31013", "operation": "30231", "reception": "30217"}
ORDER = ("total", "abroad", "subtotal", "purchase", "operation", "reception")

REASONS = {
    ("abroad", -1): "严格控制因公出国（境）团组数量和人数",
    ("abroad", 1): "根据年度对外交流工作安排，出访任务增加",
    ("purchase", -1): "本年车辆更新数量减少",
    ("purchase", 1): "部分车辆达到报废年限，按规定更新公务用车",
    ("operation", -1): "公务用车数量减少，运行维护费相应压减",
    ("operation", 1): "车辆使用年限增加，维修费用上升",
    ("reception", -1): "厉行节约，严格执行公务接待标准",
    ("reception", 1): "上级检查和业务交流接待任务增加",
    ("total", -1): "认真落实中央八项规定精神，“三公”经费总体压减",
    ("total", 1): "主要是公务用车更新购置导致增加",
}


def money(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def evolve(rng: random.Random, base: dict[str, Decimal]) -> dict[str, Decimal]:
    """Next year's budget: cuts under the 八项规定, an occasional vehicle purchase."""
    out = {
        "abroad": money(float(base["abroad"]) * rng.uniform(0.78, 1.06)),
        "operation": money(float(base["operation"]) * rng.uniform(0.85, 1.03)),
        "reception": money(float(base["reception"]) * rng.uniform(0.75, 1.02)),
    }
    buys = rng.choice([0, 0, 1, 2]) if base["operation"] > 60 else rng.choice([0, 0, 0, 1])
    out["purchase"] = money(buys * rng.uniform(17.5, 24.8))
    return out


def actual(rng: random.Random, budget: dict[str, Decimal]) -> dict[str, Decimal]:
    """Final accounts: spending below the budget."""
    return {k: money(float(v) * rng.uniform(0.80, 0.99)) for k, v in budget.items()}


def with_totals(a: dict[str, Decimal]) -> dict[str, Decimal]:
    full = dict(a)
    full["subtotal"] = a["purchase"] + a["operation"]
    full["total"] = a["abroad"] + a["purchase"] + a["operation"] + a["reception"]
    return full


def counts(rng: random.Random, a: dict[str, Decimal]) -> dict[str, tuple[int | None, int | None]]:
    trips = max(1, round(float(a["abroad"]) / rng.uniform(4.5, 8.0))) if a["abroad"] > 0 else 0
    bought = max(1, round(float(a["purchase"]) / rng.uniform(18, 24))) if a["purchase"] > 0 else 0
    held = max(1, round(float(a["operation"]) / rng.uniform(1.7, 2.3)))
    receptions = round(float(a["reception"]) * 10000 / rng.uniform(650, 1100))
    return {
        "abroad": (trips, trips * rng.randint(2, 5)),
        "purchase": (bought, None),
        "operation": (held, None),
        "reception": (receptions, receptions * rng.randint(3, 7)),
    }


def change_texts(now: Decimal, before: Decimal, key: str) -> tuple[str, str, str]:
    diff = now - before
    pct = "" if before == 0 else f"{(diff * 100 / before).quantize(CENT, rounding=ROUND_HALF_UP)}%"
    if diff == 0:
        return f"{diff}", pct, "无变化" if now else ""
    return f"{diff}", pct, REASONS.get((key, 1 if diff > 0 else -1), "")


def title(name: str, year: int, version: str) -> str:
    what = "预算财政拨款情况表" if version == "预算" else "决算财政拨款支出情况表"
    return f"{name}{year}年“三公”经费{what}"


def table_rows(code: str, year: int, version: str, now: dict[str, Decimal], before: dict[str, Decimal],
               cnt: dict[str, tuple[int | None, int | None]], *, yuan: bool) -> list[list[object]]:
    names = NAMES_2018 if code == "140001" else ITEM_NAMES
    rows: list[list[object]] = []
    for key in ORDER:
        n, b = now[key], before[key]
        diff, pct, reason = change_texts(n, b, key)
        q, p = cnt.get(key, (None, None))
        if yuan:  # the old system prints 元 with thousands separators
            n_cell: object = f"{n * 10000:,.2f}"
            b_cell: object = f"{b * 10000:,.2f}"
            diff = f"{Decimal(diff) * 10000:,.2f}"
        else:
            n_cell, b_cell = float(n), float(b)
        name = names[key]
        if code == "113001" and key == "reception":
            name = "  " + name + " "  # stray spaces typed into the cell
        code_cell: object = CODES.get(key, "")
        if code_cell and code in ("108001", "140001"):
            code_cell = int(code_cell)  # typed as a number in these workbooks
        rows.append([code_cell, name, n_cell, b_cell, diff, pct, q, p, reason])
    return rows


def plant(code: str, year: int, version: str, rows: list[list[object]]) -> None:
    by_key = dict(zip(ORDER, rows))
    if (code, year, version) == ("108001", 2016, "预算"):
        by_key["total"][2] = float(money(by_key["total"][2]) + Decimal("5.00"))  # total does not add up
    if (code, year, version) == ("125001", 2015, "决算"):
        by_key["reception"][2] = -float(by_key["reception"][2])  # negative amount
    if (code, year, version) == ("127001", 2016, "决算"):
        by_key["abroad"][0] = "30211"  # 差旅费: not a 三公 code
    if (code, year, version) == ("132001", 2016, "预算"):
        by_key["reception"][2] = f"{by_key['reception'][2]:.2f}".translate(
            str.maketrans("0123456789.", "０１２３４５６７８９．"))  # full-width digits


HEADER_TOP = ["科目编码", "项目", "本年{v}数", "上年{v}数", "增减变化情况", None, "实物量", None, "增减原因说明"]
HEADER_SUB = [None, None, None, None, "增减额", "增减率(%)", "数量", "人次", None]


def approved(code: str, year: int, version: str) -> str:
    """The 批复日期 of a department's table: budgets in February, final accounts in July of the next year."""
    day = 3 + int(code[:3]) % 17
    when = date(year, 2, day) if version == "预算" else date(year + 1, 7, day + 5)
    while not chinese_calendar.is_workday(when):  # the bureau signs on a working day
        when += timedelta(days=1)
    return f"{when.year}年{when.month}月{when.day}日"


def write_xlsx(path: Path, code: str, name: str, year: int, version: str, rows: list[list[object]], *, with_code: bool) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "三公经费"
    top = [h.format(v=version) if h else h for h in HEADER_TOP]
    sub = list(HEADER_SUB)
    if not with_code:
        top, sub, rows = top[1:], sub[1:], [r[1:] for r in rows]
    width = len(top)
    ws.append([title(name, year, version)] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append([f"单位编码：{code}", None, None, f"批复日期：{approved(code, year, version)}"] + [None] * (width - 5) + ["单位：万元"])
    ws.append(top)
    ws.append(sub)
    for c in range(1, width + 1):
        if top[c - 1] and sub[c - 1] is None:
            ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
        elif top[c - 1] and c < width and top[c] is None:
            ws.merge_cells(start_row=3, start_column=c, end_row=3, end_column=c + 1)
    for r in rows:
        ws.append(r)
    save_frozen(wb, path, FROZEN_AT)


def write_xls(path: Path, code: str, name: str, year: int, version: str, rows: list[list[object]]) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    top = [h.format(v=version) if h else h for h in HEADER_TOP]
    width = len(top)
    ws.write_merge(0, 0, 0, width - 1, title(name, year, version))
    ws.write(1, 0, f"单位编码：{code}")
    ws.write(1, 3, f"批复日期：{approved(code, year, version)}")
    ws.write(1, width - 1, "单位：元")
    for c in range(width):
        if top[c] and HEADER_SUB[c] is None:
            ws.write_merge(2, 3, c, c, top[c])
        elif top[c]:
            ws.write_merge(2, 2, c, c + 1, top[c])
        if HEADER_SUB[c]:
            ws.write(3, c, HEADER_SUB[c])
    for i, r in enumerate(rows, start=4):
        for c, v in enumerate(r):
            if v is not None and v != "":
                ws.write(i, c, v)
    book.save(str(path))


def main() -> None:
    rng = random.Random(20161231)
    for year in YEARS:
        shutil.rmtree(HERE / str(year), ignore_errors=True)
        (HERE / str(year)).mkdir()
    for code, name, short, legacy, base in DEPARTMENTS:
        budgets = {2013: dict(zip(("abroad", "purchase", "operation", "reception"), map(money, base)))}
        finals = {2013: actual(rng, budgets[2013])}
        for year in YEARS:
            budgets[year] = evolve(rng, budgets[year - 1])
            finals[year] = actual(rng, budgets[year])
        for year in YEARS:
            for version in VERSIONS:
                series = budgets if version == "预算" else finals
                now, before = with_totals(series[year]), with_totals(series[year - 1])
                rows = table_rows(code, year, version, now, before, counts(rng, series[year]), yuan=legacy)
                plant(code, year, version, rows)
                stem = f"{code}_{short}_{year}年三公经费{version}"
                if legacy:
                    write_xls(HERE / str(year) / f"{stem}.xls", code, name, year, version, rows)
                else:
                    with_code = not (code == "102001" and year == 2014)
                    write_xlsx(HERE / str(year) / f"{stem}.xlsx", code, name, year, version, rows, with_code=with_code)
    print(f"wrote 三公经费 samples for {', '.join(map(str, YEARS))} to {HERE}")


if __name__ == "__main__":
    main()
