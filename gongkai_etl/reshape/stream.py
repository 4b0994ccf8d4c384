"""Reshape steps as Arrow kernels, batch by batch: the streaming CSV path.

A large CSV is never held whole, so only steps that need nothing but the
current row run here (select_period, map_values, drop_rows, combine). Every
step works on text columns and keeps ``_row``, so a reject still points at
the line of the file.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.contracts import ROW_COLUMN
from gongkai_etl.periods import Period
from gongkai_etl.reshape.values import (
    MONTH_PREFIX,
    bad_period_value,
    combine_cells,
    period_bounds,
)
from gongkai_etl.reshape_spec import ReshapeStep


def apply_batch(batch: pa.RecordBatch, step: ReshapeStep, period: Period, location: str) -> pa.RecordBatch:
    """``batch`` after one streamable step."""
    args = step.args
    if step.kind == "select_period":
        return batch.filter(_in_period(batch, step, period, location))
    if step.kind == "drop_rows":
        return batch.filter(pc.invert(drop_mask(batch.column(args["where"]["column"]), args["where"])))
    if step.kind == "map_values":
        return _replace(batch, args["column"], map_values(batch.column(args["column"]), args["values"]))
    if step.kind == "combine":
        return _add(batch, args["into"], _combine(batch, args))
    raise AssertionError(step.kind)  # callers check step.streams


def drop_mask(column: pa.Array, where: dict) -> pa.Array:
    """True for the rows a drop_rows condition drops (a blank cell never equals a text)."""
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    op, operand = where["op"], where["operand"]
    if op == "empty":
        blank = pc.or_kleene(pc.is_null(text), pc.equal(text, ""))
        return pc.fill_null(blank if operand else pc.invert(blank), False)
    if op == "equals":
        mask = pc.equal(text, operand)
    elif op == "in":
        mask = pc.is_in(text, value_set=pa.array(operand, pa.string()))
    else:
        mask = pc.match_substring_regex(column.cast(pa.string()), operand)
    return pc.fill_null(mask, False)


def map_values(column: pa.Array, values: dict[str, str | None]) -> pa.Array:
    """Cells equal (spaces aside) to a key become its value; other cells stay."""
    column = column.cast(pa.string())
    keys = pa.array(list(values), pa.string())
    index = pc.index_in(pc.utf8_trim_whitespace(column), value_set=keys)
    mapped = pc.take(pa.array(list(values.values()), pa.string()), index)
    return pc.if_else(pc.is_null(index), column, mapped)


def _in_period(batch: pa.RecordBatch, step: ReshapeStep, period: Period, location: str) -> pa.Array:
    column = batch.column(step.args["column"]).cast(pa.string())
    parts = pc.extract_regex(column, MONTH_PREFIX)
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True)
    month_text = pc.if_else(pc.equal(parts.field("m"), ""), parts.field("m2"), parts.field("m"))
    month = pc.cast(pc.if_else(pc.equal(pc.fill_null(month_text, ""), ""), "0", month_text), pa.int64())
    bad = pc.and_(pc.invert(blank), pc.or_(pc.is_null(parts), pc.invert(pc.and_(pc.greater_equal(month, 1), pc.less_equal(month, 12)))))
    bad = pc.fill_null(bad, True)
    if pc.any(bad).as_py():
        at = pc.index(bad, True).as_py()
        raise bad_period_value(step, location, batch.column(ROW_COLUMN)[at].as_py(), column[at].as_py())
    year = pc.cast(pc.if_else(pc.is_null(parts), "0", parts.field("y")), pa.int64())
    index = pc.add(pc.multiply(year, 12), pc.subtract(month, 1))
    first, last = period_bounds(period)
    inside = pc.and_(pc.greater_equal(index, first), pc.less_equal(index, last))
    # A blank date is kept: the dataset's own validation rejects it, visibly.
    return pc.fill_null(pc.or_(blank, inside), True)


def _combine(batch: pa.RecordBatch, args: dict) -> pa.Array:
    columns = [batch.column(c).cast(pa.string()) for c in args["columns"]]
    texts = [pc.utf8_trim_whitespace(c) for c in columns]
    blanks = [pc.fill_null(pc.equal(t, ""), True) for t in texts]
    blank = blanks[0]
    for b in blanks[1:]:
        blank = pc.or_(blank, b)
    if args["as"] == "text":
        if not pc.any(blank).as_py():
            return pc.binary_join_element_wise(*texts, args["sep"])
        # Blank parts are left out, as the row-wise path does.
        rows = zip(*(c.to_pylist() for c in columns), strict=True)
        return pa.array([combine_cells(list(parts), args) for parts in rows], pa.string())
    digits = [pc.fill_null(pc.match_substring_regex(t, r"^\d{1,4}$"), False) for t in texts]
    numbers = [pc.cast(pc.if_else(d, t, "0"), pa.int64()) for d, t in zip(digits, texts, strict=True)]
    ok = digits[0]
    for d in digits[1:]:
        ok = pc.and_(ok, d)
    year, month, day = numbers[:3]
    ok = pc.and_(ok, pc.and_(_between(month, 1, 12), _between(day, 1, 31)))
    pieces = [pc.utf8_lpad(pc.cast(year, pa.string()), width=4, padding="0"), "-", _two(month), "-", _two(day)]
    if args["as"] == "datetime":
        hour = pc.add(numbers[3], 1 if args["hour"] == "beginning" else 0)
        ok = pc.and_(ok, _between(hour, 1, 24))
        pieces += [" ", _two(hour), ":00"]
    good = pc.binary_join_element_wise(*pieces, "")
    if pc.all(pc.or_(ok, blank)).as_py():
        out = good
    else:  # the few bad cells: the row-wise rule, so both paths write the same text
        bad = pa.array([combine_cells(list(p), args) for p in zip(*(c.to_pylist() for c in columns), strict=True)], pa.string())
        out = pc.if_else(ok, good, bad)
    return pc.if_else(blank, pa.scalar(None, pa.string()), out)


def _between(values: pa.Array, low: int, high: int) -> pa.Array:
    return pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))


def _two(values: pa.Array) -> pa.Array:
    return pc.utf8_lpad(pc.cast(values, pa.string()), width=2, padding="0")


def _replace(batch: pa.RecordBatch, name: str, values: pa.Array) -> pa.RecordBatch:
    i = batch.schema.get_field_index(name)
    arrays = [values if j == i else batch.column(j) for j in range(batch.num_columns)]
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema.set(i, pa.field(name, pa.string())))


def _add(batch: pa.RecordBatch, name: str, values: pa.Array) -> pa.RecordBatch:
    """A new column before ``_row`` (an existing one of that name is replaced)."""
    names = [n for n in batch.schema.names if n not in (name, ROW_COLUMN)]
    arrays = [batch.column(n) for n in names]
    return pa.RecordBatch.from_arrays([*arrays, values, batch.column(ROW_COLUMN)], names=[*names, name, ROW_COLUMN])
