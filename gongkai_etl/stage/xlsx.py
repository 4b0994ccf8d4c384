"""The XLSX download: one workbook per dataset and period, for people in the
district offices who open downloads in Excel and read Chinese.

Opt-in: a pipeline lists it in ``output.formats: [parquet, csv, xlsx]``. Written
with XlsxWriter in constant-memory mode: rows stream to the file as they come
(a row is flushed when the next starts), so memory stays flat however long the
list, and the writer is maintained and pure Python (openpyxl, which the readers
use, keeps every cell of a sheet in memory until it saves).

The sheet: row 1 the dataset's title, period and publisher; row 2 the Chinese
column titles with their units (``投资额（万元）``); the data from row 3, the two
top rows frozen. Numbers are numbers (decimals with their scale as the number
format), dates and times are Excel dates, text stays text (a division code or an
ID is never turned into a number, a leading ``=`` never into a formula). The
title, period, publisher and keywords are also the workbook's properties.

Excel holds 1,048,576 rows a sheet, 1,048,574 of data under the two top rows. A
period with more rows continues on the next sheet (``数据 2``, ``数据 3``, each with
the title, marked ``续 part N``, and the header), so the workbook always has every
row: the 5M-row social-assistance list would take five sheets, and writing it
cell by cell costs far more than its CSV and Parquet, which is why XLSX is only
written where a pipeline asks for it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Writer
from gongkai_etl.datasets import Dataset
from gongkai_etl.periods import Period
from gongkai_etl.report import display_width
from gongkai_etl.stage.writers import _HashingFile

#: Rows of one Excel sheet (Excel 2007 and later).
EXCEL_MAX_ROWS = 1_048_576
#: Rows above the data: title, header.
TOP_ROWS = 2
#: Data rows one sheet takes.
ROWS_PER_SHEET = EXCEL_MAX_ROWS - TOP_ROWS
#: Column width bounds, in Excel character units (a CJK character counts two).
MIN_WIDTH, MAX_WIDTH = 6, 60
#: The workbook's creation time: fixed, so the same rows give the same bytes and a
#: re-run with unchanged input stays "unchanged" (the period's publication time
#: is in datapackage.json and the catalog).
FIXED_CREATED = datetime(2000, 1, 1)


class _WorkbookFile(_HashingFile):
    """The staged workbook's file. After a write fails (a full disk) the file is
    abandoned (the period fails and its staging is discarded), and later writes
    are dropped: XlsxWriter's zip archive would otherwise retry its end record
    from a finalizer and print a traceback after the clean ``Error:`` line."""

    failed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.failed or self.closed:
            return len(data) if not isinstance(data, memoryview) else data.nbytes
        try:
            return super().write(data)
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        if not (self.failed or self.closed):
            super().flush()


def header_title(field: pa.Field) -> str:
    meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
    title = meta.get("title_zh") or field.name
    unit = meta.get("unit")
    return f"{title}（{unit}）" if unit else title


class _XlsxSession:
    def __init__(self, path: Path, dataset: Dataset, schema: pa.Schema, period_key: str) -> None:
        import xlsxwriter

        self._file = _WorkbookFile(path)
        self._book = xlsxwriter.Workbook(self._file, {"constant_memory": True, "strings_to_numbers": False,
                                                      "strings_to_formulas": False, "strings_to_urls": False})
        self._book.set_properties({
            "title": f"{dataset.title_zh} {period_key}",
            "subject": dataset.title_en,
            "author": dataset.publisher,
            "company": dataset.publisher,
            "keywords": ", ".join(dataset.keywords),
            "comments": f"期间 period {period_key}; 数据集 dataset {dataset.id}",
            "created": FIXED_CREATED,
        })
        self._dataset, self._schema, self._period = dataset, schema, period_key
        self._title_fmt = self._book.add_format({"bold": True, "font_size": 13})
        self._head_fmt = self._book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        self._formats = [self._cell_format(f) for f in schema]
        self._kinds = [_kind(f.type) for f in schema]
        self._widths = [display_width(header_title(f)) for f in schema]
        self._sheet: Any = None
        self._sheets = 0
        self._row = 0
        #: rows written, and sheets used (known once closed)
        self.rows = 0
        self.sha256: str | None = None

    def _cell_format(self, field: pa.Field) -> Any:
        t = field.type
        if pa.types.is_decimal(t):
            return self._book.add_format({"num_format": "#,##0." + "0" * t.scale if t.scale else "#,##0"})
        if pa.types.is_date(t):
            return self._book.add_format({"num_format": "yyyy-mm-dd"})
        if pa.types.is_timestamp(t):
            return self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        return None

    def _new_sheet(self) -> None:
        self._finish_sheet()
        self._sheets += 1
        name = "数据" if self._sheets == 1 else f"数据 {self._sheets}"
        self._sheet = self._book.add_worksheet(name)
        title = f"{self._dataset.title_zh} {self._period}"
        if self._dataset.publisher:
            title += f"  发布单位 publisher: {self._dataset.publisher}"
        if self._sheets > 1:
            title += f"  (续 part {self._sheets})"
        self._sheet.write_string(0, 0, title, self._title_fmt)
        for col, field in enumerate(self._schema):
            self._sheet.write_string(1, col, header_title(field), self._head_fmt)
        self._sheet.freeze_panes(TOP_ROWS, 0)
        self._row = TOP_ROWS

    def _finish_sheet(self) -> None:
        # constant_memory: widths are column settings, written with the sheet at close
        if self._sheet is not None:
            for col, width in enumerate(self._widths):
                self._sheet.set_column(col, col, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))

    def write(self, batch: pa.RecordBatch) -> None:
        columns = [c.to_pylist() for c in batch.columns]
        for i in range(batch.num_rows):
            if self._sheet is None or self._row >= EXCEL_MAX_ROWS:
                self._new_sheet()
            for col, values in enumerate(columns):
                value = values[i]
                if value is not None:
                    self._write_cell(col, value)
            self._row += 1
            self.rows += 1

    def _write_cell(self, col: int, value: Any) -> None:
        kind, sheet, row = self._kinds[col], self._sheet, self._row
        if kind == "number":
            sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, self._formats[col])
        elif kind == "date":
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day) if type(value) is date else value,
                                 self._formats[col])
        elif kind == "bool":
            sheet.write_boolean(row, col, value)
        else:
            text = str(value)
            sheet.write_string(row, col, text)
            if self.rows < 1000:  # widths from the first rows: enough to size a column, cheap
                self._widths[col] = max(self._widths[col], display_width(text))
            return
        if self.rows < 1000:
            self._widths[col] = max(self._widths[col], len(str(value)))

    def close(self) -> None:
        if self._file.closed:  # a failed period's writers are closed again when discarded
            return
        if self._sheet is None:  # no rows: still a workbook with its title and header
            self._new_sheet()
        self._finish_sheet()
        try:
            self._book.close()
        finally:
            self._file.close()
        self.sha256 = self._file.hexdigest()


def _kind(t: pa.DataType) -> str:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return "date"
    if pa.types.is_boolean(t):
        return "bool"
    return "text"


class XlsxWriter(Writer):
    format = "xlsx"
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def filename(self, dataset: Dataset, period: Period) -> str:
        return f"xlsx/{dataset.id}_{period.key}.xlsx"

    def open(self, path: Path, dataset: Dataset, schema: pa.Schema) -> _XlsxSession:
        # The period is in the name filename() gave: the writer contract passes none.
        period_key = path.stem[len(dataset.id) + 1:] if path.stem.startswith(dataset.id + "_") else path.stem
        return _XlsxSession(path, dataset, schema, period_key)


@hookimpl(trylast=True)
def register_writers() -> list[Writer]:
    return [XlsxWriter()]
