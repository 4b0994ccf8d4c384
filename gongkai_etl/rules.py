"""Row rules a dataset declares beyond its fields' own constraints.

A rule relates fields of one row (parts adding up to a total, one date not
before another), a row to the run (a date not in the future), or a row to other
rows (a key that must exist in another dataset of the same period, cumulative
figures that may not fall below the previous period's). Rules are declared in
Python (``Dataset(checks=...)``) or in YAML (``checks:``) and checked by the
validate stage (:mod:`gongkai_etl.validate.rules`) for every dataset, whatever
its source. This module only declares and parses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from gongkai_etl.errors import ConfigError, did_you_mean

#: Rule kinds, with the keys each takes (besides ``rule``) and what they mean.
RULE_KEYS: dict[str, dict[str, str]] = {
    "sum": {"parts": "the fields that add up", "total": "the field they add up to", "tolerance": "allowed difference (default 0.01)"},
    "not_before": {"field": "a date field", "other": "the date it may not precede"},
    "not_after": {"field": "a date field", "other": "the date it may not follow"},
    "not_future": {"field": "a date field that may not be later than the run's date"},
    "at_most": {"field": "a numeric field", "other": "the field it may not exceed, or dataset.field of another dataset of the period", "key": "with dataset.field: the field that finds the row there"},
    "at_least": {"field": "a numeric field", "other": "the field it may not fall below, or dataset.field", "key": "with dataset.field: the field that finds the row there"},
    "required_if": {"field": "the field that must be filled", "when": "condition, e.g. {counterparty_type: 法人}"},
    "empty_if": {"field": "the field that must be empty", "when": "condition, e.g. {counterparty_type: 自然人}"},
    "check": {"field": "the field to check", "check": "named check: id18, uscc, division_code, ...", "when": "optional condition"},
    "in_dataset": {"field": "the key field", "dataset": "dataset whose same-period rows must hold the key", "key": "its key field (default: same name)"},
    "not_decreasing": {"fields": "cumulative fields", "key": "the field that identifies a row across periods"},
}

#: Bilingual one-line description of each kind, for `etl schema` and the docs.
RULE_TITLES: dict[str, str] = {
    "sum": "分项之和等于合计 (parts add up to the total)",
    "not_before": "日期不早于 (date not before)",
    "not_after": "日期不晚于 (date not after)",
    "not_future": "日期不晚于运行日 (date not in the future)",
    "at_most": "不超过 (at most)",
    "at_least": "不少于 (at least)",
    "required_if": "条件必填 (required when)",
    "empty_if": "条件下必须为空 (must be empty when)",
    "check": "条件校验 (named check when)",
    "in_dataset": "须在另一数据集中存在 (key must exist in another dataset)",
    "not_decreasing": "累计数不得少于上期 (cumulative, never below the previous period)",
}


@dataclass(frozen=True)
class Rule:
    """One declared rule; which attributes matter depends on ``kind``."""

    kind: str
    field: str = ""
    other: str = ""
    parts: tuple[str, ...] = ()
    total: str = ""
    tolerance: float = 0.01
    fields: tuple[str, ...] = ()
    key: str = ""
    dataset: str = ""
    check: str = ""
    when: Mapping[str, tuple[str, ...]] = dc_field(default_factory=dict)

    def field_names(self) -> list[str]:
        """Every field of the dataset the rule reads (``key`` of ``in_dataset``
        names the other dataset's field, so it is left out)."""
        other = "" if "." in self.other else self.other  # dataset.field: another dataset's
        names = [self.field, other, *self.parts, self.total, *self.fields, *self.when]
        if self.kind in ("not_decreasing", "at_most", "at_least"):
            names.append(self.key)
        return [n for n in names if n]

    def describe(self) -> str:
        """One line for reports: ``sum: a + b = total (±0.01)``."""
        cond = ""
        if self.when:
            cond = " when " + ", ".join(f"{k} in {'/'.join(v)}" for k, v in self.when.items())
        body = {
            "sum": lambda: f"{' + '.join(self.parts)} = {self.total} (±{self.tolerance:g})",
            "not_before": lambda: f"{self.field} >= {self.other}",
            "not_after": lambda: f"{self.field} <= {self.other}",
            "not_future": lambda: f"{self.field} <= today",
            "at_most": lambda: f"{self.field} <= {self.other}",
            "at_least": lambda: f"{self.field} >= {self.other}",
            "required_if": lambda: f"{self.field} required",
            "empty_if": lambda: f"{self.field} empty",
            "check": lambda: f"{self.field} passes {self.check}",
            "in_dataset": lambda: f"{self.field} in {self.dataset}.{self.key or self.field}",
            "not_decreasing": lambda: f"{', '.join(self.fields)} never below the previous period (by {self.key})",
        }[self.kind]()
        return f"{self.kind}: {body}{cond}"


def parse_rule(data: Any, where: str) -> Rule:
    """A rule from its YAML mapping; errors name ``where`` (the key path)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping such as {{rule: not_before, field: a, other: b}}")
    kind = data.get("rule")
    if kind not in RULE_KEYS:
        hint = did_you_mean(str(kind), RULE_KEYS, or_list=True)
        raise ConfigError(f"{where}.rule: 未知的规则 (unknown rule {kind!r}){hint}")
    allowed = RULE_KEYS[kind]
    for key in data:
        if key != "rule" and key not in allowed:
            hint = did_you_mean(str(key), allowed, or_list=True)
            raise ConfigError(f"{where}.{key}: 规则 {kind} 不接受此键 (unknown key for rule {kind}){hint}")
    required = {
        "sum": ("parts", "total"),
        "not_future": ("field",),
        "required_if": ("field", "when"),
        "empty_if": ("field", "when"),
        "check": ("field", "check"),
        "in_dataset": ("field", "dataset"),
        "not_decreasing": ("fields", "key"),
    }.get(kind, ("field", "other"))
    for key in required:
        if key not in data:
            raise ConfigError(f"{where}: 规则 {kind} 缺少键 {key!r} (rule {kind} needs {key}: {allowed[key]})")
    values: dict[str, Any] = {"kind": kind}
    for key in ("field", "other", "total", "key", "dataset", "check"):
        if key in data:
            values[key] = _text(data[key], f"{where}.{key}")
    for key in ("parts", "fields"):
        if key in data:
            items = data[key]
            if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
                raise ConfigError(f"{where}.{key}: expected a list of field names, got {items!r}"[:300])
            values[key] = tuple(items)
    if "tolerance" in data:
        tol = data["tolerance"]
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol < 0:
            raise ConfigError(f"{where}.tolerance: expected a number >= 0, got {tol!r}"[:300])
        values["tolerance"] = float(tol)
    if "when" in data:
        values["when"] = parse_condition(data["when"], f"{where}.when")
    return Rule(**values)


def parse_condition(data: Any, where: str) -> dict[str, tuple[str, ...]]:
    """``{field: value}`` or ``{field: [value, ...]}``: the row matches when
    every named field holds one of its values."""
    if not isinstance(data, Mapping) or not data:
        raise ConfigError(f"{where}: expected a mapping of field to value(s), e.g. {{counterparty_type: 自然人}}")
    out: dict[str, tuple[str, ...]] = {}
    for name, value in data.items():
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in items) or not items:
            raise ConfigError(f"{where}.{name}: expected a value or a list of values"[:300])
        out[str(name)] = tuple(str(x) for x in items)
    return out


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a field name, got {value!r}"[:300])
    return value




#: Derivation kinds a declared field may use, with their keys.
DERIVE_KEYS: dict[str, dict[str, str]] = {
    "division_code_of": {"division_code_of": "the field holding a street/area name or code"},
    "percent": {
        "percent": "the numerator field",
        "of": "the denominator: a field of the row, or dataset.field of another dataset of the period",
        "key": "with dataset.field: the field that finds the row there (default: the primary key's last field)",
        "round": "decimals (default 2)",
    },
}


@dataclass(frozen=True)
class Derivation:
    """How the ``declared`` source computes a field the department does not
    send: the division code of a street name (before validation, so an unknown
    street is rejected), a percentage of two figures (after validation)."""

    kind: str
    source: str
    of: str = ""
    key: str = ""
    round: int = 2

    def field_names(self) -> list[str]:
        return [self.source] + ([self.of] if self.of and "." not in self.of else [])


def parse_derivation(data: Any, where: str) -> Derivation:
    if not isinstance(data, Mapping) or not data:
        raise ConfigError(f"{where}: expected a mapping such as {{division_code_of: street}}")
    kind = next((k for k in DERIVE_KEYS if k in data), None)
    if kind is None:
        hint = did_you_mean(str(next(iter(data))), DERIVE_KEYS, or_list=True)
        raise ConfigError(f"{where}: 未知的派生方式 (unknown derivation){hint}")
    for key in data:
        if key not in DERIVE_KEYS[kind]:
            hint = did_you_mean(str(key), DERIVE_KEYS[kind], or_list=True)
            raise ConfigError(f"{where}.{key}: 未知的键 (unknown key){hint}")
    if kind == "percent" and "of" not in data:
        raise ConfigError(f"{where}: percent needs `of:` ({DERIVE_KEYS['percent']['of']})")
    digits = data.get("round", 2)
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise ConfigError(f"{where}.round: expected a whole number 0..10, got {digits!r}"[:300])
    return Derivation(
        kind,
        _text(data[kind], f"{where}.{kind}"),
        of=_text(data["of"], f"{where}.of") if "of" in data else "",
        key=_text(data["key"], f"{where}.key") if "key" in data else "",
        round=digits,
    )


__all__ = ["DERIVE_KEYS", "RULE_KEYS", "RULE_TITLES", "Derivation", "Rule", "parse_condition", "parse_derivation", "parse_rule"]
