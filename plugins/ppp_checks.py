"""Cross-field and cross-period checks of the PPP datasets, and their derived fields.

Every function takes the typed table the engine hands to ``Source.check`` /
``Source.derive`` (dataset fields plus ``_row`` and ``_file``, extra raw
columns kept). Rejects say, Chinese first, which field is wrong and what was
expected.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
from gongkai_etl_plugins.ppp_uscc import PATTERN as USCC_PATTERN
from gongkai_etl_plugins.ppp_uscc import uscc_error

from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN, Reject, SourceContext
from gongkai_etl.datasets import Dataset
from gongkai_etl.periods import Period
from gongkai_etl.workdays import WorkCalendar, add_working_days, count_working_days

#: Allowed gap between 政府方出资 + 社会资本出资 and 项目资本金 (万元): rounding of two cells.
TOLERANCE = Decimal("0.01")
NOTICE_DOC = "预中标/成交结果"
CONTRACT_DOC = "项目合同"
_USCC = re.compile(USCC_PATTERN)


@dataclass(frozen=True)
class Settings:
    """Rules read from ``source.options`` (with the defaults of the module docstring)."""

    order: tuple[str, ...]
    notice_days: int
    contract_days: int
    history_months: int
    calendar: WorkCalendar
    project_id_pattern: str = r"CY-PPP-\d{4}-\d{3}"

    def rank(self, doc_type: str | None) -> int | None:
        return self.order.index(doc_type) if doc_type in self.order else None


def sha256_text(text: str) -> str:
    """SHA-256 of a document text as published: its UTF-8 bytes, unchanged."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Rows:
    """Row context for building rejects: raw row number and file by index."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.rows = table.column(ROW_COLUMN).to_pylist()
        n = table.num_rows
        self.files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else [""] * n
        self.out: list[Reject] = []

    def col(self, name: str) -> list[Any]:
        if name not in self.table.column_names:
            return [None] * self.table.num_rows
        return self.table.column(name).to_pylist()

    def reject(self, i: int, field: str, value: Any, reason: str) -> None:
        shown = "" if value is None else str(value)
        self.out.append(Reject(i, self.rows[i], field, shown, reason, self.files[i] or ""))


def _unknown_projects(r: _Rows, known: set[str]) -> None:
    for i, pid in enumerate(r.col("project_id")):
        if pid is not None and pid not in known:
            r.reject(i, "project_id", pid, "项目编号不在本期项目库中 (project_id not in this period's project list)")


def check_project_ids(table: pa.Table, pattern: str) -> list[Reject]:
    """Project IDs in the district's numbering (``source.options.project_id_pattern``);
    the message names the option, since another district's IDs are not an error of the data."""
    r = _Rows(table)
    compiled = re.compile(pattern)
    for i, pid in enumerate(r.col("project_id")):
        if pid is not None and not compiled.fullmatch(str(pid)):
            r.reject(
                i, "project_id", pid,
                f"项目编号格式不符 {pattern}；如本地编号不同，请在管道中设置 source.options.project_id_pattern "
                f"(project_id does not match {pattern}; set source.options.project_id_pattern if your IDs differ)",
            )
    return r.out


# --- ppp_project -----------------------------------------------------------------


def check_projects(table: pa.Table) -> list[Reject]:
    """Street known; 建设期 + 运营期 = 合作期限; credit codes with a correct check character."""
    r = _Rows(table)
    for i, (street, code) in enumerate(zip(r.col("street"), r.col("division_code"))):
        if street and code is None:
            r.reject(i, "street", street, "所在街乡不是朝阳区的街道或地区 (street is not a Chaoyang street or area)")
    for i, (term, build, run) in enumerate(zip(r.col("cooperation_term_years"), r.col("construction_years"), r.col("operation_years"))):
        if None not in (term, build, run) and build + run != term:
            r.reject(
                i, "cooperation_term_years", term,
                f"合作期限应等于建设期 {build} 年 + 运营期 {run} 年 = {build + run} 年 "
                f"(cooperation_term_years must equal construction + operation years, {build + run})",
            )
    for name, title in (("private_partner_uscc", "社会资本方统一社会信用代码"), ("spv_uscc", "项目公司统一社会信用代码")):
        for i, code in enumerate(r.col(name)):
            # A code of the wrong shape is already rejected by the field's pattern.
            if code and _USCC.fullmatch(code):
                error = uscc_error(code)
                if error:
                    r.reject(i, name, code, f"{title}无效：{error} ({name} fails the GB 32100-2015 check)")
    return r.out


# --- ppp_contribution --------------------------------------------------------------


