"""Make the 侵权假冒 (counterfeiting and IP infringement) penalty case samples,
deterministically, as the district's 打击侵权假冒 office collects them from its member
departments (工商分局, 质监局, 食药监局, 文化委, 知识产权局).

- ``侵权假冒行政处罚案件_<YYYY-MM>.xlsx``, 2016-08..2016-10: a title row, a 填报单位 /
  填报日期 line, a two-row header (当事人 merged over 类型 / 单位名称 / 统一社会信用代码 /
  个人姓名 / 身份证号码), one row per case decided in the month, a 填表人 footnote.
  Dates are date cells or typed text (2016年8月3日, 2016.8.3); 是否录入两法衔接平台 is 是/否.
  Individuals' ID numbers are in the sheet and must never be published; a case against an
  individual is named after them as 罗某 (the 两法衔接 platform's convention), so 案件名称 holds no
  full name.

Planted dirty rows (must land in rejects):
- 2016-08, the first 单位 case: its 统一社会信用代码 has a wrong check character
  -> field ``uscc``.
- 2016-09, the second case: 处罚决定日期 2016年9月31日 does not exist -> field ``decision_date``.
- 2016-10, the 个人 case of 区文化委: the person's name typed into 单位名称 and 个人姓名 left
  empty -> field ``penalized_person`` (required_if) and ``penalized_unit`` (empty_if); the name
  must not be published unmasked through the unit column.

Run: python sample_data/ipr_penalty/generate.py
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# Shared helpers of the sample generators: sample_data/frozen_xlsx.py, sample_data/sample_ids.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402
from sample_ids import broken_code, credit_code, id_number, person_name  # noqa: E402

HERE = Path(__file__).resolve().parent
MONTHS = ("2016-08", "2016-09", "2016-10")
AIC, QTS, FDA, CULTURE, SIPO = ("北京市工商行政管理局朝阳分局", "北京市朝阳区质量技术监督局", "北京市朝阳区食品药品监督管理局",
                                "北京市朝阳区文化委员会", "北京市朝阳区知识产权局")
# authority, category, case (what), facts template, kinds, basis, doc prefix, party type
CASES = [
    (AIC, "商标侵权", "销售侵犯注册商标专用权商品案", "销售假冒“{brand}”注册商标的{goods}{n}件",
     "罚款、没收侵权商品", "《中华人民共和国商标法》第五十七条第（三）项、第六十条第二款", "京工商朝处字〔2016〕第{no}号", "单位"),
    (AIC, "商标侵权", "销售侵犯注册商标专用权商品案", "在市场摊位销售假冒“{brand}”注册商标的{goods}{n}件",
     "罚款、没收侵权商品", "《中华人民共和国商标法》第六十条第二款", "京工商朝处字〔2016〕第{no}号", "个人"),
    (QTS, "制售假冒伪劣商品", "生产销售不合格产品案", "生产销售的{goods}经抽检不合格，货值{n}00元",
     "罚款、没收违法所得", "《中华人民共和国产品质量法》第四十九条", "朝质技监罚字〔2016〕{no}号", "单位"),
    (FDA, "制售假冒伪劣商品", "销售假冒保健食品案", "销售标签标注虚假生产企业的保健食品{n}盒",
     "罚款、没收违法所得、没收非法财物", "《中华人民共和国食品安全法》第一百二十四条", "朝食药监食罚〔2016〕{no}号", "单位"),
    (CULTURE, "侵犯著作权", "销售侵权复制品案", "经营未经著作权人许可复制的音像制品{n}张",
     "罚款、没收侵权复制品", "《中华人民共和国著作权法》第四十八条；《中华人民共和国著作权法实施条例》第三十六条",
     "京朝文执罚字〔2016〕第{no}号", "个人"),
    (SIPO, "假冒专利", "假冒专利案", "在产品包装上标注不存在的专利号，涉案{goods}{n}件",
     "警告、罚款、没收违法所得", "《中华人民共和国专利法》第六十三条；《专利法实施细则》第八十四条", "京朝知执字〔2016〕{no}号", "单位"),
]
BRANDS = ["耐克", "阿迪达斯", "路易威登", "蔻驰", "三星", "佳能"]
GOODS = ["运动鞋", "箱包", "手机电池", "墨盒", "电线电缆", "儿童玩具"]
SHOPS = ["商贸有限公司", "服装店", "电子产品经营部", "科技有限公司", "建材有限公司"]
HEAD1 = ["序号", "行政处罚决定书文号", "案件名称", "案件类别", "当事人", None, None, None, None, "主要违法事实", "处罚种类", "处罚依据",
         "处罚结果", "罚款金额(元)", "违法经营额(元)", "处罚决定日期", "执法部门", "是否录入两法衔接平台"]
HEAD2 = [None] * 4 + ["类型", "单位名称", "统一社会信用代码", "个人姓名", "身份证号码"] + [None] * 9


def as_typed(d: dt.date, n: int) -> object:
    """A date as the member departments type it: a date cell, 2016年8月3日 or 2016.8.3."""
    return (d, f"{d.year}年{d.month}月{d.day}日", f"{d.year}.{d.month}.{d.day}")[n % 3]


def cases(month: str, rng: random.Random) -> list[list]:
    y, m = (int(x) for x in month.split("-"))
    rows = []
    for n in range(rng.randint(6, 8)):
        authority, category, what, facts, kinds, basis, doc, party = CASES[(n + m) % len(CASES)]
        goods, count = rng.choice(GOODS), rng.randint(12, 480)
        fine = rng.choice([2000, 5000, 8000, 10000, 20000, 30000])
        revenue = round(count * rng.uniform(18, 160), 2)
        d = dt.date(y, m, rng.randint(1, 26))
        while d.weekday() >= 5:
            d += dt.timedelta(days=1)
        if party == "单位":
            unit = f"北京{rng.choice(['鑫达', '华联', '盛世', '恒泰', '金鼎', '宏远'])}{rng.choice(SHOPS)}"
            code, person, pid = credit_code(rng, "91"), "", ""
            name = unit
        else:
            unit, code = "", ""
            person, pid = person_name(rng), id_number(rng)
            name = person[0] + "某"  # cases are named after an individual as 罗某, never by full name
        result = f"罚款{fine}元，{kinds.split('、', 1)[1] if '、' in kinds else kinds}"
        rows.append([doc.format(no=rng.randint(100, 2999)), f"{name}{what}", category, party, unit, code, person, pid,
                     facts.format(brand=rng.choice(BRANDS), goods=goods, n=count), kinds, basis, result, fine, revenue,
                     as_typed(d, n), authority, "是" if n % 4 else "否"])
    rows.sort(key=lambda r: str(r[0]))
    if month == "2016-08":  # planted: wrong check character
        first = next(r for r in rows if r[3] == "单位")
        first[5] = broken_code(first[5])
    if month == "2016-09":  # planted: a day that does not exist
        rows[1][14] = "2016年9月31日"
    if month == "2016-10":  # planted: a person's name in the unit column
        row = next(r for r in rows if r[3] == "个人" and r[15] == CULTURE)
        row[4], row[6] = row[6], ""
    return rows


def workbook(month: str, rows: list[list]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "案件汇总"
    y, m = month.split("-")
    width = len(HEAD1)
    ws.append([f"朝阳区制售假冒伪劣商品和侵犯知识产权行政处罚案件信息汇总表（{y}年{int(m)}月）"] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(["填报单位：区打击侵权假冒工作领导小组办公室", None, None, None, None, None, None, None, None, None, None, None,
               None, None, None, f"填报日期：{y}年{int(m) + 1}月5日"] + [None] * (width - 16))
    ws.append(HEAD1)
    ws.append(HEAD2)
    for c in range(1, width + 1):
        if c < 5 or c > 9:
            ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    ws.merge_cells(start_row=3, start_column=5, end_row=3, end_column=9)
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row])
        if isinstance(row[14], dt.date):
            ws.cell(ws.max_row, 16).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["填表人：赵磊    联系电话：010-65099876"])
    save_frozen(wb, HERE / f"侵权假冒行政处罚案件_{month}.xlsx", dt.datetime(2016, 11, 7))


def main() -> None:
    rng = random.Random(20161107)
    for month in MONTHS:
        workbook(month, cases(month, rng))
    print(f"wrote 侵权假冒 samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
