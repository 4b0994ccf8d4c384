"""Datasets declared in YAML: one file per dataset (or a list under
``datasets:``), or inline in a pipeline under ``define:``.

A declaration says everything a Python :class:`~gongkai_etl.datasets.Dataset`
says (titles, cadence, deadline, fields with types, units and checks, primary
key, rules, privacy, review, headline) plus, for the built-in ``declared``
source, the raw headers each field may have and how its input is named.
The format is documented in ``docs/DATASETS.md``; an error names the file, the
key path, what was expected and the nearest valid key, like a pipeline error.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import FIELD_TYPES, Dataset, Field
from gongkai_etl.deadline_rules import parse_deadline
from gongkai_etl.errors import ConfigError, did_you_mean
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.rules import parse_derivation, parse_rule
from gongkai_etl.spec import Pipeline, load_yaml
from gongkai_etl.spec import _check_keys as check_keys

DATASET_KEYS: dict[str, str] = {
    "dataset": "dataset id: lower-case letters, digits, _ (e.g. sgs_penalty)",
    "title": "{zh: 中文标题, en: English title}",
    "description": "text, or {zh: ..., en: ...}",
    "publisher": "publishing body (Chinese, English in brackets)",
    "domain": "catalog group, e.g. 双公示 double publicity",
    "keywords": "list of keywords",
    "cadence": "monthly | quarterly | half-yearly | yearly",
    "deadline": "deadline rule: 每月 | 按季度 | 每半年, 期末后10个工作日内, {text: 清单调整后10个工作日内, anchor: adjustment_date} or {days, working, after, roll_to_workday}",
    "primary_key": "list of field names",
    "headline": "numeric field charted per period, or {field: F, agg: sum|count|mean|last}",
    "review": "auto | required",
    "changelog": "auto | records | off (auto: off for a time series, a date or time in the key)",
    "open_attribute": "开放属性, e.g. 无条件开放",
    "spatial": "division code of the area covered (default 朝阳区 110105000000)",
    "privacy": "drop / mask / name_fields / allow_names / ignore / salted_keys",
    "fields": "list of fields",
    "checks": "list of rules, e.g. {rule: not_before, field: valid_to, other: decision_date}",
    "input": "how the declared source reads it: {name, per_period, required, description}",
    "streaming": "true: check and write a large list batch by batch (CSV inputs)",
}
FIELD_KEYS: dict[str, str] = {
    "name": "field name: lower-case letters, digits, _",
    "title": "{zh: 中文标题, en: English title}",
    "type": f"one of {', '.join(FIELD_TYPES)}; decimal(P,S) for money",
    "unit": "unit, e.g. 万元, 户, mg/L",
    "required": "true/false",
    "unique": "true: no two rows of a period share the value",
    "enum": "list of allowed values",
    "minimum": "inclusive lower bound",
    "maximum": "inclusive upper bound",
    "pattern": "regular expression the whole value matches",
    "check": "named check: id18, uscc, division_code, or one a plugin registers",
    "columns": "raw headers a department file may use for this field",
    "description": "text, or {zh: ..., en: ...}",
    "derive": "computed by the declared source: {division_code_of: F} or {percent: F, of: G}",
    "precision": "decimal digits in all (decimal)",
    "scale": "digits after the point (decimal)",
}
INPUT_KEYS = {
    "name": "input name under the pipeline's inputs: (default: the dataset id)",
    "per_period": "false: one file serves every period (a project list)",
    "required": "false: a period without this input publishes nothing for the dataset",
    "description": "what the department sends",
}
PRIVACY_KEYS = ("drop", "mask", "name_fields", "allow_names", "ignore", "salted_keys")
HEADLINE_AGGS = ("sum", "count", "mean", "last")
_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")


@dataclass(frozen=True)
class InputPlan:
    """How the ``declared`` source reads a declared dataset's rows."""

    name: str
    per_period: bool = True
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Declared:
    """One declared dataset and its input plan."""

    dataset: Dataset
    input: InputPlan
    streaming: bool = False
    file: Path | None = None


