"""What every bench contender does to the raw 低保 list, so the figures compare like with like.

Per row: keep 街道/社区/户主姓名/保障人口/月保障金额/类别; street -> 12-digit division code
(43 Chaoyang streets); head name masked (王五 -> 王*, 李建华 -> 李*华); amount ``1,234.50``
-> decimal(12,2); persons -> int64; record_key = the engine's salted key of the ID number
(AES-CMAC under a key derived from the salt, 32 hex; the message is the ID as read, which
the generator already writes canonical); ID, phone, address, date and remarks dropped;
period column added; written as zstd Parquet and UTF-8 CSV.

Columnar contenders key a whole column with :func:`record_keys`; the rows-as-dicts one
calls :func:`record_key` per row. Both are the engine's own functions, so every contender
pays the same key cost the engine does and all outputs carry the same keys.
"""

from __future__ import annotations

import os

import pyarrow as pa

from gongkai_etl.divisions import DIVISIONS
from gongkai_etl.protect.keys import salted_key_array, salted_key_scalar

SALT = os.environ.get("BENCH_SALT", "bench-salt")
PERIOD = "2016-07"
STREET_CODES = {name: code for code, name in DIVISIONS.items()}
COLUMNS = {"街道": "street", "社区": "community", "户主姓名": "head_name", "身份证号": "id_number",
           "保障人口": "persons", "月保障金额": "monthly_amount", "类别": "category"}
OUTPUT = ["period", "record_key", "street", "division_code", "community", "head_name", "persons",
          "monthly_amount", "category"]


def record_keys(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """record_key of a column of ID numbers (null stays null)."""
    return salted_key_array(SALT, ids)


def record_key(id_number: str | None) -> str | None:
    """record_key of one ID number: the per-row equivalent of :func:`record_keys`."""
    return None if id_number is None else salted_key_scalar(SALT, id_number)


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]
