"""Dataset and field declarations.

One declaration gives the pyarrow schema, the Frictionless Table Schema and the
CSV header, so the three can never disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import pyarrow as pa

from gongkai_etl.errors import ConfigError, did_you_mean
from gongkai_etl.periods import Cadence
from gongkai_etl.rules import Derivation, Rule
from gongkai_etl.workdays import DeadlineRule

#: Field types a declaration may use, with their Table Schema type.
FIELD_TYPES: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "number",  # float64
    "decimal": "number",  # decimal128(precision, scale): money
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Field:
    """One column of a dataset.

    ``minimum``/``maximum`` are inclusive. ``scale`` is the number of decimals
    of a ``decimal`` field.
    """

    name: str
    title_zh: str
    type: str = "string"
    unit: str | None = None
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    description: str = ""
    title_en: str = ""
    precision: int = 18
    scale: int = 2
    #: Unique within a period (a single-field primary key implies it).
    unique: bool = False
    #: A named check (``id18``, ``uscc``, ``division_code`` or one a plugin
    #: registers with the ``register_checks`` hook) every value must pass.
    check: str | None = None
    #: Raw headers a department file may use for this field (YAML ``columns:``);
    #: used by sources that map inputs from the declaration (the ``declared`` source).
    aliases: tuple[str, ...] = ()
    #: How a source computes the field instead of reading it (YAML ``derive:``).
    derive: Derivation | None = None
    #: Where a missing required value can come from, added to the "required field is
    #: missing" reject (e.g. a file-name pattern, a column or ``fixed:``), so the reader
    #: of the rejects file knows the fix.
    missing_hint: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ConfigError(
                f"field {self.name!r}: unknown type {self.type!r}; expected one of {', '.join(FIELD_TYPES)}"
            )

    @property
    def arrow_type(self) -> pa.DataType:
        return {
            "string": pa.string(),
            "integer": pa.int64(),
            "number": pa.float64(),
            "decimal": pa.decimal128(self.precision, self.scale),
            "date": pa.date32(),
            "datetime": pa.timestamp("s"),
            "boolean": pa.bool_(),
        }[self.type]

    def arrow_field(self) -> pa.Field:
        meta = {"title_zh": self.title_zh, "title_en": self.title_en or self.name}
        if self.unit:
            meta["unit"] = self.unit
        if self.description:
            meta["description"] = self.description
        return pa.field(self.name, self.arrow_type, nullable=not self.required, metadata=meta)

    def table_schema_field(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title_zh,
            "type": FIELD_TYPES[self.type],
        }
        desc = " ".join(x for x in (self.title_en, self.description) if x)
        if desc:
            out["description"] = desc
        if self.unit:
            out["unit"] = self.unit  # extension property, ignored by validators
        if self.type == "date":
            out["format"] = "%Y-%m-%d"
        if self.type == "datetime":
            out["format"] = "%Y-%m-%d %H:%M:%S"
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = _schema_number(self.minimum, self.type)
        if self.maximum is not None:
            constraints["maximum"] = _schema_number(self.maximum, self.type)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.unique:
            constraints["unique"] = True
        if constraints:
            out["constraints"] = constraints
        return out


def _schema_number(value: float, type_: str) -> float | int:
    return int(value) if type_ == "integer" else value


@dataclass(frozen=True)
class Dataset:
    """An open dataset: stable id, schema, primary key, cadence, publisher.

    ``domain`` groups datasets on the catalog page; ``headline`` names the
    numeric field charted per period; ``privacy`` is a plain dict read by the
    protect stage; ``deadline`` is a rule's text or a parsed
    :class:`~gongkai_etl.workdays.DeadlineRule` (a YAML dataset's, see
    :func:`gongkai_etl.deadline_rules.parse_deadline`).
    """

    id: str
    title_zh: str
    title_en: str
    fields: tuple[Field, ...]
    cadence: Cadence
    primary_key: tuple[str, ...] = ()
    description: str = ""
    publisher: str = ""
    domain: str = ""
    keywords: tuple[str, ...] = ()
    headline: str | None = None
    headline_agg: str = "sum"  # how per-row values become one figure per period
    deadline: str | DeadlineRule | None = None  # e.g. "10 working days after period end"
    privacy: dict[str, Any] = dc_field(default_factory=dict)
    review: str = "auto"
    open_attribute: str = "无条件开放"  # 开放属性
    spatial: str = "110105000000"  # division code; Chaoyang district
    #: Cross-field and cross-row rules (sum of parts, date order, ...), checked by
    #: the validate stage for every dataset whatever its source.
    checks: tuple[Rule, ...] = ()
    #: The changelog against the previous period: ``records`` (added / removed /
    #: changed per key), ``off``, or ``auto``: off for a time series (a date or
    #: time in the key, so each period holds new observations), records otherwise.
    changelog: str = "auto"

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ConfigError(f"dataset {self.id!r}: duplicate field names")
        for key in self.primary_key:
            if key not in names:
                raise ConfigError(f"dataset {self.id!r}: primary key {key!r} is not a field")
        if self.headline and self.headline not in names:
            raise ConfigError(f"dataset {self.id!r}: headline {self.headline!r} is not a field")
        if self.changelog not in ("auto", "records", "off"):
            raise ConfigError(f"dataset {self.id!r}: changelog must be auto, records or off, not {self.changelog!r}")
        for rule in self.checks:
            for name in rule.field_names():
                if name not in names:
                    raise ConfigError(
                        f"dataset {self.id!r}: 规则 {rule.kind} 引用的字段 {name!r} 不存在 "
                        f"(rule {rule.kind} names {name!r}, which is not a field{did_you_mean(name, names)})"
                    )

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def arrow_schema(self) -> pa.Schema:
        meta = {
            "dataset": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "cadence": self.cadence.value,
            "primary_key": json.dumps(list(self.primary_key)),
        }
        return pa.schema([f.arrow_field() for f in self.fields], metadata=meta)

    def table_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [f.table_schema_field() for f in self.fields],
            "missingValues": [""],
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        return schema
