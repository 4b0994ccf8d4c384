"""PPP projects (政府和社会资本合作): basics, contributions, progress, procurement documents.

Plan section 二(三)2: 集中公开本区PPP项目基本情况、政府及社会资本出资情况、实施进程、
合作模式、合作期限 ... 资格预审公告、采购文件、确认谈判备忘录、预中标或成交结果、项目合同
文本、中标或成交结果. Raw inputs as the finance bureau keeps them:

- ``projects``: the PPP platform's JSON export, ``{"code":0,"data":{"list":[...]}}``
  with Chinese keys, one per month. It also carries the desk officer's name and
  phone (联系人, 联系电话): they are not declared below, so they never leave
  the reader.
- ``contributions``: a workbook per month with a title row, a merged header
  (资本金出资 over 政府方出资 / 社会资本出资) and a 合计 row.
- ``progress``: a GBK CSV per month from the implementing agencies.
- ``procurement``: a legacy .xls per month listing the documents published
  that month, with the document text (正文) the sha256 is taken from.

Checks (see :mod:`gongkai_etl_plugins.ppp_checks`): 政府方出资 + 社会资本出资 =
项目资本金 (±0.01; 债务融资 is outside the capital); 累计完成投资 never below the
latest published month; documents in the legal order, also against earlier
published months; 公示 end not before its start; 预中标/成交结果 on notice for
at least 5 working days; signed contracts flagged ``contract_on_time`` when
published within 2 working days of signing (a late one is published, flagged);
统一社会信用代码 with a correct check character; 建设期 + 运营期 = 合作期限.

The legal order is the plan's (and 财库〔2014〕215号's listing) order. Under
arts. 19-22 of 215号 the *signed* contract is announced after the 中标/成交结果
(the 项目合同文本 in the plan's list is the draft put on notice with the
预中标 result); a pipeline that publishes signed contracts last sets
``source.options.doc_order``. The deadlines are "to verify" defaults, also options.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import pyarrow as pa
from gongkai_etl_plugins import ppp_checks
from gongkai_etl_plugins.ppp_checks import sha256_text
from gongkai_etl_plugins.ppp_uscc import PATTERN as USCC_PATTERN
from gongkai_etl_plugins.ppp_uscc import normalize as normalize_uscc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import (
    Batch,
    InputDecl,
    Option,
    Reject,
    Source,
    SourceContext,
    regex_error,
)
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.divisions import division_codes
from gongkai_etl.errors import ConfigError, NormalizeError
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.values import clean_text, parse_amount, to_halfwidth

PUBLISHER = "北京市朝阳区财政局 (Chaoyang District Finance Bureau)"
DOMAIN = "政府和社会资本合作 public-private partnership (PPP)"

INDUSTRIES = (
    "能源", "交通运输", "水利建设", "生态建设和环境保护", "农业", "林业", "科技", "保障性安居工程",
    "医疗卫生", "养老", "教育", "文化", "体育", "市政工程", "政府基础设施", "城镇综合开发", "旅游",
    "社会保障", "其他",
)  # the 19 一级行业 of the MOF PPP platform
OPERATION_MODES = ("BOT", "BOOT", "BOO", "TOT", "ROT", "TOT+BOT", "O&M", "MC", "其他")
PAYMENT_MECHANISMS = ("使用者付费", "可行性缺口补助", "政府付费")
STAGES = ("识别", "准备", "采购", "执行", "移交")
#: Document types in the plan's order (see the module docstring on the contract).
DOC_TYPES = ("资格预审公告", "采购文件", "确认谈判备忘录", "预中标/成交结果", "项目合同", "中标/成交结果")
PROCUREMENT_METHODS = ("公开招标", "邀请招标", "竞争性谈判", "竞争性磋商", "单一来源")

#: Spellings departments use for the document types.
DOC_TYPE_ALIASES = {
    "资格预审": "资格预审公告",
    "资格预审公告": "资格预审公告",
    "采购文件": "采购文件",
    "招标文件": "采购文件",
    "磋商文件": "采购文件",
    "确认谈判备忘录": "确认谈判备忘录",
    "预中标/成交结果": "预中标/成交结果",
    "预中标或成交结果": "预中标/成交结果",
    "预中标、成交结果": "预中标/成交结果",
    "预中标结果": "预中标/成交结果",
    "预成交结果": "预中标/成交结果",
    "项目合同": "项目合同",
    "项目合同文本": "项目合同",
    "ppp项目合同": "项目合同",
    "中标/成交结果": "中标/成交结果",
    "中标或成交结果": "中标/成交结果",
    "中标、成交结果": "中标/成交结果",
    "中标结果": "中标/成交结果",
    "成交结果": "中标/成交结果",
}

PERIOD = period_field(Cadence.MONTHLY)
#: The district's own numbering; a local convention, so a pipeline option
#: (``project_id_pattern``) checked by the source rather than a fixed field pattern.
PROJECT_ID_PATTERN = r"CY-PPP-\d{4}-\d{3}"
PROJECT_ID = Field("project_id", "项目编号", required=True, title_en="project id",
                   description="格式由 source.options.project_id_pattern 规定 (format set by that option)")


def _money(name: str, title: str, title_en: str, *, required: bool = False, minimum: float | None = 0) -> Field:
    return Field(name, title, type="decimal", unit="万元", required=required, minimum=minimum, scale=2, title_en=title_en)


PROJECT = Dataset(
    id="ppp_project",
    title_zh="朝阳区PPP项目基本情况",
    title_en="Chaoyang PPP projects",
    description=(
        "区PPP项目的基本情况：所属行业、实施机构、总投资、运作方式、回报机制、合作期限（建设期+运营期）、"
        "项目阶段、社会资本方和项目公司及其统一社会信用代码。每月快照。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("PPP", "政府和社会资本合作", "合作模式", "合作期限"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id"),
    headline="total_investment",
    fields=(
        PERIOD,
        PROJECT_ID,
        Field("project_name", "项目名称", required=True, title_en="project name"),
        Field("industry", "所属行业", required=True, enum=INDUSTRIES, title_en="industry"),
        Field("street", "所在街乡", required=True, title_en="street or area"),
        division_code_field(),
        Field("implementing_agency", "实施机构", required=True, title_en="implementing agency"),
        _money("total_investment", "项目总投资", "total investment", required=True, minimum=0.01),
        Field("operation_mode", "运作方式", required=True, enum=OPERATION_MODES, title_en="operation mode"),
        Field("payment_mechanism", "回报机制", required=True, enum=PAYMENT_MECHANISMS, title_en="payment mechanism"),
        Field("cooperation_term_years", "合作期限", type="integer", unit="年", required=True, minimum=1, maximum=50,
              title_en="cooperation term"),
        Field("construction_years", "建设期", type="integer", unit="年", minimum=0, title_en="construction period"),
        Field("operation_years", "运营期", type="integer", unit="年", minimum=0, title_en="operation period"),
        Field("stage", "项目阶段", required=True, enum=STAGES, title_en="stage"),
        Field("private_partner", "社会资本方", title_en="private partner"),
        Field("private_partner_uscc", "社会资本方统一社会信用代码", pattern=USCC_PATTERN,
              title_en="private partner's unified social credit code"),
        Field("spv_name", "项目公司", title_en="project company (SPV)"),
        Field("spv_uscc", "项目公司统一社会信用代码", pattern=USCC_PATTERN, title_en="SPV's unified social credit code"),
    ),
)

CONTRIBUTION = Dataset(
    id="ppp_contribution",
    title_zh="朝阳区PPP项目政府和社会资本出资情况",
    title_en="Chaoyang PPP project contributions",
    description=(
        "各PPP项目的项目资本金及政府方、社会资本方出资和债务融资（万元），按截至日期列示。"
        "政府方出资 + 社会资本出资 = 项目资本金（允差0.01万元）；债务融资不计入资本金。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("PPP", "项目资本金", "政府出资", "社会资本出资"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id", "as_of_date"),
    headline="capital",
    fields=(
        PERIOD,
        PROJECT_ID,
        Field("as_of_date", "截至日期", type="date", required=True, title_en="as of"),
        _money("capital", "项目资本金", "project capital (equity)", required=True),
        _money("government_contribution", "政府方出资", "government contribution", required=True),
        _money("private_contribution", "社会资本出资", "private partner contribution", required=True),
        _money("debt_financing", "债务融资", "debt financing"),
    ),
)

PROGRESS = Dataset(
    id="ppp_progress",
    title_zh="朝阳区PPP项目实施进度（月度）",
    title_en="Chaoyang PPP project monthly progress",
    description=(
        "各PPP项目本月和累计完成投资（万元）、投资完成比例（累计完成投资/项目总投资）与形象进度。"
        "累计完成投资逐月不减。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("PPP", "实施进程", "完成投资", "progress"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id"),
    headline="investment_cum",
    fields=(
        PERIOD,
        PROJECT_ID,
        _money("investment_month", "本月完成投资", "investment this month"),
        _money("investment_cum", "累计完成投资", "investment completed (cumulative)", required=True),
        Field("investment_pct", "投资完成比例", type="decimal", unit="%", minimum=0, scale=2,
              title_en="share of total investment completed", description="累计完成投资 / 项目总投资 × 100"),
        Field("progress_note", "形象进度", title_en="physical progress"),
        Field("report_date", "填报日期", type="date", title_en="report date"),
    ),
)

PROCUREMENT_DOC = Dataset(
    id="ppp_procurement_doc",
    title_zh="朝阳区PPP项目采购信息公开",
    title_en="Chaoyang PPP procurement documents",
    description=(
        "当月发布的PPP项目采购文件：资格预审公告、采购文件、确认谈判备忘录、预中标/成交结果、项目合同、"
        "中标/成交结果，含采购方式、发布日期、公示起止、合同签订日期、网址和正文SHA-256。"
        "预中标/成交结果公示不少于5个工作日；项目合同应于签订后2个工作日内公开（contract_on_time）。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("PPP", "政府采购", "资格预审", "中标结果", "项目合同"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id", "doc_type", "seq"),
    headline="seq",
    headline_agg="count",
    fields=(
        PERIOD,
        PROJECT_ID,
        Field("doc_type", "文件类型", required=True, enum=DOC_TYPES, title_en="document type"),
        Field("seq", "文件序号", type="integer", required=True, minimum=1, title_en="sequence number",
              description="同一项目同类文件的第几份（更正、重新公示）"),
        Field("doc_title", "文件标题", required=True, title_en="title"),
        Field("procurement_method", "采购方式", required=True, enum=PROCUREMENT_METHODS, title_en="procurement method"),
        Field("publish_date", "发布日期", type="date", required=True, title_en="publication date"),
        Field("notice_start", "公示开始日期", type="date", title_en="notice period start"),
        Field("notice_end", "公示截止日期", type="date", title_en="notice period end"),
        Field("notice_working_days", "公示期工作日数", type="integer", unit="个工作日", minimum=0,
              title_en="notice period in working days", description="公示开始至截止（含两端）的工作日数"),
        Field("signing_date", "合同签订日期", type="date", title_en="contract signing date"),
        Field("contract_on_time", "合同按时公开", type="boolean", title_en="contract published on time",
              description="项目合同是否在签订之日起2个工作日内公开；其他文件为空"),
        Field("url", "发布网址", pattern=r"https?://\S+", title_en="URL"),
        Field("sha256", "正文SHA-256", pattern=r"[0-9a-f]{64}", title_en="SHA-256 of the document text",
              description="正文按 UTF-8 编码的 SHA-256"),
    ),
)

PROJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "项目代码"),
    "project_name": ("项目名称",),
    "industry": ("所属行业", "行业", "一级行业"),
    "street": ("所在街乡", "所属街乡", "所在街道", "项目所在地"),
    "implementing_agency": ("实施机构", "项目实施机构"),
    "total_investment": ("项目总投资", "总投资", "项目总投资(万元)"),
    "operation_mode": ("运作方式",),
    "payment_mechanism": ("回报机制",),
    "cooperation_term_years": ("合作期限", "合作期限(年)"),
    "construction_years": ("建设期", "建设期(年)"),
    "operation_years": ("运营期", "运营期(年)"),
    "stage": ("项目阶段", "所处阶段"),
    "private_partner": ("社会资本方", "中选社会资本"),
    "private_partner_uscc": ("社会资本方统一社会信用代码", "社会资本方信用代码"),
    "spv_name": ("项目公司", "项目公司名称"),
    "spv_uscc": ("项目公司统一社会信用代码", "项目公司信用代码"),
}

SOURCE_INPUTS = (
    InputDecl(
        "projects",
        columns=PROJECT_COLUMNS,
        optional_columns=("construction_years", "operation_years", "private_partner", "private_partner_uscc",
                          "spv_name", "spv_uscc"),
        description="PPP综合信息平台项目库导出 project list export (JSON, one per month)",
    ),
    InputDecl(
        "contributions",
        columns={
            "project_id": ("项目编号",),
            "as_of_date": ("截至日期", "截止日期", "统计截至日期"),
            "capital": ("项目资本金(万元)", "项目资本金", "资本金"),
            "government_contribution": ("资本金出资(万元)/政府方出资", "资本金出资/政府方出资", "政府方出资",
                                        "政府方出资(万元)"),
            "private_contribution": ("资本金出资(万元)/社会资本出资", "资本金出资/社会资本出资", "社会资本出资",
                                     "社会资本方出资", "社会资本出资(万元)"),
            "debt_financing": ("债务融资(万元)", "债务融资"),
        },
        optional_columns=("debt_financing",),
        description="出资情况表 contributions (xlsx, one per month)",
    ),
    InputDecl(
        "progress",
        columns={
            "project_id": ("项目编号",),
            "investment_month": ("本月完成投资(万元)", "本月完成投资"),
            "investment_cum": ("累计完成投资(万元)", "累计完成投资"),
            "progress_note": ("形象进度", "工程形象进度"),
            "report_date": ("填报日期", "报送日期"),
        },
        optional_columns=("investment_month", "progress_note", "report_date"),
        description="实施进度表 monthly progress (csv, GBK, one per month)",
    ),
    InputDecl(
        "procurement",
        columns={
            "project_id": ("项目编号",),
            "doc_type": ("公开文件类型", "文件类型", "信息类型"),
            "seq": ("文件序号", "批次"),
            "doc_title": ("文件标题", "标题"),
            "procurement_method": ("采购方式",),
            "publish_date": ("发布日期", "公告日期"),
            "notice_start": ("公示期/起始日期", "公示开始日期", "公示起始日期"),
            "notice_end": ("公示期/截止日期", "公示截止日期", "公示结束日期"),
            "signing_date": ("合同签订日期", "签订日期"),
            "url": ("发布网址", "链接", "网址"),
            "sha256": ("文件SHA-256", "SHA-256", "sha256"),
            "doc_text": ("正文", "文件正文"),
        },
        optional_columns=("seq", "notice_start", "notice_end", "signing_date", "url", "sha256", "doc_text"),
        required=False,
        description="采购信息公开台账 procurement documents published in the month (xls)",
    ),
)


class PppSource(Source):
    name = "ppp"
    title_zh = "政府和社会资本合作（PPP）项目"
    title_en = "public-private partnership (PPP) projects"
    datasets = (PROJECT, CONTRIBUTION, PROGRESS, PROCUREMENT_DOC)
    inputs = SOURCE_INPUTS
    options = {
        "doc_order": Option(list, list(DOC_TYPES), "文件类型的法定顺序 (legal order of the document types)"),
        "notice_working_days": Option(int, 5, "预中标/成交结果最短公示工作日数 (minimum notice, working days)"),
        "contract_working_days": Option(int, 2, "项目合同签订后公开期限 (working days to publish a signed contract)"),
        "history_months": Option(int, 36, "顺序检查回看的已发布月份数 (published months the order check looks back)"),
        "project_id_pattern": Option(
            str, PROJECT_ID_PATTERN, "项目编号的格式，正则表达式，整串匹配 (project ID format, a regex the whole ID must match)",
            check=regex_error,
        ),
    }

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        wanted = set(ctx.dataset_ids)
        _settings(ctx)  # a bad option fails before anything is read
        projects = ctx.read("projects").to_table()
        ctx.cache["projects"] = projects
        if "ppp_project" in wanted:
            yield Batch("ppp_project", _with_period(_project_rows(projects), ctx))
        if "ppp_contribution" in wanted:
            yield Batch("ppp_contribution", _with_period(ctx.read("contributions").to_table(), ctx))
        if "ppp_progress" in wanted:
            yield Batch("ppp_progress", _with_period(ctx.read("progress").to_table(), ctx))
        if "ppp_procurement_doc" in wanted and ctx.has_input("procurement"):
            yield Batch("ppp_procurement_doc", _with_period(_doc_rows(ctx.read("procurement").to_table()), ctx))

    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        settings = _settings(ctx)
        ids = ppp_checks.check_project_ids(table, settings.project_id_pattern)
        if dataset.id == "ppp_project":
            return [*ids, *ppp_checks.check_projects(table)]
        known = set(_total_investment(ctx))
        if dataset.id == "ppp_contribution":
            return [*ids, *ppp_checks.check_contributions(ctx, table, known)]
        if dataset.id == "ppp_progress":
            return [*ids, *ppp_checks.check_progress(ctx, dataset, table, known, settings)]
        if dataset.id == "ppp_procurement_doc":
            return [*ids, *ppp_checks.check_documents(ctx, table, known, settings)]
        return ids

    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        if table.num_rows == 0:
            return table
        if dataset.id == "ppp_progress":
            return ppp_checks.derive_progress(table, _total_investment(ctx))
        if dataset.id == "ppp_procurement_doc":
            return ppp_checks.derive_documents(table, _settings(ctx))
        return table




def _with_period(table: pa.Table, ctx: SourceContext) -> pa.Table:
    return table.append_column("period", pa.array([ctx.period.key] * table.num_rows, pa.string()))


def _replace(table: pa.Table, name: str, values: list[Any]) -> pa.Table:
    """Set a text column, keeping its field metadata: a pipeline's ``units:``
    for the column travels there (``source_unit``) from ``ctx.read``."""
    array = pa.array(values, pa.string())
    if name in table.column_names:
        old = table.schema.field(name)
        return table.set_column(table.column_names.index(name), pa.field(name, pa.string(), metadata=old.metadata), array)
    return table.append_column(name, array)


def _clean_texts(table: pa.Table, name: str) -> list[str | None]:
    if name not in table.column_names:
        return [None] * table.num_rows
    return [_clean_or_raw(v) for v in table.column(name).to_pylist()]


def _clean_or_raw(value: object) -> str | None:
    """clean_text, or the raw text when it cannot be cleaned (a control character):
    the normalize stage then rejects the cell with its reason."""
    try:
        return clean_text(value)
    except ValueError:
        return None if value is None else str(value)


def _project_rows(table: pa.Table) -> pa.Table:
    """Raw project records -> text the engine can type: years without 年,
    operation modes without spaces, codes upper-cased, street -> division code."""
    for name in ("cooperation_term_years", "construction_years", "operation_years"):
        if name in table.column_names:
            table = _replace(table, name, [_strip_suffix(v, "年") for v in _clean_texts(table, name)])
    table = _replace(table, "operation_mode", [
        None if v is None else v.replace(" ", "").upper() for v in _clean_texts(table, "operation_mode")
    ])
    for name in ("private_partner_uscc", "spv_uscc"):
        if name in table.column_names:
            table = _replace(table, name, [None if v is None else normalize_uscc(v) for v in _clean_texts(table, name)])
    codes = division_codes(_clean_texts(table, "street"))  # check_projects names unknown streets
    return _replace(table, "division_code", codes)


def _strip_suffix(text: str | None, suffix: str) -> str | None:
    return text[: -len(suffix)].strip() if text and text.endswith(suffix) else text


def _doc_rows(table: pa.Table) -> pa.Table:
    """Document types to their canonical names, seq defaulting to 1, and the
    sha256 taken from the text when the department did not give it."""
    # to_halfwidth: 预中标／成交结果 typed with a full-width slash is the same type
    types = [
        None if v is None else DOC_TYPE_ALIASES.get(to_halfwidth(v).replace(" ", "").lower(), v)
        for v in _clean_texts(table, "doc_type")
    ]
    table = _replace(table, "doc_type", types)
    table = _replace(table, "seq", [v or "1" for v in _clean_texts(table, "seq")])
    given = [None if v is None else v.lower() for v in _clean_texts(table, "sha256")]
    texts = table.column("doc_text").to_pylist() if "doc_text" in table.column_names else [None] * table.num_rows
    digests = [g if g or not t else sha256_text(t) for g, t in zip(given, texts)]
    return _replace(table, "sha256", digests)


def _total_investment(ctx: SourceContext) -> dict[str, Decimal | None]:
    """Project id -> total investment in 万元 from this period's project list
    (the raw list: a project whose row was rejected for another reason still exists)."""
    if "total_investment" in ctx.cache:
        return ctx.cache["total_investment"]
    raw = ctx.cache["projects"] if "projects" in ctx.cache else ctx.read("projects").to_table()
    unit = ctx.source_unit("projects", "total_investment")
    out: dict[str, Decimal | None] = {}
    for pid, value in zip(_clean_texts(raw, "project_id"), raw.column("total_investment").to_pylist()):
        if not pid:
            continue
        try:
            out[pid] = parse_amount(value, unit="万元", default_unit=unit, scale=2)
        except NormalizeError:
            out[pid] = None
    ctx.cache["total_investment"] = out
    return out


def _settings(ctx: SourceContext) -> ppp_checks.Settings:
    if "settings" in ctx.cache:
        return ctx.cache["settings"]
    from gongkai_etl.workdays import WorkCalendar

    opts = ctx.options
    order = tuple(clean_text(x) or "" for x in opts.get("doc_order") or DOC_TYPES)
    if sorted(order) != sorted(DOC_TYPES):
        raise ConfigError(
            f"source.options.doc_order: 应为以下六类文件的一个排列 (must list each of these once): {', '.join(DOC_TYPES)}; "
            f"got {order}"
        )
    settings = ppp_checks.Settings(
        order=order,
        notice_days=int(opts.get("notice_working_days", 5)),
        contract_days=int(opts.get("contract_working_days", 2)),
        history_months=int(opts.get("history_months", 36)),
        project_id_pattern=str(opts.get("project_id_pattern") or PROJECT_ID_PATTERN),
        calendar=WorkCalendar.load(ctx.pipeline_dir),
    )
    ctx.cache["settings"] = settings
    return settings


@hookimpl
def register_sources() -> list[Source]:
    return [PppSource()]
