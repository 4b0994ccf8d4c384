"""The checks a dataset declares beyond each field's own constraints: named
value checks (``check: uscc``) and row rules (:mod:`gongkai_etl.rules`).

Column-wise with pyarrow.compute on the typed rows, like the constraints; a
failing row becomes a reject naming the field, its value and the rule
in words, so a department can fix its file from the rejects file alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.contracts import NamedCheck
from gongkai_etl.datasets import Dataset
from gongkai_etl.normalize.table import rejects_where
from gongkai_etl.rejectset import Rejects
from gongkai_etl.rules import Rule


@dataclass
class RuleEnv:
    """What rules need beyond the rows: the run's date, the previous period's
    published rows, another dataset's rows of this period, the named checks."""

    today: date
    checks: Mapping[str, NamedCheck]
    previous: Callable[[], pa.Table | None]
    reference: Callable[[str], pa.Table | None]


def check_declared(ds: Dataset, table: pa.Table, rows: Sequence[Any], files: Sequence[Any] | None, env: RuleEnv) -> Rejects:
    """Rejects of the named checks of ``ds``'s fields and of its rules."""
    out = Rejects()
    for f in ds.fields:
        if f.check and f.name in table.column_names:
            out += _named(env.checks[f.check], table.column(f.name), None, rows, files, f.name)
        if f.unique and f.name in table.column_names:
            out += _repeated(_col(table, f.name), rows, files, f.name, f.title_zh)
    for rule in ds.checks:
        out += _RULES[rule.kind](rule, ds, table, rows, files, env)
    return out


def _col(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _title(ds: Dataset, name: str) -> str:
    return f"{ds.field(name).title_zh}"


def _condition(rule: Rule, table: pa.Table) -> pa.Array | None:
    """Rows matching ``rule.when`` (None: no condition, every row)."""
    mask = None
    for name, values in rule.when.items():
        hit = pc.is_in(_col(table, name).cast(pa.string()), value_set=pa.array(list(values), pa.string()))
        mask = hit if mask is None else pc.and_(mask, hit)
    return mask


def _when_text(rule: Rule) -> str:
    return "".join(f"，{k} 为 {'/'.join(v)} 时 (when {k} is {'/'.join(v)})" for k, v in rule.when.items())


def _named(check: NamedCheck, values: pa.Array, when: pa.Array | None, rows, files, field: str, extra: str = "") -> Rejects:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(check.valid(values), True)))
    if when is not None:
        bad = pc.and_(bad, pc.fill_null(when, False))
    return rejects_where(bad, values, rows, files, field, check.reason + extra)


def _repeated(values: pa.Array, rows, files, field: str, title: str) -> Rejects:
    """Every occurrence of a value after its first (within the period's rows)."""
    codes = np.asarray(pc.dictionary_encode(values).indices.fill_null(-1))
    first = np.zeros(len(codes), dtype=bool)
    first[np.unique(codes, return_index=True)[1]] = True
    bad = pa.array(~first & (codes >= 0))
    return rejects_where(bad, values, rows, files, field, f"{title}重复 (duplicate {field}: must be unique in the period)")


def _numbers(table: pa.Table, name: str) -> pa.Array:
    return _col(table, name).cast(pa.float64())


