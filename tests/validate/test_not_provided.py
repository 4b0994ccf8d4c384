"""Fields the source does not have (issue 16 item 3): an optional field declared
`not_provided` is published as null and marked so in datapackage.json and on the
site; a required one is refused at validate time; `fixed:` values are recorded
as constants, never passed off as measured data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import forget_declared, grants_project, read_published_rows

from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import parse_periods
from gongkai_etl.pipeline_check import check_pipeline
from gongkai_etl.run.runner import run_pipeline
from gongkai_etl.spec import load_pipeline


@pytest.fixture(autouse=True)
def _forget_declared():  # noqa: ANN202 - a fixture
    """These tests declare datasets in-process: leave the registry as found."""
    yield
    forget_declared("grants", "subsidies")


def _package(root: Path) -> dict:
    return json.loads((root / "out" / "grants" / "datapackage.json").read_text(encoding="utf-8"))


def test_an_optional_field_not_provided_is_published_as_null_and_marked(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "金额"], [["101", 12.5], ["102", 3]],
                              inputs_extra="    not_provided: [households]\n    fixed: {note: 年度汇总}\n",
                              top_extra="  site: true\n")  # (under output:) the site is written after the publish
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code == 0, [p.error for p in report.periods]
    rows = read_published_rows(tmp_path / "out", "grants", "2016")
    assert [r["households"] for r in rows] == [None, None]
    assert {r["note"] for r in rows} == {"年度汇总"}
    package = _package(tmp_path)
    csv_resource = next(r for r in package["resources"] if r["format"] == "csv")
    fields = {f["name"]: f for f in csv_resource["schema"]["fields"]}
    assert fields["households"]["gongkai:notProvided"] is True
    assert fields["note"]["gongkai:constant"] == "年度汇总"
    assert "gongkai:notProvided" not in fields["amount"]
    assert csv_resource["gongkai:notProvided"] == ["households"]
    assert csv_resource["gongkai:constants"] == {"note": "年度汇总"}
    page = (tmp_path / "out" / "grants" / "index.html").read_text(encoding="utf-8")
    assert "来源未提供 / not provided by the source" in page and "固定值 / constant: 年度汇总" in page


def test_a_required_field_cannot_be_not_provided(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码"], [["101"]], inputs_extra="    not_provided: [amount]\n")
    with pytest.raises(ConfigError) as err:
        check_pipeline(load_pipeline(pipeline))
    text = str(err.value)
    assert "amount" in text and "not_provided" in text and "columns:" in text and "reshape" in text


def test_a_missing_required_field_is_refused_naming_the_fixes(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "拨款"], [["101", 12.5]])
    report = run_pipeline(load_pipeline(pipeline), parse_periods("2016"))
    assert report.exit_code != 0
    error = report.periods[0].error or ""
    assert "amount" in error and "金额" in error
    assert "columns:" in error and "fixed:" in error and "reshape" in error
    assert "拨款" in error  # the unexpected header, a candidate for columns:
    assert not (tmp_path / "out" / "grants" / "datapackage.json").exists()