def check_contributions(ctx: SourceContext, table: pa.Table, known: set[str]) -> list[Reject]:
    """政府方出资 + 社会资本出资 = 项目资本金 (±0.01 万元); as-of date not after the period."""
    r = _Rows(table)
    _unknown_projects(r, known)
    cols = zip(r.col("capital"), r.col("government_contribution"), r.col("private_contribution"))
    for i, (capital, gov, private) in enumerate(cols):
        if None in (capital, gov, private):
            continue
        total = gov + private
        if abs(total - capital) > TOLERANCE:
            r.reject(
                i, "capital", capital,
                f"政府方出资 {gov} + 社会资本出资 {private} = {total}，与项目资本金 {capital} 不符（允差0.01万元）"
                f" (capital must equal government_contribution + private_contribution = {total}, ±0.01)",
            )
    for i, day in enumerate(r.col("as_of_date")):
        if day is not None and day > ctx.period.end:
            r.reject(i, "as_of_date", day, f"截至日期晚于本期末 {ctx.period.end} (as_of_date after the period end)")
    return r.out


# --- ppp_progress --------------------------------------------------------------------


def check_progress(
    ctx: SourceContext, dataset: Dataset, table: pa.Table, known: set[str], settings: Settings
) -> list[Reject]:
    """累计完成投资 never below the latest earlier published month of the project."""
    r = _Rows(table)
    _unknown_projects(r, known)
    ids = r.col("project_id")
    before = _latest_published(ctx, dataset.id, "investment_cum", {p for p in ids if p}, settings.history_months)
    for i, (pid, cum) in enumerate(zip(ids, r.col("investment_cum"))):
        prev = before.get(pid)
        if cum is None or prev is None:
            continue
        value, key = prev
        if value is not None and cum < value:
            r.reject(
                i, "investment_cum", cum,
                f"累计完成投资 {cum} 万元低于 {key} 已公开的 {value} 万元，累计数不应减少 "
                f"(investment_cum below the {value} published for {key}; a cumulative value never decreases)",
            )
    return r.out


def _latest_published(
    ctx: SourceContext, dataset_id: str, field: str, wanted: set[str], months: int
) -> dict[str, tuple[Any, str]]:
    """Project id -> (value, period key) from the most recent earlier published month holding it."""
    found: dict[str, tuple[Any, str]] = {}
    period = ctx.period
    for _ in range(months):
        period = period.previous()
        table = ctx.published(dataset_id, period)
        if table is None or table.num_rows == 0:
            continue
        for pid, value in zip(table.column("project_id").to_pylist(), table.column(field).to_pylist()):
            if pid in wanted and pid not in found:
                found[pid] = (value, period.key)
        if wanted <= found.keys():
            break
    return found


