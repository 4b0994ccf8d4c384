"""Make the social assistance (社会救助) sample inputs, deterministically, as the
civil affairs bureau (区民政局) and the street offices keep them.

- 低保名单_<YYYYMM>.csv, 2016-06..2016-09: the monthly list of 城乡低保 households
  collated from about ten street offices: 序号, 街道, 社区, 户主姓名, 身份证号, 联系电话,
  家庭住址, 保障人口, 月保障金额 (``1,234.50``), 类别, 备注. GBK as the street offices'
  Excel saves it; 2016-09 is UTF-8 with a BOM (the bureau switched software).
  June is only the baseline the July change types (新增/停保/续保) are derived
  from; the pipeline publishes 2016-07..2016-09. Realistic names (surname and
  given-name lists, a few compound surnames and one minority name with ·),
  valid resident ID numbers (GB 11643 check characters), mobile and landline
  numbers, and remarks that sometimes quote a phone or an ID number. Between
  months some households leave (停保) and some join (新增).
- 低保特困统计_<YYYY-MM>.xlsx, 2016-07..2016-09: monthly statistics per street and
  category (城市低保, 农村低保, 城市特困, 农村特困) with a title row, a merged
  two-row header (资金支出(万元) / 本月, 本年累计) and a 合计 row; the 低保 rows
  agree with that month's list.
- 医疗临时救助_2016Q3.json: the quarterly export of the civil-affairs system
  (医疗救助 资助参保 / 直接救助, 临时救助: 人次数 and 资金支出 in 万元), pinyin keys.

Messy but valid (must be normalized, not rejected): a head-of-household name
typed with a space (``王 芳``), an ID ending in a lower-case ``x`` (2016-08), an
elderly head with an old 15-digit ID in June/July that becomes the 18-digit one
from August (same record_key), 城镇低保 for 城市低保, full-width digits, stray
spaces around street names, 万元 typed into a cell.

Planted dirty rows (must land in rejects):
- 2016-07 stats, 呼家楼街道 城市特困: 保障人数 0 with 5 households (field persons).
- 2016-08 stats, 双井街道 城市低保: 保障人数 below 保障户数 (field persons).
- 2016-09 stats, 劲松街道 城市低保: 本年累计 below August's (field expenditure_ytd).
- 2016-08 list, one continuing household: 月保障金额 ``待核定`` (field monthly_amount).
- 2016-08 list, one new household: ID number with a wrong check character
  (field id_number); it reappears in 2016-09 with the right ID, as 新增.
- 2016Q3 quarterly: street 朝阳门街道, which is in 东城区, not 朝阳区 (field street).
- 2016Q3 quarterly: 0 人次 with money spent (field person_times).

Run: python sample_data/social_assistance/generate.py
"""

from __future__ import annotations

import csv
import json
import random
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

# One helper for every domain's workbooks: sample_data/frozen_xlsx.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from frozen_xlsx import save_frozen  # noqa: E402

HERE = Path(__file__).resolve().parent
LIST_MONTHS = ["2016-06", "2016-07", "2016-08", "2016-09"]
STATS_MONTHS = ["2016-07", "2016-08", "2016-09"]
QUARTER = "2016Q3"
DIBAO_STANDARD = 800  # 元/人·月, Beijing's 2016 城乡低保 standard
TEKUN_STANDARD = 1200  # 元/人·月, sample value for 特困 support

