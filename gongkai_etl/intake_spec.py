"""Pipeline keys about what a department's file does and does not carry:
``inputs.<name>.not_provided`` and the top-level ``unit_jumps``.

They live here and not in :mod:`gongkai_etl.spec` so that module stays small;
spec calls these parsers and keeps their results on InputSpec and Pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError
from gongkai_etl.yamlfile import show_value

#: What a run does when a numeric column jumps by about 10, 100, 1,000 or 10,000
#: times against the published previous period (a unit read wrongly):
#: ``warn`` holds the period for review with the warning (nothing is published
#: until a person approves), ``reject`` fails the dataset-period, ``off`` skips it.
UNIT_JUMP_MODES = ("warn", "reject", "off")
#: Default ``warn``: a wrong unit is the one mistake that publishes silently
#: (10,000 times too large, exit 0), so a person looks before it goes out.
DEFAULT_UNIT_JUMPS = "warn"


def parse_not_provided(file: Path, path: str, value: Any) -> list[str]:
    """``not_provided: [field, ...]``: fields the department does not keep, published as null."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{path}: expected a list of column names, got {show_value(value)}", file=file)
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{path}[{i}]: expected a column name, got {show_value(item)}", file=file)
        if item not in out:
            out.append(item)
    return out


def parse_unit_jumps(file: Path, value: Any) -> str:
    """``unit_jumps: warn|reject|off`` (default :data:`DEFAULT_UNIT_JUMPS`)."""
    if value is None:
        return DEFAULT_UNIT_JUMPS
    if value is False:  # YAML reads a bare `off` as false
        return "off"
    if value not in UNIT_JUMP_MODES:
        raise ConfigError(f"unit_jumps: expected one of warn, reject, off, got {show_value(value)}", file=file)
    return str(value)

