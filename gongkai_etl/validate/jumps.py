"""Unit jumps: a numeric column about 10, 100, 1,000 or 10,000 times (or that
fraction of) the previously published period, key by key.

Such a jump is what a unit read wrongly looks like (a 元 column published as
万元 is 10,000 times too large), and it passes every range check. A single
key moving tenfold happens; most keys of a column moving by the same power of
ten together does not, so the check looks at the whole column: the median
ratio over the keys found in both periods, at least :data:`MIN_KEYS` of them,
and a clear majority of keys agreeing on it.
"""

from __future__ import annotations

import math
from statistics import median

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import values as nz
from gongkai_etl.datasets import Dataset, Field

#: Fewer keys in common than this say nothing about a unit.
MIN_KEYS = 3
#: How far (in log10) a ratio may be from a power of ten to count as one.
TOLERANCE = 0.1
#: Share of the common keys that must show the same power of ten.
AGREEING = 0.8
_NUMERIC = ("integer", "number", "decimal")
#: Units named in the message, most used first: the likely mistake is the one
#: whose exponent against the field's unit explains the jump.
_UNIT_NAMES = ("元", "千元", "万元", "亿元", "μg/m³", "mg/m³", "m", "km", "m²", "公顷", "km²")


def _likely_mistake(f: Field, power: int) -> str:
    """``元 当作 万元`` for a 万元 field 10,000 times too large."""
    if f.unit:
        for name in _UNIT_NAMES:
            try:
                if nz.unit_exponent(name, f.unit) == -power:
                    return f"可能把 {name} 当作了 {f.unit} (likely {name} read as {f.unit})"
            except Exception:  # noqa: BLE001 - another dimension: not this unit
                continue
    return "可能是单位错误 (likely a unit mistake)"


def _logs(current: pa.Table, previous: pa.Table, key: list[str], name: str) -> list[float]:
    """log10(current / previous) of the field over the keys both periods have,
    where both values are non-zero."""
    left = current.select([*key, name])
    right = previous.select([*key, name]).rename_columns([*key, "__previous"])
    joined = left.join(right, keys=key, join_type="inner")
    now = pc.abs(joined.column(name).cast(pa.float64()))
    then = pc.abs(joined.column("__previous").cast(pa.float64()))
    both = pc.and_(pc.greater(now, 0), pc.greater(then, 0))
    ratios = pc.divide(pc.filter(now, both), pc.filter(then, both)).to_pylist()
    return [math.log10(r) for r in ratios if r is not None and math.isfinite(r)]


def find_unit_jumps(dataset: Dataset, current: pa.Table, previous: pa.Table | None, previous_key: str) -> list[str]:
    """One message per numeric field of ``current`` whose values jump by a power
    of ten (1 to 4) against ``previous`` (the published previous period)."""
    key = [k for k in dataset.primary_key if k != "period"]
    if previous is None or not key or current.num_rows == 0:
        return []
    if any(k not in current.column_names or k not in previous.column_names for k in key):
        return []
    try:  # the previous version may hold a key in another Arrow type (dictionary, large string)
        for k in key:
            want = current.schema.field(k).type
            if previous.schema.field(k).type != want:
                previous = previous.set_column(previous.schema.get_field_index(k), k, previous.column(k).cast(want))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return []
    out: list[str] = []
    for f in dataset.fields:
        if f.type not in _NUMERIC or f.name in key or f.name not in current.column_names or f.name not in previous.column_names:
            continue
        logs = _logs(current, previous, key, f.name)
        if len(logs) < MIN_KEYS:
            continue
        middle = median(logs)
        power = round(middle)
        if power == 0 or abs(power) > 4 or abs(middle - power) > TOLERANCE:
            continue
        agreeing = sum(1 for v in logs if abs(v - power) <= TOLERANCE * 1.5)
        if agreeing < AGREEING * len(logs):
            continue
        factor = f"{10 ** power:,}" if power > 0 else f"1/{10 ** -power:,}"
        out.append(
            f"{dataset.id}.{f.name}: 数值约为上一期 {previous_key} 的 {factor} 倍（{agreeing}/{len(logs)} 个相同主键），"
            f"{_likely_mistake(f, power)}；请核对表头单位或 units: "
            f"(values are about {factor} times those of {previous_key} for {agreeing} of {len(logs)} keys; "
            "check the header's unit or `units:`)"
        )
    return out
