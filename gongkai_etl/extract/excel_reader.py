"""Excel reader: .xlsx/.xlsm by fastexcel as Arrow columns (:mod:`excel_fast`); legacy .xls,
.ods and workbooks fastexcel refuses by python-calamine, openpyxl/xlrd as fallback.

Spreadsheets as departments keep them: title rows above the header, header
cells merged over two rows, hidden sheets, empty trailing rows and a 合计 row
at the bottom. The sheet is small; it is reshaped here and handed on as Arrow
batches of text, so it joins the same normalize/validate path as CSV.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.contracts import ROW_COLUMN, RawTable, Reader
from gongkai_etl.errors import InputError
from gongkai_etl.extract import excel_fast
from gongkai_etl.extract.headers import (
    cell_text,
    choose_names,
    combine_header_rows,
    find_header,
    is_footnote_row,
    is_total_row,
)
from gongkai_etl.extract.totals import TotalsCheck, totals_mode


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _text_columns(rows: list[list[Any]], width: int) -> list[pa.Array]:
    """The cells of ``rows`` as ``width`` string columns, each cell as :func:`_text` shows it.

    Column by column (a transpose in C, then one conversion per column): a column of
    text cells, most of a sheet, needs no Python call per cell.
    """
    if any(len(r) < width for r in rows):
        rows = [r if len(r) >= width else [*r, *([None] * (width - len(r)))] for r in rows]
    columns = list(zip(*rows, strict=False))[:width] if rows else [() for _ in range(width)]
    out = []
    for values in columns:
        if set(map(type, values)) <= {str, type(None)}:
            arr = pa.array(values, pa.string())
            out.append(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr))
        else:
            out.append(pa.array([_text(v) for v in values], pa.string()))
    return out


def _read_calamine(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[tuple[int, int, int, int]], str]:
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        if sheet is None:
            visible = [m.name for m in wb.sheets_metadata if str(m.visible).lower().endswith("visible")]
            name = visible[0] if visible else wb.sheet_names[0]
            ws = wb.get_sheet_by_name(name)
        elif isinstance(sheet, int):
            ws = wb.get_sheet_by_index(sheet)
        else:
            ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=False)
        merges = []
        for rng in ws.merged_cell_ranges or []:
            (r0, c0), (r1, c1) = rng
            merges.append((r0, c0, r1, c1))
        return rows, merges, ws.name
    finally:
        wb.close()


def _read_openpyxl(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[tuple[int, int, int, int]], str]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)  # not read-only: merges are needed
    if sheet is None:
        ws = next((w for w in wb.worksheets if w.sheet_state == "visible"), wb.worksheets[0])
    elif isinstance(sheet, int):
        ws = wb.worksheets[sheet]
    else:
        ws = wb[sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
    return rows, merges, ws.title


def _read_xlrd(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[tuple[int, int, int, int]], str]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False)
    if sheet is None:
        ws = next((s for s in book.sheets() if s.visibility == 0), book.sheet_by_index(0))
    elif isinstance(sheet, int):
        ws = book.sheet_by_index(sheet)
    else:
        ws = book.sheet_by_name(sheet)
    rows: list[list[Any]] = []
    for r in range(ws.nrows):
        row = []
        for c in range(ws.ncols):
            cell = ws.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
            else:
                row.append(cell.value)
        rows.append(row)
    return rows, [], ws.name


def read_sheet(path: Path, sheet: str | int | None) -> tuple[list[list[Any]], list[tuple[int, int, int, int]], str]:
    """All rows of one sheet (first visible by default) and its merged ranges."""
    errors: list[str] = []
    readers = [_read_calamine]
    readers.append(_read_xlrd if path.suffix.lower() == ".xls" else _read_openpyxl)
    for fn in readers:
        try:
            return fn(path, sheet)
        except (KeyError, IndexError) as exc:
            raise InputError(f"工作表不存在 (sheet {sheet!r} not found): {exc}", file=path) from None
        except ImportError as exc:
            errors.append(f"{fn.__name__}: {exc}")
        except Exception as exc:  # a corrupt or truncated file: try the fallback, then report
            if "not found" in str(exc).lower() and sheet is not None:
                raise InputError(f"工作表不存在 (sheet {sheet!r} not found)", file=path) from None
            errors.append(f"{type(exc).__name__}: {exc}")
    raise InputError(f"无法读取 Excel 文件，可能已损坏或被截断 (cannot read workbook; damaged or truncated?): {errors[-1]}", file=path)


Parts = tuple[list[str], list[pa.Array], list[int] | pa.Array, list[tuple[int, str]], list[tuple[int, list[Any], int]], str, int, int]
#: Read by fastexcel (below); .xls and other workbooks by python-calamine as before
#: (an .xls holds at most 65,536 rows, and fastexcel reports no merged ranges).
FAST_SUFFIXES = (".xlsx", ".xlsm")


def _classify(number: int, row: list[Any], state: tuple[list[tuple[int, str]], list[tuple[int, list[Any], int]]], kept: int) -> bool:
    """Whether sheet row ``number`` (1-based) is data; a 合计 or footnote row is recorded in ``state``."""
    excluded, totals = state
    if not any(cell_text(c) for c in row):
        return False
    if is_total_row(row):
        excluded.append((number, "合计/小计行 (total row)"))
        totals.append((number, [_text(c) for c in row], kept))
        return False
    if is_footnote_row(row):
        excluded.append((number, "脚注行 (footnote)"))
        return False
    return True


def _header(rows: list[list[Any]], merges: list[tuple[int, int, int, int]], options: Mapping[str, Any], expected: list[str]) -> tuple[int, int]:
    start, depth = find_header(rows, expected, header_rows=options.get("header_rows"))
    if not options.get("header_rows"):
        # header cells merged downwards (序号 over two header rows) belong to the header
        below = [r1 for r0, _, r1, _ in merges if start <= r0 < start + depth]
        depth = max([depth, *(r1 - start + 1 for r1 in below)])
    return start, depth


def _reshape_rows(path: Path, rows: list[list[Any]], merges: list[tuple[int, int, int, int]], sheet_name: str,
                  options: Mapping[str, Any], expected: list[str]) -> Parts:
    """Header, data columns and excluded rows of a sheet read as Python rows (python-calamine, openpyxl, xlrd)."""
    rows = [r if type(r) is list else list(r) for r in rows]  # lists already from every reader: no copy
    while rows and not any(cell_text(c) for c in rows[-1]):
        rows.pop()  # empty trailing rows
    if not rows:
        raise InputError(f"工作表 {sheet_name!r} 没有数据 (sheet is empty)", file=path)
    start, depth = _header(rows, merges, options, expected)
    _apply_merges(rows, merges, start, start + depth, vertical_only=False)
    _apply_merges(rows, merges, start + depth, len(rows), vertical_only=True)
    names = choose_names(combine_header_rows(rows[start : start + depth]), expected)
    kept: list[list[Any]] = []
    row_numbers: list[int] = []
    state: tuple[list[tuple[int, str]], list[tuple[int, list[Any], int]]] = ([], [])
    for offset, row in enumerate(rows[start + depth :]):
        number = start + depth + offset + 1  # 1-based sheet row
        if _classify(number, row, state, len(row_numbers)):
            row_numbers.append(number)
            kept.append(row)
    return names, _text_columns(kept, len(names)), row_numbers, *state, sheet_name, start, depth


def _read_fast(path: Path, options: Mapping[str, Any], expected: list[str]) -> Parts | None:
    """As :func:`_reshape_rows` on :func:`read_sheet`'s rows, from fastexcel's Arrow columns;
    None where fastexcel is missing or cannot read the file (the other readers then decide)."""
    try:
        name, member = excel_fast.pick_sheet(path, options.get("sheet"))
        columns, merges = excel_fast.load_columns(path, name, member)
    except InputError:
        raise
    except Exception:  # no fastexcel, or a workbook it refuses: python-calamine/openpyxl try, and report
        return None
    n = excel_fast.last_used_row(columns)
    if not n:
        raise InputError(f"工作表 {name!r} 没有数据 (sheet is empty)", file=path)
    rows = excel_fast.top_rows(columns, min(n, 30 + max(3, options.get("header_rows") or 0)))
    start, depth = _header(rows, merges, options, expected)
    if start + depth > len(rows):
        rows = excel_fast.top_rows(columns, min(n, start + depth))
    _apply_merges(rows, merges, start, start + depth, vertical_only=False)
    names = choose_names(combine_header_rows(rows[start : start + depth]), expected)
    first = start + depth
    excel_fast.fill_vertical(columns, merges, first, n)
    odd = excel_fast.odd_rows(columns, first, n)
    taken = pa.array(odd, pa.int64())
    odd_rows = zip(*(pc.take(c, taken).to_pylist() for c in columns), strict=True) if odd else iter(())
    dropped: list[int] = []
    state: tuple[list[tuple[int, str]], list[tuple[int, list[Any], int]]] = ([], [])
    for r, row in zip(odd, odd_rows, strict=True):  # every other row is data
        if not _classify(r + 1, list(row), state, r - first - len(dropped)):
            dropped.append(r)
    index = pa.array(np.arange(first, n, dtype=np.int64))
    if dropped:
        index = pc.filter(index, pc.invert(pc.is_in(index, pa.array(dropped, pa.int64()))))
        arrays = [pc.take(c, index) for c in columns[: len(names)]]
    else:
        arrays = [c.slice(first, n - first) for c in columns[: len(names)]]
    return names, arrays, pc.add(index, 1), *state, name, start, depth


def _apply_merges(rows: list[list[Any]], merges: list[tuple[int, int, int, int]], first: int, upto: int, *, vertical_only: bool) -> None:
    """Copy a merged cell's value into every cell it covers, for rows ``first`` to ``upto - 1``.

    In the header every merge is filled (a group title over its columns); in
    the data only vertical ones (a street merged over the projects it holds):
    a label merged across columns in a data row would otherwise land in
    numeric columns.
    """
    for r0, c0, r1, c1 in merges:
        if vertical_only and (c0 != c1 or r0 < first):
            continue
        if r0 >= upto or r1 < first or r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(max(r0, first), min(r1, upto - 1) + 1):
            row = rows[r]
            while len(row) <= c1:
                row.append(None)
            for c in range(c0, c1 + 1):
                if row[c] in (None, ""):
                    row[c] = value


def sniff_workbook(path: Path) -> None:
    """Refuse, with a clear message, files that are not workbooks whatever their name says:
    HTML tables saved as .xls by web systems, CSV renamed .xlsx, password-protected files."""
    with open(path, "rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"PK\x03\x04"):
        return  # a zip: xlsx (damage is found by the readers)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if path.suffix.lower() != ".xls":
            raise InputError(
                "文件是旧版 .xls 格式或受密码保护 (an OLE2 file: a legacy .xls named .xlsx, or a password-protected "
                "workbook; remove the password or save as .xlsx)",
                file=path,
            )
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta", b"<head")):
        raise InputError(
            "文件是网页 (HTML/XML) 而不是 Excel 工作簿 (an HTML table saved with an Excel name, as web systems export; "
            "open it in Excel and save as .xlsx, or export CSV)",
            file=path,
        )
    if head and b"\x00" not in head and (b"," in head or b"\t" in head):
        raise InputError(
            "文件是文本 (CSV) 而不是 Excel 工作簿 (a text/CSV file with an Excel name; set `format: csv` for this input)",
            file=path,
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InputError("不是 Excel 工作簿，可能已损坏或被截断 (not an xlsx workbook: damaged or truncated?)", file=path)


class ExcelReader(Reader):
    name = "excel"
    extensions = (".xlsx", ".xlsm", ".xls")

    def can_read(self, location: str, options: Mapping[str, Any]) -> bool:
        fmt = options.get("format")
        if fmt:
            return fmt in ("excel", "xlsx", "xls")
        return location.lower().endswith(self.extensions)

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        path = Path(location)
        if not path.exists():
            raise InputError("输入文件不存在 (input file not found)", file=path)
        if path.stat().st_size == 0:
            raise InputError("输入文件为空 (input file is empty)", file=path)
        mode = totals_mode(options)
        expected = list(expected)
        sniff_workbook(path)
        parts = _read_fast(path, options, expected) if path.suffix.lower() in FAST_SUFFIXES else None
        if parts is None:
            rows, merges, sheet_name = read_sheet(path, options.get("sheet"))
            parts = _reshape_rows(path, rows, merges, sheet_name, options, expected)
        names, arrays, row_numbers, excluded, totals, sheet_name, start, depth = parts
        numbers = row_numbers if isinstance(row_numbers, pa.Array) else pa.array(row_numbers, pa.int64())
        batch = pa.RecordBatch.from_arrays([*arrays, numbers], names=[*names, ROW_COLUMN])
        check = TotalsCheck(names, location=str(path), mode=mode)
        done = 0
        for number, cells, above in totals:
            if above > done:
                check.add_batch(batch.slice(done, above - done))
                done = above
            check.total_row(number, cells)
        return RawTable(
            location=str(path),
            columns=names,
            batches=[batch] if batch.num_rows else [],
            excluded=excluded,
            meta={
                "sheet": sheet_name,
                "header_row": start + 1,
                "header_depth": depth,
                "totals": [(n, cells) for n, cells, _ in totals],
                "totals_checked": check.checked,
                "warnings": check.warnings,
            },
        )


def workbook_sheets(path: Path) -> list[tuple[str, bool]]:
    """(name, visible) of every sheet, in order: what ``etl inspect`` lists (the
    reader takes the first visible one unless ``sheet:`` says otherwise)."""
    try:
        import python_calamine

        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            return [(m.name, str(m.visible).lower().endswith("visible")) for m in wb.sheets_metadata]
        finally:
            wb.close()
    except ImportError:
        pass
    if path.suffix.lower() == ".xls":
        import xlrd

        return [(s.name, s.visibility == 0) for s in xlrd.open_workbook(str(path), on_demand=True).sheets()]
    import openpyxl

    return [(w.title, w.sheet_state == "visible") for w in openpyxl.load_workbook(path, read_only=True).worksheets]
