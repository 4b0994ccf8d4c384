"""The mapping report of every input of a pipeline for one period, at once.

``etl validate --inputs`` prints it; a run that cannot map an input puts it in
its error, so a department's file with two inputs is mapped in one pass rather
than one missing column per run. Inputs are read as the run reads them (reader,
reshape steps) but not archived: nothing is published from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gongkai_etl import values as nz
from gongkai_etl.contracts import InputDecl, Source
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import GongkaiError
from gongkai_etl.extract.headers import header_key
from gongkai_etl.extract.mapping import InputMapping, accepted_names, map_input
from gongkai_etl.periods import Period
from gongkai_etl.plugins import Registry
from gongkai_etl.reshape import reshape_input
from gongkai_etl.spec import Pipeline

#: Files of one glob input to report on: a department folder may hold hundreds.
MAX_FILES = 20


def optional_fields(datasets: Iterable[Dataset]) -> set[str]:
    """Field names no dataset of the run requires: those ``not_provided:`` may name."""
    required = {f.name for d in datasets for f in d.fields if f.required}
    return {f.name for d in datasets for f in d.fields} - required


def expected_headers(decl: InputDecl, columns: dict[str, str]) -> list[str]:
    """The header names a reader looks for to find the header row."""
    out: list[str] = []
    for name, aliases in decl.columns.items():
        out += [columns.get(name, name), *aliases]
    return out


def input_mappings(
    pipeline: Pipeline, source: Source, registry: Registry, period: Period, datasets: Iterable[Dataset]
) -> list[InputMapping]:
    """One report per configured input (per file of a glob input) for ``period``."""
    absent_ok = optional_fields(datasets)
    out: list[InputMapping] = []
    for decl in source.inputs:
        spec = pipeline.inputs.get(decl.name)
        if spec is None:
            continue
        if spec.url is not None:  # fetching is the run's business; a report only reads files
            out.append(InputMapping(decl.name, spec.location(period, pipeline.base_dir), error="URL 输入此处不读取 (a URL input is not fetched here)"))
            continue
        locations = spec.locations(period, pipeline.base_dir) or [spec.location(period, pipeline.base_dir)]
        for location in locations[:MAX_FILES]:
            options = dict(spec.reader_options())
            reader = next((r for r in registry.readers if r.can_read(location, options)), None)
            if reader is None:
                out.append(InputMapping(decl.name, location, error="没有能读取此输入的读取器 (no reader; set `format:`)"))
                continue
            try:
                raw = reader.read(location, options, expected=expected_headers(decl, spec.columns))
                raw = reshape_input(raw, spec.reshape, period, decl.name, allow_empty=True)
                out.append(map_input(decl.name, raw.location, list(raw.columns), decl, spec, absent_ok))
            except (GongkaiError, OSError) as exc:
                out.append(InputMapping(decl.name, location, error=str(exc)))
    return out


def provenance(mappings: Iterable[InputMapping], pipeline: Pipeline, source: Source, dataset: Dataset,
               period: Period) -> dict[str, Any]:
    """What of ``dataset``'s period did not come from the file as it stands, for
    its datapackage.json and site page: unit conversions (from a header or
    ``units:``), ``fixed:`` constants and ``not_provided:`` fields. Empty when
    the files gave everything as it is."""
    fields = {f.name: f for f in dataset.fields}
    decls = {d.name: d for d in source.inputs}
    units: dict[tuple[str, str, str], dict[str, Any]] = {}
    constants: dict[str, Any] = {}
    absent: set[str] = set()
    for m in mappings:
        decl, spec = decls.get(m.input), pipeline.inputs.get(m.input)
        if decl is None or spec is None or (decl.datasets and dataset.id not in decl.datasets):
            continue
        said = {c: (u, "units") for c, u in spec.units.items() if c in m.mapped}
        read = {c: (u, "header") for c, u in m.header_units.items()
                if c not in spec.units and nz.is_convertible_unit(u) and not _named_as_is(m, decl, spec, c)}
        for column, (unit, origin) in {**said, **read}.items():
            to = fields[column].unit if column in fields else None
            if to is not None and nz.same_unit(unit, to):
                continue  # in the field's unit already: nothing was converted
            entry: dict[str, Any] = {"input": m.input, "column": column, "header": m.mapped[column], "from": unit, "by": origin}
            if to is not None:
                entry["to"] = to
            units.setdefault((m.input, column, unit), entry)
        for column in m.fixed:
            if column in fields:
                value = spec.fixed[column]
                constants[column] = None if value is None else str(value).format(**period.template_values())
        absent |= {c for c in m.not_provided if c in fields}
    out: dict[str, Any] = {"unit_conversions": list(units.values()), "constants": constants, "not_provided": sorted(absent)}
    return {k: v for k, v in out.items() if v}


def _named_as_is(m: InputMapping, decl: InputDecl, spec: Any, column: str) -> bool:
    """The header is an accepted name as it stands (PM2.5(μg/m³) is an alias of
    the air-quality source): the source expects that unit, nothing is converted."""
    header = header_key(m.mapped[column])
    return any(header_key(a) == header for a in accepted_names(decl, spec, column))


def provenance_notes(prov: dict[str, Any], dataset_id: str) -> list[str]:
    """The run report's lines for one dataset's provenance."""
    notes = []
    for u in prov.get("unit_conversions", []):
        how = "表头 (header)" if u["by"] == "header" else "units:"
        notes.append(
            f"{dataset_id}: inputs.{u['input']}.{u['column']} 单位换算 {u['from']} -> {u.get('to', '数据集的单位')}，"
            f"依据{how} {u['header']!r} (unit converted from {u['from']} to {u.get('to', 'the dataset unit')}, "
            f"read from the {u['by']})"
        )
    if prov.get("constants"):
        shown = ", ".join(f"{k}={v}" for k, v in prov["constants"].items())
        notes.append(f"{dataset_id}: 固定值，非来源数据 (constants from `fixed:`, not measured data): {shown}")
    if prov.get("not_provided"):
        notes.append(f"{dataset_id}: 来源未提供，发布为空 (not provided by the source, published as null): "
                     f"{', '.join(prov['not_provided'])}")
    return notes
