"""The .xlsx fast path: fastexcel (calamine in Rust) hands the sheet over as Arrow
string columns, with no Python object per cell.

python-calamine's ``to_python()`` builds a Python object per cell and the reader
then turned them into text column by column: at 200k rows x 12 columns that was
most of an Excel run. Here the cells stay in Arrow and only the rows that may
be special (blank, 合计, 注：, a typed date) are looked at in Python, so the
reader's outcome is the same as :func:`excel_reader.read_sheet`'s rows would give:

* fastexcel renders every cell as text, not always as ``_text`` does: whole numbers
  agree (18-digit IDs in full digits), but a fraction is rounded to 9 decimals
  (``0.333333333`` against Python's ``0.3333333333333333``), a number below 1e-4 is
  written out (``0.000015`` against ``1.5e-05``), a date reads ``2024-01-05 00:00:00``
  where ``_text`` gives ``2024-01-05``. Cells that
  look like these are checked against a typed load of their column (a datetime load
  for dates, a float load for fractions; a text cell that merely reads like a date or
  a number stays as written) and rewritten. The float load is a second parse of the
  sheet; when the top of the sheet shows fractions it runs beside the first.
  Times of day, durations ([h]:mm) and 1904-based workbooks, which fastexcel shows as
  dates near an epoch, are left to python-calamine (:class:`NotHere`).
* merged ranges, which fastexcel does not report, are read from the sheet's XML.
"""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.errors import InputError

Merge = tuple[int, int, int, int]
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: A cell of column A with a value (or a formula); a cell element without ``r``, or
#: with a namespace prefix, is not seen and costs only the slower load below.
_VALUE_IN_A = re.compile(rb'<c r="A[0-9]+"[^>/]*>\s*<(?:v|is|f)[\s>]')
_MERGE = re.compile(rb'mergeCell\s[^>]*?ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
#: Python's ``str.strip`` whitespace (``cell_text``), spelled for RE2, whose ``\s`` is ASCII only.
_WS = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}"
_BLANK = f"^[{_WS}]*$"
#: Every character a 合计 label (needs 计 or 和) or a footnote (FOOTNOTE's first letters) must hold.
_SPECIAL = "[计和注说备填制审负联数资单]"
#: A number with a fraction as fastexcel renders it.
_FRACTION = "^-?[0-9]+\\.[0-9]+$"
_FRACTION_XML = re.compile(rb"<v>-?[0-9]*\.[0-9]")
#: How fastexcel renders a typed date or a number below 1e-4 (see the module docstring).
_SUSPECT = "^(-?0\\.0000|\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d+)?$)"


def sheets(path: Path) -> list[tuple[str, bool, str]]:
    """(name, visible, member of the zip holding its XML) of every sheet, in workbook order."""
    with zipfile.ZipFile(path) as z:
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    if any(el.tag.endswith("workbookPr") and el.get("date1904") in ("1", "true") for el in book.iter()):
        raise NotHere("1904 date system")  # times fastexcel shows against another epoch
    out = []
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        target = targets.get(el.get(_NS_REL), "")
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out.append((el.get("name", ""), el.get("state", "visible") == "visible", member))
    return out


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def scan(path: Path, member: str) -> tuple[list[Merge], bool]:
    """The merged ranges of a sheet, 0-based (first row, first col, last row, last col),
    and whether column A holds a value (then fastexcel's columns start at A).

    ``<mergeCells>`` follows the cell data, so the member is inflated to its end;
    only the tail from ``mergeCells`` on is searched.
    """
    tail, found, in_a = b"", None, False
    with zipfile.ZipFile(path) as z, z.open(member) as fh:
        while chunk := fh.read(1 << 20):
            if found is not None:
                found += chunk
                continue
            buf = tail + chunk
            in_a = in_a or _VALUE_IN_A.search(buf) is not None
            at = buf.find(b"mergeCells")
            if at >= 0:
                found = buf[at:]
            tail = buf[-64:]
    spans = _MERGE.findall(found) if found else []
    return [(int(r0) - 1, _column(c0), int(r1) - 1, _column(c1)) for c0, r0, c1, r1 in spans], in_a


def pick_sheet(path: Path, sheet: str | int | None) -> tuple[str, str]:
    """(name, zip member) of the sheet the reader takes: the first visible unless told."""
    found = sheets(path)
    if not found:
        raise ValueError("no sheets")
    try:
        if sheet is None:
            name, _, member = next((s for s in found if s[1]), found[0])
        elif isinstance(sheet, int):
            name, _, member = found[sheet]
        else:
            name, _, member = next(s for s in found if s[0] == sheet)
    except (IndexError, StopIteration):
        raise InputError(f"工作表不存在 (sheet {sheet!r} not found)", file=path) from None
    return name, member


class NotHere(Exception):
    """A workbook this path does not read exactly as python-calamine: the reader takes that path."""


