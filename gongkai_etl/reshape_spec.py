"""The ``reshape:`` steps of a pipeline input, parsed and checked (core, no engine).

A department's file is often not one row per record: merged cells left blank
below their first row, months across the columns, a timestamp split over four
columns, several years in one file. ``inputs.<name>.reshape`` lists steps that
turn it into one row per record before the columns are mapped; the engine
applies them in ``gongkai_etl.reshape``. This module only reads the YAML into
:class:`ReshapeStep` values, with the same one-line errors as the other keys of
``spec.py`` (file, key path, what was expected, the nearest key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError, did_you_mean

#: step kind -> (its keys and what each means, the keys it requires)
STEP_KEYS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "fill_down": ({"columns": "columns whose blank cells take the value above (merged cells)"}, ("columns",)),
    "unpivot": (
        {
            "keep": "columns kept on every row (default: all not unpivoted)",
            "columns": "columns turned into rows: a list or a range like 1月..12月",
            "name": "new column holding the former column's header",
            "value": "new column holding the cell value",
        },
        ("columns", "name", "value"),
    ),
    "combine": (
        {
            "into": "new column",
            "columns": "columns joined in order, e.g. [年, 月, 日, 时]",
            "as": "datetime (year, month, day, hour), date (year, month, day) or text",
            "hour": "hour convention of the source: beginning (0-23) or ending (1-24)",
            "sep": "separator for `as: text` (default none)",
        },
        ("into", "columns"),
    ),
    "split": (
        {"column": "column to split", "into": "new columns, in order", "sep": "separator text, e.g. 至"},
        ("column", "into", "sep"),
    ),
    "map_values": (
        {"column": "column whose values are replaced", "values": "mapping of department word -> dataset word"},
        ("column", "values"),
    ),
    "drop_rows": ({"where": "condition: {column: C, equals|in|empty|matches: ...}"}, ("where",)),
    "select_period": (
        {"column": "date, month or period column", "format": "auto (2016-08-03, 2016/8/3, 2016年8月, 201608, ...)"},
        ("column",),
    ),
}
#: Steps that work batch by batch, so they run on the streaming CSV path too.
STREAMABLE = frozenset({"select_period", "map_values", "drop_rows", "combine"})
WHERE_OPS = {
    "equals": "the cell equals this text",
    "in": "the cell is one of these texts",
    "empty": "true: the cell is blank",
    "matches": "the cell matches this regular expression",
}
_RANGE = re.compile(r"^(\D*)(\d+)(\D*)\.\.(\D*)(\d+)(\D*)$")


@dataclass(frozen=True)
class ReshapeStep:
    """One step: its ``kind`` (a key of :data:`STEP_KEYS`), its checked
    arguments, and where it was declared (``inputs.x.reshape[2]``) for errors."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    where: str = ""

    @property
    def streams(self) -> bool:
        return self.kind in STREAMABLE

    def describe(self) -> str:
        return f"{self.where} ({self.kind})" if self.where else self.kind


def expand_range(text: str) -> list[str] | None:
    """``1月..12月`` -> [1月, 2月, ..., 12月]; None when the text is not a range."""
    m = _RANGE.match(text.strip())
    if not m or m[1] != m[4] or m[3] != m[6] or int(m[2]) > int(m[5]):
        return None
    return [f"{m[1]}{i}{m[3]}" for i in range(int(m[2]), int(m[5]) + 1)]


def parse_steps(file: Path, path: str, raw: Any) -> list[ReshapeStep]:
    """The ``reshape:`` list of one input; ``path`` is ``inputs.<name>.reshape``."""
    if not isinstance(raw, list):
        raise _err(file, path, f"expected a list of steps such as [{{fill_down: [街乡]}}], got {_kind(raw)}")
    steps = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise _err(file, where, f"expected one step as a mapping {{kind: arguments}}, got {_kind(item)}")
        kind, args = next(iter(item.items()))
        if kind not in STEP_KEYS:
            raise _err(file, f"{where}.{kind}", f"未知的整理步骤 (unknown reshape step){did_you_mean(str(kind), STEP_KEYS, or_list=True)}")
        steps.append(ReshapeStep(kind, _step_args(file, f"{where}.{kind}", kind, args), where))
    return steps


