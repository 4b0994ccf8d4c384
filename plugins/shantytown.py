"""Shantytown renovation (棚户区改造): project list, monthly progress, follow-up management.

Plan section 三(四)2: 按月公开棚户区改造项目建设进展、后期管理等信息. Raw inputs
as the housing commission keeps them: a project list workbook, a monthly
progress workbook with a title row, a two-row merged header and a 合计 row, and
a follow-up CSV from the streets (often GBK).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import (
    FILE_COLUMN,
    ROW_COLUMN,
    Batch,
    InputDecl,
    Reject,
    Source,
    SourceContext,
)
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.divisions import division_codes
from gongkai_etl.errors import NormalizeError
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.values import parse_int

PUBLISHER = "北京市朝阳区住房和城乡建设委员会 (Chaoyang District Housing and Urban-Rural Development Commission)"
PROJECT_ID = Field("project_id", "项目编号", required=True, pattern=r"CY-PG-\d{4}-\d{3}", title_en="project id")
DIVISION = division_code_field()

PROJECT = Dataset(
    id="shantytown_project",
    title_zh="朝阳区棚户区改造项目名单",
    title_en="Chaoyang shantytown renovation projects",
    description="棚户区改造项目名单：实施主体、类型、户数、安置方式、计划套数与总投资，按月更新。",
    publisher=PUBLISHER,
    domain="棚户区改造 shantytown renovation",
    keywords=("棚户区改造", "保障性安居工程", "shantytown"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id"),
    headline="total_investment",
    fields=(
        period_field(Cadence.MONTHLY),
        PROJECT_ID,
        Field("project_name", "项目名称", required=True, title_en="project name"),
        Field("street", "所属街乡", required=True, title_en="street or area"),
        DIVISION,
        Field("implementer", "实施主体", required=True, title_en="implementing body"),
        Field("project_type", "项目类型", required=True, enum=("城市棚户区", "城中村", "国有工矿"), title_en="type"),
        Field("households", "改造户数", type="integer", unit="户", required=True, minimum=1, title_en="households"),
        Field("resettlement_mode", "安置方式", required=True, enum=("实物安置", "货币补偿", "混合"), title_en="resettlement mode"),
        Field("planned_units", "计划安置房套数", type="integer", unit="套", minimum=0, title_en="planned units"),
        Field("total_investment", "总投资", type="decimal", unit="亿元", required=True, minimum=0, scale=2, title_en="total investment"),
        Field("start_date", "启动日期", type="date", title_en="start date"),
    ),
)

PROGRESS = Dataset(
    id="shantytown_progress",
    title_zh="朝阳区棚户区改造项目月度建设进展",
    title_en="Chaoyang shantytown renovation monthly progress",
    description="各棚改项目每月签约、搬迁、开工、竣工与累计完成投资；累计数逐月不减，签约户数不超过改造户数。",
    publisher=PUBLISHER,
    domain="棚户区改造 shantytown renovation",
    keywords=("棚户区改造", "建设进展", "shantytown", "progress"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id"),
    headline="investment_cum",
    fields=(
        period_field(Cadence.MONTHLY),
        PROJECT_ID,
        Field("signed_households", "累计签约户数", type="integer", unit="户", required=True, minimum=0, title_en="signed households (cumulative)"),
        Field("signed_pct", "签约比例", type="decimal", unit="%", minimum=0, maximum=100, scale=2, title_en="signed share"),
        Field("relocated_households", "累计搬迁户数", type="integer", unit="户", required=True, minimum=0, title_en="relocated households (cumulative)"),
        Field("units_started_month", "本月开工套数", type="integer", unit="套", minimum=0, title_en="units started this month"),
        Field("units_started_cum", "累计开工套数", type="integer", unit="套", required=True, minimum=0, title_en="units started (cumulative)"),
        Field("units_completed_cum", "累计竣工套数", type="integer", unit="套", required=True, minimum=0, title_en="units completed (cumulative)"),
        Field("investment_cum", "累计完成投资", type="decimal", unit="亿元", required=True, minimum=0, scale=2, title_en="investment completed (cumulative)"),
        Field("report_date", "填报日期", type="date", title_en="report date"),
    ),
)

FOLLOWUP = Dataset(
    id="shantytown_followup",
    title_zh="朝阳区棚户区改造后期管理情况",
    title_en="Chaoyang shantytown renovation follow-up management",
    description="棚改项目回迁安置、配套设施建设和不动产权证办理的月度情况。",
    publisher=PUBLISHER,
    domain="棚户区改造 shantytown renovation",
    keywords=("棚户区改造", "后期管理", "回迁安置"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "project_id"),
    headline="resettled_households",
    fields=(
        period_field(Cadence.MONTHLY),
        PROJECT_ID,
        Field("resettled_households", "累计回迁安置户数", type="integer", unit="户", required=True, minimum=0, title_en="resettled households (cumulative)"),
        Field("facilities_pct", "配套设施完成比例", type="decimal", unit="%", minimum=0, maximum=100, scale=1, title_en="facilities completed"),
        Field("deeds_issued", "累计办理产权证", type="integer", unit="本", minimum=0, title_en="title deeds issued (cumulative)"),
        Field("note", "备注", title_en="remarks"),
    ),
)

CUMULATIVE = {
    "shantytown_progress": ("signed_households", "relocated_households", "units_started_cum", "units_completed_cum", "investment_cum"),
    "shantytown_followup": ("resettled_households", "deeds_issued"),
}


class ShantytownSource(Source):
    name = "shantytown"
    title_zh = "棚户区改造"
    title_en = "shantytown renovation"
    datasets = (PROJECT, PROGRESS, FOLLOWUP)
    inputs = (
        InputDecl(
            "projects",
            columns={
                "project_id": ("项目编号", "编号"),
                "project_name": ("项目名称",),
                "street": ("所属街乡", "街乡", "所在街道", "街道(地区)"),
                "implementer": ("实施主体", "实施单位"),
                "project_type": ("项目类型", "类型"),
                "households": ("改造户数", "户数", "涉及户数"),
                "resettlement_mode": ("安置方式",),
                "planned_units": ("计划安置房套数", "安置房套数", "计划套数"),
                "total_investment": ("总投资(亿元)", "总投资", "项目总投资(亿元)"),
                "start_date": ("启动日期", "启动时间"),
            },
            optional_columns=("planned_units", "start_date"),
            per_period=False,
            description="项目清单 project list (xlsx)",
        ),
        InputDecl(
            "progress",
            columns={
                "project_id": ("项目编号", "编号"),
                "signed_households": ("签约情况/累计签约户数", "累计签约户数", "签约户数"),
                "relocated_households": ("搬迁情况/累计搬迁户数", "累计搬迁户数", "搬迁户数"),
                "units_started_month": ("开工情况/本月开工", "本月开工套数", "本月开工"),
                "units_started_cum": ("开工情况/累计开工", "累计开工套数", "累计开工"),
                "units_completed_cum": ("竣工情况/累计竣工", "累计竣工套数", "累计竣工"),
                "investment_cum": ("累计完成投资(亿元)", "累计完成投资"),
                "report_date": ("填报日期", "报送日期"),
            },
            optional_columns=("units_started_month", "report_date"),
            description="月度进展表 monthly progress (xlsx, one per month)",
        ),
        InputDecl(
            "followup",
            columns={
                "project_id": ("项目编号", "编号"),
                "resettled_households": ("累计回迁安置户数", "回迁安置户数"),
                "facilities_pct": ("配套设施完成比例(%)", "配套设施完成比例"),
                "deeds_issued": ("累计办理产权证(本)", "累计办理产权证"),
                "note": ("备注",),
            },
            optional_columns=("facilities_pct", "deeds_issued", "note"),
            required=False,
            description="后期管理表 follow-up (csv, one per month)",
        ),
    )

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        period = pa.scalar(ctx.period.key)
        projects = ctx.read("projects").to_table()
        ctx.cache["projects"] = projects
        codes = division_codes(projects.column("street").to_pylist())  # check() names unknown streets
        projects = projects.append_column("division_code", pa.array(codes, pa.string()))
        yield Batch("shantytown_project", _with_period(projects, period))
        if "shantytown_progress" in set(ctx.dataset_ids):
            progress = ctx.read("progress").to_table()
            yield Batch("shantytown_progress", _with_period(progress, period))
        if "shantytown_followup" in set(ctx.dataset_ids) and ctx.has_input("followup"):
            followup = ctx.read("followup").to_table()
            yield Batch("shantytown_followup", _with_period(followup, period))

    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        rejects: list[Reject] = []
        rows = table.column(ROW_COLUMN).to_pylist()
        files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else [""] * len(rows)
        if dataset.id == "shantytown_project":
            for i, (code, street) in enumerate(zip(table.column("division_code").to_pylist(), table.column("street").to_pylist())):
                if code is None and street:
                    rejects.append(Reject(i, rows[i], "street", street, "不是朝阳区的街道或地区 (not a Chaoyang street or area)", files[i]))
        if dataset.id == "shantytown_progress":
            households = _households(ctx)
            ids = table.column("project_id").to_pylist()
            signed = table.column("signed_households").to_pylist()
            relocated = table.column("relocated_households").to_pylist()
            for i, pid in enumerate(ids):
                total = households.get(pid)
                if total is None:
                    rejects.append(Reject(i, rows[i], "project_id", str(pid), "项目名单中没有此项目 (project not in the project list)", files[i]))
                    continue
                if signed[i] is not None and signed[i] > total:
                    rejects.append(Reject(i, rows[i], "signed_households", str(signed[i]), f"签约户数超过改造户数 {total} (signed households exceed the project's {total} households)", files[i]))
                if relocated[i] is not None and signed[i] is not None and relocated[i] > total:
                    rejects.append(Reject(i, rows[i], "relocated_households", str(relocated[i]), f"搬迁户数超过改造户数 {total} (relocated households exceed {total})", files[i]))
        if dataset.id in CUMULATIVE:
            rejects += _never_decreasing(ctx, dataset, table, CUMULATIVE[dataset.id], rows, files)
        return rejects

    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        if dataset.id != "shantytown_progress" or table.num_rows == 0:
            return table
        households = _households(ctx)
        total = pa.array([households.get(p) for p in table.column("project_id").to_pylist()], pa.float64())
        pct = pc.round(pc.multiply(pc.divide(table.column("signed_households").cast(pa.float64()), total), 100.0), 2)
        idx = table.column_names.index("signed_pct")
        return table.set_column(idx, "signed_pct", pct.cast(pa.decimal128(18, 2)))




def _with_period(table: pa.Table, period: pa.Scalar) -> pa.Table:
    return table.append_column("period", pa.array([period.as_py()] * table.num_rows, pa.string()))


def _households(ctx: SourceContext) -> dict[str, int]:
    """Households per project from this period's project list (typed)."""
    if "households" in ctx.cache:
        return ctx.cache["households"]
    raw = ctx.cache["projects"] if "projects" in ctx.cache else ctx.read("projects").to_table()
    out: dict[str, int] = {}
    for pid, h in zip(raw.column("project_id").to_pylist(), raw.column("households").to_pylist()):
        try:
            value = parse_int(h)
        except NormalizeError:
            continue
        if pid and value is not None:
            out[str(pid).strip()] = value
    ctx.cache["households"] = out
    return out


def _never_decreasing(
    ctx: SourceContext, dataset: Dataset, table: pa.Table, fields: tuple[str, ...], rows: list, files: list
) -> list[Reject]:
    """Cumulative fields may not fall below last month's published values."""
    previous = ctx.published(dataset.id, ctx.period.previous())
    if previous is None or previous.num_rows == 0:
        return []
    before = {pid: i for i, pid in enumerate(previous.column("project_id").to_pylist())}
    prev_cols = {f: previous.column(f).to_pylist() for f in fields}
    out: list[Reject] = []
    ids = table.column("project_id").to_pylist()
    for f in fields:
        now = table.column(f).to_pylist()
        for i, pid in enumerate(ids):
            j = before.get(pid)
            if j is None or now[i] is None or prev_cols[f][j] is None:
                continue
            if now[i] < prev_cols[f][j]:
                title = dataset.field(f).title_zh
                out.append(
                    Reject(i, rows[i], f, str(now[i]), f"{title}比上月 {prev_cols[f][j]} 减少 (cumulative value below last month's {prev_cols[f][j]})", files[i])
                )
    return out


@hookimpl
def register_sources() -> list[Source]:
    return [ShantytownSource()]