def derive_progress(table: pa.Table, totals: Mapping[str, Decimal | None]) -> pa.Table:
    """投资完成比例 = 累计完成投资 / 项目总投资 × 100, half-up to 2 decimals."""
    pcts: list[Decimal | None] = []
    for pid, cum in zip(table.column("project_id").to_pylist(), table.column("investment_cum").to_pylist()):
        total = totals.get(pid)
        if cum is None or not total:
            pcts.append(None)
        else:
            pcts.append((cum * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    idx = table.column_names.index("investment_pct")
    return table.set_column(idx, "investment_pct", pa.array(pcts, pa.decimal128(18, 2)))


# --- ppp_procurement_doc ---------------------------------------------------------------


def check_documents(ctx: SourceContext, table: pa.Table, known: set[str], settings: Settings) -> list[Reject]:
    """Dates plausible, notice long enough, contract signed before it is
    published, text matches its hash, and the legal order of the documents."""
    r = _Rows(table)
    _unknown_projects(r, known)
    types = r.col("doc_type")
    published = r.col("publish_date")
    starts, ends, signed = r.col("notice_start"), r.col("notice_end"), r.col("signing_date")
    for i, doc in enumerate(types):
        day, start, end = published[i], starts[i], ends[i]
        if day is not None and day > ctx.period.end:
            r.reject(i, "publish_date", day, f"发布日期晚于本期末 {ctx.period.end} (publish_date after the period end)")
        if start is not None and end is not None and end < start:
            r.reject(i, "notice_end", end, f"公示截止日期早于公示开始日期 {start} (notice_end before notice_start)")
        if start is not None and day is not None and start < day:
            r.reject(i, "notice_start", start, f"公示开始日期早于发布日期 {day} (notice_start before publish_date)")
        if doc == NOTICE_DOC:
            _check_notice(r, i, start, end, settings)
        if doc == CONTRACT_DOC:
            if signed[i] is None:
                r.reject(i, "signing_date", None, "项目合同缺少合同签订日期 (signing_date is required for 项目合同)")
            elif day is not None and signed[i] > day:
                r.reject(i, "signing_date", signed[i], f"合同签订日期晚于发布日期 {day} (signing_date after publish_date)")
    for i, (digest, text) in enumerate(zip(r.col("sha256"), r.col("doc_text"))):
        if digest and text and sha256_text(text) != digest:
            r.reject(i, "sha256", digest, "正文SHA-256与正文不符 (sha256 does not match the document text)")
    _check_order(ctx, r, settings)
    return r.out


def _check_notice(r: _Rows, i: int, start: date | None, end: date | None, settings: Settings) -> None:
    if start is None or end is None:
        field = "notice_start" if start is None else "notice_end"
        r.reject(i, field, None, f"{NOTICE_DOC}须注明公示起止日期 ({field} is required for {NOTICE_DOC})")
        return
    if end < start:
        return  # already rejected
    # The start day counts when it is a working day: the earliest lawful end is
    # the n-th working day counted from the day before the start.
    earliest = add_working_days(start - timedelta(days=1), settings.notice_days, settings.calendar)
    if end < earliest:
        have = count_working_days(start - timedelta(days=1), end, settings.calendar)
        r.reject(
            i, "notice_end", end,
            f"公示期 {start} 至 {end} 仅 {have} 个工作日，不少于 {settings.notice_days} 个工作日应至 {earliest} "
            f"(notice_end: notice period of {have} working days; at least {settings.notice_days}, i.e. until {earliest})",
        )


def _check_order(ctx: SourceContext, r: _Rows, settings: Settings) -> None:
    """A later document type of a project is never dated before an earlier one.

    Within the batch the later-type document is rejected; against documents
    already published in earlier months, the new document is.
    """
    ids, types, days = r.col("project_id"), r.col("doc_type"), r.col("publish_date")
    history = _published_documents(ctx, {p for p in ids if p}, settings.history_months)
    arrow = " → ".join(settings.order)
    for i, (pid, doc, day) in enumerate(zip(ids, types, days)):
        rank = settings.rank(doc)
        if pid is None or rank is None or day is None:
            continue
        for j, (pid2, doc2, day2) in enumerate(zip(ids, types, days)):
            rank2 = settings.rank(doc2)
            if j == i or pid2 != pid or rank2 is None or day2 is None:
                continue
            if rank2 < rank and day2 > day:
                r.reject(
                    i, "doc_type", doc,
                    f"{doc}的发布日期 {day} 早于在先环节{doc2}的发布日期 {day2}，不符合法定顺序 {arrow} "
                    f"(doc_type out of the legal order: publish_date {day} is before the earlier step {doc2} of {day2})",
                )
                break
        for doc2, day2, key in history.get(pid, ()):
            rank2 = settings.rank(doc2)
            if rank2 is None:
                continue
            if rank2 < rank and day2 > day:
                why = f"{doc}的发布日期 {day} 早于 {key} 已公开的在先环节{doc2}（{day2}）"
                en = f"publish_date {day} is before the earlier step {doc2} published {day2} ({key})"
            elif rank2 > rank and day2 < day:
                why = f"{doc}的发布日期 {day} 晚于 {key} 已公开的在后环节{doc2}（{day2}）"
                en = f"publish_date {day} is after the later step {doc2} already published {day2} ({key})"
            else:
                continue
            r.reject(i, "doc_type", doc, f"{why}，不符合法定顺序 {arrow} (doc_type out of the legal order: {en})")
            break


def _published_documents(ctx: SourceContext, wanted: set[str], months: int) -> dict[str, list[tuple[str, date, str]]]:
    """Project id -> (doc_type, publish_date, period key) of documents published in earlier months."""
    out: dict[str, list[tuple[str, date, str]]] = {}
    period: Period = ctx.period
    for _ in range(months):
        period = period.previous()
        table = ctx.published("ppp_procurement_doc", period)
        if table is None or table.num_rows == 0:
            continue
        cols = (table.column(c).to_pylist() for c in ("project_id", "doc_type", "publish_date"))
        for pid, doc, day in zip(*cols):
            if pid in wanted and doc and day:
                out.setdefault(pid, []).append((doc, day, period.key))
    return out


def derive_documents(table: pa.Table, settings: Settings) -> pa.Table:
    """公示期工作日数 (both ends counted) and, for 项目合同, whether it was
    published within ``contract_days`` working days of signing."""
    cal = settings.calendar
    days: list[int | None] = []
    for start, end in zip(table.column("notice_start").to_pylist(), table.column("notice_end").to_pylist()):
        ok = start is not None and end is not None and end >= start
        days.append(count_working_days(start - timedelta(days=1), end, cal) if ok else None)
    on_time: list[bool | None] = []
    cols = (table.column(c).to_pylist() for c in ("doc_type", "signing_date", "publish_date"))
    for doc, signed, published in zip(*cols):
        if doc != CONTRACT_DOC or signed is None or published is None:
            on_time.append(None)
        else:
            on_time.append(published <= add_working_days(signed, settings.contract_days, cal))
    table = table.set_column(table.column_names.index("notice_working_days"), "notice_working_days", pa.array(days, pa.int64()))
    return table.set_column(table.column_names.index("contract_on_time"), "contract_on_time", pa.array(on_time, pa.bool_()))
