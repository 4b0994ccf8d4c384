"""Social assistance (社会救助): 城乡低保 and 特困 monthly, 医疗救助 and 临时救助 quarterly.

Plan section 三(二): 按月公开低保对象、特困人员相关信息，按季度公开医疗救助、临时救助
开展情况 (人次数、资金支出). Raw inputs as the civil affairs bureau keeps them: the
monthly 低保 list collated from the street offices (CSV, often GBK, full of
personal data), a monthly statistics workbook (title row, merged two-row
header, 合计 row) and the quarterly JSON export of the civil-affairs system.

The public list is the sensitive one. Only the columns the list publishes are
read from the raw file, plus the ID number, which is needed for the salted
``record_key`` and is dropped by the privacy policy; phone, address and the
free-text remarks are never read at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import (
    FILE_COLUMN,
    ROW_COLUMN,
    Batch,
    InputDecl,
    Option,
    Reject,
    Source,
    SourceContext,
)
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.divisions import division_codes
from gongkai_etl.errors import ConfigError
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.toolkit import (
    ID18_CHECK_CHARS,
    ID18_WEIGHTS,
    id18_check_char,
    mask_id,
    one_array,
    salted_key_array,
    string_payload,
)

PUBLISHER = "北京市朝阳区民政局 (Chaoyang District Civil Affairs Bureau)"
DOMAIN = "社会救助 social assistance"

DIBAO_CATEGORIES = ("城市低保", "农村低保")
MONTHLY_CATEGORIES = ("城市低保", "农村低保", "城市特困", "农村特困")
QUARTERLY_CATEGORIES = ("医疗救助-资助参保", "医疗救助-直接救助", "临时救助")
CHANGE_TYPES = ("新增", "停保", "续保")

# Spellings departments use for the same category; anything else goes to the
# enum check and is rejected with the allowed values listed.
CATEGORY_SYNONYMS = {
    "城镇低保": "城市低保",
    "城市最低生活保障": "城市低保",
    "农村最低生活保障": "农村低保",
    "城镇特困": "城市特困",
    "城市特困供养": "城市特困",
    "农村特困供养": "农村特困",
    "农村五保": "农村特困",
    "医疗救助资助参保": "医疗救助-资助参保",
    "医疗救助直接救助": "医疗救助-直接救助",
    "资助参保": "医疗救助-资助参保",
    "直接救助": "医疗救助-直接救助",
}


def _category_words_error(value: Any) -> str | None:
    """Why a ``category_words`` option is unusable: every word must map onto a dataset category."""
    allowed = (*MONTHLY_CATEGORIES, *QUARTERLY_CATEGORIES)
    bad = [f"{k}: {v}" for k, v in value.items() if not isinstance(k, str) or v not in allowed]
    if bad:
        return f"应映射到 {'、'.join(allowed)} 之一 (each word must map onto one of these categories): {', '.join(bad)}"
    return None


CHANGE_SYNONYMS = {"新纳入": "新增", "新增保": "新增", "停发": "停保", "退出": "停保", "正常": "续保", "继续": "续保"}

PERIOD_MONTH = period_field(Cadence.MONTHLY, title_en="period (month)")
PERIOD_QUARTER = period_field(Cadence.QUARTERLY, title_en="period (quarter)")
STREET = Field("street", "街道(地区)", required=True, title_en="street or area")
DIVISION = division_code_field()

MONTHLY_STATS = Dataset(
    id="sa_monthly_stats",
    title_zh="朝阳区城乡低保和特困人员救助供养月度统计",
    title_en="Chaoyang minimum living allowance and extreme-poverty support, monthly statistics",
    description=(
        "各街道(地区)每月城市低保、农村低保、城市特困、农村特困的保障户数、保障人数、当月与本年累计资金支出"
        "(万元)及保障标准(元/人·月)。保障人数不少于保障户数；本年累计支出年内逐月不减。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("低保", "特困供养", "社会救助", "minimum living allowance", "dibao"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "division_code", "category"),
    headline="persons",
    deadline="10 working days after period end",
    review="required",  # 先审查后公开: social-assistance data waits for `etl review approve`
    fields=(
        PERIOD_MONTH,
        STREET,
        DIVISION,
        Field("category", "救助类别", required=True, enum=MONTHLY_CATEGORIES, title_en="category"),
        Field("households", "保障户数", type="integer", unit="户", required=True, minimum=0, title_en="households"),
        Field("persons", "保障人数", type="integer", unit="人", required=True, minimum=0, title_en="persons"),
        Field("expenditure_month", "本月资金支出", type="decimal", unit="万元", required=True, minimum=0, scale=2,
              title_en="expenditure this month"),
        Field("expenditure_ytd", "本年累计资金支出", type="decimal", unit="万元", required=True, minimum=0, scale=2,
              title_en="expenditure year to date"),
        Field("standard_amount", "保障标准", type="decimal", unit="元/人·月", minimum=0, scale=2,
              title_en="standard amount per person and month"),
    ),
)

PUBLIC_LIST = Dataset(
    id="sa_dibao_public_list",
    title_zh="朝阳区城乡低保家庭享受保障情况公示",
    title_en="Chaoyang minimum living allowance households, monthly public list",
    description=(
        "城乡低保家庭按月公示：街道、社区、户主姓名(遮蔽，如 王*、李*华)、保障人口、月保障金额(元)、类别和变动类型。"
        "记录编号 record_key 是户主身份证号加盐(密钥不公开)后的散列，同一户各月相同，无法还原身份证号；"
        "身份证号、电话、住址、收入和备注一律不公开。变动类型与上月名单比较得出：上月没有的为新增，上月有的为续保；"
        "上月有而本月没有的户以“停保”列出，月保障金额记为 0、保障人口为停保前人数。"
        "Change types compare with the previous month's list; households that left are listed as 停保 with amount 0 "
        "and their last household size."
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("低保", "公示", "最低生活保障", "dibao", "public list"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "record_key"),
    headline="monthly_amount",
    deadline="10 working days after period end",
    privacy={
        # Raw columns that must never reach the output, even if a pipeline maps
        # them in later: the policy drops them whatever the source yields.
        "drop": ["id_number", "phone", "address", "income", "remarks"],
        "mask": {"head_name": "name"},
        "name_fields": ["head_name"],
        # No "salted_keys": extract already made record_key with the engine's
        # salted key (gongkai_etl.protect.keys) from the canonical ID, as the
        # primary-key check needs it; the policy would only compute it again.
        # The pattern [0-9a-f]{32} keeps anything else (a raw ID) out of it.
    },
    review="required",  # 先审查后公开: personal data about the poorest households
    fields=(
        PERIOD_MONTH,
        Field("record_key", "记录编号", required=True, pattern=r"[0-9a-f]{32}",
              title_en="record key (salted hash of the ID number)"),
        STREET,
        DIVISION,
        Field("community", "社区(村)", title_en="community or village"),
        Field("head_name", "户主姓名", required=True, title_en="head of household (masked)"),
        Field("persons", "保障人口", type="integer", unit="人", required=True, minimum=1, title_en="persons covered"),
        Field("monthly_amount", "月保障金额", type="decimal", unit="元", required=True, minimum=0, scale=2,
              title_en="monthly amount"),
        Field("category", "类别", required=True, enum=DIBAO_CATEGORIES, title_en="category"),
        Field("change_type", "变动类型", enum=CHANGE_TYPES, title_en="change against the previous month"),
    ),
)

QUARTERLY_STATS = Dataset(
    id="sa_quarterly_stats",
    title_zh="朝阳区医疗救助和临时救助季度情况",
    title_en="Chaoyang medical and temporary assistance, quarterly",
    description="各街道(地区)每季度医疗救助(资助参保、直接救助)和临时救助的救助人次数与资金支出(万元)。",
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("医疗救助", "临时救助", "社会救助", "medical assistance", "temporary assistance"),
    cadence=Cadence.QUARTERLY,
    primary_key=("period", "division_code", "category"),
    headline="expenditure",
    deadline="20 working days after period end",
    review="required",  # 先审查后公开
    fields=(
        PERIOD_QUARTER,
        STREET,
        DIVISION,
        Field("category", "救助类别", required=True, enum=QUARTERLY_CATEGORIES, title_en="category"),
        Field("person_times", "救助人次数", type="integer", unit="人次", required=True, minimum=0, title_en="person-times"),
        Field("expenditure", "资金支出", type="decimal", unit="万元", required=True, minimum=0, scale=2,
              title_en="expenditure"),
    ),
)


class SocialAssistanceSource(Source):
    name = "social_assistance"
    title_zh = "社会救助"
    title_en = "social assistance"
    datasets = (MONTHLY_STATS, PUBLIC_LIST, QUARTERLY_STATS)
    # The public list is read, checked and written batch by batch (bounded memory):
    # a month's list runs to millions of rows in a large city.
    streaming = ("sa_dibao_public_list",)
    options = {
        "category_words": Option(
            dict, {}, "本地的救助类别用词 → 数据集类别，补充内置同义词，如 {城市低保户: 城市低保} "
            "(a department's category words onto the dataset's, added to the built-in synonyms)",
            check=_category_words_error,
        ),
    }
    # Every input serves one cadence only: `datasets=` tells `etl run --due` which
    # periods need it (a monthly period never waits for the quarterly JSON).
    inputs = (
        InputDecl(
            "dibao_list",
            columns={
                "street": ("街道", "街道(地区)", "所属街道", "街乡"),
                "community": ("社区", "社区(村)", "所属社区", "居(村)委会"),
                "head_name": ("户主姓名", "户主", "姓名"),
                "id_number": ("身份证号", "身份证号码", "户主身份证号", "公民身份号码"),
                "persons": ("保障人口", "保障人数", "享受人数"),
                "monthly_amount": ("月保障金额", "月保障金额(元)", "保障金额", "发放金额"),
                "category": ("类别", "保障类别", "低保类别"),
                "change_type": ("变动类型", "变动情况", "增减情况"),
            },
            optional_columns=("community", "change_type"),
            datasets=("sa_dibao_public_list",),
            description="低保名单 monthly list of households (csv, one per month; the previous month's file "
            "is read too, to derive change types)",
        ),
        InputDecl(
            "stats",
            columns={
                "street": ("街道(地区)", "街道", "街乡", "单位"),
                "category": ("类别", "救助类别", "保障类别"),
                "households": ("保障户数(户)", "保障户数", "户数"),
                "persons": ("保障人数(人)", "保障人数", "人数"),
                "expenditure_month": ("资金支出(万元)/本月", "资金支出/本月", "本月支出", "本月资金支出"),
                "expenditure_ytd": ("资金支出(万元)/本年累计", "资金支出/本年累计", "本年累计支出", "累计支出"),
                "standard_amount": ("保障标准(元/人·月)", "保障标准"),
            },
            optional_columns=("standard_amount",),
            datasets=("sa_monthly_stats",),
            description="低保特困统计 monthly statistics (xlsx, one per month)",
        ),
        InputDecl(
            "quarterly",
            columns={
                "street": ("jdmc", "街道名称", "街道"),
                "category": ("jzlx", "救助类型", "救助类别"),
                "subcategory": ("jzxm", "救助项目", "救助方式"),
                "person_times": ("jzrc", "救助人次", "救助人次数"),
                "expenditure": ("zjzc", "资金支出", "资金支出(万元)"),
            },
            optional_columns=("subcategory",),
            datasets=("sa_quarterly_stats",),
            description="医疗救助、临时救助 quarterly export of the civil-affairs system (json, one per quarter)",
        ),
    )

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        wanted = set(ctx.dataset_ids)
        if MONTHLY_STATS.id in wanted:
            yield Batch(MONTHLY_STATS.id, _monthly_stats(ctx))
        if PUBLIC_LIST.id in wanted:
            for table in _public_list(ctx):
                yield Batch(PUBLIC_LIST.id, table)
        if QUARTERLY_STATS.id in wanted:
            yield Batch(QUARTERLY_STATS.id, _quarterly_stats(ctx))

    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        # Column-wise street and ID checks: Python only for the rows that are rejected.
        if dataset.id == PUBLIC_LIST.id:
            return _street_rejects(table) + _id_rejects(table)
        rows = table.column(ROW_COLUMN).to_pylist()
        files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else [""] * len(rows)
        rejects = _street_rejects(table)
        if dataset.id == MONTHLY_STATS.id:
            rejects += _persons_rejects(table, rows, files)
            rejects += _ytd_rejects(ctx, table, rows, files)
        elif dataset.id == QUARTERLY_STATS.id:
            rejects += _person_times_rejects(table, rows, files)
        return rejects


# --- extract -------------------------------------------------------------------




def _column_values(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def _category(value: Any, local: Mapping[str, str] | None = None) -> Any:
    """The dataset's category for a department's word: the pipeline's ``category_words`` first."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    if local and text in local:
        return local[text]
    return CATEGORY_SYNONYMS.get(text, text)


