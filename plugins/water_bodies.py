"""Black and odorous water bodies (黑臭水体): list, responsible persons, treatment progress.

Plan section 三(一): 公开本区城市建成区黑臭水体名单、责任人等信息，每半年向社会公开本区城市建成区
黑臭水体治理工作进展信息 (区水务局). Raw inputs as the water authority keeps them:

* the list workbook per half-year: a title row, a filing line, a two-row merged header
  (起止点 / 责任人 / 整治进展 groups) and a 合计 row; responsible persons' phone numbers are
  in it and are never published (dropped by the privacy policy);
* a JSON export of the monitoring system per half-year: one record per sampling point and
  time with transparency, dissolved oxygen, ORP and ammonia nitrogen.

Datasets (half-yearly):

* ``wb_water_body``: the list with the half-year's indicator means and the severity the
  indicators give; a body not yet treated (方案制定, 治理中) whose declared severity differs
  from its indicators is rejected, the reason naming the field and the indicator.
* ``wb_progress``: treatment progress per body (completed measures, investment, % complete).
* ``wb_monitoring``: the samples themselves; the means in ``wb_water_body`` use exactly the
  samples that pass this dataset's checks, so a bad sample is rejected, never dropped silently.

Severity thresholds (《城市黑臭水体整治工作指南》 2015, to verify; see THRESHOLDS): heavy if any
indicator is in the heavy range; light otherwise if any is in the light range; else none.
The guide grades each sampling point over repeated samples; here the half-year mean of the
samples (option ``indicator_aggregate: mean``, or ``latest`` for the last sampling day) is
graded, which consumers can reproduce from the published figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa

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
from gongkai_etl.divisions import division_code
from gongkai_etl.errors import ConfigError, NormalizeError
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.toolkit import normalize_and_validate, text_cell

PUBLISHER = "北京市朝阳区水务局 (Chaoyang District Water Authority)"
DOMAIN = "黑臭水体 black and odorous water bodies"
HEAVY, LIGHT, NONE = "重度黑臭", "轻度黑臭", "无黑臭"
SEVERITIES = (LIGHT, HEAVY)
WATER_TYPES = ("河流", "湖泊", "坑塘", "沟渠")
LINEAR_TYPES = ("河流", "沟渠")  # measured by length; the others by area
STATUSES = ("方案制定", "治理中", "完成治理", "长制久清")
NOT_YET_TREATED = ("方案制定", "治理中")
DONE = ("完成治理", "长制久清")
AGGREGATES = ("mean", "latest")


@dataclass(frozen=True)
class Threshold:
    """Light range (inclusive) and heavy side of one indicator."""

    field: str
    zh: str
    en: str
    unit: str
    light_low: Decimal
    light_high: Decimal
    heavy_below: bool  # heavy is below light_low (else above light_high)

    def grade(self, value: Decimal | None) -> str | None:
        if value is None:
            return None
        if (value < self.light_low) if self.heavy_below else (value > self.light_high):
            return HEAVY
        if self.light_low <= value <= self.light_high:
            return LIGHT
        return NONE

    def describe(self, value: Decimal) -> tuple[str, str]:
        """('溶解氧(do_mg_l) 0.15 mg/L < 0.2', 'dissolved oxygen do_mg_l 0.15 mg/L < 0.2') for reasons."""
        g = self.grade(value)
        if g == LIGHT:
            zh, en = f"在 {self.light_low}~{self.light_high} 之间", f"within {self.light_low}..{self.light_high}"
        else:
            heavy_side = (g == HEAVY) == self.heavy_below
            op, bound = ("<", self.light_low) if heavy_side else (">", self.light_high)
            zh = en = f"{op} {bound}"
        return f"{self.zh}({self.field}) {value} {self.unit} {zh}", f"{self.en} {self.field} {value} {self.unit} {en}"


# 《城市黑臭水体整治工作指南》 (住建部 2015) table 1, to verify. Transparency: the guide takes 40 %
# of the water depth when the water is shallower than 25 cm; depth is not in the inputs.
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("transparency_cm", "透明度", "transparency", "cm", Decimal(10), Decimal(25), True),
    Threshold("do_mg_l", "溶解氧", "dissolved oxygen", "mg/L", Decimal("0.2"), Decimal("2.0"), True),
    Threshold("orp_mv", "氧化还原电位", "ORP", "mV", Decimal(-200), Decimal(50), True),
    Threshold("nh3n_mg_l", "氨氮", "ammonia nitrogen", "mg/L", Decimal("8.0"), Decimal(15), False),
)
INDICATORS = tuple(t.field for t in THRESHOLDS)
#: Decimals each published indicator mean is rounded to (grading uses the rounded figure).
SCALES = {"transparency_cm": 1, "do_mg_l": 2, "orp_mv": 1, "nh3n_mg_l": 2}


def assess(values: dict[str, Decimal | None]) -> tuple[str | None, list[tuple[Threshold, Decimal, str]]]:
    """(severity the indicators give, graded indicators). None when no indicator has a value."""
    graded = [(t, values[t.field], t.grade(values[t.field])) for t in THRESHOLDS if values.get(t.field) is not None]
    if not graded:
        return None, []
    grades = {g for _, _, g in graded}
    severity = HEAVY if HEAVY in grades else LIGHT if LIGHT in grades else NONE
    return severity, [(t, v, g) for t, v, g in graded if g is not None]


def severity_reason(declared: str, assessed: str, graded: list[tuple[Threshold, Decimal, str]]) -> str:
    """Why a declared severity does not match the indicators, naming the indicator fields."""
    if assessed == HEAVY:
        zh_head, en_head = "但监测指标属重度黑臭", "the indicators say 重度黑臭 (heavy)"
        shown = [t.describe(v) for t, v, g in graded if g == HEAVY]
    elif assessed == LIGHT:
        zh_head, en_head = "但没有指标达到重度黑臭，监测指标属轻度黑臭", "no indicator is heavy, the indicators say 轻度黑臭 (light)"
        shown = [t.describe(v) for t, v, g in graded if g == LIGHT]
    else:
        zh_head, en_head = "但各项监测指标均未达到黑臭", "no indicator is in the black-and-odorous range"
        shown = [t.describe(v) for t, v, _ in graded]
    zh = "；".join(z for z, _ in shown)
    en = "; ".join(e for _, e in shown)
    return f"黑臭级别为{declared}，{zh_head}：{zh} (declared severity {declared} does not match: {en_head}: {en})"


# --- datasets -----------------------------------------------------------------------------

PERIOD = period_field(Cadence.HALF_YEARLY, title_en="half-year")
BODY_ID = Field("water_body_id", "水体编号", required=True, pattern=r"[A-Za-z0-9][A-Za-z0-9_\-]{2,31}", title_en="water body id")
NAME = Field("name", "水体名称", required=True, title_en="water body name")
STATUS = Field("status", "治理状态", required=True, enum=STATUSES, title_en="treatment status")


def _indicator_fields() -> tuple[Field, ...]:
    return (
        Field("transparency_cm", "透明度", type="decimal", unit="cm", scale=1, minimum=0, title_en="transparency"),
        Field("do_mg_l", "溶解氧", type="decimal", unit="mg/L", scale=2, minimum=0, maximum=30, title_en="dissolved oxygen"),
        Field("orp_mv", "氧化还原电位", type="decimal", unit="mV", scale=1, minimum=-1000, maximum=1000, title_en="oxidation-reduction potential"),
        Field("nh3n_mg_l", "氨氮", type="decimal", unit="mg/L", scale=2, minimum=0, title_en="ammonia nitrogen (NH3-N)"),
    )


WATER_BODY = Dataset(
    id="wb_water_body",
    title_zh="朝阳区黑臭水体名单及责任人",
    title_en="Chaoyang black and odorous water bodies and responsible persons",
    description=(
        "城市建成区黑臭水体名单：位置、类型、起止点、长度或面积、黑臭级别、责任人及职务、责任单位、"
        "计划完成时限、治理状态和整治措施，以及本半年水质监测均值（透明度、溶解氧、氧化还原电位、氨氮）"
        "和据此判定的黑臭级别。责任人为公职人员，姓名公开；联系电话不公开。"
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("黑臭水体", "水环境", "河长", "责任人", "water quality"),
    cadence=Cadence.HALF_YEARLY,
    primary_key=("period", "water_body_id"),
    headline="length_km",
    fields=(
        PERIOD,
        BODY_ID,
        NAME,
        Field("street", "所在街乡", required=True, title_en="street or area"),
        division_code_field(
            required=False, description="所在街乡的12位统计用区划代码（2016版）；跨多个街乡时取第一个"),
        Field("water_type", "水体类型", required=True, enum=WATER_TYPES, title_en="type"),
        Field("start_point", "起点", title_en="start point"),
        Field("end_point", "终点", title_en="end point"),
        Field("length_km", "长度", type="decimal", unit="km", scale=2, minimum=0, title_en="length", description="河流、沟渠"),
        Field("area_km2", "面积", type="decimal", unit="km2", scale=4, minimum=0, title_en="area", description="湖泊、坑塘"),
        Field("severity", "黑臭级别", required=True, enum=SEVERITIES, title_en="severity (declared)"),
        Field("responsible_person", "责任人", required=True, title_en="responsible official"),
        Field("responsible_title", "责任人职务", title_en="official's position"),
        Field("responsible_unit", "责任单位", required=True, title_en="responsible unit"),
        Field("target_date", "计划完成时限", type="date", required=True, title_en="target date"),
        STATUS,
        Field("measures", "整治措施", title_en="measures"),
        *_indicator_fields(),
        Field("samples", "监测样本数", type="integer", minimum=0, title_en="samples in the half-year"),
        Field("assessed_severity", "指标判定级别", enum=(HEAVY, LIGHT, NONE), title_en="severity the indicators give",
              description="按本半年监测均值判定：任一指标达重度为重度黑臭，否则任一达轻度为轻度黑臭，否则无黑臭"),
    ),
    privacy={
        # Officials named as responsible persons are published in full (the plan asks for it);
        # their phone numbers never are. Free text is redacted in case a number slips in.
        "allow_names": ["responsible_person"],
        "drop": ["responsible_phone"],
        "mask": {"measures": "redact"},
    },
)

PROGRESS = Dataset(
    id="wb_progress",
    title_zh="朝阳区黑臭水体治理进展",
    title_en="Chaoyang black and odorous water bodies: treatment progress",
    description="每半年公开各黑臭水体治理状态、已完成措施、计划投资、累计完成投资和完成比例；累计数不减。",
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("黑臭水体", "治理进展", "progress"),
    cadence=Cadence.HALF_YEARLY,
    primary_key=("period", "water_body_id"),
    headline="investment_cum",
    fields=(
        PERIOD,
        BODY_ID,
        NAME,
        STATUS,
        Field("completed_measures", "已完成措施", title_en="completed measures"),
        Field("planned_investment", "计划投资", type="decimal", unit="万元", scale=2, minimum=0, title_en="planned investment"),
        Field("investment_cum", "累计完成投资", type="decimal", unit="万元", scale=2, minimum=0, required=True, title_en="investment to date"),
        Field("progress_pct", "完成比例", type="decimal", unit="%", scale=1, minimum=0, maximum=100, required=True, title_en="share complete"),
        Field("completion_date", "完成日期", type="date", title_en="completion date"),
    ),
    privacy={"mask": {"completed_measures": "redact"}},
)

MONITORING = Dataset(
    id="wb_monitoring",
    title_zh="朝阳区黑臭水体水质监测数据",
    title_en="Chaoyang black and odorous water bodies: monitoring samples",
    description="黑臭水体各监测点位的透明度、溶解氧、氧化还原电位和氨氮监测值及按单次样本判定的黑臭级别。",
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("黑臭水体", "水质监测", "溶解氧", "氨氮"),
    cadence=Cadence.HALF_YEARLY,
    primary_key=("period", "water_body_id", "point", "sample_time"),
    headline="do_mg_l",
    headline_agg="mean",
    fields=(
        PERIOD,
        BODY_ID,
        Field("point", "监测点位", required=True, title_en="sampling point"),
        Field("sample_time", "采样时间", type="datetime", required=True, title_en="sampling time"),
        *_indicator_fields(),
        Field("assessed_severity", "样本判定级别", enum=(HEAVY, LIGHT, NONE), title_en="severity of the sample"),
    ),
)


class WaterBodiesSource(Source):
    name = "water_bodies"
    title_zh = "黑臭水体"
    title_en = "black and odorous water bodies"
    datasets = (WATER_BODY, PROGRESS, MONITORING)
    inputs = (
        InputDecl(
            "water_bodies",
            columns={
                "water_body_id": ("水体编号", "编号"),
                "name": ("水体名称", "名称"),
                "street": ("所在街乡", "所属街乡", "所在街道(地区)", "街乡"),
                "water_type": ("水体类型", "类型"),
                "start_point": ("起止点/起点", "起点"),
                "end_point": ("起止点/终点", "终点"),
                "length_km": ("长度(km)", "长度(公里)", "长度"),
                "area_km2": ("面积(km²)", "面积(km2)", "面积(平方公里)", "面积"),
                "severity": ("黑臭级别", "黑臭程度", "黑臭等级"),
                "responsible_person": ("责任人/姓名", "河长/姓名", "责任人"),
                "responsible_title": ("责任人/职务", "河长/职务", "职务"),
                "responsible_phone": ("责任人/联系电话", "河长/联系电话", "联系电话", "电话"),
                "responsible_unit": ("责任单位", "牵头单位"),
                "target_date": ("计划完成时限", "完成时限", "计划完成时间"),
                "status": ("整治进展/治理状态", "治理状态", "整治状态"),
                "measures": ("整治措施", "主要措施", "治理措施"),
                "completed_measures": ("整治进展/已完成措施", "已完成措施", "已完成工程"),
                "planned_investment": ("计划投资(万元)", "计划投资", "总投资(万元)"),
                "investment_cum": ("整治进展/累计完成投资(万元)", "累计完成投资(万元)", "累计完成投资"),
                "progress_pct": ("整治进展/完成比例(%)", "完成比例(%)", "完成比例", "形象进度(%)"),
                "completion_date": ("整治进展/完成日期", "完成日期", "实际完成时间"),
            },
            optional_columns=("start_point", "end_point", "length_km", "area_km2", "responsible_title", "responsible_phone",
                              "measures", "completed_measures", "planned_investment", "completion_date"),
            description="黑臭水体名单及整治进展 (xlsx, one per half-year)",
        ),
        InputDecl(
            "monitoring",
            columns={
                "water_body_id": ("waterBodyCode", "stcd", "水体编号"),
                "point": ("pointName", "监测点位", "点位名称"),
                "sample_time": ("sampleTime", "采样时间", "监测时间"),
                "transparency_cm": ("tmd", "transparency", "透明度"),
                "do_mg_l": ("rjy", "dissolvedOxygen", "溶解氧"),
                "orp_mv": ("orp", "氧化还原电位"),
                "nh3n_mg_l": ("ad", "nh3n", "NH3-N", "氨氮"),
            },
            optional_columns=INDICATORS,
            required=False,
            description="水质监测系统导出 (JSON, one per half-year)",
        ),
    )
    options = {
        "indicator_aggregate": Option(
            str, "mean", "本半年指标取值：mean 全部样本均值，latest 最后一次采样日的均值 (how samples become the half-year's figure)"
        ),
    }

    # --- extract ---------------------------------------------------------------------------
    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        how = ctx.options.get("indicator_aggregate", "mean")
        if how not in AGGREGATES:
            raise ConfigError(f"source.options.indicator_aggregate: expected one of {', '.join(AGGREGATES)}, got {how!r}")
        period = ctx.period.key
        bodies = ctx.read("water_bodies").to_table()
        n = bodies.num_rows
        ids = [_clean(v) for v in bodies.column("water_body_id").to_pylist()]
        ctx.cache["known_ids"] = {i for i in ids if i}
        bodies = _set(bodies, "water_body_id", ids)
        bodies = _set(bodies, "period", [period] * n)

        monitoring = ctx.read("monitoring").to_table() if ctx.has_input("monitoring") else None
        means: dict[str, dict[str, Any]] = {}
        if monitoring is not None and monitoring.num_rows:
            monitoring = _set(monitoring, "water_body_id", [_clean(v) for v in monitoring.column("water_body_id").to_pylist()])
            monitoring = _set(monitoring, "period", [period] * monitoring.num_rows)
            means = _indicator_means(ctx, monitoring, how)

        wanted = set(ctx.dataset_ids)
        if WATER_BODY.id in wanted:
            table = bodies
            table = _set(table, "division_code", [_division(s)[0] for s in table.column("street").to_pylist()])
            for f in (*INDICATORS, "samples"):
                table = _set(table, f, [text_cell(means.get(i, {}).get(f)) for i in ids])
            yield Batch(WATER_BODY.id, table)
        if PROGRESS.id in wanted:
            yield Batch(PROGRESS.id, bodies)
        if MONITORING.id in wanted and monitoring is not None:
            yield Batch(MONITORING.id, monitoring)

    # --- check -----------------------------------------------------------------------------
    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        if table.num_rows == 0:
            return []
        c = table.to_pydict()
        rows, files = c[ROW_COLUMN], c.get(FILE_COLUMN) or [""] * table.num_rows
        out: list[Reject] = []

        def reject(i: int, field: str, value: Any, reason: str) -> None:
            out.append(Reject(i, rows[i], field, "" if value is None else str(value), reason, files[i]))

        if dataset.id == WATER_BODY.id:
            for i in range(table.num_rows):
                street = c["street"][i]
                if street and c["division_code"][i] is None:
                    reject(i, "street", street, _division(street)[1] or "未知的街道/地区 (unknown street)")
                kind = c["water_type"][i]
                if kind in LINEAR_TYPES and c["length_km"][i] is None:
                    reject(i, "length_km", None, f"{kind}须填写长度 (a {kind} needs its length in km)")
                elif kind in WATER_TYPES and kind not in LINEAR_TYPES and c["area_km2"][i] is None:
                    reject(i, "area_km2", None, f"{kind}须填写面积 (a {kind} needs its area in km²)")
                declared = c["severity"][i]
                if c["status"][i] in NOT_YET_TREATED and declared in SEVERITIES:
                    assessed, graded = assess({f: c[f][i] for f in INDICATORS})
                    if assessed is not None and assessed != declared:
                        reject(i, "severity", declared, severity_reason(declared, assessed, graded))
        elif dataset.id == PROGRESS.id:
            _check_progress(ctx, c, reject)
        elif dataset.id == MONITORING.id:
            for i, problem in _monitoring_problems(ctx, c):
                reject(i, *problem)
        return out

    # --- derive ----------------------------------------------------------------------------
    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        if dataset.id not in (WATER_BODY.id, MONITORING.id) or table.num_rows == 0:
            return table
        c = table.to_pydict()
        grades = [assess({f: c[f][i] for f in INDICATORS})[0] for i in range(table.num_rows)]
        return _set(table, "assessed_severity", grades)


def _check_progress(ctx: SourceContext, c: dict[str, list[Any]], reject: Any) -> None:
    """Status, completion date and never-decreasing cumulative figures; ``reject(i, field, value, reason)``."""
    period_end = ctx.period.end
    for i, status in enumerate(c["status"]):
        pct, done = c["progress_pct"][i], c["completion_date"][i]
        if status in DONE:
            if pct is not None and pct != 100:
                reject(i, "progress_pct", pct, f"治理状态为{status}，完成比例应为 100 (status {status} needs 100 % complete)")
            if done is None:
                reject(i, "completion_date", None, f"治理状态为{status}，须填写完成日期 (status {status} needs a completion date)")
        if done is not None and done > period_end:
            reject(i, "completion_date", done,
                   f"完成日期 {done} 晚于本期末 {period_end} (completion date after the end of the half-year)")
    previous = ctx.period.previous()
    before = ctx.published(PROGRESS.id, previous)
    if before is None or before.num_rows == 0:
        return
    p = before.to_pydict()
    last = {bid: j for j, bid in enumerate(p["water_body_id"])}
    for field in ("investment_cum", "progress_pct"):
        title = PROGRESS.field(field).title_zh
        for i, bid in enumerate(c["water_body_id"]):
            j = last.get(bid)
            now = c[field][i]
            if j is None or now is None or p[field][j] is None:
                continue
            if now < p[field][j]:
                reject(i, field, now,
                       f"{title} {now} 低于 {previous.key} 已公开的 {p[field][j]}，累计数不应减少 "
                       f"(cumulative {field} {now} below the {previous.key} figure {p[field][j]})")


def _monitoring_problems(ctx: SourceContext, c: dict[str, list[Any]]) -> list[tuple[int, tuple[str, Any, str]]]:
    """Samples outside the half-year or of a body not on this half-year's list."""
    known: set[str] = ctx.cache.get("known_ids", set())
    start, end = ctx.period.start, ctx.period.end
    out: list[tuple[int, tuple[str, Any, str]]] = []
    for i, (bid, when) in enumerate(zip(c["water_body_id"], c["sample_time"])):
        if when is not None and not start <= when.date() <= end:
            out.append((i, ("sample_time", when, f"采样时间不在 {ctx.period.key}（{start}～{end}）内 (sample outside the half-year)")))
        if bid and bid not in known:
            out.append((i, ("water_body_id", bid, "水体不在本期黑臭水体名单中 (water body not on this half-year's list)")))
    return out


