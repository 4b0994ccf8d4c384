"""The black-and-odorous-water (黑臭水体) pipeline on its sample data.

Expected values are worked out here from the raw workbook (openpyxl) and the monitoring JSON
with our own reading, means, rounding and the DOMAIN.md severity thresholds, never with
plugins/water_bodies.py's functions (except the last test, which pins their boundaries).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from support import REPO, copy_project, read_published_rows, read_rejects, run_etl

SAMPLE = REPO / "sample_data" / "water_bodies"
PERIODS = ("2015H2", "2016H1", "2016H2")
# DOMAIN.md: 110105 + serial + 000
STREETS = {"来广营地区": "032", "十八里店地区": "028", "高碑店地区": "022", "孙河地区": "037", "安贞街道": "008",
           "东坝地区": "039", "八里庄街道": "015", "黑庄户地区": "040", "将台地区": "023", "崔各庄地区": "038"}
PLANTED = {("2016H1", "CY-HC-012"): "severity", ("2016H2", "CY-HC-001"): "street", ("2016H2", "CY-HC-006"): "target_date"}
# DOMAIN.md thresholds: light ranges, heavy side. Raw JSON key -> (published field, decimals).
KEYS = {"tmd": ("transparency_cm", 1), "rjy": ("do_mg_l", 2), "orp": ("orp_mv", 1), "ad": ("nh3n_mg_l", 2)}
LIGHT = {"tmd": (10, 25), "rjy": (Decimal("0.2"), Decimal("2.0")), "orp": (-200, 50), "ad": (8, 15)}
HEAVY_BELOW = {"tmd": True, "rjy": True, "orp": True, "ad": False}


# --- independent reference ---------------------------------------------------------------------
def ref_grade(values: dict[str, Decimal]) -> str | None:
    if not values:
        return None
    grades = []
    for key, v in values.items():
        lo, hi = LIGHT[key]
        if (v < lo) if HEAVY_BELOW[key] else (v > hi):
            grades.append("重度黑臭")
        elif lo <= v <= hi:
            grades.append("轻度黑臭")
    return "重度黑臭" if "重度黑臭" in grades else "轻度黑臭" if grades else "无黑臭"


def half(period: str) -> tuple[date, date]:
    year, h = int(period[:4]), int(period[-1])
    return (date(year, 1, 1), date(year, 6, 30)) if h == 1 else (date(year, 7, 1), date(year, 12, 31))


def ref_samples(period: str) -> list[dict[str, Any]]:
    doc = json.loads((SAMPLE / f"水质监测_{period}.json").read_text(encoding="utf-8"))
    start, end = half(period)
    out = []
    for rec in doc["data"]["list"]:
        when = datetime.strptime(rec["sampleTime"], "%Y-%m-%d %H:%M:%S")
        if start <= when.date() <= end:
            out.append({"id": rec["waterBodyCode"], "time": when, **{k: Decimal(str(rec[k])) for k in KEYS}})
    return out


def ref_date(cell: Any) -> date | None:
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    m = re.fullmatch(r"(\d{4})[年/](\d{1,2})[月/](\d{1,2})日?", str(cell))
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None  # 2016年11月31日


def ref_list(period: str) -> dict[str, dict[str, Any]]:
    ws = openpyxl.load_workbook(SAMPLE / f"黑臭水体名单_{period}.xlsx").active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    top, sub = rows[2], rows[3]
    col = {(s or t): i for i, (t, s) in enumerate(zip(top, sub))}
    out = {}
    for r in rows[4:]:
        if r[0] == "合计":
            continue
        out[r[col["水体编号"]]] = {k: r[i] for k, i in col.items()}
    return out


def ref_means(period: str) -> dict[str, dict[str, Any]]:
    by_body: dict[str, list[dict[str, Any]]] = {}
    for s in ref_samples(period):
        by_body.setdefault(s["id"], []).append(s)
    out = {}
    for bid, samples in by_body.items():
        rec: dict[str, Any] = {"samples": len(samples)}
        raw_means = {}
        for key, (field, places) in KEYS.items():
            mean = sum((s[key] for s in samples), Decimal(0)) / len(samples)
            rec[field] = mean.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
            raw_means[key] = rec[field]
        rec["assessed_severity"] = ref_grade(raw_means)
        out[bid] = rec
    return out


# --- running -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("wb"))
    result = run_etl("run", str(root / "pipelines/water_bodies.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "output"




VARIANT = """\
pipeline: wb_variant
source: {{plugin: water_bodies}}
inputs:
  water_bodies:
    path: ../variant/黑臭水体名单_{{period}}.xlsx
{extra}
  monitoring:
    path: ../sample_data/water_bodies/水质监测_{{period}}.json
