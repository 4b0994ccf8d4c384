"""Three public expenditures (“三公”经费): budgets and final accounts of every funded unit.

Plan section 四(三): 详细公开所有财政拨款安排的“三公”经费; 部门预决算基本支出全部细化公开到
经济分类款级科目. Each department submits, per fiscal year and version (预算 or 决算), one
workbook as the finance system prints it: a title row (``XX单位2016年“三公”经费预算财政拨款
情况表``), a line with ``单位编码：`` and ``单位：万元``, a two-row merged header, a 合计 row and
one row per item with its economic classification code, this year's and last year's amount,
the reason for the change and the physical quantities (团组, 人次, 车辆, 接待批次). Departments
still on the old system send a legacy .xls, sometimes in 元.

Datasets (yearly; the period is the fiscal year):

* ``pe_sangong``: one row per department, version and item, in 万元 with two decimals; change
  and change % are derived here, never copied from the department's sheet.
* ``pe_sangong_stats``: one row per department and version with the counts.

Deadlines (预算法 art. 14): a budget or final account approved by the finance bureau is published
within 20 days of the approval. The 批复日期 line above the header gives each file's approval
date; every row of the file carries it as ``approval_date`` and is due 20 calendar days after it
(a last day on a rest day moves to the next working day), so the year's budget and its final
accounts, months apart, each keep their own deadline. A file without the line leaves the date
empty: ``etl status`` counts such rows "without a date".

Unit code, unit name and 预算/决算: a column of the file or the input's ``fixed:`` (``dept_code``,
``dept_name``, ``version``) first, then the title rows, then the file name, read with
``source.options.file_name_pattern`` (a regex with groups ``code``, ``name`` or ``rest``,
``version``); a row still without one is rejected naming these places.

Reading several files per input: an input's ``path`` may be a glob (``{year}/*.xlsx``); every
matching file is read through the engine's own reader (archive, column mapping, fixed values).
Units: the ``单位：元`` line above the header is detected per file; a pipeline's ``units:`` for
an input (on the raw columns ``this_year`` / ``prior_year``) applies to that input's files. Both
are applied here, per file, before the amounts become the dataset's ``amount`` columns (so the
engine, which converts raw columns by their ``units:``, has nothing left to convert). A file
whose title says one unit and whose pipeline input says another is an error (never a guess).

The 合计 row: the engine's reader leaves 合计/小计 rows out of the data; this source takes them
back from the reader's ``meta["totals"]`` because the department's own total is published and
checked (合计 = 因公出国(境)费 + 公务用车购置 + 公务用车运行维护费 + 公务接待费, ±0.01).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongkai_etl import hookimpl
from gongkai_etl import values as nz
from gongkai_etl.contracts import (
    FILE_COLUMN,
    ROW_COLUMN,
    Batch,
    InputDecl,
    Option,
    RawTable,
    Reject,
    Source,
    SourceContext,
    regex_error,
)
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import InputError, NormalizeError
from gongkai_etl.fields import period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.toolkit import (
    choose_names,
    combine_header_rows,
    match_columns,
    read_sheet,
    text_cell,
)

PUBLISHER = "北京市朝阳区财政局 (Chaoyang District Finance Bureau)"
DOMAIN = "三公经费 three public expenditures"
WANYUAN = "万元"
TOLERANCE = Decimal("0.01")
VERSIONS = ("预算", "决算")


# --- items and economic classification codes --------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of the 三公 table.

    ``dept_code`` is the 款级 code of the 部门预算支出经济分类 used in the 2014-2017 tables (and
    still used by departments after 2018); ``gov_codes`` are the 政府预算支出经济分类 codes in
    force from 2018 (to verify; the first one is published). Subtotal and total have no code.
    """

    key: str
    name: str
    dept_code: str | None
    gov_codes: tuple[str, ...]
    aliases: tuple[str, ...] = ()


