"""合计/小计 rows: recognised, checked against the data, left out.

Departments end their tables with a 合计 (total) row and sometimes put 小计
(subtotal) rows after groups. Readers leave those rows out of the data; this
module checks them first, because a total that does not add up usually means
the table is incomplete (rows deleted, filtered or hidden after the total was
typed) or was edited afterwards.

The check, per column:

* a column is checked when every non-empty data cell is a plain number
  (full-width digits, thousands separators and one trailing unit such as 户,
  套, 元, 万元, 亿元 are accepted; a % anywhere leaves the column out, since
  a total of shares is an average, not a sum) and the total row has a number
  in it;
* a 合计/总计 row is compared with the sum of all data rows above it; a 小计
  row with the data rows since the previous 小计 (or the start);
* the tolerance is 0.01, or half a unit of the last decimal shown in the
  column per summed row when that is larger (cells rounded to 0.01 may
  legitimately add up to a total that differs by n x 0.005); whole-number
  columns must add up exactly.

What happens on a mismatch is the reader option ``totals`` (under the input's
``options``): ``warn`` (default: a ``Warning:`` line naming row, column, total
and sum; the run goes on), ``check`` (the period fails with exit 1 and nothing
is published) or ``off`` (no check; the row is still left out).

Why ``warn`` by default: the 合计 row is a summary someone typed or a formula
that went stale when a row was deleted or corrected; the data rows are what is
published and they are validated on their own. A deadline-bound publication
should not stop on a stale summary unless the pipeline asks for it
(``totals: check`` where completeness of the list matters most).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.errors import ConfigError, DataError
from gongkai_etl.extract.headers import cell_text

MODES = ("check", "warn", "off")
DEFAULT_MODE = "warn"
UNITS = ("人次", "户", "人", "套", "个", "次", "辆", "家", "项", "宗", "本", "间", "元", "千元", "万元", "亿元", "平方米", "m2", "亩")
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.(\d+))?)(" + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True)) + ")?$")
_SUBTOTAL = re.compile(r"^\s*小\s*计")


def totals_mode(options: dict[str, Any] | Any) -> str:
    mode = options.get("totals", DEFAULT_MODE) if hasattr(options, "get") else DEFAULT_MODE
    if mode not in MODES:
        raise ConfigError(f"inputs.*.options.totals: expected one of {', '.join(MODES)}, got {mode!r}")
    return str(mode)


def parse_cell(value: Any) -> tuple[Decimal, int, str] | None:
    """(number, decimals shown, unit) of a plain numeric cell, else None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value), 0, ""
    if isinstance(value, float):
        value = repr(value)
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    if not text or "%" in text:
        return None
    m = _NUMBER.match(text)
    if m is None or not any(ch.isdigit() for ch in m[1]):
        return None
    try:
        return Decimal(m[1].replace(",", "")), len(m[2] or ""), m[3] or ""
    except InvalidOperation:
        return None


@dataclass
class _Column:
    name: str
    ok: bool = True  # still a candidate: every non-empty cell so far was a number
    total: Decimal = Decimal(0)  # sum of all data rows
    group: Decimal = Decimal(0)  # sum since the last 小计
    decimals: int = 0
    units: set[str] = field(default_factory=set)