def _local_words(ctx: SourceContext) -> dict[str, str]:
    # keys compared as _category normalizes its input (NFKC, no spaces)
    words = ctx.options.get("category_words") or {}
    return {re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(k))): v for k, v in words.items()}


def _table(columns: dict[str, list[Any]], rows: list[Any], files: list[Any], raw: pa.Table) -> pa.Table:
    """Text columns plus ``_row``/``_file``. A column taken over from the raw table
    keeps its field metadata: that is where ctx.read puts the pipeline's
    ``units:`` for it (``source_unit``), which the engine converts from."""
    fields = []
    for name in columns:
        meta = raw.schema.field(name).metadata if name in raw.column_names else None
        fields.append(pa.field(name, pa.string(), metadata=meta))
    fields += [pa.field(ROW_COLUMN, pa.int64()), pa.field(FILE_COLUMN, pa.string())]
    arrays = [pa.array(values, pa.string()) for values in columns.values()]
    arrays += [pa.array(rows, pa.int64()), pa.array(files, pa.string())]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _monthly_stats(ctx: SourceContext) -> pa.Table:
    raw = ctx.read("stats").to_table()
    local = _local_words(ctx)
    n = raw.num_rows
    streets = _column_values(raw, "street")
    columns = {
        "period": [ctx.period.key] * n,
        "street": streets,
        "division_code": division_codes(streets),
        "category": [_category(v, local) for v in _column_values(raw, "category")],
    }
    for name in ("households", "persons", "expenditure_month", "expenditure_ytd", "standard_amount"):
        columns[name] = _column_values(raw, name)
    return _table(columns, _column_values(raw, ROW_COLUMN), _column_values(raw, FILE_COLUMN), raw)


