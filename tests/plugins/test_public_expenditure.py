"""The three-public-expenditure (三公经费) pipeline on its sample data.

Expected values are worked out here from the raw workbooks with openpyxl / xlrd and a few
lines of our own (title and unit parsing, item names, 元 -> 万元, rounding half up, change %),
never with plugins/public_expenditure.py.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlrd
from support import REPO, copy_project, read_published_rows, read_rejects, run_etl

SAMPLE = REPO / "sample_data" / "public_expenditure"
YEARS = ("2014", "2015", "2016")
CENT = Decimal("0.01")
# DOMAIN.md: 部门经济分类 codes, and the 2018 政府经济分类 codes (purchase: 50403, 50303 accepted).
CODES = {"因公出国(境)费": ("30212", "50207"), "公务用车购置": ("31013", "50403"),
         "公务用车运行维护费": ("30231", "50208"), "公务接待费": ("30217", "50206")}
PLANTED = {  # (year, dept, version, item) -> (field, words the reason must contain)
    ("2015", "125001", "决算", "公务接待费"): ("amount", "最小值"),
    ("2016", "108001", "预算", "合计"): ("amount", "不等于"),
    ("2016", "127001", "决算", "因公出国(境)费"): ("econ_code", "30211"),
}


# --- independent reference ---------------------------------------------------------------------
def ref_item(name: str) -> str:
    s = unicodedata.normalize("NFKC", name)
    if "合计" in s:
        return "合计"
    if "出国" in s:
        return "因公出国(境)费"
    if "购置及运行" in s:
        return "公务用车购置及运行费"
    if "购置" in s:
        return "公务用车购置"
    if "运行" in s:
        return "公务用车运行维护费"
    if "接待" in s:
        return "公务接待费"
    raise AssertionError(f"unexpected item {name!r}")


def ref_number(cell: Any) -> Decimal | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, float):
        return Decimal(repr(cell))
    return Decimal(unicodedata.normalize("NFKC", str(cell)).replace(",", "").strip())


def ref_sheet(path: Path) -> list[list[Any]]:
    if path.suffix == ".xls":
        sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
        return [sheet.row_values(r) for r in range(sheet.nrows)]
    return [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def ref_file(path: Path) -> dict[str, Any]:
    rows = ref_sheet(path)
    title = str(rows[0][0])
    m = re.search(r"(\d{4})年“三公”经费(预算|决算)", title)
    assert m, title
    line2 = " ".join(str(c) for c in rows[1] if c)
    code = re.search(r"单位编码：(\d+)", line2)[1]
    unit = re.search(r"单位：(万元|元)", line2)[1]
    top, sub = rows[2], rows[3]
    names = [s or t for t, s in zip(top, sub)]
    col = {n: i for i, n in reversed(list(enumerate(names)))}
    factor = Decimal(1) / 10000 if unit == "元" else Decimal(1)
    items = {}
    for row in rows[4:]:
        if not any(c not in (None, "") for c in row):
            continue
        item = ref_item(row[col["项目"]])
        now, before = ref_number(row[col[f"本年{m[2]}数"]]), ref_number(row[col[f"上年{m[2]}数"]])
        items[item] = {
            "amount": (now * factor).quantize(CENT, ROUND_HALF_UP),
            "amount_prior": (before * factor).quantize(CENT, ROUND_HALF_UP),
            "quantity": None if row[col["数量"]] in (None, "") else int(row[col["数量"]]),
            "persons": None if row[col["人次"]] in (None, "") else int(row[col["人次"]]),
        }
    return {"year": m[1], "version": m[2], "dept": code, "unit": unit, "items": items}


@pytest.fixture(scope="module")
def reference() -> list[dict[str, Any]]:
    return [ref_file(p) for y in YEARS for p in sorted((SAMPLE / y).glob("*.xls*"))]


def expected_rows(ref: list[dict[str, Any]], year: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    out = {}
    for f in ref:
        if f["year"] != year:
            continue
        for item, v in f["items"].items():
            if (year, f["dept"], f["version"], item) in PLANTED:
                continue
            change = v["amount"] - v["amount_prior"]
            pct = None if v["amount_prior"] == 0 else (change * 100 / v["amount_prior"]).quantize(CENT, ROUND_HALF_UP)
            codes = CODES.get(item, (None, None))
            out[(f["dept"], f["version"], item)] = {
                "amount": v["amount"], "amount_prior": v["amount_prior"], "change_amount": change, "change_pct": pct,
                "econ_code": codes[0], "gov_econ_code": codes[1],
            }
    return out


# --- running -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("pe"))
    result = run_etl("run", str(root / "pipelines/public_expenditure.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "output"




VARIANT = """\
pipeline: pe_variant
source: {{plugin: public_expenditure, options: {{check_prior_year: {prior}}}}}
inputs:
  submissions:
    path: ../variant/{{year}}/*.xlsx
    options: {{totals: "off"}}
{extra}
datasets: [pe_sangong, pe_sangong_stats]
periods: "{periods}"
output: {{dir: ../output_variant, formats: [parquet]}}
max_reject_ratio: 0.5
"""


def _variant(project: Path, *, extra: str = "", periods: str = "2016", prior: str = "false") -> Path:
    path = project / "pipelines" / "pe_variant.yaml"
    path.write_text(VARIANT.format(extra=extra, periods=periods, prior=prior), encoding="utf-8")
    return path


def _as_xlsx(src: Path, dst: Path, edit: Any = None) -> None:
    """Copy a submission (xls or xlsx) to a plain xlsx, letting ``edit(rows)`` change cells."""
    rows = [list(r) for r in ref_sheet(src)]
    if edit:
        edit(rows)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append([None if c == "" else c for c in r])
    wb.save(dst)


# --- tests -------------------------------------------------------------------------------------
@pytest.mark.parametrize("year", YEARS)
def test_published_amounts_match_the_raw_workbooks(published: Path, reference: list[dict[str, Any]], year: str) -> None:
    got = {(r["dept_code"], r["version"], r["item"]): r for r in read_published_rows(published, "pe_sangong", year)}
    want = expected_rows(reference, year)
    assert set(got) == set(want)
    for key, w in want.items():
        g = got[key]
        assert g["period"] == year
        for field, value in w.items():
            assert g[field] == value, (key, field, g[field], value)
    assert {r["dept_code"] for r in got.values()} == {"102001", "108001", "113001", "125001", "127001", "132001", "140001", "151001"}


def test_legacy_xls_in_yuan_is_converted_to_wanyuan(published: Path, reference: list[dict[str, Any]]) -> None:
    raw = next(f for f in reference if f["dept"] == "151001" and f["year"] == "2016" and f["version"] == "预算")
    assert raw["unit"] == "元"
    rows = {r["item"]: r for r in read_published_rows(published, "pe_sangong", "2016") if r["dept_code"] == "151001" and r["version"] == "预算"}
    path = next((SAMPLE / "2016").glob("151001_*预算.xls"))
    total_yuan = ref_number(next(r for r in ref_sheet(path) if r[1] == "合计")[2])
    assert rows["合计"]["amount"] == (total_yuan / 10000).quantize(CENT) and rows["合计"]["amount"] < 100
    assert rows["合计"]["dept_name"] == "北京市朝阳区民政局"


def test_stats_are_the_counts_of_the_item_rows(published: Path, reference: list[dict[str, Any]]) -> None:
    for year in YEARS:
        got = {(r["dept_code"], r["version"]): r for r in read_published_rows(published, "pe_sangong_stats", year)}
        assert len(got) == 16
        for f in (f for f in reference if f["year"] == year):
            g, items = got[(f["dept"], f["version"])], f["items"]
            assert (g["trips"], g["travellers"]) == (items["因公出国(境)费"]["quantity"], items["因公出国(境)费"]["persons"])
            assert g["vehicles_bought"] == items["公务用车购置"]["quantity"]
            assert g["vehicles_held"] == items["公务用车运行维护费"]["quantity"]
            assert (g["receptions"], g["reception_persons"]) == (items["公务接待费"]["quantity"], items["公务接待费"]["persons"])


def test_planted_dirty_rows_land_inread_rejects(published: Path) -> None:
    assert read_rejects(published, "pe_sangong", "2014") == []
    for (year, dept, version, item), (field, words) in PLANTED.items():
        rejects = read_rejects(published, "pe_sangong", year)
        hits = [r for r in rejects if dept in r["file"] and version in r["file"] and r["field"] == field]
        assert len(hits) == 1, (year, dept, rejects)
        assert words in hits[0]["reason"] and "(" in hits[0]["reason"]  # Chinese first, English in brackets
    total = next(r for r in read_rejects(published, "pe_sangong", "2016") if r["field"] == "amount")
    assert "合计" in total["reason"] and "±0.01" in total["reason"] and total["row"] == "5"
    code = next(r for r in read_rejects(published, "pe_sangong", "2016") if r["field"] == "econ_code")
    assert code["value"] == "30211" and "30212" in code["reason"]
    assert sum(len(read_rejects(published, "pe_sangong", y)) for y in YEARS) == 3
    assert all(read_rejects(published, "pe_sangong_stats", y) == [] for y in YEARS)


def test_subtotal_and_prior_year_checks(project: Path, etl) -> None:
    """购置及运行 = 购置 + 运行; 上年数 must equal last year's published 本年数."""
    src14 = next((project / "sample_data/public_expenditure/2014").glob("113001_*预算.xlsx"))
    src15 = next((project / "sample_data/public_expenditure/2015").glob("113001_*预算.xlsx"))

    def bump_subtotal(rows: list[list[Any]]) -> None:
        row = next(r for r in rows if r[1] and "购置及运行" in str(r[1]))
        row[2] = float(Decimal(repr(row[2])) + Decimal("0.50"))

    def bump_prior(rows: list[list[Any]]) -> None:
        row = next(r for r in rows if r[1] and "接待" in str(r[1]))
        row[3] = float(Decimal(repr(row[3])) + Decimal("1.00"))
        rows[4][3] = float(Decimal(repr(rows[4][3])) + Decimal("1.00"))  # keep 合计 adding up

    _as_xlsx(src14, project / "variant/2014" / src14.name, bump_subtotal)
    _as_xlsx(src15, project / "variant/2015" / src15.name, bump_prior)
    result = etl("run", str(_variant(project, periods="2014..2015", prior="true")))
    assert result.returncode == 0, result.stdout + result.stderr
    out = project / "output_variant"
    sub = read_rejects(out, "pe_sangong", "2014")
    assert [(r["field"], r["row"]) for r in sub] == [("amount", "7")]
    assert "公务用车购置及运行费" in sub[0]["reason"] and "公务用车购置 + 公务用车运行维护费" in sub[0]["reason"]
    prior = read_rejects(out, "pe_sangong", "2015")
    assert {(r["field"], r["row"]) for r in prior} == {("amount_prior", "5"), ("amount_prior", "10")}
    assert all("2014" in r["reason"] and "上年数" in r["reason"] for r in prior)


def test_unit_from_the_title_row_without_pipeline_units(project: Path, etl, published: Path) -> None:
    for path in (project / "sample_data/public_expenditure/2016").glob("151001_*.xls"):
        _as_xlsx(path, project / "variant/2016" / (path.stem + ".xlsx"))
    result = etl("run", str(_variant(project)))
    assert result.returncode == 0, result.stdout + result.stderr
    got = read_published_rows(project / "output_variant", "pe_sangong", "2016")
    want = [r for r in read_published_rows(published, "pe_sangong", "2016") if r["dept_code"] == "151001"]
    assert got == want


def test_pipeline_units_and_columns_mapping(project: Path, etl, published: Path) -> None:
    """A 元 sheet without a unit line, with its own header names: mapped by `columns:` and `units:`."""
    renames = {"科目编码": "经济科目", "本年预算数": "今年安排", "上年预算数": "去年安排", "人次": "人数"}

    def edit(rows: list[list[Any]]) -> None:
        rows[1] = [c if "单位：" not in str(c) else None for c in rows[1]]  # no 单位：元 line
        rows[2] = [renames.get(c, c) for c in rows[2]]
        rows[3] = [renames.get(c, c) for c in rows[3]]

    src = next((project / "sample_data/public_expenditure/2016").glob("151001_*预算.xls"))
    _as_xlsx(src, project / "variant/2016" / (src.stem + ".xlsx"), edit)
    mapping = ("    columns: {econ_code: 经济科目, this_year: 今年安排, prior_year: 去年安排, persons: 人数}\n"
               "    units: {this_year: 元, prior_year: 元}")
    result = etl("run", str(_variant(project, extra=mapping)))
    assert result.returncode == 0, result.stdout + result.stderr
    got = read_published_rows(project / "output_variant", "pe_sangong", "2016")
    want = [r for r in read_published_rows(published, "pe_sangong", "2016") if r["dept_code"] == "151001" and r["version"] == "预算"]
    assert got == want
    stats = read_published_rows(project / "output_variant", "pe_sangong_stats", "2016")
    assert stats == [r for r in read_published_rows(published, "pe_sangong_stats", "2016") if r["dept_code"] == "151001" and r["version"] == "预算"]


def test_unit_conflict_and_missing_columns_are_clear_errors(project: Path, etl) -> None:
    src = next((project / "sample_data/public_expenditure/2016").glob("151001_*预算.xls"))
    _as_xlsx(src, project / "variant/2016" / (src.stem + ".xlsx"))
    result = etl("run", str(_variant(project, extra="    units: {this_year: 万元}")))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "单位：元" in result.stderr and "万元" in result.stderr and "151001" in result.stderr

    def drop_prior(rows: list[list[Any]]) -> None:
        for r in rows[2:]:
            del r[3]

    _as_xlsx(src, project / "variant/2016" / (src.stem + ".xlsx"), drop_prior)
    result = etl("run", str(_variant(project)))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "缺少必需的列" in result.stderr and "prior_year" in result.stderr and "上年预算数" in result.stderr


def _set_approval(text: str | None) -> Any:
    def edit(rows: list[list[Any]]) -> None:
        for row in rows[:3]:
            for k, cell in enumerate(row):
                if isinstance(cell, str) and cell.startswith("批复日期"):
                    row[k] = text
    return edit


def test_budget_and_final_accounts_are_each_due_20_days_after_their_approval(project: Path, etl) -> None:
    src = project / "sample_data/public_expenditure/2016"
    # The budget approved 2016-09-15: 20 days end on 10-05, inside the National Day holiday, so it
    # is due on the 调休 Saturday 10-08 (民法典 art. 203). The final accounts approved 2016-09-01
    # are due 09-21. A file without the 批复日期 line (last step) leaves its rows without a date.
    _as_xlsx(next(src.glob("113001_*预算.xlsx")), project / "variant/2016/113001_预算.xlsx", _set_approval("批复日期：2016年9月15日"))
    _as_xlsx(next(src.glob("113001_*决算.xlsx")), project / "variant/2016/113001_决算.xlsx", _set_approval("批复日期：2016-09-01"))
    result = etl("run", str(_variant(project)), "--as-of", "2016-10-08")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_published_rows(project / "output_variant", "pe_sangong", "2016")
    assert {(r["version"], str(r["approval_date"])) for r in rows} == {("预算", "2016-09-15"), ("决算", "2016-09-01")}
    out = result.stdout
    # six rows per version (合计, the four items, the 小计): the final accounts' six are late, the budget's are not
    assert "逐条时效 record deadlines (20 days after approval_date): 6 of 12 new records published after their deadline" in out
    assert "dept_code=113001, version=决算, item=公务接待费: approval_date 2016-09-01, due 2016-09-21, 17 days late" in out
    assert "1 of 2 new records published after their deadline" in out  # pe_sangong_stats: one row per version

    _as_xlsx(next(src.glob("113001_*预算.xlsx")), project / "variant/2016/113001_预算.xlsx", _set_approval(None))
    result = etl("run", str(_variant(project)), "--as-of", "2016-10-09")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_published_rows(project / "output_variant", "pe_sangong", "2016")
    assert {r["approval_date"] for r in rows if r["version"] == "预算"} == {None}
