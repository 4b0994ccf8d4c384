"""Units from headers (issue 16 item 2): a header that says 元 is converted to the
field's 万元 with no `units:`, the conversion is reported, and a `units:` that
contradicts the header is refused."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from support import forget_declared, grants_project, read_published_rows

from gongkai_etl.contracts import InputDecl
from gongkai_etl.errors import InputError
from gongkai_etl.extract.headers import header_unit, match_columns
from gongkai_etl.extract.mapping import column_units, map_input
from gongkai_etl.periods import parse_periods
from gongkai_etl.run.runner import run_pipeline
from gongkai_etl.spec import InputSpec, load_pipeline


@pytest.fixture(autouse=True)
def _forget_declared():  # noqa: ANN202 - a fixture
    """These tests declare datasets in-process: leave the registry as found."""
    yield
    forget_declared("grants", "subsidies")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("金额（元）", ("金额", "元")),
        ("金额(万元)", ("金额", "万元")),
        ("投资（亿元）", ("投资", "亿元")),
        ("PM2.5(μg/m³)", ("PM2.5", "μg/m³")),
        ("CO（mg/m³）", ("CO", "mg/m³")),
        ("占比（％）", ("占比", "%")),
        ("户数(户)", ("户数", "户")),
        ("人数（人）", ("人数", "人")),
        ("金额/元", ("金额", "元")),
        ("PM2.5/μg/m³", ("PM2.5", "μg/m³")),
        ("金额 单位：元", ("金额", "元")),
        ("建设地点（街乡）", ("建设地点（街乡）", None)),
        ("2016年/本年数", ("2016年/本年数", None)),
    ],
)
def test_header_unit_reads_the_forms_departments_use(header: str, expected: tuple[str, str | None]) -> None:
    assert header_unit(header) == expected


def test_a_header_with_a_unit_answers_to_its_bare_name() -> None:
    mapped, missing, unexpected = match_columns(["单位编码", "金额（元）"], {"unit_code": ("单位编码",), "amount": ("金额",)}, {})
    assert mapped == {"unit_code": "单位编码", "amount": "金额（元）"} and not missing and not unexpected


def test_a_units_entry_contradicting_the_header_names_both() -> None:
    decl = InputDecl("grants", {"amount": ("金额",)})
    spec = InputSpec("grants", units={"amount": "万元"})
    report = map_input("grants", "/raw/g.xlsx", ["金额（元）"], decl, spec)
    with pytest.raises(InputError) as err:
        column_units(report, spec)
    text = str(err.value)
    assert "/raw/g.xlsx" in text and "amount" in text and "元" in text and "万元" in text and "金额（元）" in text


def test_a_yuan_header_is_published_as_wanyuan_without_units(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "金额（元）", "受益户数（户）"],
                              [["101", "1,234,500", 12], ["102", 80000, 3]])
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code == 0, [p.error for p in report.periods]
    rows = {r["unit_code"]: r for r in read_published_rows(tmp_path / "out", "grants", "2016")}
    assert rows["101"]["amount"] == Decimal("123.45") and rows["102"]["amount"] == Decimal("8.00")
    assert rows["101"]["households"] == 12
    package = json.loads((tmp_path / "out" / "grants" / "datapackage.json").read_text(encoding="utf-8"))
    conversions = [r["gongkai:unitConversions"] for r in package["resources"] if "gongkai:unitConversions" in r]
    assert conversions and conversions[0] == [
        {"input": "grants", "column": "amount", "header": "金额（元）", "from": "元", "by": "header", "to": "万元"}
    ]


def test_a_contradicting_units_entry_is_refused(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "金额（元）"], [["101", 1000]],
                              inputs_extra="    units: {amount: 万元}\n")
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code != 0
    error = report.periods[0].error or ""
    assert "grants_2016.xlsx" in error and "amount" in error and "元" in error and "units.amount" in error
    assert not (tmp_path / "out" / "grants" / "datapackage.json").exists()


def test_a_label_unit_that_is_not_the_fields_is_an_error(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "金额", "受益户数（人）"], [["101", 10, 3]])
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code != 0
    assert "人" in (report.periods[0].error or "") and "户" in (report.periods[0].error or "")


def _sangong_in_yuan(src: Path, dst: Path) -> None:
    """The sample 三公 workbook as a department on the old system sends it: the amount
    headers say （元）, the amounts are in 元, and no 单位： line says anything."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb.active
    for row in ws.iter_rows(min_row=2, max_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("单位："):
                cell.value = None
    ws["C3"], ws["D3"] = "金额（元）", "上年金额（元）"
    for r in range(5, ws.max_row + 1):
        for col in ("C", "D"):
            value = ws[f"{col}{r}"].value
            if isinstance(value, (int, float)):
                ws[f"{col}{r}"] = round(value * 10000)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)


def test_a_sangong_table_with_a_yuan_header_publishes_in_wanyuan(tmp_path: Path) -> None:
    from support import REPO

    name = "102001_区发展改革委_2016年三公经费预算.xlsx"
    _sangong_in_yuan(REPO / "sample_data" / "public_expenditure" / "2016" / name, tmp_path / "raw" / "2016" / name)
    (tmp_path / "pe.yaml").write_text(
        "pipeline: pe\nsource:\n  plugin: public_expenditure\n  options: {check_prior_year: false}\n"
        "inputs:\n  submissions:\n    path: raw/{year}/*.xlsx\n    options: {totals: \"off\"}\n"
        "    columns: {this_year: 金额}\n"  # the department's own word, as in the issue
        "datasets: [pe_sangong]\nperiods: 2016\noutput:\n  dir: out\n",
        encoding="utf-8",
    )
    report = run_pipeline(load_pipeline(tmp_path / "pe.yaml"), parse_periods("2016"))
    assert report.exit_code == 0, [p.error for p in report.periods]
    rows = read_published_rows(tmp_path / "out", "pe_sangong", "2016")
    amounts = sorted((r["amount"], r["amount_prior"]) for r in rows)
    # the sheet's 14.8 / 16.16 万元 (因公出国（境）费) and 41.75 / 41.34 (公务用车运行维护费), not 10,000 times too large
    assert (Decimal("14.80"), Decimal("16.16")) in amounts and (Decimal("41.75"), Decimal("41.34")) in amounts
    assert max(a for a, _ in amounts) < 100
    package = json.loads((tmp_path / "out" / "pe_sangong" / "datapackage.json").read_text(encoding="utf-8"))
    converted = {(u["column"], u["from"]) for r in package["resources"] for u in r.get("gongkai:unitConversions", [])}
    assert converted == {("this_year", "元"), ("prior_year", "元")}


def test_a_units_entry_spelling_the_headers_unit_otherwise_agrees() -> None:
    decl = InputDecl("w", {"length_km": ("河长",)})
    spec = InputSpec("w", units={"length_km": "m"})
    report = map_input("w", "/raw/w.xlsx", ["河长(米)"], decl, spec)
    assert column_units(report, spec) == ({"length_km": "m"}, {})  # 米 is m: no contradiction