class TotalsCheck:
    """Accumulates column sums of data rows; checks each 合计/小计 row."""

    def __init__(self, columns: list[str], *, location: str, mode: str = DEFAULT_MODE) -> None:
        self.columns = [_Column(c) for c in columns]
        self.location = location
        self.mode = mode
        self.rows = 0
        self.group_rows = 0
        self.warnings: list[str] = []
        self.checked: list[tuple[int, str, str, str]] = []  # (row, column, total, sum) that agreed

    # --- data ---------------------------------------------------------------
    def add_batch(self, batch: pa.RecordBatch) -> None:
        """A batch of data rows (text columns in ``self.columns`` order).

        Cheap on the streaming path: a text column drops out at its first batch;
        NFKC, whitespace removal and unit extraction run only when a batch needs them.
        """
        if self.mode == "off" or batch.num_rows == 0:
            return
        for i, col in enumerate(self.columns):
            if not col.ok:
                continue
            try:
                s = self._column_sum(col, batch.column(i))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                s = None  # beyond 28 integer digits, a lone sign ...: not a table of counts
            if s is None:
                col.ok = False
                continue
            col.total += s
            col.group += s
        self.rows += batch.num_rows
        self.group_rows += batch.num_rows

    @staticmethod
    def _column_sum(col: _Column, arr: pa.Array) -> Decimal | None:
        if not pa.types.is_string(arr.type):
            arr = arr.cast(pa.string())
        arr = arr.filter(pc.fill_null(pc.not_equal(arr, ""), False))
        if len(arr) == 0:
            return Decimal(0)
        if not pc.all(pc.string_is_ascii(arr)).as_py():
            arr = pc.utf8_normalize(arr, "NFKC")  # full-width digits
        if pc.any(pc.match_substring_regex(arr, r"\s")).as_py():
            arr = pc.replace_substring_regex(arr, r"\s+", "")
            arr = arr.filter(pc.not_equal(arr, ""))
        if not pc.all(pc.match_substring_regex(arr, _NAMED)).as_py():
            return None
        number = arr
        if pc.any(pc.match_substring_regex(arr, r"[^0-9.,+\-]")).as_py():  # a unit after the number
            parts = pc.extract_regex(arr, _NAMED)
            number = pc.struct_field(parts, "num")
            col.units |= {u for u in pc.unique(pc.struct_field(parts, "unit")).to_pylist() if u}
        if pc.any(pc.match_substring(number, ",")).as_py():
            number = pc.replace_substring(number, ",", "")
        dot = pc.find_substring(number, ".")
        frac = pc.if_else(pc.greater_equal(dot, 0), pc.subtract(pc.subtract(pc.utf8_length(number), dot), 1), 0)
        col.decimals = max(col.decimals, pc.max(frac).as_py() or 0)
        return pc.sum(pc.cast(number, pa.decimal128(38, 10))).as_py() or Decimal(0)

    # --- a 合计/小计 row ------------------------------------------------------
    def total_row(self, row: int, values: list[Any]) -> None:
        if self.mode == "off":
            return
        label = next((cell_text(v) for v in values[:4] if cell_text(v)), "")
        subtotal = bool(_SUBTOTAL.match(label))
        n = self.group_rows if subtotal else self.rows
        problems: list[str] = []
        for i, col in enumerate(self.columns):
            if i >= len(values) or not col.ok or len(col.units) > 1:
                continue
            parsed = parse_cell(values[i])
            if parsed is None:
                continue
            expected = col.group if subtotal else col.total
            shown = max(col.decimals, parsed[1])
            # each of the n cells and the total itself may be off by half a unit of
            # the shown precision; whole numbers are exact
            rounding = Decimal(n + 1) * Decimal(5).scaleb(-shown - 1) if shown else Decimal(0)
            tolerance = max(Decimal("0.01"), rounding)
            if abs(parsed[0] - expected) > tolerance:
                problems.append(f"{col.name}: {label} {_fmt(parsed[0])} ≠ 数据合计 {_fmt(expected)} (sum of {n} rows)")
            else:
                self.checked.append((row, col.name, _fmt(parsed[0]), _fmt(expected)))
        if subtotal:
            for col in self.columns:
                col.group = Decimal(0)
            self.group_rows = 0
        if not problems:
            return
        message = (
            f"第 {row} 行{label}与数据不符 (the {label} row does not add up: " + "; ".join(problems)
            + "; rows missing, or the total typed by hand?"
            + (" set `totals: warn` under the input's `options` to publish anyway)" if self.mode == "check" else ")")
        )
        if self.mode == "warn":
            self.warnings.append(f"{self.location}, row {row}: {message}")
            return
        raise DataError(message, file=self.location, row=row)


_NAMED = (
    r"^(?P<num>[+-]?(?:\d+(?:,\d{3})*|\d*)(?:\.(?P<frac>\d+))?)(?P<unit>"
    + "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
    + r")?$"
)


def _fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
