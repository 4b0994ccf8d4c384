"""What every bench contender does to the raw 低保 list, so the figures compare like with like.

Per row: keep 街道/社区/户主姓名/保障人口/月保障金额/类别; street -> 12-digit division code
(43 Chaoyang streets); head name masked (王五 -> 王*, 李建华 -> 李*华); amount ``1,234.50``
-> decimal(12,2); persons -> int64; record_key = salted SHA-256 of the ID number (32 hex);
ID, phone, address, date and remarks dropped; period column added; written as zstd
Parquet and UTF-8 CSV.
"""

from __future__ import annotations

import hashlib

from gongkai_etl.divisions import DIVISIONS

SALT = "bench-salt"
PERIOD = "2016-07"
STREET_CODES = {name: code for code, name in DIVISIONS.items()}
COLUMNS = {"街道": "street", "社区": "community", "户主姓名": "head_name", "身份证号": "id_number",
           "保障人口": "persons", "月保障金额": "monthly_amount", "类别": "category"}
OUTPUT = ["period", "record_key", "street", "division_code", "community", "head_name", "persons",
          "monthly_amount", "category"]


def record_key(id_number: str | None) -> str | None:
    if id_number is None:
        return None
    return hashlib.sha256(f"{SALT}\x1f{id_number}".encode()).hexdigest()[:32]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]
