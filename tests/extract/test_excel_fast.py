"""The fastexcel path reads a workbook exactly as the python-calamine rows did: the
same names, cells, row numbers, excluded rows and totals, cell kinds included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from gongkai_etl.errors import InputError
from gongkai_etl.extract import excel_fast, excel_reader
from gongkai_etl.extract.excel_reader import ExcelReader


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, **options: Any) -> tuple[Any, Any]:
    fast = ExcelReader().read(str(path), options, expected=["姓名", "金额"])
    with monkeypatch.context() as m:
        m.setattr(excel_reader, "FAST_SUFFIXES", ())
        slow = ExcelReader().read(str(path), options, expected=["姓名", "金额"])
    return fast, slow


def _same(fast: Any, slow: Any) -> None:
    assert fast.columns == slow.columns
    assert [b.to_pydict() for b in fast.batches] == [b.to_pydict() for b in slow.batches]
    assert fast.excluded == slow.excluded
    assert fast.meta == slow.meta


def _workbook(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    hidden = wb.add_worksheet("草稿")
    hidden.write(0, 0, "not this one")
    hidden.hide()
    ws = wb.add_worksheet("名单")
    ws.activate()  # xlsxwriter hides no active sheet
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    clock = wb.add_format({"num_format": "hh:mm"})
    # column A empty, a blank row and a title above a header merged over two rows
    ws.merge_range(2, 1, 2, 6, "朝阳区低保名单（2016年7月）")
    ws.merge_range(3, 1, 4, 1, "序号")
    ws.merge_range(3, 2, 4, 2, "姓名")
    ws.merge_range(3, 3, 3, 4, "金额")
    ws.write_row(4, 3, ["本月", "上月"])
    ws.merge_range(3, 5, 4, 5, "日期")
    ws.merge_range(3, 6, 4, 6, "备注")
    values: list[tuple[Any, Any]] = [
        (1, None), (1.5, None), (110101199001011234, None), (110101199001011, None), (1.5e-05, None),
        (-2.5e-07, None), (1e20, None), (0.1, None), (True, None), (dt.datetime(2024, 1, 5), day),
        (dt.datetime(2024, 1, 5, 13, 4, 5), stamp), (dt.datetime(2024, 1, 5, 13, 4), clock),
        (dt.datetime(2024, 1, 5, 0, 0, 0, 500000), stamp), (dt.datetime(2024, 1, 5, 8, 0, 0, 250000), stamp),
        ("2024-01-05 00:00:00", None), ("0.00001", None), ("", None), ("  ", None), (45000, day),
    ]
    r = 5
    for k, (value, fmt) in enumerate(values):
        ws.write(r, 1, k + 1)
        ws.write(r, 2, f"人{k}" if k != 3 else "数据员")
        ws.write(r, 3, value, fmt)
        ws.write(r, 4, k * 10.25)
        ws.write(r, 5, dt.datetime(2016, 7, 1 + k % 28), day)
        r += 1
    ws.merge_range(r, 2, r + 2, 2, "合户")  # a street merged down over three rows
    ws.write_column(r, 3, [1, 2, 3])
    ws.write_formula(r, 4, "=NA()", None, "#N/A")
    ws.write_formula(r + 1, 4, "=1+2", None, 3)
    ws.write_formula(r + 2, 4, '="x"&"y"', None, "xy")
    r += 4  # a blank row
    ws.write_row(r, 1, ["小计", None, 100, 200])
    ws.write_row(r + 1, 1, [None, "  ", None, None, None, "  "])  # whitespace only: blank
    ws.write_row(r + 2, 1, [99, "数据来源于民政局", 1])  # 数 in a data row
    ws.write_row(r + 3, 1, ["合计", None, 300, 400])
    ws.write_row(r + 4, 1, ["注：金额单位为元"])
    ws.merge_range(r + 5, 6, r + 7, 6, "")  # a merged blank at the bottom
    wb.close()
    return path


def test_fastexcel_and_python_calamine_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _both(_workbook(tmp_path / "a.xlsx"), monkeypatch)
    _same(fast, slow)
    got = fast.batches[0].to_pydict()
    # An 18-digit ID kept as a number has Excel's 15-16 significant digits, written out
    # in full as before (never 1.1e+17); a 15-digit one is exact.
    amounts = got[fast.columns[3]]
    assert amounts[:9] == ["1", "1.5", "110101199001011200", "110101199001011", "1.5e-05", "-2.5e-07",
                           "100000000000000000000", "0.1", "true"]
    assert amounts[9:19] == ["2024-01-05", "2024-01-05 13:04:05", "2024-01-05 13:04:00", "2024-01-05",
                             "2024-01-05 08:00:00.250000", "2024-01-05 00:00:00", "0.00001", None, "  ",
                             "2023-03-15"]
    assert got[fast.columns[2]][-4:-1] == ["合户", "合户", "合户"]
    assert fast.meta["sheet"] == "名单" and fast.meta["header_row"] == 4
    assert [n for n, _ in fast.excluded] == [r for r, _ in slow.excluded] and len(fast.excluded) == 3


@pytest.mark.parametrize("options", [{"sheet": "名单"}, {"sheet": 1}, {"sheet": "名单", "header_rows": 2}])
def test_sheet_choice_and_header_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]) -> None:
    _same(*_both(_workbook(tmp_path / "a.xlsx"), monkeypatch, **options))


def test_a_missing_sheet_is_an_input_error(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx")
    for sheet in ("没有", 5):
        with pytest.raises(InputError, match="not found"):
            ExcelReader().read(str(path), {"sheet": sheet})


def test_the_merged_ranges_come_from_the_sheet_xml(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "a.xlsx")
    name, member = excel_fast.pick_sheet(path, None)
    assert name == "名单"
    spans, in_a = excel_fast.scan(path, member)
    assert not in_a  # column A is empty: the columns' start comes from fastexcel's lazy load
    assert (2, 1, 2, 6) in spans and (3, 3, 3, 4) in spans and len(spans) == 8
    assert sorted(spans) == sorted(excel_reader.read_sheet(path, None)[1])  # as python-calamine reports them


def test_a_sheet_using_column_a(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "a.xlsx"))
    ws = wb.add_worksheet("名单")
    ws.merge_range(0, 0, 0, 2, "标题")
    ws.write_row(1, 0, ["姓名", "金额", "日期"])
    for r in range(2, 40):
        ws.write_row(r, 0, [f"人{r}", r * 1.25, None if r % 7 else "合计"])
    ws.write_row(40, 0, ["合计", 999])
    wb.close()
    assert excel_fast.scan(tmp_path / "a.xlsx", excel_fast.pick_sheet(tmp_path / "a.xlsx", None)[1])[1]
    _same(*_both(tmp_path / "a.xlsx", monkeypatch))


def test_python_calamine_reads_what_fastexcel_cannot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _workbook(tmp_path / "a.xlsx")
    slow = ExcelReader().read(str(path), {}, expected=["姓名", "金额"])

    def refuse(*_: Any) -> None:
        raise RuntimeError("calamine error")

    monkeypatch.setattr(excel_fast, "load_columns", refuse)
    _same(ExcelReader().read(str(path), {}, expected=["姓名", "金额"]), slow)


def test_an_empty_sheet(tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp_path / "e.xlsx"))
    wb.add_worksheet("空").write_blank(3, 3, None, wb.add_format({"bold": True}))
    wb.close()
    with pytest.raises(InputError, match="sheet is empty"):
        ExcelReader().read(str(tmp_path / "e.xlsx"), {})


@pytest.mark.parametrize("ahead", [True, False])
def test_fractions_as_python_shows_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool) -> None:
    """fastexcel renders a fraction with 9 decimals; the reader gives Python's repr, as before,
    whether the float load ran beside the string one or after it."""
    monkeypatch.setattr(excel_fast, "fractions_ahead", lambda *_: ahead)
    wb = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    ws = wb.add_worksheet("名单")
    ws.write_row(0, 0, ["姓名", "金额", "备注"])
    numbers = [0.1 + 0.2, 123456789.123, 1 / 3, 0.3, 1052.5, 0.1 + 0.2 - 0.3, 7.0, 0.0, 1e-10, 2.675, 1e15 + 0.25]
    texts = ["0.3", "1.50", "0.00001", "0", "123456789.123", "-0", "1.0"]
    for r, value in enumerate(numbers):
        ws.write_row(r + 1, 0, [f"人{r}", value, texts[r] if r < len(texts) else None])
    for r, text in enumerate(texts):
        ws.write_string(r + 1, 2, text)
    wb.close()
    fast, slow = _both(tmp_path / "f.xlsx", monkeypatch)
    _same(fast, slow)
    got = fast.batches[0].to_pydict()
    # (XlsxWriter writes 16 significant digits: 0.1 + 0.2 is stored as 0.3)
    assert got["金额"][:3] == ["0.3", "123456789.123", "0.3333333333333333"]
    assert got["金额"][5:9] == ["5.551115123125783e-17", "7", "0", "1e-10"]
    assert got["备注"][:7] == texts


@pytest.mark.parametrize("kind", ["time", "duration", "1904"])
def test_times_durations_and_1904_go_the_python_calamine_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """fastexcel shows a time of day, a [h]:mm duration and a 1904-based time as dates near
    an epoch; python-calamine gives datetime.time and timedelta: such sheets take its path."""
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"date_1904": kind == "1904"})
    ws = wb.add_worksheet("名单")
    ws.write_row(0, 0, ["姓名", "时长"])
    fmt = wb.add_format({"num_format": "[h]:mm:ss" if kind == "duration" else "hh:mm"})
    for r in range(1, 5):
        ws.write_string(r, 0, f"人{r}")
        ws.write_number(r, 1, r * 0.375 if kind != "duration" else r * 0.75, fmt)
    wb.close()
    fast, slow = _both(tmp_path / "t.xlsx", monkeypatch)
    _same(fast, slow)
    shown = fast.batches[0].to_pydict()["时长"]
    assert shown[0] == ("18:00:00" if kind == "duration" else "09:00:00")
    assert kind != "duration" or shown[1] == "1 day, 12:00:00"
