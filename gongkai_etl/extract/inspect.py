"""What a raw input looks like to the engine: the analysis behind ``etl inspect``.

The file is read by the same reader, with the same header detection, merged
cells and 合计 rows as ``etl run`` reads it, so what inspect shows is what a
run will see. Each column is profiled from its values: sample values, blanks,
the type the engine's value parsers accept for every value, the unit its
header carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai_etl.contracts import ROW_COLUMN, RawTable, Reader
from gongkai_etl.errors import InputError, NormalizeError
from gongkai_etl.extract.headers import cell_text, header_key, header_unit, is_title_row
from gongkai_etl.values import (
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_month,
    written_month,
)

#: Values profiled per column: enough to tell a type, few enough to stay instant.
PROFILE_ROWS = 2000
_TYPES = (("integer", parse_int), ("decimal", parse_decimal), ("date", parse_date), ("datetime", parse_datetime), ("month", parse_month))


@dataclass
class ColumnProfile:
    name: str
    samples: list[str]
    type: str
    unit: str | None
    blanks: int
    distinct: int
    #: the first and last month (``2016-08``) of a date-like column, else None
    months: tuple[str, str] | None = None


@dataclass
class Inspection:
    location: str
    reader: str
    rows: int
    columns: list[ColumnProfile]
    raw: RawTable
    encoding: str | None = None
    sheets: list[tuple[str, bool]] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1
    header_depth: int = 1
    title_rows: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    excluded: list[tuple[int, str]] = field(default_factory=list)

    def header_reason(self, expected: Sequence[str]) -> str:
        """Why this header: in Chinese and English, for the report."""
        rows = f"第 {self.header_row} 行" if self.header_depth == 1 else f"第 {self.header_row}-{self.header_row + self.header_depth - 1} 行"
        span = f"rows {self.header_row}-{self.header_row + self.header_depth - 1}" if self.header_depth > 1 else f"row {self.header_row}"
        why = [f"{rows} ({span}, {self.header_depth} 行表头 header row{'s' if self.header_depth > 1 else ''})"]
        if expected:
            why.append(f"与数据集的列名匹配 {len(self.matched)} 个 (matches {len(self.matched)} of the dataset's column names)")
        else:
            why.append("标题行之下的第一行 (the first row that is not a title; give --dataset to match column names)")
        if self.title_rows:
            why.append("跳过标题行 (title rows skipped): " + " | ".join(self.title_rows))
        return "; ".join(why)


def inspect_input(location: str, reader: Reader, options: Mapping[str, Any], expected: Iterable[str] = ()) -> Inspection:
    """Read ``location`` as a run would and profile what came out."""
    expected = list(expected)
    raw = reader.read(location, options, expected=expected)
    table = raw.to_table()
    meta = raw.meta
    columns = [c for c in table.column_names if c != ROW_COLUMN]
    wanted = {header_key(e) for e in expected}
    out = Inspection(
        location=raw.location,
        reader=reader.name,
        rows=table.num_rows,
        columns=[profile(name, table.column(name).to_pylist()[:PROFILE_ROWS]) for name in columns],
        raw=raw,
        encoding=meta.get("encoding"),
        sheet=meta.get("sheet"),
        header_row=int(meta.get("header_row") or 1),
        header_depth=int(meta.get("header_depth") or 1),
        matched=[c for c in columns if header_key(c) in wanted],
        excluded=list(raw.excluded),
    )
    if out.sheet is not None:
        from gongkai_etl.extract.excel_reader import read_sheet, workbook_sheets

        out.sheets = workbook_sheets(Path(location))
        rows, _, _ = read_sheet(Path(location), out.sheet)
        out.title_rows = _titles(rows[: out.header_row - 1])
    elif out.encoding is not None:
        out.title_rows = _titles(_text_head(location, out.encoding, meta.get("delimiter") or ",", out.header_row - 1))
    return out


def profile(name: str, values: list[Any]) -> ColumnProfile:
    texts = [cell_text(v) for v in values]
    present = [t for t in texts if t]
    samples: list[str] = []
    for t in present:
        if t not in samples:
            samples.append(t)
        if len(samples) == 3:
            break
    kind = "text" if present else "empty"
    for type_name, parse in _TYPES if present else ():
        try:
            for t in present:
                parse(t)
        except (NormalizeError, ValueError, TypeError, ArithmeticError):
            continue
        kind = type_name
        break
    if kind == "integer" and any(len(t) > 1 and t.startswith("0") for t in present):
        kind = "text"  # codes with leading zeros (邮编, 区划代码) are identifiers, not numbers
    months = None
    if kind in ("date", "datetime", "month"):
        keys = sorted({_month_of(kind, t) for t in present})
        months = (keys[0], keys[-1])
    return ColumnProfile(name, samples, kind, header_unit(name)[1], len(texts) - len(present), len(set(present)), months)


def _month_of(kind: str, text: str) -> str:
    # as written: an hour-ending file's last hour, 2016-09-30 24:00, is September
    written = written_month(text)
    if written is None:
        return parse_month(text) or ""
    return f"{written[0]:04d}-{written[1]:02d}"


def _titles(rows: Sequence[Sequence[Any]]) -> list[str]:
    return [next(cell_text(c) for c in r if cell_text(c)) for r in rows if any(cell_text(c) for c in r) and is_title_row(r)]


def _text_head(location: str, encoding: str, delimiter: str, count: int) -> list[list[str]]:
    import csv

    if count <= 0:
        return []
    try:
        with open(location, encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            return [row for _, row in zip(range(count), reader, strict=False)]
    except OSError as exc:
        raise InputError(f"无法读取 (cannot read): {exc}", file=location) from None