class _Where:
    """A key path in a file, for errors."""

    def __init__(self, file: Path | None, path: str) -> None:
        self.file, self.path = file, path

    def at(self, key: str | int) -> _Where:
        return _Where(self.file, f"{self.path}[{key}]" if isinstance(key, int) else f"{self.path}.{key}" if self.path else key)

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path or '(top level)'}: {message}", file=self.file)

    def keys(self, data: Any, allowed: Mapping[str, str] | tuple[str, ...]) -> dict[str, Any]:
        """``data`` as a mapping with only ``allowed`` keys: the pipeline file's check."""
        return dict(check_keys(self.file, self.path, data, allowed))

    def parsed(self, parse: Any, data: Any) -> Any:
        """``parse(data, key_path)`` with its error placed in this file."""
        try:
            return parse(data, self.path)
        except ConfigError as exc:
            raise ConfigError(exc.message, file=self.file) from None

    def text(self, value: Any, what: str = "text") -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"expected {what}, got {_kind(value)}")
        return value

    def texts(self, value: Any, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
            raise self.error(f"expected a list of {what}, got {_kind(value)}")
        return tuple(value)

    def flag(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {_kind(value)}")
        return value

    def number(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, got {_kind(value)}")
        return value  # an int stays an int: datapackage.json shows what was written


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list, str, bool, int, float)):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."  # never render a large value
        return f"{type(value).__name__} {shown}"
    return type(value).__name__


def _titles(where: _Where, value: Any, *, need_en: bool = True) -> tuple[str, str]:
    """(zh, en) from ``{zh, en}``; plain text is the Chinese title."""
    if isinstance(value, str):
        if need_en:
            raise where.error("expected {zh: 中文, en: English}: English alongside Chinese")
        return where.text(value), ""
    data = where.keys(value, ("zh", "en"))
    zh = where.at("zh").text(data.get("zh"), "a Chinese title")
    en = where.at("en").text(data["en"], "an English title") if "en" in data else ""
    if need_en and not en:
        raise where.at("en").error("expected an English title alongside the Chinese one")
    return zh, en


def _description(where: _Where, value: Any) -> str:
    if isinstance(value, str):
        return value
    zh, en = _titles(where, value, need_en=False)
    return f"{zh} {en}".strip()


def _field(where: _Where, data: Any, cadence: Cadence) -> Field:
    data = where.keys(data, FIELD_KEYS)
    name = where.at("name").text(data.get("name"), "a field name")
    if not _ID.match(name) and name != "period":
        raise where.at("name").error(f"expected lower-case letters, digits and _ (starting with a letter), got {name!r}")
    if name == "period" and set(data) == {"name"}:
        return period_field(cadence)
    if name == "division_code" and set(data) <= {"name", "derive", "required"}:
        base = division_code_field(required=data.get("required", True))
        derive = where.at("derive").parsed(parse_derivation, data["derive"]) if "derive" in data else None
        return replace(base, derive=derive)
    zh, en = _titles(where.at("title"), data.get("title"))
    values: dict[str, Any] = {"name": name, "title_zh": zh, "title_en": en}
    type_text = data.get("type", "string")
    type_where = where.at("type")
    type_text = type_where.text(type_text, "a type")
    m = _DECIMAL.match(type_text.replace(" ", ""))
    if m:
        values.update(type="decimal", precision=int(m.group(1)), scale=int(m.group(2)))
    elif type_text in FIELD_TYPES:
        values["type"] = type_text
    else:
        raise type_where.error(f"未知的类型 {type_text!r} (unknown type){did_you_mean(type_text, FIELD_TYPES, or_list=True)}; decimal(P,S) for money")
    for key in ("unit", "pattern", "check"):
        if key in data:
            values[key] = where.at(key).text(data[key])
    if "pattern" in values:
        try:
            re.compile(values["pattern"])
        except re.error as exc:
            raise where.at("pattern").error(f"不是有效的正则表达式 (not a valid regular expression): {exc}") from None
    for key in ("required", "unique"):
        if key in data:
            values[key] = where.at(key).flag(data[key])
    for key in ("minimum", "maximum"):
        if key in data:
            values[key] = where.at(key).number(data[key])
    for key in ("precision", "scale"):
        if key in data:
            if values.get("type") != "decimal":
                raise where.at(key).error("only a decimal field has precision and scale")
            number = where.at(key).number(data[key])
            values[key] = int(number)
    if "enum" in data:
        items = data["enum"]
        if not isinstance(items, list) or not items:
            raise where.at("enum").error(f"expected a list of allowed values, got {_kind(items)}")
        values["enum"] = tuple(str(x) for x in items)
    if "columns" in data:
        values["aliases"] = where.at("columns").texts(data["columns"], "raw header names")
    if "description" in data:
        values["description"] = _description(where.at("description"), data["description"])
    if "derive" in data:
        values["derive"] = where.at("derive").parsed(parse_derivation, data["derive"])
    try:
        return Field(**values)
    except ConfigError as exc:
        raise where.error(exc.message) from None


def dataset_from_mapping(data: Any, *, file: Path | None = None, path: str = "") -> Declared:
    """One declared dataset from its mapping (a file's top level or an entry of ``define:``)."""
    where = _Where(file, path)
    data = where.keys(data, DATASET_KEYS)
    ds_id = where.at("dataset").text(data.get("dataset"), "a dataset id")
    if not _ID.match(ds_id):
        raise where.at("dataset").error(f"expected lower-case letters, digits and _ (starting with a letter), got {ds_id!r}")
    zh, en = _titles(where.at("title"), data.get("title"))
    cadence_text = data.get("cadence")
    try:
        cadence = Cadence(cadence_text)
    except ValueError:
        raise where.at("cadence").error(
            f"expected one of {', '.join(c.value for c in Cadence)}, got {_kind(cadence_text)}"
            f"{did_you_mean(str(cadence_text), [c.value for c in Cadence])}"
        ) from None
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise where.at("fields").error(f"expected a list of fields, got {_kind(raw_fields)}")
    fields = tuple(_field(where.at("fields").at(i), f, cadence) for i, f in enumerate(raw_fields))
    values: dict[str, Any] = {"id": ds_id, "title_zh": zh, "title_en": en, "fields": fields, "cadence": cadence}
    for key in ("publisher", "domain", "open_attribute", "spatial"):
        if key in data:
            values[key] = where.at(key).text(data[key])
    if "description" in data:
        values["description"] = _description(where.at("description"), data["description"])
    if "keywords" in data:
        values["keywords"] = where.at("keywords").texts(data["keywords"], "keywords")
    if "primary_key" in data:
        values["primary_key"] = where.at("primary_key").texts(data["primary_key"], "field names")
    if "deadline" in data:
        dates = [f.name for f in fields if f.type in ("date", "datetime")]
        values["deadline"] = parse_deadline(data["deadline"], date_fields=dates, cadence=cadence, path=where.at("deadline").path, file=file)
    if "review" in data:
        if data["review"] not in ("auto", "required"):
            raise where.at("review").error(f"expected auto or required, got {_kind(data['review'])}")
        values["review"] = data["review"]
    if "changelog" in data:
        if data["changelog"] not in ("auto", "records", "off"):
            raise where.at("changelog").error(f"expected auto, records or off, got {_kind(data['changelog'])}")
        values["changelog"] = data["changelog"]
    if "headline" in data:
        values.update(_headline(where.at("headline"), data["headline"]))
    if "privacy" in data:
        values["privacy"] = where.at("privacy").keys(data["privacy"], PRIVACY_KEYS)
    if "checks" in data:
        rules = data["checks"]
        if not isinstance(rules, list):
            raise where.at("checks").error(f"expected a list of rules, got {_kind(rules)}")
        values["checks"] = tuple(where.at("checks").at(i).parsed(parse_rule, r) for i, r in enumerate(rules))
    streaming = where.at("streaming").flag(data["streaming"]) if "streaming" in data else False
    plan = InputPlan(ds_id)
    if "input" in data:
        raw = where.at("input").keys(data["input"], INPUT_KEYS)
        plan = InputPlan(
            where.at("input").at("name").text(raw["name"]) if "name" in raw else ds_id,
            per_period=where.at("input").at("per_period").flag(raw["per_period"]) if "per_period" in raw else True,
            required=where.at("input").at("required").flag(raw["required"]) if "required" in raw else True,
            description=where.at("input").at("description").text(raw["description"]) if "description" in raw else "",
        )
    try:
        dataset = Dataset(**values)
    except ConfigError as exc:
        raise where.error(exc.message) from None
    return Declared(dataset, plan, streaming, file)


def _headline(where: _Where, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"headline": value}
    data = where.keys(value, ("field", "agg"))
    agg = data.get("agg", "sum")
    if agg not in HEADLINE_AGGS:
        raise where.at("agg").error(f"expected one of {', '.join(HEADLINE_AGGS)}, got {_kind(agg)}")
    return {"headline": where.at("field").text(data.get("field"), "a field name"), "headline_agg": agg}


#: Parsed dataset files by (path, mtime, size): every command loads the shipped
#: files once per plugin registry, and PyYAML's pure-Python parser costs ~25 ms
#: a file. The results are frozen dataclasses, safe to share.
_PARSED: dict[tuple[str, int, int], list[Declared]] = {}


def load_dataset_file(file: Path) -> list[Declared]:
    """The datasets of one YAML file: a single dataset mapping, or ``datasets: [...]``."""
    try:
        st = file.stat()
        key: tuple[str, int, int] | None = (str(file.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None  # load_yaml says what is wrong with the path
    if key is not None and key in _PARSED:
        return list(_PARSED[key])
    declared = _load_dataset_file(file)
    if key is not None:
        _PARSED[key] = declared
    return list(declared)


def _load_dataset_file(file: Path) -> list[Declared]:
    data = load_yaml(file)
    if isinstance(data, Mapping) and set(data) == {"datasets"}:
        items = data["datasets"]
        if not isinstance(items, list):
            raise _Where(file, "datasets").error(f"expected a list of datasets, got {_kind(items)}")
        return [dataset_from_mapping(d, file=file, path=f"datasets[{i}]") for i, d in enumerate(items)]
    if data is None:
        raise ConfigError("数据集文件为空 (dataset file is empty)", file=file)
    return [dataset_from_mapping(data, file=file)]


def load_dataset_files(patterns: list[str], base: Path, *, where: str = "dataset_files", file: Path | None = None) -> list[Declared]:
    """Every dataset of the files the globs name (relative to ``base``), in name order;
    a pattern that matches no file is an error."""
    out: list[Declared] = []
    seen: dict[str, Path | None] = {}
    for i, pattern in enumerate(patterns):
        full = pattern if Path(pattern).is_absolute() else str(base / pattern)
        files = sorted(Path(p) for p in glob.glob(full))
        if not files:
            raise ConfigError(f"{where}[{i}]: 没有匹配的数据集文件 (no dataset file matches {pattern!r})", file=file)
        for path in files:
            for declared in load_dataset_file(path):
                _no_twice(declared, seen)
                out.append(declared)
    return out


def _no_twice(declared: Declared, seen: dict[str, Path | None]) -> None:
    ds_id = declared.dataset.id
    if ds_id in seen:
        raise ConfigError(
            f"数据集 {ds_id!r} 声明了两次 (dataset {ds_id!r} is declared twice: also in {seen[ds_id]})", file=declared.file
        )
    seen[ds_id] = declared.file


def pipeline_declared(pipeline: Pipeline) -> list[Declared]:
    """The datasets a pipeline declares: files under ``dataset_files:``, then ``define:``."""
    out = load_dataset_files(pipeline.dataset_files, pipeline.base_dir, file=pipeline.file)
    seen = {d.dataset.id: d.file for d in out}
    for i, data in enumerate(pipeline.define):
        declared = dataset_from_mapping(data, file=pipeline.file, path=f"define[{i}]")
        _no_twice(declared, seen)
        out.append(declared)
    return out


__all__ = [
    "DATASET_KEYS",
    "FIELD_KEYS",
    "Declared",
    "InputPlan",
    "dataset_from_mapping",
    "load_dataset_file",
    "load_dataset_files",
    "pipeline_declared",
]