# street, [(community or village, rural?)]
STREETS: list[tuple[str, list[tuple[str, bool]]]] = [
    ("建外街道", [("永安里社区", False), ("光华里社区", False)]),
    ("呼家楼街道", [("呼家楼北社区", False), ("金台里社区", False), ("东大桥社区", False)]),
    ("安贞街道", [("安华里社区", False), ("安贞里社区", False)]),
    ("酒仙桥街道", [("大山子社区", False), ("驼房营社区", False), ("万红西街社区", False)]),
    ("双井街道", [("九龙社区", False), ("富力社区", False), ("广和里社区", False)]),
    ("劲松街道", [("劲松中社区", False), ("农光里社区", False), ("磨房北里社区", False)]),
    ("潘家园街道", [("潘家园社区", False), ("华威西里社区", False)]),
    ("南磨房地区", [("南新园社区", False), ("双龙南里社区", False), ("赵家村", True)]),
    ("高碑店地区", [("西店社区", False), ("高碑店村", True), ("半壁店村", True)]),
    ("东坝地区", [("东坝家园社区", False), ("单店村", True), ("驹子房村", True)]),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖"
    "贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "皇甫")
MALE_GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_GIVEN = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
MINORITY_NAMES = ("阿依古丽·买买提", "买买提·吐尔逊")
REGIONS = ("110105", "110105", "110105", "110105", "110101", "110102", "110108", "110106", "130102", "370102", "410102", "230103")
ROADS = ("路", "街", "里", "胡同")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def check_char(first17: str) -> str:
    """GB 11643-1999 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


@dataclass
class Household:
    id_number: str  # canonical 18-character ID
    name: str
    street: str
    community: str
    rural: bool
    persons: int
    amount: float
    phone: str
    address: str
    remark: str = ""


class Maker:
    """Draws people; keeps names clear of street and community names so that a
    test can search every published cell for a raw name as a substring."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()
        self.places = "".join(s + "".join(c for c, _ in cs) for s, cs in STREETS) + "城市农村低保特困新增停保续保"

    def person(self, *, born_before: int = 1990, force_x: bool = False) -> tuple[str, str]:
        rng = self.rng
        while True:
            male = rng.random() < 0.5
            born = date(1926, 1, 1) + timedelta(days=rng.randrange((date(born_before, 12, 31) - date(1926, 1, 1)).days))
            seq = rng.randrange(0, 999)
            seq = seq - seq % 2 + (1 if male else 0)
            first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{seq:03d}"
            cc = check_char(first17)
            if force_x and cc != "X":
                continue
            id_number = first17 + cc
            name = self.name(male)
            if id_number not in self.used_ids and name not in self.places and not any(
                name[i : i + 2] in self.places for i in range(len(name) - 1)
            ):
                self.used_ids.add(id_number)
                return id_number, name

    def name(self, male: bool) -> str:
        rng = self.rng
        if rng.random() < 0.008:
            return rng.choice(MINORITY_NAMES)
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        pool = MALE_GIVEN if male else FEMALE_GIVEN
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return surname + given

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return f"010-{rng.choice('568')}{rng.randrange(1000000, 9999999)}"
        return f"1{rng.choice('3578')}{rng.randrange(0, 10)}{rng.randrange(0, 100000000):08d}"

    def address(self, community: str, rural: bool) -> str:
        rng = self.rng
        if rural:
            return f"北京市朝阳区{community}{rng.randrange(1, 400)}号"
        return f"北京市朝阳区{community[:-2]}{rng.randrange(1, 30)}号楼{rng.randrange(1, 7)}单元{rng.randrange(101, 1806)}号"

    def remark(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            return ""
        if r < 0.70:
            return rng.choice(("因病致贫", "重度残疾", "单亲家庭", "老年人独居", "子女在读大学"))
        if r < 0.85:
            return f"户主电话已变更为{self.phone()}"  # free text quoting a phone number
        if r < 0.93:
            other, _ = self.person()
            return f"配偶身份证号{other}，在外地务工"  # free text quoting an ID number
        return "收入核查中，联系人：社区社工"

    def household(self, street: str, community: str, rural: bool, **kw: bool) -> Household:
        id_number, name = self.person(**kw)
        persons = self.rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 5))
        return Household(
            id_number, name, street, community, rural, persons, self.amount(persons), self.phone(),
            self.address(community, rural), self.remark(),
        )

    def amount(self, persons: int) -> float:
        # Paid = standard x persons minus the household's income, in half-yuan steps.
        return round(DIBAO_STANDARD * persons * self.rng.uniform(0.3, 1.0) * 2) / 2


def place(rng: random.Random) -> tuple[str, str, bool]:
    street, communities = STREETS[rng.randrange(len(STREETS))]
    community, rural = rng.choice(communities)
    return street, community, rural


def build_lists(rng: random.Random) -> dict[str, list[Household]]:
    """Households per month: June's baseline, then 停保 and 新增 each month."""
    maker = Maker(rng)
    june = [maker.household(*place(rng)) for _ in range(290)]
    # Fixed characters of the story (see the module docstring).
    june[3] = replace(june[3], name="王芳", persons=2, amount=1210.0)
    old = maker.household("安贞街道", "安华里社区", False, born_before=1935)
    june[10] = old  # the elderly head whose 15-digit ID is replaced in August
    x_id = maker.household("劲松街道", "农光里社区", False, force_x=True)
    june[20] = x_id  # an ID ending in X, written with a lower-case x in August
    months = {"2016-06": june}
    current = june
    for month in LIST_MONTHS[1:]:
        keep: list[Household] = []
        for i, h in enumerate(current):
            protected = h.id_number in (june[3].id_number, old.id_number, x_id.id_number)
            if not protected and rng.random() < 0.045:
                continue  # 停保: income rose, moved away, died
            if rng.random() < 0.08:  # re-assessed: persons or amount change
                persons = max(1, h.persons + rng.choice((-1, 1)))
                h = replace(h, persons=persons, amount=maker.amount(persons))
            if rng.random() < 0.1:
                h = replace(h, remark=maker.remark())
            keep.append(h)
        new = [maker.household(*place(rng)) for _ in range(rng.randrange(10, 17))]
        current = keep + new
        months[month] = current
    return months