def _render(text: str) -> str:
    """``_text`` of the typed cell fastexcel rendered as ``text`` (a date or a tiny number)."""
    if not text[:1].isdigit() or text[4:5] != "-":
        return repr(float(text))
    day, clock, frac = text[:10], text[11:19], text[20:]
    if day < "1900-03-01":
        # A time of day (python-calamine: datetime.time) or a duration such as [h]:mm
        # (timedelta, '1 day, 12:00:00'): fastexcel shows both as dates near the epoch
        # and keeps not the cell's kind, so such sheets go the python-calamine way.
        raise NotHere(f"time or duration cell {text!r}")
    if clock == "00:00:00":
        return day
    micro = f".{frac.ljust(6, '0')[:6]}" if frac else ""
    return f"{day} {clock}{micro}"


def _suspects(col: pa.Array) -> pa.Array | None:
    """Which cells read like fastexcel's rendering of a date or a tiny number; None if none.

    Cheap kernels first (a whole-column regex costs ~17 ms per 200k cells, these 1-2 ms):
    a rendered date has 19, 23, 26 or 29 bytes, a tiny number starts ``0.0000``.
    """
    stamp = pc.any(pc.is_in(pc.binary_length(col), pa.array([19, 23, 26, 29], pa.int32()))).as_py()
    tiny = pc.any(pc.or_(pc.starts_with(col, "0.0000"), pc.starts_with(col, "-0.0000"))).as_py()
    if not (stamp or tiny):
        return None
    mask = pc.match_substring_regex(col, _SUSPECT)
    return mask if pc.any(mask).as_py() else None


def load_columns(path: Path, name: str, member: str) -> tuple[list[pa.Array], list[Merge]]:
    """The sheet as one string column per sheet column from A (rows from row 1), and its merges."""
    import fastexcel

    got: dict[str, Any] = {}

    def read_merges() -> None:
        try:
            got["merges"], got["in_a"] = scan(path, member)
        except Exception as exc:  # reported after the load, which may explain it better
            got["error"] = exc

    def read_floats() -> None:
        try:
            got["floats"] = fastexcel.read_excel(str(path)).load_sheet(
                name, header_row=None, skip_rows=0, dtypes="float", eager=True
            )
        except Exception as exc:  # then the load after the string one says what is wrong
            got["floats_error"] = exc

    worker = threading.Thread(target=read_merges, daemon=True)
    worker.start()  # inflating the XML overlaps fastexcel's parse
    floats = threading.Thread(target=read_floats, daemon=True)
    if fractions_ahead(path, member):
        floats.start()  # the second parse _fix_fractions needs, beside the first (fastexcel frees the GIL)
    reader = fastexcel.read_excel(str(path))
    # Eager is ~0.2 s quicker at 200k rows than the lazy sheet, but tells not where the
    # columns start: fastexcel begins at the first used column, python-calamine at A.
    batch = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", eager=True)
    worker.join()
    if "error" in got:
        raise got["error"]
    pad = 0
    if not got["in_a"]:
        ws = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        info = ws.available_columns()
        batch, pad = ws.to_arrow(), (info[0].absolute_index if info else 0)
    nulls = pa.nulls(batch.num_rows, pa.string())
    columns: list[pa.Array] = [nulls] * pad
    suspects: dict[int, pa.Array] = {}
    for i in range(batch.num_columns):
        col = batch.column(i)
        empty = pc.equal(col, "")
        if pc.any(empty).as_py():
            col = pc.if_else(empty, pa.scalar(None, pa.string()), col)
        mask = _suspects(col)
        if mask is not None:
            suspects[i] = mask
        columns.append(col)
    if suspects:
        # Only a typed cell converts to a datetime: a text cell reading like one stays text.
        # (use_columns counts from column A, unlike the loaded batch.)
        typed, _ = reader.load_sheet(
            name, header_row=None, skip_rows=0, use_columns=[pad + i for i in suspects], dtypes="datetime"
        ).to_arrow_with_errors()
        for k, (i, mask) in enumerate(suspects.items()):
            fix = pc.and_(mask, pc.is_valid(typed.column(k)))
            if not pc.any(fix).as_py():
                continue
            col = columns[pad + i]
            new = [_render(t) for t in pc.filter(col, fix).to_pylist()]
            columns[pad + i] = pc.replace_with_mask(col, fix, pa.array(new, pa.string()))
    def float_columns(wanted: list[int]) -> list[pa.Array]:
        if floats.ident is not None:
            floats.join()
            if "floats" in got:
                return [got["floats"].column(i - pad) for i in wanted]
        batch = reader.load_sheet(name, header_row=None, skip_rows=0, use_columns=wanted, dtypes="float", eager=True)
        return [batch.column(k) for k in range(len(wanted))]

    _fix_fractions(float_columns, columns, pad)
    return columns, got.get("merges", [])


def _nine(value: float) -> str:
    """How fastexcel renders a number that is not whole: 9 decimals, trailing zeros dropped."""
    return f"{value:.9f}".rstrip("0").rstrip(".")


def fractions_ahead(path: Path, member: str) -> bool:
    """Whether the first 256 KiB of the sheet's XML hold a number with a fraction: then the
    float load is started beside the string one rather than after it. A guess; either way
    the outcome is the same, only the time differs."""
    with zipfile.ZipFile(path) as z, z.open(member) as fh:
        return _FRACTION_XML.search(fh.read(1 << 18)) is not None


