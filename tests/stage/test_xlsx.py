"""The XLSX download, opened with openpyxl as Excel would: titles and units,
frozen header, types, properties, row counts, the sheet limit, stable bytes;
and end to end, listed in datapackage.json and catalog.json."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.report import display_width
from gongkai_etl.stage import xlsx
from gongkai_etl.stage.xlsx import XlsxWriter

DATASET = Dataset(
    id="demo_list",
    title_zh="示例补助名单",
    title_en="Demo subsidy list",
    fields=(
        Field("period", "期间"),
        Field("division_code", "区划代码"),
        Field("persons", "人数", type="integer", unit="人"),
        Field("amount", "补助金额", type="decimal", unit="元", scale=2),
        Field("share", "占比", type="number", unit="%"),
        Field("approved_on", "批准日期", type="date"),
        Field("checked_at", "核查时间", type="datetime"),
        Field("note", "备注"),
    ),
    cadence=Cadence.MONTHLY,
    publisher="朝阳区民政局",
    keywords=("低保", "救助"),
)


def _rows(n: int) -> pa.RecordBatch:
    schema = DATASET.arrow_schema()
    return pa.record_batch([
        pa.array(["2016-09"] * n),
        pa.array(["110105011000"] * n),  # text that looks like a number stays text
        pa.array([i if i % 7 else None for i in range(n)], pa.int64()),
        pa.array([Decimal("1234.50") + i for i in range(n)], pa.decimal128(18, 2)),
        pa.array([12.5] * n),
        pa.array([date(2016, 9, 1 + i % 28) for i in range(n)], pa.date32()),
        pa.array([datetime(2016, 9, 30, 8, 15, 0)] * n, pa.timestamp("s")),
        pa.array(["=SUM(A1)" if i == 0 else "一户多人" for i in range(n)]),
    ], schema=schema)


def _write(path: Path, batches: list[pa.RecordBatch]) -> str | None:
    writer = XlsxWriter()
    rel = writer.filename(DATASET, Period.parse("2016-09"))
    assert rel == "xlsx/demo_list_2016-09.xlsx"
    target = path / Path(rel).name
    session = writer.open(target, DATASET, DATASET.arrow_schema())
    for b in batches:
        session.write(b)
    session.close()
    assert session.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    return session.sha256


def test_titles_units_types_and_properties(tmp_path: Path) -> None:
    _write(tmp_path, [_rows(20), _rows(15)])
    book = openpyxl.load_workbook(tmp_path / "demo_list_2016-09.xlsx")
    sheet = book.worksheets[0]
    assert sheet.cell(1, 1).value.startswith("示例补助名单 2016-09") and "朝阳区民政局" in sheet.cell(1, 1).value
    header = [c.value for c in sheet[2]]
    assert header == ["期间", "区划代码", "人数（人）", "补助金额（元）", "占比（%）", "批准日期", "核查时间", "备注"]
    assert sheet.freeze_panes == "A3"
    assert sheet.max_row - 2 == 35  # every row, under the title and header
    row = [c.value for c in sheet[4]]
    assert row[1] == "110105011000" and isinstance(row[1], str)
    assert row[2] == 1 and isinstance(row[2], int)
    assert row[3] == pytest.approx(1235.5) and sheet.cell(4, 4).number_format == "#,##0.00"
    assert row[5] == datetime(2016, 9, 2) and sheet.cell(4, 6).number_format == "yyyy-mm-dd"
    assert row[6] == datetime(2016, 9, 30, 8, 15) and sheet.cell(4, 7).is_date
    assert sheet.cell(3, 3).value is None  # a missing integer is an empty cell, not 0 or NaN
    assert sheet.cell(3, 8).value == "=SUM(A1)" and sheet.cell(3, 8).data_type == "s"  # never a formula
    # widths by display width: the Chinese header of 补助金额（元） is wider than its figures
    assert sheet.column_dimensions["D"].width >= display_width("补助金额（元）")
    assert book.properties.title == "示例补助名单 2016-09"
    assert book.properties.creator == "朝阳区民政局" and "低保" in book.properties.keywords


def test_same_rows_give_the_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _write(tmp_path / "a", [_rows(10)]) == _write(tmp_path / "b", [_rows(10)])


def test_rows_past_a_sheet_continue_on_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Excel's 1,048,576 rows, scaled down: the same code path, 12 rows a sheet (2 top rows + 10)
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 12)
    _write(tmp_path, [_rows(25)])
    book = openpyxl.load_workbook(tmp_path / "demo_list_2016-09.xlsx")
    assert book.sheetnames == ["数据", "数据 2", "数据 3"]
    assert [s.max_row - 2 for s in book.worksheets] == [10, 10, 5]
    assert "续 part 2" in book.worksheets[1].cell(1, 1).value
    assert book.worksheets[2].cell(2, 3).value == "人数（人）"


def test_empty_period_is_a_workbook_with_its_header(tmp_path: Path) -> None:
    _write(tmp_path, [])
    sheet = openpyxl.load_workbook(tmp_path / "demo_list_2016-09.xlsx").worksheets[0]
    assert sheet.max_row == 2 and sheet.cell(2, 1).value == "期间"


def test_shantytown_publishes_xlsx_listed_everywhere(project: Path, etl) -> None:
    proc = etl("run", str(project / "pipelines/shantytown.yaml"))
    assert proc.returncode == 0, proc.stderr
    out = project / "output"
    path = out / "shantytown_progress/xlsx/shantytown_progress_2016-10.xlsx"
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[2]]
    assert "累计完成投资（亿元）" in header and "签约比例（%）" in header
    package = json.loads((out / "shantytown_progress/datapackage.json").read_text(encoding="utf-8"))
    res = next(r for r in package["resources"] if r["path"] == "xlsx/shantytown_progress_2016-10.xlsx")
    assert res["data_rows"] == sheet.max_row - 2 == 6  # two planted rows rejected
    assert res["bytes"] == path.stat().st_size and res["type"] == "file"
    catalog = (out / "catalog.json").read_text(encoding="utf-8")
    assert "shantytown_progress_2016-10.xlsx" in catalog and "XLSX" in catalog