def id15(id18: str) -> str:
    return id18[:6] + id18[8:17]


def list_rows(month: str, households: list[Household], planted: dict[str, Household]) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, h in enumerate(sorted(households, key=lambda h: (h.street, h.community, h.id_number)), start=1):
        id_text = h.id_number
        name = h.name
        street = h.street
        persons: str = str(h.persons)
        amount = f"{h.amount:,.2f}" if h.amount >= 1000 or i % 3 else f"{h.amount:g}"
        category = "农村低保" if h.rural else "城市低保"
        if name == "王芳" and month in ("2016-07", "2016-08"):
            name = "王 芳"  # typed with a space to line up with three-character names
        if h.id_number == planted["old"].id_number and month in ("2016-06", "2016-07"):
            id_text = id15(h.id_number)  # not yet re-registered with an 18-digit ID
        if h.id_number == planted["x"].id_number and month == "2016-08":
            id_text = h.id_number[:-1] + "x"
        if i % 37 == 5:
            street = f" {street}  "
        if i % 41 == 7 and not h.rural:
            category = "城镇低保"
        if i % 43 == 11:
            persons = persons.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if h.id_number == planted["no_amount"].id_number and month == "2016-08":
            amount = "待核定"  # planted: amount not yet fixed
        if h.id_number == planted["typo"].id_number and month == "2016-08":
            bad = "0" if id_text[-1] != "0" else "1"
            id_text = id_text[:-1] + bad  # planted: typo in the check character
        rows.append([str(i), street, h.community, name, id_text, h.phone, h.address, persons, amount, category, h.remark])
    return rows


