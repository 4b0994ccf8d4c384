"""One complete mapping report (issue 16 item 5): a run that cannot map its
inputs lists every input's found, mapped, missing (with the accepted names and
the keys that would fix each) and unexpected columns at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import forget_declared, two_input_project

from gongkai_etl.contracts import InputDecl
from gongkai_etl.extract.mapping import map_input
from gongkai_etl.periods import parse_periods
from gongkai_etl.run.runner import run_pipeline
from gongkai_etl.spec import InputSpec, load_pipeline


@pytest.fixture(autouse=True)
def _forget_declared():  # noqa: ANN202 - a fixture
    """These tests declare datasets in-process: leave the registry as found."""
    yield
    forget_declared("grants", "subsidies")


def test_the_report_of_one_input_names_fixes_for_each_missing_column() -> None:
    decl = InputDecl("x", {"code": ("单位编码",), "amount": ("金额",), "street": ("街乡",)}, optional_columns=())
    report = map_input("x", "/raw/x.xlsx", ["单位编码", "拨款金额", "备注"], decl, InputSpec("x"), may_be_absent={"street"})
    assert report.mapped == {"code": "单位编码"}
    assert report.missing == ["amount", "street"]
    assert report.accepted["amount"] == ["amount", "金额"]
    assert report.unexpected == ["拨款金额", "备注"]
    amount_fixes = " ".join(report.fixes["amount"])
    street_fixes = " ".join(report.fixes["street"])
    assert "columns:" in amount_fixes and "fixed:" in amount_fixes and "reshape" in amount_fixes
    assert "not_provided" not in amount_fixes  # a required column cannot be declared absent
    assert "not_provided: [street]" in street_fixes
    text = "\n".join(report.lines())
    assert "拨款金额" in text and "缺少 (missing) amount" in text


def test_a_run_lists_both_inputs_missing_columns_at_once(tmp_path: Path) -> None:
    pipeline = two_input_project(tmp_path, {"grants": ["单位编码", "拨款"], "subsidies": ["编码", "金额（元）"]})
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code != 0
    error = report.periods[0].error or ""
    assert "inputs.grants:" in error and "inputs.subsidies:" in error
    grants, subsidies = error.split("inputs.subsidies:")[0], error.split("inputs.subsidies:")[1]
    assert "缺少 (missing) amount" in grants and "拨款" in grants
    assert "缺少 (missing) unit_code" in subsidies and "amount <- 金额（元） [元]" in subsidies
    assert "columns:" in error and "fixed:" in error