def _quarterly_stats(ctx: SourceContext) -> pa.Table:
    raw = ctx.read("quarterly").to_table()
    local = _local_words(ctx)
    n = raw.num_rows
    streets = _column_values(raw, "street")
    categories: list[Any] = []
    for main, sub in zip(_column_values(raw, "category"), _column_values(raw, "subcategory")):
        # The system exports 医疗救助 + 资助参保 as two fields; 临时救助 has no sub-item.
        main_text = _category(main, local)
        sub_text = _category(sub, local)
        if main_text and sub_text and not main_text.endswith(sub_text.split("-")[-1]):
            categories.append(f"{main_text}-{sub_text.split('-')[-1]}")
        else:
            categories.append(main_text)
    columns = {
        "period": [ctx.period.key] * n,
        "street": streets,
        "division_code": division_codes(streets),
        "category": categories,
        "person_times": _column_values(raw, "person_times"),
        "expenditure": _column_values(raw, "expenditure"),
    }
    return _table(columns, _column_values(raw, ROW_COLUMN), _column_values(raw, FILE_COLUMN), raw)


# --- the public list -------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def canonical_id(value: Any) -> str | None:
    """The ID number as the key is made from: half-width, no spaces, upper-case
    X; a valid old 15-digit number is upgraded to its 18-digit form, so a
    household keeps its record_key when its head re-registers."""
    if value is None:
        return None
    text = _SPACES.sub("", unicodedata.normalize("NFKC", str(value))).upper()
    if not text:
        return None
    if len(text) == 15 and text.isascii() and text.isdigit() and _valid_birth("19" + text[6:12]):
        first17 = text[:6] + "19" + text[6:]
        return first17 + id18_check_char(first17)
    return text