def write_list(month: str, rows: list[list[str]]) -> None:
    yyyymm = month.replace("-", "")
    encoding = "utf-8-sig" if month == "2016-09" else "gbk"
    with open(HERE / f"低保名单_{yyyymm}.csv", "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "街道", "社区", "户主姓名", "身份证号", "联系电话", "家庭住址", "保障人口", "月保障金额", "类别", "备注"])
        w.writerows(rows)


@dataclass
class StatRow:
    street: str
    category: str
    households: int
    persons: int
    month: float  # 万元
    ytd: float  # 万元
    standard: int


def build_stats(rng: random.Random, lists: dict[str, list[Household]]) -> dict[str, list[StatRow]]:
    ytd: dict[tuple[str, str], float] = {}
    tekun: dict[tuple[str, str], list[int]] = {}
    out: dict[str, list[StatRow]] = {}
    for month in STATS_MONTHS:
        rows: list[StatRow] = []
        for street, communities in STREETS:
            has_rural = any(r for _, r in communities)
            cats = ["城市低保", "城市特困"] + (["农村低保", "农村特困"] if has_rural else [])
            for cat in sorted(cats, key=["城市低保", "农村低保", "城市特困", "农村特困"].index):
                key = (street, cat)
                if cat.endswith("低保"):
                    rural = cat == "农村低保"
                    hs = [h for h in lists[month] if h.street == street and h.rural == rural]
                    households, persons = len(hs), sum(h.persons for h in hs)
                    spent = sum(h.amount for h in hs) / 10000
                    standard = DIBAO_STANDARD
                else:
                    t = tekun.setdefault(key, [rng.randrange(2, 9)])
                    if rng.random() < 0.2:
                        t[0] = max(1, t[0] + rng.choice((-1, 1)))
                    households = t[0]
                    persons = households  # 特困 people are mostly supported one by one
                    spent = persons * TEKUN_STANDARD / 10000
                    standard = TEKUN_STANDARD
                spent = round(spent, 2)
                before = ytd.get(key, round(spent * 6 * rng.uniform(0.92, 1.02), 2))
                ytd[key] = round(before + spent, 2)
                rows.append(StatRow(street, cat, households, persons, spent, ytd[key], standard))
        out[month] = rows
    return out


def _number(cell: object) -> int:
    return int(str(cell).translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def write_stats(month: str, rows: list[StatRow]) -> None:
    year, mon = month.split("-")
    wb = Workbook()
    ws = wb.active
    ws.title = "统计表"
    width = 8
    ws.append([f"朝阳区城乡低保和特困人员救助供养情况统计表（{year}年{int(mon)}月）"] + [None] * (width - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append(["序号", "街道(地区)", "类别", "保障户数(户)", "保障人数(人)", "资金支出(万元)", None, "保障标准(元/人·月)"])
    ws.append([None, None, None, None, None, "本月", "本年累计", None])
    for col in (1, 2, 3, 4, 5, 8):
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
    ws.merge_cells(start_row=2, start_column=6, end_row=2, end_column=7)
    totals = [0, 0, 0.0, 0.0]
    for i, r in enumerate(rows, start=1):
        street: object = r.street
        households: object = r.households
        persons: object = r.persons
        spent: object = r.month
        ytd: object = r.ytd
        if i == 4:
            street = f"{r.street} "  # stray space
        if i == 6:
            spent = f"{r.month:.2f}万元"  # unit typed into the cell
        if i == 11:
            persons = str(r.persons).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if month == "2016-07" and r.street == "呼家楼街道" and r.category == "城市特困":
            households, persons = 5, 0  # planted: persons missing (0)
        if month == "2016-08" and r.street == "双井街道" and r.category == "城市低保":
            persons = r.households - 3  # planted: fewer persons than households
        if month == "2016-09" and r.street == "劲松街道" and r.category == "城市低保":
            ytd = round(r.ytd - 9.5, 2)  # planted: year-to-date falls (digits swapped)
        ws.append([i, street, r.category, households, persons, spent, ytd, r.standard])
        # The 合计 row adds up the cells as written, planted mistakes included.
        totals = [totals[0] + int(households), totals[1] + _number(persons), totals[2] + r.month, totals[3] + float(ytd)]
    ws.append(["合计", None, None, totals[0], totals[1], round(totals[2], 2), round(totals[3], 2), None])
    ws.append([None] * width)
    save_workbook(wb, HERE / f"低保特困统计_{month}.xlsx", datetime(int(year), int(mon) % 12 + 1, 5, 9, 30))


def save_workbook(wb: Workbook, path: Path, when: datetime) -> None:
    """Save as the civil-affairs bureau would, with every timestamp fixed to ``when``."""
    wb.properties.creator = "朝阳区民政局"
    wb.properties.created = when
    save_frozen(wb, path, when)


def write_quarterly(rng: random.Random, lists: dict[str, list[Household]]) -> None:
    records: list[dict[str, object]] = []
    sept = lists["2016-09"]
    for street, _ in STREETS:
        covered = sum(h.persons for h in sept if h.street == street)
        insured = max(1, int(covered * rng.uniform(0.5, 0.8)))
        direct = rng.randrange(8, 60)
        temporary = rng.randrange(3, 30)
        records += [
            {"jdmc": street, "jzlx": "医疗救助", "jzxm": "资助参保", "jzrc": insured, "zjzc": round(insured * 0.03, 2)},
            {"jdmc": street, "jzlx": "医疗救助", "jzxm": "直接救助", "jzrc": direct,
             "zjzc": round(direct * rng.uniform(0.15, 0.4), 2)},
            {"jdmc": street, "jzlx": "临时救助", "jzxm": "", "jzrc": temporary,
             "zjzc": round(temporary * rng.uniform(0.1, 0.3), 2)},
        ]
    records[1]["jzrc"] = str(records[1]["jzrc"]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    records[2]["jzrc"] = f"{records[2]['jzrc']}人次"  # counting unit typed in
    records[4]["zjzc"] = f"{records[4]['zjzc']}万元"
    records.append({"jdmc": "朝阳门街道", "jzlx": "临时救助", "jzxm": "", "jzrc": 4, "zjzc": 0.8})  # planted: 东城区
    records[7]["jzrc"] = 0  # planted: money spent without anybody helped
    doc = {
        "code": "0000",
        "message": "查询成功",
        "data": {
            "tjqj": QUARTER,
            "xzqh": "110105",
            "xzqhmc": "朝阳区",
            "dw": "人次/万元",
            "total": len(records),
            "list": records,
        },
    }
    (HERE / f"医疗临时救助_{QUARTER}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def main() -> None:
    rng = random.Random(20160930)
    lists = build_lists(rng)
    june = lists["2016-06"]
    aug_new = [h for h in lists["2016-08"] if h.id_number not in {x.id_number for x in lists["2016-07"]}]
    sept_ids = {h.id_number for h in lists["2016-09"]}
    july_ids = {h.id_number for h in lists["2016-07"]}
    planted = {
        "old": june[10],
        "x": june[20],
        "no_amount": next(h for h in lists["2016-08"] if h.id_number in july_ids and h.id_number in sept_ids
                          and h.id_number not in (june[3].id_number, june[10].id_number, june[20].id_number)),
        "typo": next(h for h in aug_new if h.id_number in sept_ids),
    }
    for month in LIST_MONTHS:
        write_list(month, list_rows(month, lists[month], planted))
    stats = build_stats(rng, lists)
    for month in STATS_MONTHS:
        write_stats(month, stats[month])
    write_quarterly(rng, lists)
    print(f"wrote social assistance samples for {', '.join(LIST_MONTHS)} and {QUARTER} to {HERE}")


if __name__ == "__main__":
    main()
