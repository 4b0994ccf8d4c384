"""Check characters for the sample generators: 统一社会信用代码 (GB 32100) and
公民身份号码 (GB 11643), so the samples hold codes a real register would.

Shared by the generate.py scripts of double_publicity, ipr_penalty and major_projects.
"""

from __future__ import annotations

import random

from gongkai_etl_plugins.ppp_uscc import CHARSET, check_char

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def credit_code(rng: random.Random, kind: str = "91") -> str:
    """A valid code of a Chaoyang body: ``91`` a company, ``92`` a sole trader,
    ``11`` a government body, ``52`` a social organization."""
    body = "".join(rng.choice(CHARSET[:10]) for _ in range(9)) if kind != "92" else "".join(rng.choice(CHARSET) for _ in range(9))
    first17 = kind + "110105" + body
    return first17 + check_char(first17)


def broken_code(code: str) -> str:
    """The same code with a wrong check character (a typo in the last place)."""
    return code[:17] + CHARSET[(CHARSET.index(code[17]) + 5) % 31]


def id_number(rng: random.Random) -> str:
    """A valid resident ID of someone born in Chaoyang 1950-1995."""
    birth = f"{rng.randint(1950, 1995)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = "110105" + birth + f"{rng.randint(0, 999):03d}"
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return first17 + ID_CHECK[total % 11]


SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["建国", "秀英", "志强", "丽", "海燕", "军", "桂兰", "春生", "淑珍", "永刚", "红梅", "德明", "晓东", "玉兰", "国庆", "文", "振华", "凤英"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
