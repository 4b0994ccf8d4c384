"""What the reshape steps decide per cell, in one place for both paths.

The row-wise path (petl, :mod:`gongkai_etl.reshape.table`) calls the Python
functions; the streaming path (:mod:`gongkai_etl.reshape.stream`) applies the
same rules as Arrow kernels. Both are tested to agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from gongkai_etl.errors import InputError, did_you_mean
from gongkai_etl.periods import Period
from gongkai_etl.reshape_spec import ReshapeStep
from gongkai_etl.values import MONTH_PREFIX, written_month

__all__ = ["MONTH_PREFIX", "bad_period_value", "check_columns", "combine_cells", "period_bounds", "value_month"]

DATE_FORMS = "2016-08-03, 2016/8/3 13:00, 2016年8月, 201608"
_INT = re.compile(r"^\s*\d{1,4}\s*$")


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def period_bounds(period: Period) -> tuple[int, int]:
    """First and last month index of ``period`` (inclusive)."""
    return month_index(period.start.year, period.start.month), month_index(period.end.year, period.end.month)


def value_month(text: str) -> int | None:
    """The month index a date-like text starts with, as written; None when it has none."""
    written = written_month(text)
    return month_index(*written) if written else None


def bad_period_value(step: ReshapeStep, location: str, row: int | None, value: Any) -> InputError:
    column = step.args["column"]
    return InputError(
        f"{step.describe()}: 无法从 {value!r} 识别年月 (cannot tell the year and month of this value; expected e.g. "
        f"{DATE_FORMS}; drop such rows with a drop_rows step before select_period)",
        file=location, row=row, field=column,
    )


def combine_cells(parts: Sequence[str | None], args: dict[str, Any]) -> str | None:
    """One cell of a ``combine`` step. A date or time part that is blank makes
    the cell blank (a missing value, rejected downstream if required); one that
    is not a number in range is kept visibly wrong, so the row is rejected with
    the text shown rather than published as another hour."""
    if args["as"] == "text":
        present = [p for p in parts if p not in (None, "")]
        return args["sep"].join(p.strip() for p in present) if present else None
    if any(p is None or not p.strip() for p in parts):
        return None
    texts = [p.strip() for p in parts]
    if not all(_INT.match(t) for t in texts):
        return _bad_moment(texts, args)
    numbers = [int(t) for t in texts]
    year, month, day = numbers[:3]
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return _bad_moment(texts, args)
    text = f"{year:04d}-{month:02d}-{day:02d}"
    if args["as"] == "date":
        return text
    hour = numbers[3] + (1 if args["hour"] == "beginning" else 0)
    if not 1 <= hour <= 24:
        return _bad_moment(texts, args)
    # Published timestamps are hour-ending (DOMAIN.md): hour h beginning is h+1 ending;
    # 24:00 closes the day, as the air data write it.
    return f"{text} {hour:02d}:00"


def _bad_moment(texts: Sequence[str], args: dict[str, Any]) -> str:
    hours = {"beginning": " (hour-beginning 0-23)", "ending": " (hour-ending 1-24)"}.get(args.get("hour", ""), "")
    return "/".join(texts) + hours


def missing_column(step: ReshapeStep, location: str, column: str, found: Sequence[str]) -> InputError:
    return InputError(
        f"{step.describe()}: 列 {column!r} 不存在 (no such column in the file{did_you_mean(column, found)}); "
        f"文件中的列 (found): {', '.join(c for c in found if not c.startswith('_'))}",
        file=location, field=column,
    )


def check_columns(step: ReshapeStep, location: str, found: Sequence[str]) -> None:
    """Every column a step reads must be there (after the steps before it)."""
    args = step.args
    wanted: list[str] = []
    if step.kind in ("fill_down", "combine"):
        wanted = list(args["columns"])
    elif step.kind == "unpivot":
        wanted = [*args["columns"], *args.get("keep", [])]
    elif step.kind in ("split", "map_values", "select_period"):
        wanted = [args["column"]]
    elif step.kind == "drop_rows":
        wanted = [args["where"]["column"]]
    for column in wanted:
        if column not in found:
            raise missing_column(step, location, column, found)