def _valid_birth(yyyymmdd: str) -> bool:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])) <= date.today()
    except ValueError:
        return False


def _clean_name(value: Any) -> Any:
    # '王 芳' is 王芳 typed to line up with longer names; left as is, the mask
    # would keep the given name (王**芳 instead of 王*).
    return None if value is None else _SPACES.sub("", unicodedata.normalize("NFKC", str(value)))


def _change(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub("", str(value))
    return CHANGE_SYNONYMS.get(text, text) or None


def _previous_input(ctx: SourceContext) -> Period | None:
    """The previous month, when its raw list is there to compare with."""
    prev = ctx.period.previous()
    if ctx.locations("dibao_list", period=prev) == ctx.locations("dibao_list"):
        return None  # one fixed file for every month: nothing to compare with
    if not ctx.has_input("dibao_list", period=prev):
        return None
    return prev


# Column-wise forms of canonical_id, is_valid_id18, _clean_name, _category, _change.
# Rows the kernels cannot treat exactly (non-ASCII IDs, old 15-digit IDs, names
# outside the basic CJK block) go through the scalar functions above.

# Python's str whitespace within ASCII (what `\s` removes in canonical_id).
_ASCII_SPACE = "[\t\n\x0b\x0c\r\x1c-\x1f ]+"
_NOT_ASCII_LOWER = bytes(b for b in range(256) if not 0x61 <= b <= 0x7A)
_NOT_ASCII_SPACE = bytes(b for b in range(256) if b not in b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")
_ID18_SHAPE = r"^[1-8][0-9]{16}[0-9X]$"
_ID_CHECK = np.frombuffer(ID18_CHECK_CHARS.encode(), np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)
_PLAIN_NAME = r"^[\x{4E00}-\x{9FFF}]+$"  # NFKC leaves these alone and there is no space to remove


def _strings(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    arr = one_array(column)
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _column(batch: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    if name in batch.schema.names:
        return _strings(batch.column(name))
    return pa.nulls(batch.num_rows, pa.string())


def _map_distinct(arr: pa.Array, fn: Any, *, encoded: bool = False) -> pa.Array:
    """``fn`` applied to each distinct value (streets, categories, names repeat).

    ``encoded=True`` returns a dictionary array: the engine then normalizes and
    validates each distinct value once instead of every row."""
    if len(arr) == 0:
        return pa.array([], pa.string())
    codes = pc.dictionary_encode(arr)
    mapped = pa.array([fn(v) for v in codes.dictionary.to_pylist()], pa.string())
    if encoded:
        return pa.DictionaryArray.from_arrays(codes.indices, mapped)
    return mapped.take(codes.indices)


def _patch(values: pa.Array, mask: pa.Array, raw: pa.Array, fn: Any) -> pa.Array:
    """``values`` with the rows in ``mask`` replaced by ``fn`` of their raw value."""
    idx = pc.indices_nonzero(mask)
    if len(idx) == 0:
        return values
    fixed = pa.array([fn(v) for v in raw.take(idx).to_pylist()], pa.string())
    return pc.replace_with_mask(values, mask, fixed)


def _canonical_ids(raw: pa.Array) -> pa.Array:
    """``canonical_id`` for a column: ASCII rows column-wise (NFKC changes no ASCII
    text), the rest and old 15-digit numbers through ``canonical_id``.

    Each kernel runs only when the column's bytes show it has work: most lists
    hold 18-character IDs with no space, no lower-case x and nothing non-ASCII."""
    raw = raw if pa.types.is_string(raw.type) else raw.cast(pa.string())
    data, offsets = string_payload(raw)
    payload = data.tobytes()
    text = raw
    if payload.translate(None, _NOT_ASCII_SPACE):  # what is left are the spaces
        text = pc.replace_substring_regex(text, _ASCII_SPACE, "")
    if payload.translate(None, _NOT_ASCII_LOWER):  # a lower-case letter (an x, mostly)
        text = pc.ascii_upper(text)
    lengths = np.diff(string_payload(text)[1]) if text is not raw else np.diff(offsets)
    if (lengths == 0).any():
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if payload.isascii() and not (lengths == 15).any():
        return text
    slow = pc.or_(
        pc.invert(pc.fill_null(pc.string_is_ascii(raw), True)),
        pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{15}$"), False),
    )
    return _patch(text, slow, raw, canonical_id)


def _id18_check(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(valid, key) per canonical ID: ``is_valid_id18`` column-wise (shape, birth date,
    GB 11643 check character on a fixed-width view of the bytes) and, for valid
    ones, the first 17 digits as an int64 — an exact key, since they fix the 18th."""
    n = len(ids)
    valid = np.zeros(n, bool)
    keys = np.zeros(n, np.int64)
    data, offsets = string_payload(ids) if pa.types.is_string(ids.type) and n else (None, None)
    if data is not None and not ids.null_count and len(data) == 18 * n and (np.diff(offsets) == 18).all():
        # Every value has 18 bytes: the shape test on the bytes, no regex.
        chars = data.reshape(-1, 18)
        values = chars - np.uint8(48)  # a digit's value; any other byte wraps to above 9
        shaped = ((values[:, 0] - np.uint8(1)) <= 7) & (values[:, 1:17] <= 9).all(axis=1) & (
            (values[:, 17] <= 9) | (chars[:, 17] == 0x58))
        idx = np.flatnonzero(shaped)
        if len(idx) < n:
            chars, values = chars[idx], values[idx]
    else:
        shaped = pc.fill_null(pc.match_substring_regex(ids, _ID18_SHAPE), False)
        idx = np.flatnonzero(shaped.to_numpy(zero_copy_only=False))
        if not len(idx):
            return valid, keys
        chars = string_payload(ids.take(pa.array(idx)))[0].reshape(-1, 18)  # the shape is 18 ASCII bytes
        values = chars - np.uint8(48)
    if not len(idx):
        return valid, keys
    # One row per character position, each contiguous: the slices below then read
    # memory in order (a column of the (n, 18) matrix is a strided walk). int32 holds
    # every 9-digit number. No matrix product: numpy hands float ones to OpenBLAS,
    # whose threads then spin on both cores against the batch threads (a 5M-row run
    # took 18 s of CPU instead of 12).
    digit = values.T.astype(np.int32, order="C")
    total = digit[0] * ID18_WEIGHTS[0]
    for j in range(1, 17):
        total += digit[j] * ID18_WEIGHTS[j]
    check_ok = _ID_CHECK[total % 11] == chars[:, 17]
    year = digit[6] * 1000 + digit[7] * 100 + digit[8] * 10 + digit[9]
    month = digit[10] * 10 + digit[11]
    day = digit[12] * 10 + digit[13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    today = date.today()
    born_ok = (
        (month >= 1) & (month <= 12) & (day >= 1) & (day <= last_day)
        & (ymd >= 18000101) & (ymd <= today.year * 10000 + today.month * 100 + today.day)
    )
    ok = check_ok & born_ok
    valid[idx] = ok
    high, low = digit[0].copy(), digit[9].copy()  # the first 17 digits as 9 and 8
    for j in range(1, 9):
        high = high * 10 + digit[j]
    for j in range(10, 17):
        low = low * 10 + digit[j]
    keys[idx] = high.astype(np.int64) * 10**8 + low
    return valid, keys


def _all_common_han(raw: pa.Array) -> bool:
    """Whether every value is made of U+4E00..U+9FFF only (as _PLAIN_NAME asks), from
    the bytes: no ASCII, every lead byte E4..E9 (3-byte characters from U+4000),
    and an E4 lead followed by B8 or more (U+4E00 on). Empty values pass too:
    cleaning one changes nothing. A regex pass per name cost ~0.08 s a million rows."""
    if not pa.types.is_string(raw.type):
        return False
    data = string_payload(raw)[0]
    if not len(data) or int(data.min()) < 0x80:
        return False
    leads = data[data >= 0xC0]
    if int(leads.min(initial=0xE4)) < 0xE4 or int(leads.max(initial=0xE4)) > 0xE9:
        return False
    e4 = np.flatnonzero(data[:-1] == 0xE4)
    return not (data[e4 + 1] < 0xB8).any()


def _clean_names(raw: pa.Array) -> pa.Array:
    if _all_common_han(raw):
        return raw
    plain = pc.fill_null(pc.match_substring_regex(raw, _PLAIN_NAME), True)  # null stays null
    slow = pc.invert(plain)
    if not pc.any(slow).as_py():
        return raw
    return pc.replace_with_mask(raw, slow, _map_distinct(raw.filter(slow), _clean_name))


def _record_keys(salt: str, ids: pa.Array, valid: np.ndarray) -> pa.Array:
    """``salted_key(salt, i)`` for the valid IDs (canonical IDs are ASCII, so NFC
    changes nothing), null for the others."""
    return salted_key_array(salt, pc.if_else(pa.array(valid), ids, pa.scalar(None, pa.string())))


def _list_table(batch: pa.RecordBatch | pa.Table, columns: dict[str, pa.Array], period: str, salt: str,
                valid: np.ndarray, rows: pa.Array, files: pa.Array) -> pa.Table:
    """Text columns plus ``_row``/``_file``, in the order the list always had; a
    column taken over from the raw batch keeps its field metadata (``source_unit``)."""
    n = len(rows)
    columns = dict(columns)
    # One distinct value: as a dictionary the engine normalizes it once.
    columns["period"] = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([period]))
    columns["division_code"] = _map_distinct(columns["street"], _division_or_none, encoded=True)
    columns["record_key"] = _record_keys(salt, columns["id_number"], valid)
    names = batch.schema.names
    fields = [pa.field(name, arr.type, metadata=batch.schema.field(name).metadata if name in names else None)
              for name, arr in columns.items()]
    fields += [pa.field(ROW_COLUMN, pa.int64()), pa.field(FILE_COLUMN, pa.string())]
    arrays = [*columns.values(), _strings_or(rows, pa.int64()), _strings_or(files, pa.string())]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _strings_or(arr: pa.Array | pa.ChunkedArray, type_: pa.DataType) -> pa.Array:
    arr = one_array(arr)
    return arr if arr.type == type_ else arr.cast(type_)


def _division_or_none(street: Any) -> str | None:
    return division_codes([street])[0]


def _derived_changes(ids: pa.Array, valid: np.ndarray, keys: np.ndarray, baseline: np.ndarray | None) -> pa.Array:
    """续保 / 新增 against last month's valid IDs; null without a previous list or an ID."""
    n = len(ids)
    if baseline is None:
        return pa.nulls(n, pa.string())
    found = np.zeros(n, bool)
    if len(baseline):
        pos = np.minimum(np.searchsorted(baseline, keys), len(baseline) - 1)
        found = valid & (baseline[pos] == keys)
    labels = pa.array(["新增", "续保"], pa.string())
    out = labels.take(pa.array(found.astype(np.int8)))
    return pc.if_else(pc.is_null(ids), pa.scalar(None, pa.string()), out)


def _public_list(ctx: SourceContext) -> Iterator[pa.Table]:
    """The month's list, one table per raw batch, then the 停保 rows.

    Memory stays bounded: the previous month's list is kept only as the int64
    keys of its valid IDs (8 bytes a row), and this month's valid keys likewise
    for the 停保 rows, which are read back from the previous file at the end.
    """
    salt = ctx.salt
    if not salt:
        env = ctx.salt_env
        raise ConfigError(
            f"盐值未配置，无法生成低保名单的记录编号 (salt not configured; sa_dibao_public_list needs it for "
            f"record_key): 请设置环境变量 {env} (set the environment variable {env}, or name another one with "
            f"salt_env in the pipeline)",
            dataset=PUBLIC_LIST.id,
            field="record_key",
        )
    period = ctx.period.key
    prev = _previous_input(ctx)
    baseline: np.ndarray | None = None
    prev_keys = prev_pos = None
    if prev is not None:
        # Only valid IDs: a row whose ID was unusable last month was rejected
        # then and cannot be matched now.
        key_parts, pos_parts, offset = [], [], 0
        for batch in ctx.read("dibao_list", period=prev).batches:
            valid, keys = _id18_check(_canonical_ids(_column(batch, "id_number")))
            key_parts.append(keys[valid])
            pos_parts.append(np.flatnonzero(valid) + offset)
            offset += batch.num_rows
        prev_keys = np.concatenate(key_parts) if key_parts else np.zeros(0, np.int64)
        prev_pos = np.concatenate(pos_parts) if pos_parts else np.zeros(0, np.int64)
        baseline = np.unique(prev_keys)
    has_change = False  # the list states its own changes (an empty column does not count)
    now_parts: list[np.ndarray] = []
    for batch in ctx.read("dibao_list").batches:
        if batch.num_rows == 0:
            continue
        ids = _canonical_ids(_column(batch, "id_number"))
        valid, keys = _id18_check(ids)
        given = _map_distinct(_column(batch, "change_type"), _change)
        has_change = has_change or pc.any(pc.is_valid(given)).as_py()
        if baseline is not None:
            now_parts.append(keys[valid])
        columns = {
            "street": _column(batch, "street"),
            "community": _column(batch, "community"),
            "head_name": _clean_names(_column(batch, "head_name")),
            "id_number": ids,
            "persons": _column(batch, "persons"),
            "monthly_amount": _column(batch, "monthly_amount"),
            "category": _map_distinct(_column(batch, "category"), _category, encoded=True),
            "change_type": pc.coalesce(given, _derived_changes(ids, valid, keys, baseline)),
        }
        yield _list_table(batch, columns, period, salt, valid, batch.column(ROW_COLUMN), batch.column(FILE_COLUMN))
    if prev is None or baseline is None or has_change or prev_keys is None or prev_pos is None:
        return
    # 停保: in last month's list, not in this one. Listed with amount 0 and
    # the last household size, so the public sees who left (first row of each ID).
    now = np.unique(np.concatenate(now_parts)) if now_parts else np.zeros(0, np.int64)
    gone = ~np.isin(prev_keys, now)
    _, first = np.unique(prev_keys[gone], return_index=True)
    wanted = np.sort(prev_pos[gone][first])
    if not len(wanted):
        return
    parts: list[pa.Table] = []
    offset, taken = 0, 0
    batches = iter(ctx.read("dibao_list", period=prev).batches)
    for batch in batches:
        lo, hi = np.searchsorted(wanted, [offset, offset + batch.num_rows])
        offset += batch.num_rows
        if hi > lo:
            parts.append(pa.Table.from_batches([batch]).take(pa.array(wanted[lo:hi] - (offset - batch.num_rows))))
            taken += hi - lo
        if taken == len(wanted):
            break  # not read to the end: its warnings and excluded rows were counted on the first pass
    close = getattr(batches, "close", None)
    if callable(close):
        close()
    left = pa.concat_tables(parts)
    ids = _canonical_ids(_column(left, "id_number"))
    valid, _ = _id18_check(ids)
    n = left.num_rows
    columns = {
        "street": _column(left, "street"),
        "community": _column(left, "community"),
        "head_name": _clean_names(_column(left, "head_name")),
        "id_number": ids,
        "persons": _column(left, "persons"),
        "monthly_amount": pa.array(["0"] * n, pa.string()),
        "category": _map_distinct(_column(left, "category"), _category, encoded=True),
        "change_type": pa.array(["停保"] * n, pa.string()),
    }
    yield _list_table(left, columns, period, salt, valid, left.column(ROW_COLUMN), left.column(FILE_COLUMN))



# --- checks --------------------------------------------------------------------


def _persons_rejects(table: pa.Table, rows: list[Any], files: list[Any]) -> list[Reject]:
    out: list[Reject] = []
    households = table.column("households").to_pylist()
    persons = table.column("persons").to_pylist()
    for i, (h, p) in enumerate(zip(households, persons)):
        if h is None or p is None or p >= h:
            continue
        if p == 0:
            reason = f"保障人数为 0 而保障户数为 {h} (persons is 0 while households is {h}; expected persons >= households)"
        else:
            reason = f"保障人数 {p} 少于保障户数 {h} (persons {p} below households {h}; expected persons >= households)"
        out.append(Reject(i, rows[i], "persons", str(p), reason, files[i]))
    return out


def _ytd_rejects(ctx: SourceContext, table: pa.Table, rows: list[Any], files: list[Any]) -> list[Reject]:
    out: list[Reject] = []
    month = table.column("expenditure_month").to_pylist()
    ytd = table.column("expenditure_ytd").to_pylist()
    for i, (m, y) in enumerate(zip(month, ytd)):
        if m is not None and y is not None and y < m:
            out.append(Reject(i, rows[i], "expenditure_ytd", str(y),
                              f"本年累计支出 {y} 小于本月支出 {m} (year-to-date expenditure below this month's {m}; "
                              f"expected year to date >= month)", files[i]))
    period: Period = ctx.period
    if period.index == 1:
        return out  # January starts a new year: nothing to compare with
    previous = ctx.published(MONTHLY_STATS.id, period.previous())
    if previous is None or previous.num_rows == 0:
        return out
    before = {
        (code, cat): value
        for code, cat, value in zip(
            previous.column("division_code").to_pylist(),
            previous.column("category").to_pylist(),
            previous.column("expenditure_ytd").to_pylist(),
        )
    }
    keys = zip(table.column("division_code").to_pylist(), table.column("category").to_pylist())
    for i, key in enumerate(keys):
        last = before.get(key)
        if last is None or ytd[i] is None or ytd[i] >= last:
            continue
        out.append(Reject(i, rows[i], "expenditure_ytd", str(ytd[i]),
                          f"本年累计支出 {ytd[i]} 比上月公布的 {last} 减少 (year-to-date expenditure below last month's "
                          f"published {last}; expected it never to decrease within a year)", files[i]))
    return out


def _rejected_at(table: pa.Table, mask: pa.Array) -> list[tuple[int, Any, Any]]:
    """(index, raw row, file) of the rows in ``mask``: Python only for those."""
    idx = pc.indices_nonzero(pc.fill_null(mask, False))
    if len(idx) == 0:
        return []
    rows = table.column(ROW_COLUMN).take(idx).to_pylist()
    files = table.column(FILE_COLUMN).take(idx).to_pylist() if FILE_COLUMN in table.column_names else [""] * len(idx)
    return list(zip(idx.to_pylist(), rows, files))


def _street_rejects(table: pa.Table) -> list[Reject]:
    """A street that is not one of Chaoyang's (no division code for it)."""
    if "street" not in table.column_names or "division_code" not in table.column_names:
        return []
    street = table.column("street")
    bad = pc.and_(pc.and_(pc.is_valid(street), pc.not_equal(street.cast(pa.string()), "")),
                  pc.is_null(table.column("division_code")))
    return [Reject(i, row, "street", street[i].as_py(),
                   "不是朝阳区的街道或地区 (not a street or area of Chaoyang; expected one of its 43 街道/地区)", file)
            for i, row, file in _rejected_at(table, bad)]


def _id_rejects(table: pa.Table) -> list[Reject]:
    """An unusable ID number gives no record_key: say why, naming id_number.
    The value is shown masked: the rejects file is private, but is mailed around.

    Extract made record_key exactly for the non-empty IDs that pass
    is_valid_id18, so its nulls are the rows to reject (no second ID check)."""
    if "record_key" not in table.column_names:
        return []
    ids = _column(table, "id_number")
    out: list[Reject] = []
    for i, row, file in _rejected_at(table, pc.is_null(table.column("record_key"))):
        value = ids[i].as_py()
        if not value:
            out.append(Reject(i, row, "id_number", "",
                              "身份证号为空，无法生成记录编号 (ID number missing; no record_key can be made)", file))
        else:
            out.append(Reject(i, row, "id_number", mask_id(value),
                              "身份证号无效：格式、出生日期或校验位不符 GB 11643 (not a valid resident ID number: shape, "
                              "birth date or check character; expected 18 characters per GB 11643 or a 15-digit old number)",
                              file))
    return out


def _person_times_rejects(table: pa.Table, rows: list[Any], files: list[Any]) -> list[Reject]:
    out: list[Reject] = []
    times = table.column("person_times").to_pylist()
    money = table.column("expenditure").to_pylist()
    for i, (t, m) in enumerate(zip(times, money)):
        if t == 0 and m is not None and m > 0:
            out.append(Reject(i, rows[i], "person_times", "0",
                              f"救助人次数为 0 却有资金支出 {m} 万元 (0 person-times but {m} 万元 spent; expected "
                              f"person-times > 0 when money was spent)", files[i]))
    return out


@hookimpl
def register_sources() -> list[Source]:
    return [SocialAssistanceSource()]
