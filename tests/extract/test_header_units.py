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
