"""Each step on small literal tables, through both paths: petl on a table held
whole and the Arrow kernels of the streaming path must give the same rows,
``_row`` included (a reject must still point at the line of the file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from gongkai_etl.contracts import RawTable
from gongkai_etl.errors import InputError
from gongkai_etl.periods import Period
from gongkai_etl.reshape import reshape_input
from gongkai_etl.reshape_spec import parse_steps

SEPT = Period.parse("2016-09")


def _batch(rows: list[dict]) -> pa.RecordBatch:
    names = [k for k in rows[0] if k != "_row"]
    arrays = [pa.array([r[n] for r in rows], pa.string()) for n in names]
    return pa.RecordBatch.from_arrays([*arrays, pa.array([r["_row"] for r in rows], pa.int64())], names=[*names, "_row"])


def _both(rows: list[dict], steps: list[dict], period: Period = SEPT) -> list[dict]:
    """The rows after ``steps``, held whole and streamed in two batches; asserted equal."""
    parsed = parse_steps(Path("p.yaml"), "inputs.x.reshape", steps)
    columns = [k for k in rows[0] if k != "_row"]
    whole = reshape_input(RawTable("f.csv", columns, [_batch(rows)]), parsed, period, "x").to_table().to_pylist()

    def two() -> Iterator[pa.RecordBatch]:
        half = len(rows) // 2
        yield _batch(rows[:half])
        yield _batch(rows[half:])

    streamed = reshape_input(RawTable("f.csv", columns, two()), parsed, period, "x").to_table().to_pylist()
    assert streamed == whole
    return whole


ROWS = [
    {"类别": "城中村改造", "日期": "2016-09-03", "年": "2016", "月": "9", "日": "30", "时": "23", "_row": 3},
    {"类别": " 棚改 ", "日期": "2016/8/31 23:00", "年": "2016", "月": "9", "日": "1", "时": "0", "_row": 4},
    {"类别": "已撤销", "日期": "2016年9月", "年": "2016", "月": "9", "日": "2", "时": "24", "_row": 5},
    {"类别": None, "日期": "", "年": "2016", "月": "9", "日": "2", "时": "", "_row": 6},
]


def test_map_drop_select_combine_agree_on_both_paths() -> None:
    out = _both(ROWS, [
        {"map_values": {"column": "类别", "values": {"城中村改造": "城中村", "棚改": "棚户区"}}},
        {"drop_rows": {"where": {"column": "类别", "equals": "已撤销"}}},
        {"select_period": {"column": "日期"}},
        {"combine": {"into": "时间", "columns": ["年", "月", "日", "时"], "as": "datetime", "hour": "beginning"}},
    ])
    assert [(r["_row"], r["类别"], r["时间"]) for r in out] == [
        (3, "城中村", "2016-09-30 24:00"),  # hour 23 beginning ends at 24:00
        (6, None, None),  # blank date kept (the dataset rejects it); blank hour: no timestamp
    ]


def test_a_bad_hour_stays_visible_so_the_row_is_rejected_not_shifted() -> None:
    out = _both(ROWS[2:3] * 2, [{"combine": {"into": "t", "columns": ["年", "月", "日", "时"], "as": "datetime", "hour": "beginning"}}])
    assert out[0]["t"] == "2016/9/2/24 (hour-beginning 0-23)"
    ending = _both(ROWS[2:3] * 2, [{"combine": {"into": "t", "columns": ["年", "月", "日", "时"], "as": "datetime", "hour": "ending"}}])
    assert ending[0]["t"] == "2016-09-02 24:00"


@pytest.mark.parametrize(
    ("where", "kept"),
    [
        ({"column": "类别", "in": ["棚改", "已撤销"]}, [3, 6]),
        ({"column": "类别", "empty": True}, [3, 4, 5]),
        ({"column": "类别", "empty": False}, [6]),
        ({"column": "日期", "matches": "^2016-"}, [4, 5, 6]),
    ],
)
def test_drop_rows_conditions(where: dict, kept: list[int]) -> None:
    assert [r["_row"] for r in _both(ROWS, [{"drop_rows": {"where": where}}])] == kept


def test_a_date_with_no_year_and_month_names_its_row() -> None:
    rows = [dict(ROWS[0]), {**ROWS[1], "日期": "九月三日"}]
    with pytest.raises(InputError) as info:
        _both(rows, [{"select_period": {"column": "日期"}}])
    assert info.value.row == 4 and "九月三日" in str(info.value) and "select_period" in str(info.value)


def test_fill_down_unpivot_split_on_a_table_held_whole() -> None:
    rows = [
        {"街乡": "建外街道", "项目": "甲", "1月": "1", "2月": "2", "起止": "2016-01-01至2016-12-31", "_row": 3},
        {"街乡": " ", "项目": "乙", "1月": "3", "2月": "", "起止": "2016-03-01", "_row": 4},
    ]
    parsed = parse_steps(Path("p.yaml"), "inputs.x.reshape", [
        {"fill_down": ["街乡"]},
        {"split": {"column": "起止", "into": ["开始", "结束"], "sep": "至"}},
        {"unpivot": {"keep": ["街乡", "项目", "开始", "结束"], "columns": "1月..2月", "name": "月份", "value": "数"}},
    ])
    out = reshape_input(RawTable("f.xlsx", list(rows[0])[:-1], [_batch(rows)]), parsed, SEPT, "x").to_table().to_pylist()
    assert [(r["_row"], r["街乡"], r["项目"], r["开始"], r["结束"], r["月份"], r["数"]) for r in out] == [
        (3, "建外街道", "甲", "2016-01-01", "2016-12-31", "1月", "1"),
        (3, "建外街道", "甲", "2016-01-01", "2016-12-31", "2月", "2"),
        (4, "建外街道", "乙", "2016-03-01", None, "1月", "3"),
        (4, "建外街道", "乙", "2016-03-01", None, "2月", ""),
    ]


def test_typed_cells_of_a_json_input_become_the_text_the_mapping_would_make() -> None:
    batch = pa.RecordBatch.from_pydict({"ok": [True, False], "n": [1.5, 2.0], "_row": pa.array([1, 2], pa.int64())})
    parsed = parse_steps(Path("p.yaml"), "inputs.x.reshape", [{"fill_down": ["ok"]}])
    out = reshape_input(RawTable("f.json", ["ok", "n"], [batch]), parsed, SEPT, "x").to_table().to_pylist()
    assert out == [{"ok": "true", "n": "1.5", "_row": 1}, {"ok": "false", "n": "2", "_row": 2}]