def _fix_fractions(float_columns: Callable[[list[int]], list[pa.Array]], columns: list[pa.Array], pad: int) -> None:
    """Numbers that are not whole, as Python's ``repr`` shows them (``_text``), not rounded
    to 9 decimals as fastexcel renders them: 0.1+0.2 is ``0.30000000000000004``, and
    123456789.123 is ``123456789.123``, not ``123456789.122999996``. The 9-decimal text
    cannot tell 0.3 from 0.30000000000000004, so columns holding such numbers are loaded
    again as floats (a second parse of the sheet: the price of being exact)."""
    wanted = [i for i in range(pad, len(columns)) if pc.any(pc.match_substring(columns[i], ".")).as_py()]
    masks = {i: pc.fill_null(pc.match_substring_regex(columns[i], _FRACTION), False) for i in wanted}
    # A zero may be noise below 5e-10 (0.1+0.2-0.3) in a column of fractions. (-0.0 is
    # left as fastexcel shows it, -0: a text cell "-0" could not be told from it.)
    masks = {i: pc.or_(m, pc.fill_null(pc.equal(columns[i], "0"), False)) for i, m in masks.items() if pc.any(m).as_py()}
    if not masks:
        return
    loaded = float_columns(list(masks))
    for k, (i, mask) in enumerate(masks.items()):
        texts = pc.filter(columns[i], mask).to_pylist()
        values = pc.filter(loaded[k], mask).to_pylist()
        new = [_fraction(t, v) for t, v in zip(texts, values, strict=True)]
        if new != texts:
            columns[i] = pc.replace_with_mask(columns[i], mask, pa.array(new, pa.string()))


def _fraction(text: str, value: float | None) -> str:
    """``_text`` of the cell fastexcel rendered as ``text`` and loads as ``value``.

    A text cell parses as a float too: it is left as written unless it reads exactly
    as fastexcel renders that float, and then ``_text`` gives the same text, but for
    text spelling a number below 1e-4 (typed ones were rewritten before: see _SUSPECT).
    """
    if value is None or text.startswith(("0.0000", "-0.0000")):
        return text
    shown = str(int(value)) if value.is_integer() else repr(value)
    return shown if shown != text and text == _nine(value) else text


def blank_cells(col: pa.Array) -> pa.Array:
    """Per cell, whether ``cell_text`` of it is empty."""
    return pc.fill_null(pc.match_substring_regex(col, _BLANK), True)


def odd_rows(columns: list[pa.Array], first: int, upto: int) -> list[int]:
    """Rows in ``first``..``upto - 1`` that may be blank, a 合计 row or a footnote.

    Any other row's first non-blank cell is its first column's, holding none of
    the letters such rows start with: it is data, and needs no Python look.
    """
    used = next((c for c in columns if c.null_count < len(c)), None)
    if used is None or upto <= first:
        return list(range(first, max(upto, first)))
    col = used.slice(first, upto - first)
    odd = pc.or_(blank_cells(col), pc.fill_null(pc.match_substring_regex(col, _SPECIAL), False))
    return [first + i for i in pc.indices_nonzero(odd).to_pylist()]


def fill_vertical(columns: list[pa.Array], spans: list[Merge], first: int, upto: int) -> None:
    """Copy a vertically merged cell's value down the empty cells it covers, rows
    ``first``..``upto - 1`` (as ``_apply_merges(vertical_only=True)`` on rows)."""
    by_col: dict[int, list[Merge]] = {}
    for span in spans:
        r0, c0, r1, c1 = span
        if c0 == c1 and r0 >= first and r0 < upto and c0 < len(columns):
            by_col.setdefault(c0, []).append(span)
    for c, group in by_col.items():
        values = columns[c].to_pylist()
        for r0, _, r1, _ in group:
            for r in range(r0, min(r1, upto - 1) + 1):
                if values[r] is None:
                    values[r] = values[r0]
        columns[c] = pa.array(values, pa.string())


def top_rows(columns: list[pa.Array], upto: int) -> list[list[Any]]:
    """The first ``upto`` rows as Python lists (header search and merges work on these)."""
    if not columns:
        return [[] for _ in range(upto)]
    return [list(r) for r in zip(*(c.slice(0, upto).to_pylist() for c in columns), strict=True)]


def last_used_row(columns: list[pa.Array]) -> int:
    """One past the last row with a non-blank cell (0 for an empty sheet).

    Looks at the bottom of the sheet first, a growing window at a time: the
    last used row is nearly always within a few rows of the end.
    """
    used = [c for c in columns if c.null_count < len(c)]
    n = len(columns[0]) if columns else 0
    window = 64
    end = n
    while used and end > 0:
        begin = max(0, end - window)
        last = -1
        for col in used:
            hit = pc.indices_nonzero(pc.invert(blank_cells(col.slice(begin, end - begin))))
            if len(hit):
                last = max(last, hit[-1].as_py())
        if last >= 0:
            return begin + last + 1
        end, window = begin, window * 4
    return 0