def _indicator_means(ctx: SourceContext, monitoring: pa.Table, how: str) -> dict[str, dict[str, Any]]:
    """Per water body, the indicators of the samples that pass wb_monitoring's checks."""
    # The same typing the engine applies to wb_monitoring (units travel as column metadata).
    typed, rejects = normalize_and_validate(monitoring, MONITORING)
    c = typed.to_pydict()
    bad = {r.index for r in rejects} | {i for i, _ in _monitoring_problems(ctx, c)}
    samples: dict[str, list[int]] = {}
    for i, bid in enumerate(c["water_body_id"]):
        if i not in bad and bid:
            samples.setdefault(bid, []).append(i)
    out: dict[str, dict[str, Any]] = {}
    for bid, idx in samples.items():
        if how == "latest":
            last_day = max(c["sample_time"][i].date() for i in idx)
            idx = [i for i in idx if c["sample_time"][i].date() == last_day]
        rec: dict[str, Any] = {"samples": len(idx)}
        for f in INDICATORS:
            values = [c[f][i] for i in idx if c[f][i] is not None]
            rec[f] = _round(sum(values, Decimal(0)) / len(values), SCALES[f]) if values else None
        out[bid] = rec
    return out


def _round(value: Decimal, scale: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _division(street: Any) -> tuple[str | None, str | None]:
    """(12-digit code of the first street listed, error text)."""
    if street is None:
        return None, None
    first = str(street).replace("，", "、").replace(",", "、").split("、")[0].strip()
    try:
        return division_code(first), None
    except NormalizeError as exc:
        return None, str(exc)


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip().translate({0xFF0D: "-", 0x2014: "-", 0x2013: "-"})
    return text.upper() or None




def _set(table: pa.Table, name: str, values: list[Any]) -> pa.Table:
    array = pa.array(values)
    if array.type == pa.null():
        array = pa.array(values, pa.string())
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, array)
    return table.append_column(name, array)


@hookimpl
def register_sources() -> list[Source]:
    return [WaterBodiesSource()]


__all__ = ["WaterBodiesSource", "THRESHOLDS", "assess", "severity_reason"]