datasets: [wb_water_body, wb_progress, wb_monitoring]
periods: {periods}
output: {{dir: ../output_variant, formats: [parquet]}}
max_reject_ratio: 0.1
# per dataset (issue 17): about 12 rows a half-year, where the planted rows are a larger share
reject_ratios: {{wb_water_body: 0.25, wb_progress: 0.25}}
"""


def _variant(project: Path, periods: str, extra: str = "") -> Path:
    path = project / "pipelines" / "wb_variant.yaml"
    path.write_text(VARIANT.format(extra=extra, periods=periods), encoding="utf-8")
    return path


def _edit_list(project: Path, period: str, edit: Any) -> None:
    wb = openpyxl.load_workbook(project / "sample_data/water_bodies" / f"黑臭水体名单_{period}.xlsx")
    edit(wb.active)
    (project / "variant").mkdir(exist_ok=True)
    wb.save(project / "variant" / f"黑臭水体名单_{period}.xlsx")


def _row_of(ws: Any, body_id: str) -> int:
    return next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).value == body_id)


# --- tests -------------------------------------------------------------------------------------
@pytest.mark.parametrize("period", PERIODS)
def test_water_body_list_matches_raw(published: Path, period: str) -> None:
    raw, means = ref_list(period), ref_means(period)
    got = {r["water_body_id"]: r for r in read_published_rows(published, "wb_water_body", period)}
    assert set(got) == {bid for bid in raw if (period, bid) not in PLANTED}
    for bid, g in got.items():
        r = raw[bid]
        assert g["period"] == period and g["name"] == r["水体名称"] and g["street"] == r["所在街乡"].strip()
        assert g["division_code"] == f"110105{STREETS[r['所在街乡'].strip()]}000"
        assert (g["water_type"], g["severity"], g["status"]) == (r["水体类型"], r["黑臭级别"], r["治理状态"])
        assert (g["responsible_person"], g["responsible_title"]) == (r["姓名"], r["职务"])  # officials in full
        assert g["target_date"] == ref_date(r["计划完成时限"])
        length = None if r["长度(km)"] is None else Decimal(repr(r["长度(km)"])).quantize(Decimal("0.01"))
        area = None if r["面积(km²)"] is None else Decimal(repr(r["面积(km²)"])).quantize(Decimal("0.0001"))
        assert (g["length_km"], g["area_km2"]) == (length, area)
        for field, value in means[bid].items():
            assert g[field] == value, (bid, field)
        if g["status"] in ("方案制定", "治理中"):
            assert g["assessed_severity"] == g["severity"]
    assert "responsible_phone" not in next(iter(got.values()))


@pytest.mark.parametrize("period", PERIODS)
def test_progress_matches_raw(published: Path, period: str) -> None:
    raw = ref_list(period)
    got = {r["water_body_id"]: r for r in read_published_rows(published, "wb_progress", period)}
    assert set(got) == set(raw)
    for bid, g in got.items():
        r = raw[bid]
        assert g["status"] == r["治理状态"] and g["completed_measures"] == r["已完成措施"]
        assert g["investment_cum"] == Decimal(repr(r["累计完成投资(万元)"])).quantize(Decimal("0.01"))
        assert g["planned_investment"] == Decimal(r["计划投资(万元)"])
        assert g["progress_pct"] == Decimal(repr(r["完成比例(%)"])).quantize(Decimal("0.1"))
        assert g["completion_date"] == ref_date(r["完成日期"])


def test_monitoring_samples_and_stale_record(published: Path) -> None:
    for period in PERIODS:
        got = read_published_rows(published, "wb_monitoring", period)
        want = ref_samples(period)
        assert len(got) == len(want)
        assert {(r["water_body_id"], r["sample_time"]) for r in got} == {(s["id"], s["time"]) for s in want}
        for r in got:
            assert r["assessed_severity"] == ref_grade({k: r[f] for k, (f, _) in KEYS.items()})
    stale = read_rejects(published, "wb_monitoring", "2016H2")
    assert [(r["field"], r["value"]) for r in stale] == [("sample_time", "2016-06-28 10:15:00")]
    assert "2016H2" in stale[0]["reason"]


def test_planted_dirty_rows_land_inread_rejects(published: Path) -> None:
    assert read_rejects(published, "wb_water_body", "2015H2") == []
    for (period, bid), field in PLANTED.items():
        raw = ref_list(period)[bid]
        hits = [r for r in read_rejects(published, "wb_water_body", period) if r["field"] == field]
        assert len(hits) == 1, (period, field)
        assert int(hits[0]["row"]) == 5 + list(ref_list(period)).index(bid)
        assert hits[0]["reason"].count("(") >= 1  # Chinese, then English in brackets
        if field == "street":
            assert hits[0]["value"] == raw["所在街乡"] == "北苑地区"
    severity = read_rejects(published, "wb_water_body", "2016H1")[0]
    assert severity["value"] == "轻度黑臭" and "do_mg_l" in severity["reason"] and "溶解氧" in severity["reason"]
    assert "重度黑臭" in severity["reason"]
    assert ref_means("2016H1")["CY-HC-012"]["do_mg_l"] < Decimal("0.2")
    date_reject = next(r for r in read_rejects(published, "wb_water_body", "2016H2") if r["field"] == "target_date")
    assert date_reject["value"] == "2016年11月31日"
    for period in PERIODS:
        assert read_rejects(published, "wb_progress", period) == []


def test_phone_numbers_are_never_published(published: Path) -> None:
    raw = ref_list("2016H1")
    phones = [str(r["联系电话"]) for r in raw.values()]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)  # the raw list does hold them
    for path in published.rglob("*"):
        if path.is_file() and path.suffix in (".parquet", ".csv", ".json", ".html") and ".gongkai" not in path.parts:
            text = path.read_bytes().decode("utf-8", "replace")
            for phone in phones:
                assert phone not in text, path
    names = {r["responsible_person"] for r in read_published_rows(published, "wb_water_body", "2016H1")}
    assert "张立军" in names and "王海涛" in names  # officials are named in full


def test_progress_checks_status_and_cumulative(project: Path, etl) -> None:
    def edit(ws: Any) -> None:
        r = _row_of(ws, "CY-HC-002")
        ws.cell(r, 20).value = 10.0  # 累计完成投资 below 2015H2's
        r = _row_of(ws, "CY-HC-008")  # 完成治理 in 2016H1
        ws.cell(r, 21).value = 90.0
        ws.cell(r, 22).value = None

    _edit_list(project, "2015H2", lambda ws: None)
    _edit_list(project, "2016H1", edit)
    result = etl("run", str(_variant(project, "2015H2..2016H1")))
    assert result.returncode == 0, result.stdout + result.stderr
    rejects = read_rejects(project / "output_variant", "wb_progress", "2016H1")
    got = {(r["field"], r["row"]) for r in rejects}
    raw = list(ref_list("2016H1"))
    row2, row8 = str(5 + raw.index("CY-HC-002")), str(5 + raw.index("CY-HC-008"))
    assert got == {("investment_cum", row2), ("progress_pct", row8), ("completion_date", row8)}
    cum = next(r for r in rejects if r["field"] == "investment_cum")
    assert "2015H2" in cum["reason"] and "累计" in cum["reason"]


def test_columns_and_units_mapping(project: Path, etl, published: Path) -> None:
    """Renamed headers and lengths in metres: mapped by `columns:` and `units:` in the pipeline."""

    def edit(ws: Any) -> None:
        renames = {"水体编号": "水体代码", "黑臭级别": "黑臭程度等级", "长度(km)": "河长(米)"}
        for c in range(1, ws.max_column + 1):
            cell = ws.cell(3, c)  # header row 1: each of these is the anchor of a vertical merge
            if cell.value in renames:
                cell.value = renames[cell.value]
        for r in range(5, ws.max_row + 1):
            value = ws.cell(r, 8).value
            if isinstance(value, float):
                ws.cell(r, 8).value = f"{Decimal(repr(value)) * 1000:,.0f}"  # 3,200 (m)

    _edit_list(project, "2016H1", edit)
    mapping = ("    columns: {water_body_id: 水体代码, severity: 黑臭程度等级, length_km: 河长(米)}\n"
               "    units: {length_km: m}")
    result = etl("run", str(_variant(project, "2016H1", mapping)))
    assert result.returncode == 0, result.stdout + result.stderr
    for dataset in ("wb_water_body", "wb_progress"):
        assert read_published_rows(project / "output_variant", dataset, "2016H1") == read_published_rows(published, dataset, "2016H1")
    def strip(rejects: list[dict[str, str]]) -> list[tuple[str, ...]]:
        return [(r["row"], r["field"], r["value"], r["reason"]) for r in rejects]

    assert strip(read_rejects(project / "output_variant", "wb_water_body", "2016H1")) == strip(
        read_rejects(published, "wb_water_body", "2016H1"))

    result = etl("run", str(_variant(project, "2016H1")))  # the same file without the mapping
    assert result.returncode == 2, result.stdout + result.stderr
    assert "缺少必需的列" in result.stderr and "water_body_id" in result.stderr and "水体代码" in result.stderr


def test_severity_rules_at_the_thresholds() -> None:
    from gongkai_etl_plugins.water_bodies import assess, severity_reason

    d = Decimal
    assert assess({"transparency_cm": d("9.9")})[0] == "重度黑臭"
    assert assess({"transparency_cm": d("10.0")})[0] == "轻度黑臭"
    assert assess({"transparency_cm": d("25.0")})[0] == "轻度黑臭"
    assert assess({"transparency_cm": d("25.1")})[0] == "无黑臭"
    assert assess({"do_mg_l": d("0.19"), "nh3n_mg_l": d("9")})[0] == "重度黑臭"
    assert assess({"orp_mv": d("-200.1")})[0] == "重度黑臭" and assess({"orp_mv": d("50")})[0] == "轻度黑臭"
    assert assess({"nh3n_mg_l": d("15.01")})[0] == "重度黑臭" and assess({"nh3n_mg_l": d("7.99")})[0] == "无黑臭"
    assert assess({})[0] is None
    severity, graded = assess({"do_mg_l": d("1.5"), "orp_mv": d("-250")})
    reason = severity_reason("轻度黑臭", severity, graded)
    assert severity == "重度黑臭" and "orp_mv" in reason and "氧化还原电位" in reason and "do_mg_l" not in reason
    severity, graded = assess({"do_mg_l": d("1.5"), "transparency_cm": d("30")})
    reason = severity_reason("重度黑臭", severity, graded)
    assert severity == "轻度黑臭" and "do_mg_l" in reason and "transparency_cm" not in reason
