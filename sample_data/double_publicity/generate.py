"""Make the 双公示 (double publicity) sample inputs, deterministically, as the
departments and 街乡 keep them: every office sends its own ledger each month,
one file per national template (法人及非法人组织 / 自然人) and per kind (许可 / 处罚).

Per month (2016-08..2016-10), in ``<YYYY-MM>/``:

- ``行政许可_法人_区环保局.xlsx``, ``行政处罚_法人_区环保局.xlsx``: title row, a 填报单位 line,
  the national standard's headers, a 填表人/联系电话 footnote; dates as date cells.
- ``行政许可_法人_区食药监局.csv``, ``行政处罚_法人_区食药监局.csv``: GBK, the food and drug
  bureau's own header names (许可决定书文号, 被许可人名称, 处罚种类, 被处罚单位名称 ...), dates as 2016/8/3.
- ``行政处罚_法人_区城管执法局.json``, ``行政处罚_自然人_区城管执法局.json``: the enforcement
  system's export ``{"code": 200, "data": {"list": [...]}}``, amounts in 万元 as text, dates as
  2016-08-03.
- ``行政许可_法人_区卫生计生委.xlsx``, ``行政许可_自然人_区卫生计生委.xlsx`` (医师执业注册),
  ``行政处罚_自然人_区卫生计生委.xlsx`` (非医师行医), ``行政许可_自然人_南磨房乡.xlsx``
  (乡村建设规划许可, villagers' houses): title rows, Chinese dates (2016年8月3日).

The natural-person files carry 证件类型 and 证件号码 (valid resident ID numbers) and a phone
number, as the offices keep them: none of that may ever be published.

Planted dirty rows (must land in rejects):
- 2016-08 行政处罚_法人_区食药监局.csv: a company (法人及非法人组织) with no 统一社会信用代码
  -> sgs_penalty, field ``uscc`` (required_if).
- 2016-09 行政处罚_法人_区环保局.xlsx: a credit code with a wrong check character
  -> sgs_penalty, field ``uscc`` (named check uscc).
- 2016-09 行政许可_法人_区食药监局.csv: 有效期至 typed 2012 for 2021, before 有效期自
  -> sgs_license, field ``valid_to`` (not_before).
- 2016-10 行政处罚_自然人_区城管执法局.json: 处罚类别 罚款 with no 罚款金额
  -> sgs_penalty_person, field ``fine_amount`` (required_if).
- 2016-10 行政许可_自然人_南磨房乡.xlsx: 许可决定日期 typed 2106年10月12日
  -> sgs_license_person, field ``decision_date`` (not_future).

Run: python sample_data/double_publicity/generate.py
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

# Shared helpers of the sample generators: sample_data/frozen_xlsx.py, sample_data/sample_ids.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402
from sample_ids import broken_code, credit_code, id_number, person_name  # noqa: E402

HERE = Path(__file__).resolve().parent
MONTHS = ("2016-08", "2016-09", "2016-10")
ORG, TRADER = "法人及非法人组织", "个体工商户"

# The national standard's headers (信用中国 双公示 templates), 法人 templates.
LICENSE_HEAD = ["序号", "行政许可决定文书号", "项目名称", "审批类别", "许可内容", "行政相对人名称", "行政相对人类别",
                "统一社会信用代码", "法定代表人", "许可证书编号", "许可决定日期", "有效期自", "有效期至", "许可机关",
                "许可机关统一社会信用代码", "当前状态", "备注"]
PENALTY_HEAD = ["序号", "行政处罚决定书文号", "处罚名称", "处罚类别1", "处罚类别2", "处罚事由", "处罚依据",
                "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "处罚结果", "罚款金额(万元)",
                "没收违法所得、没收非法财物的金额(万元)", "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "当前状态", "备注"]
# 自然人 templates: the person's name and ID document instead of the organization's code.
LICENSE_PERSON_HEAD = ["序号", "行政许可决定文书号", "项目名称", "审批类别", "许可内容", "行政相对人名称", "证件类型", "证件号码",
                       "联系电话", "许可证书编号", "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态"]
PENALTY_PERSON_HEAD = ["序号", "行政处罚决定书文号", "处罚名称", "处罚类别1", "处罚类别2", "处罚事由", "处罚依据", "行政相对人名称",
                       "证件类型", "证件号码", "联系电话", "处罚结果", "罚款金额(万元)", "没收违法所得、没收非法财物的金额(万元)",
                       "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码", "当前状态"]

BRANDS = ["华信", "东坝", "嘉和", "瑞丰", "鸿运", "金港", "望京", "朝来", "博雅", "润泽", "安贞", "鑫源", "兴隆", "恒通", "百旺", "广顺"]


def company(rng: random.Random, trade: str) -> tuple[str, str, str, str]:
    """(name, category, credit code, legal representative) of a company."""
    return f"北京{rng.choice(BRANDS)}{trade}有限公司", ORG, credit_code(rng, "91"), person_name(rng)


def trader(rng: random.Random, shop: str) -> tuple[str, str, str, str]:
    """A sole trader (个体工商户): a shop name, a 92 code, the operator as 经营者."""
    return f"北京市朝阳区{rng.choice(BRANDS)}{shop}", TRADER, credit_code(rng, "92"), person_name(rng)


def day(month: str, rng: random.Random, lo: int = 1, hi: int = 26) -> dt.date:
    y, m = (int(x) for x in month.split("-"))
    d = dt.date(y, m, rng.randint(lo, hi))
    while d.weekday() >= 5:  # decisions are signed on working days
        d += dt.timedelta(days=1)
    return d


def years_later(d: dt.date, n: int) -> dt.date:
    return d.replace(year=d.year + n) - dt.timedelta(days=1)


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def licenses(month: str, rng: random.Random, authority: dict[str, tuple[str, str]]) -> dict[str, list[list]]:
    """Rows per office of the 法人 licensing template."""
    out: dict[str, list[list]] = {"区环保局": [], "区食药监局": [], "区卫生计生委": []}
    name, code = authority["区环保局"]
    for n in range(rng.randint(3, 4)):
        who, kind, uscc, rep = company(rng, rng.choice(["餐饮管理", "汽车维修", "印刷", "房地产开发"]))
        d = day(month, rng)
        out["区环保局"].append([f"朝环保审字〔2016〕{rng.randint(100, 399)}号", "建设项目环境影响评价文件审批", "普通",
                              f"同意《{who}建设项目环境影响报告表》", who, kind, uscc, rep, "", d, None, None, name, code, "有效", ""])
    name, code = authority["区食药监局"]
    for n in range(rng.randint(4, 5)):
        who, kind, uscc, rep = (company(rng, "餐饮管理") if n % 2 else trader(rng, rng.choice(["便利店", "小吃店", "烟酒店"])))
        d = day(month, rng)
        out["区食药监局"].append([f"朝食药监食经许〔2016〕{rng.randint(1000, 4999)}号", "食品经营许可", "普通",
                               "预包装食品销售（不含冷藏冷冻食品）；热食类食品制售", who, kind, uscc, rep,
                               f"JY2110105{rng.randint(10000000, 99999999)}", d, d, years_later(d, 5), name, code, "有效", ""])
    name, code = authority["区卫生计生委"]
    for n in range(2):
        who, kind, uscc, rep = company(rng, rng.choice(["口腔门诊部", "中医诊所"]))
        who = who.replace("有限公司", "")
        d = day(month, rng)
        out["区卫生计生委"].append([f"朝卫医许〔2016〕{rng.randint(10, 99)}号", "医疗机构执业登记", "登记",
                                 "诊疗科目：口腔科；床位：0张", who, kind, uscc, rep,
                                 f"PDY{rng.randint(10000000, 99999999)}110105{rng.randint(1000, 9999)}", d, d, years_later(d, 5), name, code, "有效", ""])
    if month == "2016-09":  # planted: 2021 typed as 2012, so 有效期至 is before 有效期自
        row = out["区食药监局"][1]
        row[11] = row[10].replace(year=2012)
    return out


def licenses_person(month: str, rng: random.Random, authority: dict[str, tuple[str, str]]) -> dict[str, list[list]]:
    out: dict[str, list[list]] = {"区卫生计生委": [], "南磨房乡": []}
    name, code = authority["区卫生计生委"]
    for n in range(rng.randint(2, 3)):
        d = day(month, rng)
        out["区卫生计生委"].append([f"朝卫医师注〔2016〕{rng.randint(100, 999)}号", "医师执业注册", "认可", "执业类别：临床；执业范围：内科专业",
                                 person_name(rng), "居民身份证", id_number(rng), f"13{rng.randint(100000000, 999999999)}",
                                 f"1101100{rng.randint(10000000, 99999999)}", d, d, None, name, code, "有效"])
    name, code = authority["南磨房乡"]
    for n in range(2):
        d = day(month, rng)
        out["南磨房乡"].append([f"朝南乡规许〔2016〕{rng.randint(10, 60)}号", "乡村建设规划许可证核发", "普通",
                              f"农村村民住宅翻建，建筑面积{rng.randint(90, 200)}平方米", person_name(rng), "居民身份证", id_number(rng),
                              f"010-6738{rng.randint(1000, 9999)}", f"乡字第1101052016{rng.randint(1000, 9999)}号", zh_date(d), zh_date(d),
                              zh_date(years_later(d, 1)), name, code, "有效"])
    if month == "2016-10":  # planted: 2016 typed as 2106
        out["南磨房乡"][1][9] = "2106年10月12日"
    return out


EPB_CASES = [  # penalty name, facts, basis, fine range (万元)
    ("超标排放大气污染物案", "锅炉氮氧化物排放浓度超过《锅炉大气污染物排放标准》限值", "《中华人民共和国大气污染防治法》第九十九条第二项", (10, 30)),
    ("未批先建案", "建设项目环境影响评价文件未经批准擅自开工建设", "《中华人民共和国环境影响评价法》第三十一条", (5, 20)),
    ("未密闭存储易产生扬尘物料案", "施工工地砂石等易产生扬尘的物料未密闭存储", "《北京市大气污染防治条例》第一百一十七条", (1, 5)),
]
FDA_CASES = [
    ("经营超过保质期食品案", "经营超过保质期的预包装食品", "《中华人民共和国食品安全法》第一百二十四条第一款第五项"),
    ("未按规定查验进货票据案", "采购食品未查验供货者的许可证和食品出厂检验合格证", "《中华人民共和国食品安全法》第一百二十六条第一款第三项"),
]


def penalties(month: str, rng: random.Random, authority: dict[str, tuple[str, str]]) -> dict[str, list[list]]:
    out: dict[str, list[list]] = {"区环保局": [], "区食药监局": [], "区城管执法局": []}
    name, code = authority["区环保局"]
    for n in range(rng.randint(3, 4)):
        case, facts, basis, (lo, hi) = rng.choice(EPB_CASES)
        who, kind, uscc, rep = company(rng, rng.choice(["热力", "建筑工程", "混凝土", "物业管理"]))
        fine = rng.randint(lo, hi)
        out["区环保局"].append([f"朝环保罚字〔2016〕{rng.randint(200, 599)}号", f"{who}{case}", "罚款", "", facts, basis, who, kind,
                              uscc, rep, f"罚款人民币{fine}万元", f"{fine:.4f}", "", day(month, rng), name, code, "正常", ""])
    name, code = authority["区食药监局"]
    for n in range(rng.randint(3, 4)):
        case, facts, basis = rng.choice(FDA_CASES)
        who, kind, uscc, rep = company(rng, "商贸") if n % 2 else trader(rng, rng.choice(["便利店", "超市", "食品店"]))
        fine, gain = rng.choice([0.5, 1.0, 2.0]), rng.randint(30, 900) / 10000
        out["区食药监局"].append([f"朝食药监食罚〔2016〕{rng.randint(300, 999)}号", f"{who}{case}", "罚款", "没收违法所得、没收非法财物", facts, basis,
                               who, kind, uscc, rep, f"没收违法所得{gain * 10000:.0f}元，罚款{fine * 10000:.0f}元", f"{fine:.4f}",
                               f"{gain:.4f}", day(month, rng), name, code, "正常", ""])
    name, code = authority["区城管执法局"]
    for n in range(2):
        who, kind, uscc, rep = company(rng, "建筑工程")
        fine = rng.choice([0.3, 0.5, 1.0])
        out["区城管执法局"].append([f"京朝城管罚字〔2016〕第{rng.randint(10000, 39999)}号", f"{who}施工工地未采取扬尘防治措施案", "罚款", "",
                                 "施工工地未按规定采取覆盖、洒水等扬尘防治措施", "《北京市大气污染防治条例》第一百一十六条",
                                 who, kind, uscc, rep, f"罚款人民币{fine * 10000:.0f}元", f"{fine:.4f}", "", day(month, rng), name, code, "正常", ""])
    if month == "2016-08":  # planted: a company without its credit code
        out["区食药监局"][1][8] = ""
    if month == "2016-09":  # planted: wrong check character
        out["区环保局"][0][8] = broken_code(out["区环保局"][0][8])
    return out


def penalties_person(month: str, rng: random.Random, authority: dict[str, tuple[str, str]]) -> dict[str, list[list]]:
    out: dict[str, list[list]] = {"区城管执法局": [], "区卫生计生委": []}
    name, code = authority["区城管执法局"]
    for n in range(rng.randint(3, 4)):
        who = person_name(rng)
        fine = rng.choice([0.02, 0.05, 0.1])
        out["区城管执法局"].append([f"京朝城管罚字〔2016〕第{rng.randint(40000, 69999)}号", "露天烧烤食品案", "罚款", "没收违法所得、没收非法财物",
                                 "在城市建成区露天烧烤食品", "《北京市大气污染防治条例》第一百二十一条", who, "居民身份证", id_number(rng),
                                 f"15{rng.randint(100000000, 999999999)}", f"没收烧烤工具，罚款{fine * 10000:.0f}元", f"{fine:.4f}",
                                 "0.0150", day(month, rng), name, code, "正常"])
    name, code = authority["区卫生计生委"]
    who = person_name(rng)
    out["区卫生计生委"].append([f"朝卫医罚〔2016〕{rng.randint(10, 99)}号", "非医师行医案", "罚款", "没收违法所得、没收非法财物",
                             "未取得医师执业证书擅自开展诊疗活动", "《中华人民共和国执业医师法》第三十九条", who, "居民身份证", id_number(rng),
                             "", "没收违法所得及药品器械，罚款5万元", "5.0000", f"{rng.randint(2, 9) * 1000 / 10000:.4f}",
                             zh_date(day(month, rng)), name, code, "正常"])
    if month == "2016-10":  # planted: 罚款 with no amount
        out["区城管执法局"][0][11] = ""
    return out


def _cell(value: object) -> object:
    return value if value is not None else ""


def write_xlsx(path: Path, title: str, office: str, head: list[str], rows: list[list]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title] + [None] * (len(head) - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(head))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"填报单位：{office}"] + [None] * (len(head) - 1))
    ws.append(head)
    for n, row in enumerate(rows, start=1):
        ws.append([n, *row])
        for c, value in enumerate(row, start=2):
            if isinstance(value, dt.date):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
    ws.append([])
    ws.append(["填表人：刘敏    联系电话：010-65090000"])
    save_frozen(wb, path, dt.datetime(2016, 11, 8))


def write_csv(path: Path, head: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        for n, row in enumerate(rows, start=1):
            w.writerow([n, *(f"{v.year}/{v.month}/{v.day}" if isinstance(v, dt.date) else _cell(v) for v in row)])


def write_json(path: Path, head: list[str], rows: list[list]) -> None:
    records = [
        {k: (v.isoformat() if isinstance(v, dt.date) else _cell(v)) for k, v in zip(head, [n, *row])}
        for n, row in enumerate(rows, start=1)
    ]
    doc = {"code": 200, "message": "success", "data": {"total": len(records), "list": records}}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# The food and drug bureau's CSVs use its own header names; the declared fields list them.
FDA_LICENSE_NAMES = {"行政许可决定文书号": "许可决定书文号", "行政相对人名称": "被许可人名称"}
FDA_PENALTY_NAMES = {"处罚类别1": "处罚种类", "行政相对人名称": "被处罚单位名称", "处罚事由": "违法事实"}


def main() -> None:
    rng = random.Random(20161108)
    offices = {"区环保局": "北京市朝阳区环境保护局", "区食药监局": "北京市朝阳区食品药品监督管理局",
               "区城管执法局": "北京市朝阳区城市管理综合行政执法监察局", "区卫生计生委": "北京市朝阳区卫生和计划生育委员会",
               "南磨房乡": "北京市朝阳区南磨房乡人民政府"}
    authority = {short: (full, credit_code(rng, "11")) for short, full in offices.items()}
    for month in MONTHS:
        folder = HERE / month
        folder.mkdir(exist_ok=True)
        y, m = month.split("-")
        when = f"（{y}年{int(m)}月）"
        for office, rows in licenses(month, rng, authority).items():
            path = folder / f"行政许可_法人_{office}"
            if office == "区食药监局":
                head = [FDA_LICENSE_NAMES.get(h, h) for h in LICENSE_HEAD[:-1]]
                write_csv(path.with_suffix(".csv"), head, [r[:-1] for r in rows])
            else:
                write_xlsx(path.with_suffix(".xlsx"), f"{offices[office]}行政许可信息双公示{when}", offices[office], LICENSE_HEAD, rows)
        for office, rows in licenses_person(month, rng, authority).items():
            write_xlsx(folder / f"行政许可_自然人_{office}.xlsx", f"{offices[office]}行政许可信息双公示（自然人）{when}",
                       offices[office], LICENSE_PERSON_HEAD, rows)
        for office, rows in penalties(month, rng, authority).items():
            path = folder / f"行政处罚_法人_{office}"
            if office == "区食药监局":
                write_csv(path.with_suffix(".csv"), [FDA_PENALTY_NAMES.get(h, h) for h in PENALTY_HEAD], rows)
            elif office == "区城管执法局":
                write_json(path.with_suffix(".json"), PENALTY_HEAD, rows)
            else:
                write_xlsx(path.with_suffix(".xlsx"), f"{offices[office]}行政处罚信息双公示{when}", offices[office], PENALTY_HEAD, rows)
        for office, rows in penalties_person(month, rng, authority).items():
            path = folder / f"行政处罚_自然人_{office}"
            if office == "区城管执法局":
                write_json(path.with_suffix(".json"), PENALTY_PERSON_HEAD, rows)
            else:
                write_xlsx(path.with_suffix(".xlsx"), f"{offices[office]}行政处罚信息双公示（自然人）{when}",
                           offices[office], PENALTY_PERSON_HEAD, rows)
    print(f"wrote 双公示 samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
