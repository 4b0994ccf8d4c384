"""Generate a realistic raw 低保 monthly list (the shape plugins/social_assistance.py reads).

    python bench/generate_dibao.py N OUT.csv [--seed 1] [--encoding gbk|utf-8]
                                   [--reject-share 0.15] [--extra-columns 2]

Columns as the street offices collate them: 序号, 街道, 社区, 户主姓名, 身份证号
(valid GB 11643 check characters, unique per row), 联系电话, 家庭住址, 保障人口,
月保障金额 (``1,234.50`` with thousands separators when needed), 类别, 核定日期 (mixed
date formats: 2016-07-01, 2016/7/1, 2016年7月1日, 20160701), 备注. All 43 Chaoyang
街道/地区 appear. Vectorised with numpy and written in chunks, so 5M rows take
seconds; GBK by default, as departments keep it.

``--reject-share`` puts that share of rows in 特困供养, a category the public 低保
list does not take (each such row is a reject), and ``--extra-columns`` adds columns
the pipeline does not map (经办人, 录入时间, ...): the shape of a list laid out
differently from ours. Both leave the other values as they are without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from gongkai_etl.divisions import DIVISIONS

HEADER = "序号,街道,社区,户主姓名,身份证号,联系电话,家庭住址,保障人口,月保障金额,类别,核定日期,备注"
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") + [
    "欧阳", "司马", "诸葛", "上官"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰华玉萍红建国志文斌海波辉鹏宇浩凯俊峰晨琳雪梅淑珍春燕玲凤云飞")
COMMUNITY_SUFFIX = ["社区", "家园社区", "北里社区", "南里社区", "西里社区", "村"]
CATEGORIES = ["城市低保", "农村低保"]
REMARKS = ["", "", "", "", "单亲家庭", "残疾", "重病", "老年人"]
#: A category the public list does not take (its rows are rejected), and extra columns.
REJECTED_CATEGORY = "特困供养"
EXTRA_COLUMNS = ["经办人", "录入时间", "审核人", "数据来源"]
WEIGHTS = np.array([7, 3, 1, 2, 3, 1, 3, 6, 2, 1, 6, 5, 3, 5, 5, 7, 7, 0, 0, 0, 0, 3, 7, 8, 8, 9, 7, 3, 9, 5, 3, 1, 3,
                    5, 2, 8, 9, 5, 1, 2, 2, 1], float)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
CHECK = np.array(list("10X98765432"))
AREA = np.array([110101, 110102, 110105, 110106, 110107, 110108, 110111, 110112, 110113, 130102, 370102, 410105])
#: Area prefixes (last digit 0) for rows past the first 7.39M: none is a prefix of AREA.
WRAP_AREAS = np.array([120100, 310100, 320100, 330100, 420100, 440100, 510100, 610100, 210100, 350100, 360100,
                       430100, 450100, 500100, 520100, 530100])
BLOCKS_PER_WRAP = 739  # 739 * 37 + 30 < 365 * 75: a wrap's birth-day ranges never overlap


def _id_numbers(rng: np.random.Generator, start: int, n: int) -> np.ndarray:
    """18-character resident ID numbers with valid birth dates and check characters.

    The sequence code is made from the row number, so every row's ID is unique (up to 125M rows).
    """
    area = AREA[rng.integers(0, len(AREA), n)]
    # The sequence code and the area's last digit come from the row number, and each
    # block of 10k rows gets its own 30 birth days: unique for the first 739 blocks
    # (7.39M rows). Each further 7.39M rows ("wrap") takes an area prefix of its own
    # that the first never uses, so 50M rows stay unique, and the first 7.39M rows
    # (every list below that size) are what they always were.
    idx = np.arange(start, start + n, dtype=np.int64)
    seq = idx % 1000
    block = idx // 10000
    wrap = block // BLOCKS_PER_WRAP
    area = np.where(wrap == 0, (area // 10) * 10, WRAP_AREAS[(wrap - 1) % len(WRAP_AREAS)]) + (idx // 1000) % 10
    birth_shift = block % BLOCKS_PER_WRAP  # distinct day offsets for every 10k block of a wrap
    birth = np.datetime64("1930-01-01") + ((birth_shift * 37 + rng.integers(0, 30, n)) % (365 * 75)).astype("timedelta64[D]")
    birth_digits = np.char.replace(birth.astype(str), "-", "")
    body = np.char.add(np.char.add(area.astype(str), birth_digits), np.char.zfill(seq.astype(str), 3))
    body = body.astype("U17")
    digits = body.view("<U1").reshape(n, 17).astype(np.int64)
    check = CHECK[(digits @ ID_WEIGHTS) % 11]
    return np.char.add(body, check)


def _money(cents: np.ndarray) -> np.ndarray:
    yuan, fen = cents // 100, cents % 100
    thousands, rest = yuan // 1000, yuan % 1000
    plain = np.char.add(np.char.add(yuan.astype(str), "."), np.char.zfill(fen.astype(str), 2))
    grouped = np.char.add(np.char.add(np.char.add(np.char.add('"', thousands.astype(str)), ","),
                                      np.char.zfill(rest.astype(str), 3)), np.char.add(".", np.char.add(np.char.zfill(fen.astype(str), 2), '"')))
    return np.where(thousands > 0, grouped, plain)


def _dates(rng: np.random.Generator, n: int) -> np.ndarray:
    day = np.datetime64("2010-01-01") + rng.integers(0, 2400, n).astype("timedelta64[D]")
    iso = day.astype(str)
    y = np.char.partition(iso, "-")[:, 0]
    rest = np.char.partition(iso, "-")[:, 2]
    m = np.char.partition(rest, "-")[:, 0]
    d = np.char.partition(rest, "-")[:, 2]
    mi, di = m.astype(int).astype(str), d.astype(int).astype(str)
    slash = np.char.add(np.char.add(np.char.add(np.char.add(y, "/"), mi), "/"), di)
    cn = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(y, "年"), mi), "月"), di), "日")
    compact = np.char.add(np.char.add(y, m), d)
    kind = rng.integers(0, 4, n)
    return np.select([kind == 0, kind == 1, kind == 2], [iso, slash, cn], compact)


def generate_chunk(rng: np.random.Generator, start: int, n: int, reject_share: float = 0.0, extra_columns: int = 0) -> str:
    streets = np.array(sorted(DIVISIONS.values()))
    w = np.resize(WEIGHTS, len(streets)) + 1.0
    s_idx = rng.choice(len(streets), n, p=w / w.sum())
    street = streets[s_idx]
    stem = np.char.replace(np.char.replace(street, "街道", ""), "地区", "")
    community = np.char.add(np.char.add(stem, np.array(["东", "西", "南", "北", "中"])[rng.integers(0, 5, n)]),
                            np.array(COMMUNITY_SUFFIX)[rng.integers(0, len(COMMUNITY_SUFFIX), n)])
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    given = np.array(GIVEN)
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.6, given[rng.integers(0, len(given), n)], "")
    name = np.char.add(np.char.add(surname, g1), g2)
    ids = _id_numbers(rng, start, n)
    phone = np.char.add(np.array(["13", "15", "18", "17"])[rng.integers(0, 4, n)],
                        np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
    address = np.char.add(np.char.add(np.char.add(np.char.add("北京市朝阳区", community), rng.integers(1, 40, n).astype(str)),
                                      "号楼"), np.char.add(rng.integers(100, 2000, n).astype(str), "号"))
    persons = rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6], n)
    cents = persons * rng.integers(30000, 120000, n) // 50 * 50
    amount = _money(cents)
    category = np.where(rng.random(n) < 0.8, CATEGORIES[0], CATEGORIES[1])
    dates = _dates(rng, n)
    remarks = np.array(REMARKS)[rng.integers(0, len(REMARKS), n)]
    serial = np.arange(start + 1, start + n + 1).astype(str)
    if reject_share > 0:  # drawn after the others, so the other values do not change
        category = np.where(rng.random(n) < reject_share, REJECTED_CATEGORY, category)
    cols = [serial, street, community, name, ids, phone, address, persons.astype(str), amount, category, dates, remarks]
    for k in range(extra_columns):
        cols.append(np.char.add(EXTRA_COLUMNS[k % len(EXTRA_COLUMNS)][:2], (np.arange(start, start + n) % 97).astype(str)))
    line = cols[0]
    for c in cols[1:]:
        line = np.char.add(np.char.add(line, ","), c)
    return "\n".join(line.tolist()) + "\n"


def generate(n: int, out: Path, *, seed: int = 1, encoding: str = "gbk", chunk: int = 250_000,
             reject_share: float = 0.0, extra_columns: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ",".join([HEADER, *(EXTRA_COLUMNS[k % len(EXTRA_COLUMNS)] + ("" if k < len(EXTRA_COLUMNS) else str(k))
                                 for k in range(extra_columns))])
    with open(out, "wb") as fh:
        fh.write((header + "\n").encode(encoding))
        for start in range(0, n, chunk):
            fh.write(generate_chunk(rng, start, min(chunk, n - start), reject_share, extra_columns).encode(encoding))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--encoding", default="gbk", choices=["gbk", "utf-8"])
    ap.add_argument("--reject-share", type=float, default=0.0, help="share of rows in a category the list does not take")
    ap.add_argument("--extra-columns", type=int, default=0, help="columns the pipeline does not map")
    args = ap.parse_args(argv)
    generate(args.rows, args.out, seed=args.seed, encoding=args.encoding, reject_share=args.reject_share,
             extra_columns=args.extra_columns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