ABROAD = Item("abroad", "因公出国(境)费", "30212", ("50207",), ("因公出国(境)费用", "因公出国境费", "出国(境)费"))
# 31013 maps to 50403 机关资本性支出(二) for ordinary budget purchases; 50303 (一) is the
# capital-construction variant. Both are accepted (to verify).
PURCHASE = Item("vehicle_purchase", "公务用车购置", "31013", ("50403", "50303"), ("公务用车购置费", "车辆购置费"))
OPERATION = Item("vehicle_operation", "公务用车运行维护费", "30231", ("50208",), ("公务用车运行费", "公务用车运行维护"))
RECEPTION = Item("reception", "公务接待费", "30217", ("50206",), ("国内公务接待费", "公务接待"))
SUBTOTAL = Item("vehicle_subtotal", "公务用车购置及运行费", None, (), ("公务用车购置及运行维护费", "公务用车购置和运行费", "小计"))
TOTAL = Item("total", "合计", None, (), ("总计", "三公经费合计", "三公经费", "合计数"))
ITEMS: tuple[Item, ...] = (TOTAL, ABROAD, SUBTOTAL, PURCHASE, OPERATION, RECEPTION)
COMPONENTS: tuple[Item, ...] = (ABROAD, PURCHASE, OPERATION, RECEPTION)
ITEM_BY_NAME: dict[str, Item] = {i.name: i for i in ITEMS}

#: 部门预算支出经济分类款级科目 (2014-), code -> item.
DEPT_ECON_CODES: dict[str, Item] = {i.dept_code: i for i in COMPONENTS if i.dept_code}
#: 政府预算支出经济分类款级科目 (2018-, to verify), code -> item.
GOV_ECON_CODES_2018: dict[str, Item] = {c: i for i in COMPONENTS for c in i.gov_codes}
ALL_ECON_CODES: dict[str, Item] = {**DEPT_ECON_CODES, **GOV_ECON_CODES_2018}

# Enumerations and lead-ins departments put before item names: 1. 一、 （1） 其中：
_LEAD = re.compile(r"^(?:其中[:：]?|[0-9]+[.、．]|[一二三四五六七八九十]+[、.．]|[(（][0-9一二三四五六七八九十]+[)）]|[\s\u3000])+")
_QUOTES = re.compile(r"[“”\"'‘’「」『』]")


def _item_key(text: str) -> str:
    """Comparable form of an item name: half-width, no quotes, spaces or enumeration."""
    s = nz.to_halfwidth(str(text)).replace("（", "(").replace("）", ")")
    s = _LEAD.sub("", s.strip())
    return re.sub(r"\s+", "", _QUOTES.sub("", s))


_BY_KEY: dict[str, Item] = {_item_key(alias): it for it in ITEMS for alias in (it.name, *it.aliases)}


def item_for(name: str | None, code: str | None) -> Item | None:
    """The item a row is about: by its name, else by its code."""
    if name:
        hit = _BY_KEY.get(_item_key(name))
        if hit:
            return hit
    if code:
        return ALL_ECON_CODES.get(code)
    return None


def _clean_code(value: Any) -> str | None:
    text = nz.clean_text(value)
    if text is None:
        return None
    text = nz.to_halfwidth(text).replace(" ", "")
    return text.removesuffix(".0") if re.fullmatch(r"\d+\.0", text) else text


# --- datasets -----------------------------------------------------------------------------

PERIOD = period_field(Cadence.YEARLY, title_zh="年度", title_en="fiscal year")
#: Where the unit code, unit name and 预算/决算 can come from, said in their reject.
_FROM = ("可来自表头、文件名（source.options.file_name_pattern）、列（inputs.<input>.columns.{col}）或 fixed: "
         "(it can come from the title rows, the file name (source.options.file_name_pattern), a column "
         "(inputs.<input>.columns.{col}) or inputs.<input>.fixed.{col})")
DEPT_CODE = Field("dept_code", "单位编码", required=True, pattern=r"\d{3,12}", title_en="budget unit code",
                  missing_hint=_FROM.format(col="dept_code"))
DEPT_NAME = Field("dept_name", "单位名称", required=True, title_en="budget unit", missing_hint=_FROM.format(col="dept_name"))
VERSION = Field("version", "预决算", required=True, enum=VERSIONS, title_en="budget or final accounts",
                description="预算 budget; 决算 final accounts", missing_hint=_FROM.format(col="version"))
APPROVAL = Field(
    "approval_date", "批复日期", type="date", title_en="approved on",
    description="财政部门批复该单位预算或决算的日期（报表表头“批复日期：”）；应在批复后20日内公开（预算法第十四条）",
)
#: 预算法 art. 14: budgets and final accounts approved by the finance department are published
#: by each department within 20 days of the approval. Counted per record from the approval date
#: of its file, so a budget and the year's final accounts each keep their own deadline.
DEADLINE = "approval_date后20日内"


