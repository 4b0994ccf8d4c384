"""Make the PPP sample inputs, deterministically, as the finance bureau keeps them.

- ppp_projects_<YYYYMM>.json: the PPP platform's export, ``{"code":0,"data":
  {"list":[...]}}`` with Chinese keys; amounts as ``12.5亿元``, ``32,000.00`` or a
  JSON number (万元), terms as ``25年``; it also carries the desk officer's name
  and phone, which the source never reads.
- PPP项目出资情况_<YYYY-MM>.xlsx: title row, header merged over two rows
  (资本金出资(万元) over 政府方出资 / 社会资本出资), Chinese and Excel dates, a 合计 row.
- PPP项目实施进度_<YYYY-MM>.csv: GBK, amounts like ``1,234.50`` and one ``4.12亿元``.
- PPP项目采购信息_<YYYY-MM>.xls: legacy Excel (xlwt), the documents published in
  the month, 公示期 merged over 起始日期 / 截止日期, the document text (正文) and,
  for some rows, its SHA-256.

Six projects in six Chaoyang streets, 2016-08..2016-10. The dates exercise the
2016 calendar: the Mid-Autumn holiday (9-15..9-17, with Sunday 9-18 a working
day) and National Day (10-1..10-7, with Saturday 10-8 a working day).

Planted dirty rows (must land in rejects):
- 2016-09 contributions CY-PPP-2016-003: 社会资本出资 2,946.00 (digits swapped),
  so 741.00 + 2,946.00 != 项目资本金 3,705.00 -> field ``capital``.
- 2016-09 procurement CY-PPP-2016-003 预中标/成交结果 on notice 9-28..10-06: only
  3 working days across National Day -> field ``notice_end``.
- 2016-10 projects CY-PPP-2016-002: the new SPV's credit code has a wrong check
  character -> field ``spv_uscc``.
- 2016-10 progress CY-PPP-2016-005: 累计完成投资 45,850.00 below September's
  published 46,850.00 -> field ``investment_cum``.
- 2016-10 procurement CY-PPP-2016-004 采购文件 dated 2016/9/9, before its
  资格预审公告 published in September (9-19) -> field ``doc_type``.

Flagged, not rejected: 2016-10 CY-PPP-2016-003 项目合同 signed 10-24 and
published 10-28 (due 10-26): ``contract_on_time`` false. CY-PPP-2016-002's
contract, signed 9-29 and published 10-8, is on time thanks to the working Saturday.

Run: python sample_data/ppp/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import re
import sys
from pathlib import Path

import xlwt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from gongkai_etl_plugins.ppp_uscc import CHARSET, check_char

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
MONTHS = ["2016-08", "2016-09", "2016-10"]

# id, name, industry, street as typed, agency, total investment as exported, mode, payment, term, build, run
PROJECTS = [
    ("CY-PPP-2015-001", "朝阳区垡头污水处理厂及再生水利用PPP项目", "市政工程", "垡头街道", "北京市朝阳区水务局",
     "8.6亿元", "TOT + BOT", "可行性缺口补助", "25年", 2, 23),
    ("CY-PPP-2016-002", "朝阳区东坝中心小学及附属幼儿园PPP项目", "教育", "东坝地区", "北京市朝阳区教育委员会",
     "32,000.00", "BOT", "政府付费", "20年", 2, 18),
    ("CY-PPP-2016-003", "朝阳区常营地区养老照料中心PPP项目", "养老", "常营地区", "北京市朝阳区民政局",
     12350, "BOO", "可行性缺口补助", "15年", 1, 14),
    ("CY-PPP-2016-004", "朝阳区望京地区智能立体停车设施PPP项目", "交通运输", " 望京街道 ", "北京市朝阳区交通委员会",
     "2.75亿元", "bot", "使用者付费", "10", 1, 9),
    ("CY-PPP-2016-005", "朝阳区萧太后河（黑庄户段）水环境综合治理PPP项目", "生态建设和环境保护", "黑庄户乡",
     "北京市朝阳区水务局", "12.5亿元", "BOT", "可行性缺口补助", "18年", 3, 15),
    ("CY-PPP-2016-006", "朝阳区酒仙桥社区卫生服务中心改扩建PPP项目", "医疗卫生", "酒仙桥街道",
     "北京市朝阳区卫生和计划生育委员会", "18,600.00", "ROT", "可行性缺口补助", "20年", 2, 18),
]
NAMES = {p[0]: p[1] for p in PROJECTS}

# stage per month, private partner and SPV per month (None: not yet chosen / set up)
STAGES = {
    "CY-PPP-2015-001": ("执行", "执行", "执行"),
    "CY-PPP-2016-002": ("采购", "采购", "执行"),
    "CY-PPP-2016-003": ("采购", "采购", "执行"),
    "CY-PPP-2016-004": ("准备", "采购", "采购"),
    "CY-PPP-2016-005": ("执行", "执行", "执行"),
    "CY-PPP-2016-006": ("识别", "识别", "准备"),
}
PARTNERS = {  # id -> (first month with it, partner, SPV or None)
    "CY-PPP-2015-001": ("2016-08", "北京朝清环境投资有限公司", "北京垡头清源水务有限公司"),
    "CY-PPP-2016-002": ("2016-10", "北京朝教建设发展有限公司", "北京东坝育才教育设施管理有限公司"),
    "CY-PPP-2016-003": ("2016-10", "北京颐康养老产业集团有限公司", None),
    "CY-PPP-2016-005": ("2016-08", "北京中建朝阳生态建设有限公司", "北京萧河水环境治理有限公司"),
}


def credit_code(rng: random.Random, new: bool) -> str:
    """A valid 统一社会信用代码 of a Chaoyang company: 91 + 110105 + body + check."""
    if new:  # registered since 2015: body starts with MA
        body = "MA00" + "".join(rng.choice(CHARSET) for _ in range(5))
    else:  # the old 9-digit organization code
        body = "".join(rng.choice("0123456789") for _ in range(9))
    first17 = "91110105" + body
    return first17 + check_char(first17)


def broken(code: str) -> str:
    """The same code with a wrong check character (a typo in the last place)."""
    return code[:17] + CHARSET[(CHARSET.index(code[17]) + 7) % 31]


def projects(month: str, codes: dict[str, tuple[str, str]]) -> None:
    idx = MONTHS.index(month)
    records = []
    for n, p in enumerate(PROJECTS, start=1):
        pid, name, industry, street, agency, total, mode, payment, term, build, run = p
        since, partner, spv = PARTNERS.get(pid, (None, None, None))
        has_partner = since is not None and since <= month
        partner_code, spv_code = codes.get(pid, ("", ""))
        if month == "2016-10" and pid == "CY-PPP-2016-002":
            spv_code = broken(spv_code)  # planted: wrong check character
        records.append({
            "id": 10230 + n,
            "项目编号": pid,
            "项目名称": name,
            "所属行业": industry,
            "所在街乡": street,
            "实施机构": agency,
            "项目总投资": total,
            "运作方式": mode,
            "回报机制": payment,
            "合作期限": term,
            "建设期": f"{build}年",
            "运营期": run,
            "项目阶段": STAGES[pid][idx],
            "社会资本方": partner if has_partner else None,
            "社会资本方统一社会信用代码": partner_code.lower() if has_partner and n == 5 else (partner_code if has_partner else ""),
            "项目公司": spv if has_partner and spv else None,
            "项目公司统一社会信用代码": spv_code if has_partner and spv else None,
            "联系人": "张建华",  # desk officer: internal, never published
            "联系电话": f"010-6509{4400 + n}",
            "更新时间": f"{month}-28 17:{10 + n}:00",
        })
    doc = {"code": 0, "msg": "操作成功", "data": {"total": len(records), "pageNum": 1, "pageSize": 50, "list": records}}
    path = HERE / f"ppp_projects_{month.replace('-', '')}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# contributions per month: id -> list of (as_of, capital, gov, private, debt) as typed
def contribution_rows(month: str) -> list[tuple[str, object, str, str, str, str]]:
    end = {"2016-08": dt.date(2016, 8, 31), "2016-09": dt.date(2016, 9, 30), "2016-10": dt.date(2016, 10, 31)}[month]
    chinese = f"{end.year}年{end.month}月{end.day}日"
    slashed = f"{end.year}/{end.month}/{end.day}"
    debt_p1 = {"2016-08": "42,000.00", "2016-09": "45,000.00", "2016-10": "48,000.00"}[month]
    debt_p5 = {"2016-08": "20,000.00", "2016-09": "24,000.00", "2016-10": "28,000.00"}[month]
    rows: list[tuple[str, object, str, str, str, str]] = [
        ("CY-PPP-2015-001", "2015年12月31日", "8,600.00", "1,720.00", "6,880.00", "0"),
        ("CY-PPP-2015-001", chinese, "17,200.00", "3,440.00", "13,760.00", debt_p1),
        ("CY-PPP-2016-003", slashed, "3,705.00", "741.00", "2,964.00", "—"),
        ("CY-PPP-2016-005", end, "25,000.00", "5,000.00", "20,000.00", debt_p5),
    ]
    if month == "2016-09":
        rows[2] = ("CY-PPP-2016-003", slashed, "3,705.00", "741.00", "2,946.00", "—")  # planted: does not add up
    if month == "2016-10":
        rows.insert(2, ("CY-PPP-2016-002", chinese, "6,400.00", "1,280.00", "5,120.00", "0"))
    return rows


def contributions(month: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "出资情况"
    year, mon = month.split("-")
    head = ["序号", "项目编号", "项目名称", "截至日期", "项目资本金(万元)", "资本金出资(万元)", None, "债务融资(万元)", "备注"]
    ws.append([f"朝阳区PPP项目政府和社会资本出资情况表（{year}年{int(mon)}月）"] + [None] * 8)
    ws.merge_cells("A1:I1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(head)
    ws.append([None] * 5 + ["政府方出资", "社会资本出资"] + [None] * 2)
    for col in "ABCDEHI":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("F2:G2")
    totals = [0.0, 0.0, 0.0, 0.0]
    for n, (pid, as_of, capital, gov, private, debt) in enumerate(contribution_rows(month), start=1):
        note = "首期资本金到位" if str(as_of).startswith("2015") else ""
        ws.append([n, pid, NAMES[pid], as_of, capital, gov, private, debt, note])
        if isinstance(as_of, dt.date):
            ws.cell(ws.max_row, 4).number_format = "yyyy-mm-dd"
        for k, v in enumerate((capital, gov, private, debt)):
            totals[k] += float(v.replace(",", "")) if v not in ("—",) else 0.0
    ws.append(["合计", None, None, None, *(f"{t:,.2f}" for t in totals), None])
    save_frozen(wb, HERE / f"PPP项目出资情况_{month}.xlsx", dt.datetime(2016, 11, 4))


PROGRESS = {  # month -> id -> (this month, cumulative, note, report date) as typed
    "2016-08": {
        "CY-PPP-2015-001": ("2,860.20", "52,340.50", "二期生化池主体结构施工", "2016/9/5"),
        "CY-PPP-2016-005": ("3,150.00", "4.12亿元", "河道清淤完成60%", "2016/9/5"),
    },
    "2016-09": {
        "CY-PPP-2015-001": ("2,779.80", "55,120.30", "二期生化池主体结构封顶", "2016/10/9"),
        "CY-PPP-2016-005": ("5,650.00", "46,850.00", "截污管线铺设3.2公里", "2016/10/9"),
    },
    "2016-10": {
        "CY-PPP-2015-001": ("2,885.45", "58,005.75", "设备安装", "2016/11/3"),
        "CY-PPP-2016-002": ("0", "0.00", "施工许可办理中", "2016/11/3"),
        "CY-PPP-2016-003": ("", "0", "项目合同已签订", "2016/11/3"),
        # planted: cumulative below September's 46,850.00
        "CY-PPP-2016-005": ("", "45,850.00", "生态护岸施工", "2016/11/4"),
    },
}


def progress(month: str) -> None:
    with open(HERE / f"PPP项目实施进度_{month}.csv", "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "项目编号", "项目名称", "本月完成投资(万元)", "累计完成投资(万元)", "形象进度", "填报日期"])
        for n, (pid, (this_month, cum, note, day)) in enumerate(PROGRESS[month].items(), start=1):
            w.writerow([n, pid, NAMES[pid], this_month, cum, note, day])


D = dt.date
# month -> documents: (id, type as typed, seq, method, published, notice start, notice end, signed)
DOCUMENTS: dict[str, list[tuple]] = {
    "2016-08": [
        ("CY-PPP-2016-005", "PPP项目合同", 1, "公开招标", D(2016, 8, 2), None, None, "2016年7月29日"),
        ("CY-PPP-2016-002", "资格预审公告", 1, "公开招标", "2016年8月3日", None, None, None),
        ("CY-PPP-2016-005", "中标结果", 1, "公开招标", "2016/8/4", None, None, None),
        ("CY-PPP-2016-003", "资格预审公告", 1, "竞争性磋商", D(2016, 8, 15), None, None, None),
        ("CY-PPP-2016-002", "招标文件", 1, "公开招标", "2016年8月24日", None, None, None),
    ],
    "2016-09": [
        ("CY-PPP-2016-003", "磋商文件", 1, "竞争性磋商", "2016年9月5日", None, None, None),
        ("CY-PPP-2016-002", "确认谈判备忘录", 1, "公开招标", D(2016, 9, 12), None, None, None),
        # 5 working days: 13, 14, (15-17 Mid-Autumn), 18 (working Sunday), 19, 20
        ("CY-PPP-2016-002", "预中标结果", 1, "公开招标", "2016/9/13", "2016/9/13", "2016/9/20", None),
        ("CY-PPP-2016-004", "资格预审公告", 1, "竞争性磋商", "2016年9月19日", None, None, None),
        ("CY-PPP-2016-003", "确认谈判备忘录", 1, "竞争性磋商", "2016年9月26日", None, None, None),
        # planted: 28, 29, 30 and then National Day: only 3 working days
        ("CY-PPP-2016-003", "预中标/成交结果", 1, "竞争性磋商", D(2016, 9, 28), D(2016, 9, 28), D(2016, 10, 6), None),
    ],
    "2016-10": [
        # signed Thursday 9-29; 2 working days after: 9-30 and Saturday 10-8
        ("CY-PPP-2016-002", "项目合同", 1, "公开招标", "2016年10月8日", None, None, D(2016, 9, 29)),
        ("CY-PPP-2016-002", "中标或成交结果", 1, "公开招标", "2016/10/10", None, None, None),
        ("CY-PPP-2016-003", "预中标/成交结果", 2, "竞争性磋商", "2016/10/10", "2016/10/10", "2016/10/14", None),
        # planted: dated before its 资格预审公告 of 2016-09-19 (published in September)
        ("CY-PPP-2016-004", "磋商文件", 1, "竞争性磋商", "2016/9/9", None, None, None),
        # signed Monday 10-24, due Wednesday 10-26, published Friday 10-28: late, flagged
        ("CY-PPP-2016-003", "项目合同", 1, "竞争性磋商", "2016年10月28日", None, None, "2016年10月24日"),
        ("CY-PPP-2016-003", "中标/成交结果", 1, "竞争性磋商", D(2016, 10, 31), None, None, None),
    ],
}
TITLES = {
    "资格预审公告": "资格预审公告", "招标文件": "招标文件", "磋商文件": "竞争性磋商文件", "确认谈判备忘录": "确认谈判备忘录",
    "预中标结果": "预中标结果公示", "预中标/成交结果": "预成交结果公示", "PPP项目合同": "合同公告",
    "项目合同": "合同公告", "中标结果": "中标结果公告", "中标或成交结果": "中标结果公告", "中标/成交结果": "成交结果公告",
}


def as_date(value: object) -> dt.date:
    """A date cell as the generator typed it (date, 2016年8月3日 or 2016/8/4)."""
    if isinstance(value, dt.date):
        return value
    parts = [int(x) for x in re.split(r"[年月日/]", str(value)) if x]
    return dt.date(*parts)


def _day_text(value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def document_text(pid: str, kind: str, method: str, published: object) -> str:
    return (
        f"{NAMES[pid]}{TITLES[kind]}\n"
        f"一、项目编号：{pid}\n二、项目名称：{NAMES[pid]}\n三、采购方式：{method}\n"
        f"四、采购人（项目实施机构）：见项目基本情况\n五、发布日期：{_day_text(published)}\n"
        "六、本公告同时在北京市财政局网站发布。"
    )


def procurement(month: str) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("采购信息")
    bold = xlwt.easyxf("font: bold on; align: horiz center, vert center")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    year, mon = month.split("-")
    ws.write_merge(0, 0, 0, 13, f"朝阳区PPP项目采购信息公开台账（{year}年{int(mon)}月）", bold)
    heads = ["序号", "项目编号", "项目名称", "公开文件类型", "文件序号", "文件标题", "采购方式", "发布日期", "公示期", None,
             "合同签订日期", "发布网址", "文件SHA-256", "正文"]
    for c, text in enumerate(heads):
        if text is None:
            continue
        if text == "公示期":
            ws.write_merge(1, 1, 8, 9, text, bold)
        else:
            ws.write_merge(1, 2, c, c, text, bold)
    ws.write(2, 8, "起始日期", bold)
    ws.write(2, 9, "截止日期", bold)
    for n, (pid, kind, seq, method, published, start, end, signed) in enumerate(DOCUMENTS[month], start=1):
        r = 2 + n
        text = document_text(pid, kind, method, published)
        stamp = as_date(published).strftime("%Y%m%d")
        cells = [n, pid, NAMES[pid], kind, seq, f"{NAMES[pid]}{TITLES[kind]}", method, published, start, end, signed,
                 f"http://czj.bjchy.gov.cn/ppp/{year}{mon}/t{stamp}_{4100 + n}.html",
                 hashlib.sha256(text.encode("utf-8")).hexdigest().upper() if n % 2 else "", text]
        for c, value in enumerate(cells):
            if isinstance(value, dt.date):
                ws.write(r, c, value, date_style)
            elif value is not None:
                ws.write(r, c, value)
    book.save(str(HERE / f"PPP项目采购信息_{month}.xls"))


def main() -> None:
    rng = random.Random(20161104)
    codes = {pid: (credit_code(rng, new=False), credit_code(rng, new=True) if spv else "")
             for pid, (_, _, spv) in PARTNERS.items()}
    for month in MONTHS:
        projects(month, codes)
        contributions(month)
        progress(month)
        procurement(month)
    print(f"wrote PPP samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