def _sum(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    total = _numbers(table, rule.total)
    parts = pc.fill_null(_numbers(table, rule.parts[0]), 0.0)
    for name in rule.parts[1:]:
        parts = pc.add(parts, pc.fill_null(_numbers(table, name), 0.0))
    bad = pc.greater(pc.abs(pc.subtract(parts, total)), rule.tolerance + 1e-9)
    names = " + ".join(_title(ds, p) for p in rule.parts)
    reasons = pa.array(
        [f"{names} = {p:g}，与{_title(ds, rule.total)}不符 (parts add up to {p:g}, not the total; tolerance {rule.tolerance:g})" if p is not None else "" for p in parts.to_pylist()]
    ) if pc.any(pc.fill_null(bad, False)).as_py() else ""
    return rejects_where(bad, _col(table, rule.total), rows, files, rule.total, reasons)


def _compare(op: str, zh: str, en: str) -> Callable[..., Rejects]:
    def run(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
        a, b = _col(table, rule.field), _other(rule, ds, table, env)
        shown_b = b
        if pa.types.is_decimal(a.type) or pa.types.is_integer(a.type) or pa.types.is_floating(a.type):
            a, b = a.cast(pa.float64()), b.cast(pa.float64())
        elif pa.types.is_timestamp(a.type) != pa.types.is_timestamp(b.type):
            a, b = a.cast(pa.timestamp("s")), b.cast(pa.timestamp("s"))
        bad = getattr(pc, op)(a, b)
        other = rule.other if "." in rule.other else _title(ds, rule.other)
        if "." in rule.other:
            other_id, other_field = rule.other.split(".", 1)
            mine = _title(ds, rule.field)
            shown = [f"{mine}{zh} {other_id}.{other_field} {v} ({rule.field} {en} {rule.other} = {v})" for v in shown_b.to_pylist()]
            return rejects_where(bad, _col(table, rule.field), rows, files, rule.field, pa.array(shown))
        return rejects_where(bad, _col(table, rule.field), rows, files, rule.field, f"{zh}{other} ({en} {rule.other})")

    return run


def _other(rule: Rule, ds: Dataset, table: pa.Table, env: RuleEnv) -> pa.Array:
    """The compared values: a field of the row, or (``dataset.field``) the value
    in another dataset's row of this period with the same ``key``."""
    if "." not in rule.other:
        return _col(table, rule.other)
    other_id, other_field = rule.other.split(".", 1)
    key = rule.key or ds.primary_key[-1]
    return values_by_key(table, key, env.reference(other_id), other_field)


def values_by_key(table: pa.Table, key: str, other: pa.Table | None, field: str) -> pa.Array:
    """For each row of ``table``, ``field`` of the row of ``other`` with the same
    ``key`` (null where there is none, or no ``other`` at all): a progress row's
    project households from the project list."""
    if other is None or field not in other.column_names:
        return pa.nulls(table.num_rows, pa.float64())
    at = pc.index_in(_col(table, key), value_set=_col(other, key).cast(table.schema.field(key).type))
    return pc.take(_col(other, field), at)


def _not_future(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    values = _col(table, rule.field)
    if pa.types.is_timestamp(values.type):
        limit = pa.scalar(datetime.combine(env.today, time.max).replace(microsecond=0), values.type)
    else:
        limit = pa.scalar(env.today, values.type)
    bad = pc.greater(values, limit)
    return rejects_where(bad, values, rows, files, rule.field, f"日期晚于今天 {env.today} (a date in the future; today is {env.today})")


def _required_if(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    values = _col(table, rule.field)
    bad = pc.and_(pc.fill_null(_condition(rule, table), False), pc.is_null(values))
    return rejects_where(bad, values, rows, files, rule.field, f"必填字段为空{_when_text(rule)} (required field {_title(ds, rule.field)} is missing)")


def _empty_if(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    values = _col(table, rule.field)
    bad = pc.and_(pc.fill_null(_condition(rule, table), False), pc.is_valid(values))
    return rejects_where(bad, values, rows, files, rule.field, f"此字段须为空{_when_text(rule)} ({_title(ds, rule.field)} must be empty)")


def _check(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    return _named(env.checks[rule.check], _col(table, rule.field), _condition(rule, table), rows, files, rule.field, _when_text(rule))


def _in_dataset(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    values = _col(table, rule.field)
    other = env.reference(rule.dataset)
    key = rule.key or rule.field
    known = pa.array([], values.type) if other is None or key not in other.column_names else _col(other, key).cast(values.type)
    bad = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known)))
    return rejects_where(bad, values, rows, files, rule.field, f"本期 {rule.dataset} 中没有此{_title(ds, rule.field)} (not in this period's {rule.dataset})")


def _not_decreasing(rule: Rule, ds: Dataset, table: pa.Table, rows, files, env: RuleEnv) -> Rejects:
    previous = env.previous()
    if previous is None or previous.num_rows == 0 or table.num_rows == 0:
        return Rejects()
    keys = _col(table, rule.key)
    at = pc.index_in(keys, value_set=_col(previous, rule.key).cast(keys.type))
    out = Rejects()
    for name in rule.fields:
        now = _col(table, name)
        before = pc.take(_col(previous, name).cast(now.type), at)
        bad = pc.less(now, before)
        if not pc.any(pc.fill_null(bad, False)).as_py():
            continue
        shown = [f"{_title(ds, name)}比上期 {b} 减少 (cumulative value below the previous period's {b})" for b in before.to_pylist()]
        out += rejects_where(bad, now, rows, files, name, pa.array(shown))
    return out


_RULES: dict[str, Callable[..., Rejects]] = {
    "sum": _sum,
    "not_before": _compare("less", "早于", "before"),
    "not_after": _compare("greater", "晚于", "after"),
    "not_future": _not_future,
    "at_most": _compare("greater", "超过", "exceeds"),
    "at_least": _compare("less", "少于", "below"),
    "required_if": _required_if,
    "empty_if": _empty_if,
    "check": _check,
    "in_dataset": _in_dataset,
    "not_decreasing": _not_decreasing,
}

__all__ = ["RuleEnv", "check_declared", "values_by_key"]