def _amount(name: str, zh: str, en: str, *, minimum: float | None = 0, required: bool = False) -> Field:
    return Field(name, zh, type="decimal", unit=WANYUAN, scale=2, minimum=minimum, required=required, title_en=en)


SANGONG = Dataset(
    id="pe_sangong",
    title_zh="朝阳区各单位“三公”经费财政拨款预决算",
    title_en="Chaoyang three public expenditures (budgets and final accounts) by unit",
    description=(
        "各预算单位“三公”经费财政拨款预算和决算：因公出国(境)费、公务用车购置及运行费（购置、运行维护）、"
        "公务接待费及合计，细化到经济分类款级科目（部门经济分类与2018年起政府经济分类两套编码），"
        "本年数、上年数、增减额、增减率和增减原因。单位万元，两位小数。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("三公经费", "预算", "决算", "因公出国", "公务用车", "公务接待", "public expenditure"),
    cadence=Cadence.YEARLY,
    primary_key=("period", "dept_code", "version", "item"),
    headline="amount",
    deadline=DEADLINE,
    fields=(
        PERIOD,
        DEPT_CODE,
        DEPT_NAME,
        VERSION,
        APPROVAL,
        Field("item", "项目", required=True, enum=tuple(i.name for i in ITEMS), title_en="item"),
        Field("econ_code", "部门经济分类款级科目编码", pattern=r"\d{5}", title_en="economic classification code (department)",
              description="部门预算支出经济分类款级科目 30212/31013/30231/30217; 合计、小计为空"),
        Field("gov_econ_code", "政府经济分类款级科目编码(2018)", pattern=r"\d{5}", title_en="economic classification code (government, 2018)",
              description="政府预算支出经济分类款级科目 50207/50403/50208/50206 (2018年起; to verify)"),
        _amount("amount", "本年数", "amount this year", required=True),
        _amount("amount_prior", "上年数", "amount prior year"),
        _amount("change_amount", "增减额", "change", minimum=None),
        Field("change_pct", "增减率", type="decimal", unit="%", scale=2, title_en="change %",
              description="(本年数 - 上年数) / 上年数 × 100；上年数为 0 时为空"),
        Field("change_reason", "增减原因", title_en="reason for the change"),
    ),
)

STATS = Dataset(
    id="pe_sangong_stats",
    title_zh="朝阳区各单位“三公”经费实物量",
    title_en="Chaoyang three public expenditures: trips, vehicles and receptions by unit",
    description="各预算单位因公出国(境)团组数和人次、公务用车购置数和保有量、国内公务接待批次和人次（预算或决算）。",
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("三公经费", "因公出国", "公务用车", "公务接待"),
    cadence=Cadence.YEARLY,
    primary_key=("period", "dept_code", "version"),
    headline="vehicles_held",
    deadline=DEADLINE,
    fields=(
        PERIOD,
        DEPT_CODE,
        DEPT_NAME,
        VERSION,
        APPROVAL,
        Field("trips", "因公出国(境)团组数", type="integer", unit="个", minimum=0, title_en="trips abroad (groups)"),
        Field("travellers", "因公出国(境)人次", type="integer", unit="人次", minimum=0, title_en="travellers"),
        Field("vehicles_bought", "公务用车购置数", type="integer", unit="辆", minimum=0, title_en="vehicles bought"),
        Field("vehicles_held", "公务用车保有量", type="integer", unit="辆", minimum=0, title_en="vehicles held"),
        Field("receptions", "国内公务接待批次", type="integer", unit="批次", minimum=0, title_en="receptions"),
        Field("reception_persons", "国内公务接待人次", type="integer", unit="人次", minimum=0, title_en="reception persons"),
    ),
)

#: Which quantity column of which item row feeds which stats field.
STATS_SOURCES: dict[str, tuple[Item, str]] = {
    "trips": (ABROAD, "quantity"),
    "travellers": (ABROAD, "persons"),
    "vehicles_bought": (PURCHASE, "quantity"),
    "vehicles_held": (OPERATION, "quantity"),
    "receptions": (RECEPTION, "quantity"),
    "reception_persons": (RECEPTION, "persons"),
}

_COLUMNS: dict[str, tuple[str, ...]] = {
    "econ_code": ("科目编码", "经济分类科目编码", "支出经济分类科目编码", "科目代码", "经济分类款级科目编码"),
    "item_name": ("项目", "科目名称", "项目名称", "支出项目"),
    "this_year": ("本年预算数", "本年决算数", "本年数", "本年金额", "预算数", "决算数"),
    "prior_year": ("上年预算数", "上年决算数", "上年数", "上年金额"),
    "change_reason": ("增减原因说明", "增减原因", "变动原因", "增减变化原因"),
    "quantity": ("实物量/数量", "数量", "团组/车辆/批次数"),
    "persons": ("实物量/人次", "人次", "人次数"),
    # Metadata usually in the title rows or the file name; a file (or a pipeline's
    # ``fixed:``) may give it instead, and a value given so wins over both.
    "dept_code": ("单位编码", "单位代码", "部门编码", "预算单位编码"),
    "dept_name": ("单位名称", "部门名称", "预算单位名称"),
    "version": ("预决算", "预算/决算", "预算或决算"),
}
_OPTIONAL = ("econ_code", "change_reason", "quantity", "persons", "dept_code", "dept_name", "version")
AMOUNT_COLUMNS = ("this_year", "prior_year")

_TITLE = re.compile(
    r"(?P<dept>[^\s“”\"]*?)\s*(?P<year>(?:19|20)\d{2})\s*年度?\s*[“”\"'‘’「」]*\s*三公\s*[“”\"'‘’「」]*\s*经费\s*(?P<version>预算|决算)"
)
_UNIT = re.compile(r"单位\s*[:：]\s*(亿元|千元|万元|元)")
_DEPT_CODE = re.compile(r"(?:单位|部门)(?:编码|代码)\s*[:：]\s*([0-9]{3,12})")
_APPROVAL = re.compile(r"批复(?:日期|时间)\s*[:：]\s*((?:19|20)\d{2}\s*[年\-/.]\s*\d{1,2}\s*[月\-/.]\s*\d{1,2}\s*日?)")
#: Default of ``source.options.file_name_pattern``: the names departments send, such as
#: ``108001_朝阳区教育委员会_2016年三公经费预算.xlsx``. Groups: ``code`` (unit code),
#: ``name`` (unit name) or ``rest`` (the name is its first part without digits), ``version``
#: (预算/决算; else the first 预算 or 决算 in the name).
FILE_NAME_PATTERN = r"^(?P<code>[0-9]{3,12})?[_\-\s]*(?P<rest>.*)$"


@dataclass
class Header:
    """What the rows above a submission's column header say."""

    dept_code: str | None = None
    dept_name: str | None = None
    year: str | None = None
    version: str | None = None
    unit: str | None = None
    approval_date: str | None = None  # as the sheet writes it; the normalize stage parses it


class PublicExpenditureSource(Source):
    name = "public_expenditure"
    title_zh = "三公经费"
    title_en = "three public expenditures"
    datasets = (SANGONG, STATS)
    inputs = (
        InputDecl(
            "submissions",
            columns=_COLUMNS,
            optional_columns=_OPTIONAL,
            description="各单位报送的三公经费预算/决算表 (xlsx; path may be a glob such as {year}/*.xlsx)",
        ),
        InputDecl(
            "legacy_submissions",
            columns=_COLUMNS,
            optional_columns=_OPTIONAL,
            required=False,
            description="旧系统导出的 .xls 报表 (legacy .xls, often in 元; path may be a glob)",
        ),
    )
    options = {
        "check_prior_year": Option(
            bool, True, "上年数须与已公开的上年本年数一致 (prior-year amounts must equal last year's published amounts)"
        ),
        "file_name_pattern": Option(
            str, FILE_NAME_PATTERN,
            "文件名中的单位编码、单位名称、预决算，正则表达式，命名组 code、name（或 rest）、version；表头或列/fixed: 优先 "
            "(regex for the unit code, name and 预算/决算 in a file name, groups code, name or rest, version; the title "
            "rows and a column or fixed: win)",
            check=regex_error,
        ),
    }

    # --- extract ---------------------------------------------------------------------------
    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        item_rows: list[dict[str, Any]] = []
        stats_rows: list[dict[str, Any]] = []
        files = 0
        for input_name in ("submissions", "legacy_submissions"):
            paths = _input_files(ctx, input_name)
            for path in paths:
                files += 1
                rows = _read_submission(ctx, input_name, path)
                item_rows += rows
                stats_rows += _stats_rows(rows)
        if not files:
            raise InputError(
                f"没有找到 {ctx.period.key} 年度的报送文件 (no submission files for {ctx.period.key})",
                file=_describe_location(ctx, "submissions"),
            )
        for r in item_rows:  # unrounded 万元 values, so sums are checked on the department's figures
            r["_amount_exact"], r["_amount_prior_exact"] = r["amount"], r["amount_prior"]
        yield Batch(SANGONG.id, _table(item_rows, SANGONG, ("_title_year", "_amount_exact", "_amount_prior_exact")))
        yield Batch(STATS.id, _table(stats_rows, STATS, ()))

    # --- check -----------------------------------------------------------------------------
    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        if table.num_rows == 0:
            return []
        if dataset.id == SANGONG.id:
            return self._check_sangong(ctx, table)
        if dataset.id == STATS.id:
            return _check_stats(table)
        return []

    def _check_sangong(self, ctx: SourceContext, table: pa.Table) -> list[Reject]:
        c = table.to_pydict()
        n = table.num_rows
        rows, files = c[ROW_COLUMN], c.get(FILE_COLUMN) or [""] * n
        period = ctx.period.key
        out: list[Reject] = []

        def reject(i: int, field: str, value: Any, reason: str) -> None:
            out.append(Reject(i, rows[i], field, "" if value is None else str(value), reason, files[i]))

        for i in range(n):
            title_year = c.get("_title_year", [None] * n)[i]
            if title_year and title_year != period:
                reject(i, "period", title_year,
                       f"报表标题年度为 {title_year}，与期间 {period} 不符 (the sheet's title says fiscal year {title_year}, the period is {period})")
            item = ITEM_BY_NAME.get(c["item"][i])
            code = c["econ_code"][i]
            if item is None or code is None:
                continue  # unknown items fail the enum; a missing code is filled from the item
            if item.dept_code is None:
                continue  # class codes (302, 310) some units put on the 合计/小计 lines are not published
            if code not in ALL_ECON_CODES:
                reject(i, "econ_code", code,
                       f"经济分类款级科目编码 {code} 不是“三公”经费科目，{item.name}应为 {_codes_of(item)} "
                       f"(unknown 三公 economic classification code {code}; expected {_codes_of(item)} for {item.name})")
            elif ALL_ECON_CODES[code] is not item:
                other = ALL_ECON_CODES[code]
                reject(i, "econ_code", code,
                       f"科目编码 {code} 属于{other.name}，与项目{item.name}不符，应为 {_codes_of(item)} "
                       f"(code {code} is {other.key}, not {item.key}; expected {_codes_of(item)})")

        # Sums within each department and version: components must be present, non-negative.
        groups: dict[tuple[Any, Any], dict[str, int]] = {}
        for i in range(n):
            item = ITEM_BY_NAME.get(c["item"][i])
            if item is not None:
                groups.setdefault((c["dept_code"][i], c["version"][i]), {}).setdefault(item.key, i)
        for idx in groups.values():
            for field in ("amount", "amount_prior"):
                for whole, parts in ((TOTAL, COMPONENTS), (SUBTOTAL, (PURCHASE, OPERATION))):
                    problem = _sum_problem(c, idx, field, whole, parts)
                    if problem:
                        i, value, reason = problem
                        reject(i, field, value, reason)

        if ctx.options.get("check_prior_year", True):
            out += _check_prior_year(ctx, c, rows, files)
        return out

    # --- derive ----------------------------------------------------------------------------
    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        if dataset.id != SANGONG.id or table.num_rows == 0:
            return table
        c = table.to_pydict()
        dept_codes, gov_codes, changes, pcts = [], [], [], []
        for item_name, code, now, before in zip(c["item"], c["econ_code"], c["amount"], c["amount_prior"]):
            item = ITEM_BY_NAME.get(item_name)
            # Publish both code sets whichever one the department used (check() has made sure
            # the code belongs to the item); 合计/小计 lines carry none.
            dept_codes.append(item.dept_code if item else code)
            gov_codes.append(item.gov_codes[0] if item and item.gov_codes else None)
            change = None if now is None or before is None else now - before
            changes.append(change)
            pct = None
            if change is not None and before:
                pct = (change * 100 / before).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            pcts.append(pct)
        money = pa.decimal128(18, 2)
        for name, values, type_ in (
            ("econ_code", dept_codes, pa.string()),
            ("gov_econ_code", gov_codes, pa.string()),
            ("change_amount", changes, money),
            ("change_pct", pcts, money),
        ):
            table = table.set_column(table.column_names.index(name), name, pa.array(values, type_))
        return table


def _codes_of(item: Item) -> str:
    return "/".join([c for c in (item.dept_code, *item.gov_codes) if c])


def _sum_problem(
    c: dict[str, list[Any]], idx: dict[str, int], field: str, whole: Item, parts: tuple[Item, ...]
) -> tuple[int, Decimal, str] | None:
    """``whole`` = sum of ``parts`` (±0.01), or (row index, value, reason). Silent when a part
    is missing, null or negative: that row is rejected on its own account already."""
    if whole.key not in idx:
        return None
    i = idx[whole.key]
    total = _exact(c, field, i)
    values = [_exact(c, field, idx[p.key]) if p.key in idx else None for p in parts]
    if total is None or any(v is None or v < 0 for v in values):
        return None
    expected = sum(values, Decimal(0))
    if abs(total - expected) <= TOLERANCE:
        return None
    label = SANGONG.field(field).title_zh
    names = " + ".join(p.name for p in parts)
    return i, total, (
        f"{whole.name}{label} {total} 不等于 {names} = {expected}（允许误差 ±0.01） "
        f"({whole.key} {field} {total} does not equal the sum of its parts {expected}; tolerance 0.01)"
    )


def _exact(c: dict[str, list[Any]], field: str, i: int) -> Decimal | None:
    """The unrounded 万元 value extract passed on (a 元 sheet has more decimals), else the typed one."""
    typed = c[field][i]
    text = c.get(f"_{field}_exact", [None] * (i + 1))[i]
    if typed is None or text is None:
        return typed
    try:
        return nz.parse_decimal(text)
    except NormalizeError:
        return typed


def _check_prior_year(ctx: SourceContext, c: dict[str, list[Any]], rows: list[Any], files: list[Any]) -> list[Reject]:
    """上年数 must equal last fiscal year's published 本年数 of the same unit, version and item."""
    previous = ctx.period.previous()
    table = ctx.published(SANGONG.id, previous)
    if table is None or table.num_rows == 0:
        return []
    p = table.to_pydict()
    before = {(d, v, it): a for d, v, it, a in zip(p["dept_code"], p["version"], p["item"], p["amount"])}
    out: list[Reject] = []
    for i, key in enumerate(zip(c["dept_code"], c["version"], c["item"])):
        now, then = c["amount_prior"][i], before.get(key)
        if now is None or then is None:
            continue
        if abs(now - then) > TOLERANCE:
            out.append(Reject(
                i, rows[i], "amount_prior", str(now),
                f"上年数 {now} 与已公开的 {previous.key} 年度本年数 {then} 不符 "
                f"(prior-year amount {now} differs from the published {previous.key} amount {then})",
                files[i],
            ))
    return out


def _check_stats(table: pa.Table) -> list[Reject]:
    c = table.to_pydict()
    rows, files = c[ROW_COLUMN], c.get(FILE_COLUMN) or [""] * table.num_rows
    out: list[Reject] = []
    for groups_f, persons_f, zh_g, zh_p in (
        ("trips", "travellers", "因公出国(境)团组数", "因公出国(境)人次"),
        ("receptions", "reception_persons", "国内公务接待批次", "国内公务接待人次"),
    ):
        for i, (g, p) in enumerate(zip(c[groups_f], c[persons_f])):
            if g is None or p is None:
                continue
            if p < g:
                out.append(Reject(i, rows[i], persons_f, str(p),
                                  f"{zh_p} {p} 少于{zh_g} {g} (persons {p} fewer than groups {g})", files[i]))
            elif g == 0 and p > 0:
                out.append(Reject(i, rows[i], groups_f, str(g),
                                  f"{zh_g}为 0 但{zh_p}为 {p} (no groups but {p} persons)", files[i]))
    return out


# --- reading submissions ------------------------------------------------------------------


def _input_files(ctx: SourceContext, input_name: str) -> list[str]:
    """Files an input's (possibly globbed) path matches for the run's period."""
    settings = ctx.input_settings(input_name)
    if settings is not None and settings.is_url:
        raise InputError(f"inputs.{input_name}: 三公经费报表只支持本地文件 (only local files are supported)")
    return ctx.locations(input_name)


def _describe_location(ctx: SourceContext, input_name: str) -> str:
    settings = ctx.input_settings(input_name)
    return settings.location if settings is not None and not settings.is_url else f"inputs.{input_name}"


def _read_submission(ctx: SourceContext, input_name: str, path: str) -> list[dict[str, Any]]:
    """Item rows of one department's workbook, amounts converted to 万元 text."""
    raw = ctx.read(input_name, location=path)  # archived, columns mapped, fixed values set
    table = raw.to_table()
    sheet_rows = _sheet_rows(ctx, input_name, path)
    # Everything above the data: the reader's header detection may count the 单位 line as a
    # first header row when that scores as well as the real two-row header.
    above_data = int(raw.meta.get("header_row") or 1) - 1 + int(raw.meta.get("header_depth") or 1)
    pattern = str(ctx.options.get("file_name_pattern") or FILE_NAME_PATTERN)
    head = _parse_header(sheet_rows[:above_data], Path(path).name, pattern)
    units = {col: _unit_for(ctx, input_name, col, head.unit, path) for col in AMOUNT_COLUMNS}

    records = table.to_pylist()
    if sheet_rows and raw.meta.get("totals"):
        records += _total_records(ctx, input_name, sheet_rows, raw, path)
    records.sort(key=lambda r: r[ROW_COLUMN] or 0)

    out: list[dict[str, Any]] = []
    for r in records:
        code = _clean_code(r.get("econ_code"))
        name = nz.clean_text(r.get("item_name"))
        item = item_for(name, code)
        out.append({
            "period": ctx.period.key,
            # a column or fixed: value first (the pipeline said so), then title rows, then file name
            "dept_code": _clean_code(r.get("dept_code")) or head.dept_code,
            "dept_name": nz.clean_text(r.get("dept_name")) or head.dept_name,
            "version": nz.clean_text(r.get("version")) or head.version,
            "approval_date": head.approval_date,
            "item": item.name if item else name,
            "econ_code": code,
            "amount": _to_wanyuan(r.get("this_year"), units["this_year"]),
            "amount_prior": _to_wanyuan(r.get("prior_year"), units["prior_year"]),
            "change_reason": r.get("change_reason"),
            "quantity": r.get("quantity"),
            "persons": r.get("persons"),
            "_item_key": item.key if item else None,
            "_title_year": head.year,
            ROW_COLUMN: r[ROW_COLUMN],
            FILE_COLUMN: r.get(FILE_COLUMN) or path,
        })
    return out


def _sheet_rows(ctx: SourceContext, input_name: str, path: str) -> list[list[Any]]:
    """All rows of the sheet (for the title block and the 合计 row); [] for non-Excel files."""
    if not path.lower().endswith((".xlsx", ".xlsm", ".xls")):
        return []
    settings = ctx.input_settings(input_name)
    rows, _, _ = read_sheet(Path(path), settings.options.get("sheet") if settings else None)
    return [list(r) for r in rows]


def _parse_header(title_rows: list[list[Any]], file_name: str, pattern: str = FILE_NAME_PATTERN) -> Header:
    """Department, code, fiscal year, version and unit from the rows above the data, then the file name."""
    head = Header()
    texts = [_cell(v) for row in title_rows for v in row]
    texts = [t for t in texts if t]
    for t in texts:
        s = nz.to_halfwidth(t)
        m = _TITLE.search(s)
        if m and head.year is None:
            head.dept_name = m["dept"] or None
            head.year, head.version = m["year"], m["version"]
        m = _UNIT.search(s)
        if m and head.unit is None:
            head.unit = m[1]
        m = _DEPT_CODE.search(s)
        if m and head.dept_code is None:
            head.dept_code = m[1]
        m = _APPROVAL.search(s)
        if m and head.approval_date is None:
            head.approval_date = m[1].replace(" ", "")
    # File names as departments send them: 108001_朝阳区教育委员会_2016年三公经费预算.xlsx
    stem = Path(file_name).stem
    m = re.search(pattern, stem)
    groups = m.groupdict() if m else {}
    if head.dept_code is None and groups.get("code"):
        head.dept_code = groups["code"]
    if head.version is None:
        v = re.search(r"预算|决算", groups.get("version") or stem)
        head.version = v[0] if v else None
    if head.dept_name is None and groups.get("name"):
        head.dept_name = groups["name"]
    elif head.dept_name is None and groups.get("rest"):
        parts = [p for p in re.split(r"[_\-\s]+", groups["rest"]) if p and not re.search(r"\d{4}|三公", p)]
        head.dept_name = parts[0] if parts else None
    return head


def _unit_for(ctx: SourceContext, input_name: str, column: str, title_unit: str | None, path: str) -> str:
    declared = ctx.source_unit(input_name, column)
    if declared and title_unit and nz.unit_exponent(declared, title_unit) != 0:
        raise InputError(
            f"报表标明“单位：{title_unit}”，但流水线 inputs.{input_name}.units.{column} 声明为 {declared} "
            f"(the sheet says its unit is {title_unit}, the pipeline declares {declared}; remove one)",
            file=path,
        )
    return declared or title_unit or WANYUAN


def _to_wanyuan(value: Any, unit: str) -> Any:
    """Exact amount text in 万元 (no rounding yet: the engine rounds to the field's scale).

    Values that do not parse stay as they are, for the engine to reject with its reason.
    """
    if value is None:
        return None
    try:
        amount = nz.parse_amount(value, unit=WANYUAN, default_unit=unit, scale=None)
    except NormalizeError:
        return value
    return None if amount is None else format(amount, "f")


def _cell(value: Any) -> str | None:
    """Cell text as the Excel reader writes it (whole floats without '.0')."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip() or None


def _total_records(
    ctx: SourceContext, input_name: str, sheet_rows: list[list[Any]], raw: RawTable, path: str
) -> list[dict[str, Any]]:
    """The 合计/小计 rows the reader left out, mapped to the declared columns like data rows."""
    spec = ctx.input_settings(input_name)
    assert spec is not None  # only called for an input that was read
    decl = next(d for d in PublicExpenditureSource.inputs if d.name == input_name)
    start = int(raw.meta.get("header_row") or 1) - 1
    depth = int(raw.meta.get("header_depth") or 1)
    expected: list[str] = []
    for name, aliases in decl.columns.items():
        expected += [spec.columns.get(name, name), *aliases]
    names = choose_names(combine_header_rows(sheet_rows[start : start + depth]), expected)
    declared = {k: v for k, v in decl.columns.items() if k not in spec.fixed}
    mapping, _, _ = match_columns(names, declared, spec.columns, decl.optional_columns)
    out: list[dict[str, Any]] = []
    for entry in raw.meta["totals"]:
        number, row = entry[0], entry[1]  # (sheet row, cells[, data rows above it])
        rec: dict[str, Any] = {ROW_COLUMN: number, FILE_COLUMN: path}
        for col, header in mapping.items():
            j = names.index(header)
            rec[col] = _cell(row[j]) if j < len(row) else None
        for col, value in spec.fixed.items():
            rec.setdefault(col, None if value is None else str(value).format(**ctx.period.template_values()))
        out.append(rec)
    return out


def _stats_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One counts row per department and version, from the quantity columns of the item rows."""
    if not items:
        return []
    first = items[0]
    rec: dict[str, Any] = {k: first[k] for k in ("period", "dept_code", "dept_name", "version", "approval_date")}
    by_item = {}
    for r in items:
        if r["_item_key"] and r["_item_key"] not in by_item:
            by_item[r["_item_key"]] = r
    anchor = by_item.get(ABROAD.key) or first
    rec[ROW_COLUMN], rec[FILE_COLUMN] = anchor[ROW_COLUMN], anchor[FILE_COLUMN]
    for field, (item, column) in STATS_SOURCES.items():
        src = by_item.get(item.key)
        rec[field] = src.get(column) if src else None
    return [rec]


def _table(records: list[dict[str, Any]], dataset: Dataset, extra: tuple[str, ...]) -> pa.Table:
    """Text columns for the dataset's fields (plus ``extra`` columns for check), ``_row``, ``_file``."""
    names = [f.name for f in dataset.fields if f.name not in ("change_amount", "change_pct", "gov_econ_code")]
    cols: dict[str, pa.Array] = {}
    for name in (*names, *extra):
        cols[name] = pa.array([text_cell(r.get(name)) for r in records], pa.string())
    cols[ROW_COLUMN] = pa.array([r.get(ROW_COLUMN) for r in records], pa.int64())
    cols[FILE_COLUMN] = pa.array([r.get(FILE_COLUMN) for r in records], pa.string())
    return pa.table(cols)




@hookimpl
def register_sources() -> list[Source]:
    return [PublicExpenditureSource()]


__all__ = ["PublicExpenditureSource", "ITEMS", "DEPT_ECON_CODES", "GOV_ECON_CODES_2018", "item_for"]
