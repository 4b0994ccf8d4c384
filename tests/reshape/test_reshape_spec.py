"""``inputs.<name>.reshape`` is checked with the pipeline, before anything runs:
one-line errors naming the file, the key path, what was expected, the nearest key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai_etl.errors import ConfigError
from gongkai_etl.reshape_spec import expand_range
from gongkai_etl.spec import load_pipeline


def _pipeline(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(
        "source: {plugin: declared}\ninputs:\n  a:\n    path: a.csv\n    reshape:\n" + steps, encoding="utf-8"
    )
    return path


def test_the_steps_are_read_in_order_with_ranges_expanded(tmp_path: Path) -> None:
    pipeline = load_pipeline(_pipeline(tmp_path, (
        "      - {fill_down: [街乡, 社区]}\n"
        "      - {unpivot: {columns: 1月..3月, name: 月份, value: 数值}}\n"
        "      - {drop_rows: {where: {column: 类别, in: [已撤销, 暂停]}}}\n"
        "      - {combine: {into: t, columns: [y, m, d, h], as: datetime, hour: ending}}\n"
    )))
    steps = pipeline.inputs["a"].reshape
    assert [s.kind for s in steps] == ["fill_down", "unpivot", "drop_rows", "combine"]
    assert steps[0].args["columns"] == ["街乡", "社区"]
    assert steps[1].args["columns"] == ["1月", "2月", "3月"]
    assert steps[2].args["where"] == {"column": "类别", "op": "in", "operand": ["已撤销", "暂停"]}
    assert steps[3].where == "inputs.a.reshape[3]" and not steps[0].streams and steps[3].streams
    assert expand_range("Q1..Q4") == ["Q1", "Q2", "Q3", "Q4"] and expand_range("1月..12日") is None


@pytest.mark.parametrize(
    ("steps", "where", "says"),
    [
        ("      - {fill_dwn: [街乡]}\n", "inputs.a.reshape[0].fill_dwn", "did you mean 'fill_down'"),
        ("      - {unpivot: {columns: [1月], name: 月份, valu: 数值}}\n", "inputs.a.reshape[0].unpivot.valu", "did you mean 'value'"),
        ("      - {unpivot: {columns: [1月], name: 月份}}\n", "inputs.a.reshape[0].unpivot.value", "missing required key"),
        ("      - {combine: {into: t, columns: [y, m, d, h], as: datetime}}\n", "inputs.a.reshape[0].combine.hour", "beginning (hours 0-23) or ending (hours 1-24)"),
        ("      - {combine: {into: t, columns: [y, m, d], as: datetime, hour: ending}}\n", "inputs.a.reshape[0].combine.columns", "expected 4 columns"),
        ("      - {drop_rows: {where: {column: x, equal: a}}}\n", "inputs.a.reshape[0].drop_rows.where.equal", "did you mean 'equals'"),
        ("      - {drop_rows: {where: {column: x, matches: '(['}}}\n", "inputs.a.reshape[0].drop_rows.where.matches", "invalid regular expression"),
        ("      - {select_period: {column: d, format: '%Y'}}\n", "inputs.a.reshape[0].select_period.format", "expected auto"),
        ("      - fill_down\n", "inputs.a.reshape[0]", "expected one step as a mapping"),
    ],
)
def test_a_wrong_step_is_one_line_naming_the_key(tmp_path: Path, steps: str, where: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_pipeline(_pipeline(tmp_path, steps))
    text = str(info.value)
    assert f"{where}:" in text and says in text and "p.yaml" in text and "\n" not in text
