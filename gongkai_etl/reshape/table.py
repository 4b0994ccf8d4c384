"""Reshape steps with petl on a table held whole (workbook, JSON, a small CSV).

petl's views are lazy and row-wise, which is what reshaping a department's
sheet needs (fill down, melt, split); the sheet is small, so it goes from
Arrow to petl and back once per input. ``_row`` travels as an ordinary field,
so every output row still names the sheet row it came from (all the rows an
unpivot makes from one sheet row name that row).
"""

from __future__ import annotations

import re
from typing import Any

import petl
import pyarrow as pa

from gongkai_etl.contracts import ROW_COLUMN
from gongkai_etl.periods import Period
from gongkai_etl.reshape.values import (
    bad_period_value,
    combine_cells,
    period_bounds,
    value_month,
)
from gongkai_etl.reshape_spec import ReshapeStep


def to_petl(table: pa.Table) -> Any:
    """Text cells as the column mapping would make them (Arrow's cast: a JSON true is
    ``true``, not Python's ``True``), ``_row`` as numbers."""
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if name != ROW_COLUMN and column.type != pa.string():
            try:
                column = column.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # a nested value: left as it is, the mapping reports it
        columns.append(column.to_pylist())
    return petl.fromcolumns(columns, header=table.column_names)


def to_arrow(view: Any, columns: list[str]) -> pa.Table:
    """The petl view as text columns plus ``_row`` (the order of ``columns``)."""
    header = list(petl.header(view))
    rows = list(petl.data(view))
    out: dict[str, pa.Array] = {}
    for name in [*columns, ROW_COLUMN]:
        i = header.index(name)
        values = [r[i] for r in rows]
        if name == ROW_COLUMN:
            out[name] = pa.array(values, pa.int64())
        else:
            out[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(out)


def apply_view(view: Any, step: ReshapeStep, period: Period, location: str) -> Any:
    """``view`` after one step (lazy, like every petl transform)."""
    args = step.args
    if step.kind == "fill_down":
        # Blank strings count as missing: an export leaves '' where a merged cell was.
        view = petl.convert(view, args["columns"], lambda v: None if v is None or not str(v).strip() else v)
        return petl.filldown(view, *args["columns"], missing=None)
    if step.kind == "unpivot":
        keep = args.get("keep") or [h for h in petl.header(view) if h not in args["columns"] and h != ROW_COLUMN]
        view = petl.cut(view, *keep, *args["columns"], ROW_COLUMN)
        return petl.melt(view, key=[*keep, ROW_COLUMN], variables=args["columns"], variablefield=args["name"], valuefield=args["value"])
    if step.kind == "combine":
        columns = args["columns"]
        return petl.addfield(view, args["into"], lambda rec: combine_cells([_text(rec[c]) for c in columns], args))
    if step.kind == "split":
        return _split(view, args)
    if step.kind == "map_values":
        values = args["values"]
        return petl.convert(view, args["column"], lambda v: values.get(v.strip(), v) if isinstance(v, str) else v)
    if step.kind == "drop_rows":
        test = _condition(args["where"])
        return petl.select(view, args["where"]["column"], lambda v: not test(v))
    if step.kind == "select_period":
        return petl.select(view, args["column"], _period_test(step, period, location, view))
    raise AssertionError(step.kind)


def _split(view: Any, args: dict[str, Any]) -> Any:
    into, sep = args["into"], args["sep"]

    def parts(value: Any) -> list[str | None]:
        pieces = [] if value in (None, "") else [p.strip() for p in str(value).split(sep, len(into) - 1)]
        return (pieces + [None] * len(into))[: len(into)]

    # The source column stays (a mapping may still want it); the parts come after it.
    for i, name in enumerate(into):
        view = petl.addfield(view, name, lambda rec, i=i: parts(rec[args["column"]])[i])
    return view


def _condition(where: dict[str, Any]) -> Any:
    op, operand = where["op"], where["operand"]
    if op == "empty":
        return lambda v: (v is None or not str(v).strip()) == operand
    if op == "equals":
        return lambda v: v is not None and str(v).strip() == operand
    if op == "in":
        wanted = set(operand)
        return lambda v: v is not None and str(v).strip() in wanted
    pattern = re.compile(operand)
    return lambda v: v is not None and pattern.search(str(v)) is not None


def _period_test(step: ReshapeStep, period: Period, location: str, view: Any) -> Any:
    first, last = period_bounds(period)
    header = list(petl.header(view))
    column = header.index(step.args["column"])
    row_at = header.index(ROW_COLUMN)

    def test(value: Any) -> bool:
        text = _text(value)
        if text is None or not text.strip():
            return True  # a blank date is kept: the dataset's validation rejects it, visibly
        month = value_month(text)
        if month is None:
            # the row's number is looked up only for the error
            row = next((r[row_at] for r in petl.data(view) if _text(r[column]) == text), None)
            raise bad_period_value(step, location, row, value)
        return first <= month <= last

    return test


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