def _step_args(file: Path, path: str, kind: str, args: Any) -> dict[str, Any]:
    if kind == "fill_down" and isinstance(args, list | str):
        args = {"columns": args}  # the short form {fill_down: [街乡]}
    allowed, required = STEP_KEYS[kind]
    if not isinstance(args, dict):
        raise _err(file, path, f"expected a mapping with {', '.join(required)}, got {_kind(args)}")
    for key in args:
        if key not in allowed:
            raise _err(file, f"{path}.{key}", f"未知的键 (unknown key){did_you_mean(str(key), allowed, or_list=True)}")
    for key in required:
        if key not in args:
            raise _err(file, f"{path}.{key}", f"缺少必需的键 (missing required key): {allowed[key]}")
    out = dict(args)
    for key in ("columns", "keep", "into"):
        if key in out and not (kind == "combine" and key == "into"):
            out[key] = _names(file, f"{path}.{key}", out[key], ranges=kind == "unpivot" and key == "columns")
    for key in ("name", "value", "column", "sep"):
        if key in out:
            _text(file, f"{path}.{key}", out[key])
    if kind == "combine":
        _text(file, f"{path}.into", out["into"])
        out.setdefault("as", "text")
        if out["as"] not in ("datetime", "date", "text"):
            raise _err(file, f"{path}.as", f"expected datetime, date or text, got {out['as']!r}")
        wants = {"datetime": 4, "date": 3}.get(out["as"])
        if wants and len(out["columns"]) != wants:
            raise _err(file, f"{path}.columns", f"expected {wants} columns for as: {out['as']} (year, month, day{', hour' if wants == 4 else ''})")
        if out["as"] == "datetime" and out.get("hour") not in ("beginning", "ending"):
            raise _err(file, f"{path}.hour", "expected beginning (hours 0-23) or ending (hours 1-24): say which the file uses")
        if "hour" in out and out["as"] != "datetime":
            raise _err(file, f"{path}.hour", "only for as: datetime")
        out.setdefault("sep", "")
    if kind == "split" and len(out["into"]) < 2:
        raise _err(file, f"{path}.into", "expected at least two new columns")
    if kind == "map_values":
        values = out["values"]
        if not isinstance(values, dict) or not values:
            raise _err(file, f"{path}.values", f"expected a mapping such as {{城中村改造: 城中村}}, got {_kind(values)}")
        out["values"] = {str(k): None if v is None else str(v) for k, v in values.items()}
    if kind == "drop_rows":
        out["where"] = _where(file, f"{path}.where", out["where"])
    if kind == "select_period":
        out.setdefault("format", "auto")
        if out["format"] != "auto":
            raise _err(file, f"{path}.format", f"expected auto, got {out['format']!r}")
    return out


def _where(file: Path, path: str, where: Any) -> dict[str, Any]:
    if not isinstance(where, dict):
        raise _err(file, path, f"expected a mapping {{column: C, equals: X}}, got {_kind(where)}")
    ops = [k for k in where if k != "column"]
    for key in ops:
        if key not in WHERE_OPS:
            raise _err(file, f"{path}.{key}", f"未知的键 (unknown key){did_you_mean(str(key), {'column': '', **WHERE_OPS}, or_list=True)}")
    if "column" not in where:
        raise _err(file, f"{path}.column", "缺少必需的键 (missing required key): the column the condition reads")
    if len(ops) != 1:
        raise _err(file, path, f"expected exactly one of {', '.join(WHERE_OPS)}")
    _text(file, f"{path}.column", where["column"])
    op, operand = ops[0], where[ops[0]]
    if op == "in":
        if not isinstance(operand, list) or not operand:
            raise _err(file, f"{path}.in", f"expected a list of texts, got {_kind(operand)}")
        operand = [str(v) for v in operand]
    elif op == "empty":
        if not isinstance(operand, bool):
            raise _err(file, f"{path}.empty", f"expected true or false, got {_kind(operand)}")
    elif op == "matches":
        _text(file, f"{path}.matches", operand)
        try:
            re.compile(operand)
        except re.error as exc:
            raise _err(file, f"{path}.matches", f"invalid regular expression: {exc}") from None
    else:
        operand = str(operand)
    return {"column": where["column"], "op": op, "operand": operand}


def _names(file: Path, path: str, value: Any, *, ranges: bool = False) -> list[str]:
    if isinstance(value, str):
        expanded = expand_range(value) if ranges else None
        if expanded:
            return expanded
        return [value]
    if not isinstance(value, list) or not value:
        raise _err(file, path, f"expected a list of column names, got {_kind(value)}")
    out: list[str] = []
    for i, v in enumerate(value):
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        _text(file, f"{path}[{i}]", v)
        out.extend((expand_range(v) or [v]) if ranges else [v])
    return out


def _text(file: Path, path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _err(file, path, f"expected text, got {_kind(value)} {value!r}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _err(file: Path, path: str, message: str) -> ConfigError:
    return ConfigError(f"{path}: {message}", file=file)
