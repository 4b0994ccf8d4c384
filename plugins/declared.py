"""The ``declared`` source: datasets declared in YAML, fed from the pipeline's
inputs with no Python of their own.

It ships the work plan's publications declared in ``plugins/datasets/*.yaml``
(the same format a data officer writes; see docs/DATASETS.md), and feeds any
dataset a pipeline declares (``dataset_files:``, ``define:``). Each declared
dataset reads one input, named after the dataset unless its ``input.name``
says otherwise; a field's ``columns:`` are the raw headers accepted for it.
Rules and named checks are the validate stage's, like any dataset's; this
source only reads, fills ``period``, and computes ``derive:`` fields.

It is an ordinary plugin: it uses the public API only, as a third party's would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Batch, InputDecl, Source, SourceContext
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.declare import Declared, load_dataset_files
from gongkai_etl.divisions import division_codes
from gongkai_etl.errors import ConfigError
from gongkai_etl.toolkit import normalize_and_validate, values_by_key

#: The plan's publications declared in YAML, shipped with the package.
SHIPPED = Path(__file__).parent / "datasets"


class DeclaredSource(Source):
    name = "declared"
    title_zh = "YAML 声明的数据集"
    title_en = "datasets declared in YAML"

    def __init__(self, declared: tuple[Declared, ...] = ()) -> None:
        self._declared = {d.dataset.id: d for d in declared}
        by_input: dict[str, str] = {}
        for d in declared:
            other = by_input.setdefault(d.input.name, d.dataset.id)
            if other != d.dataset.id:
                raise ConfigError(
                    f"数据集 {other} 与 {d.dataset.id} 使用同一个输入 {d.input.name!r} (two declared datasets "
                    f"read the same input {d.input.name!r}; give one of them its own `input: {{name: ...}}`)",
                    file=d.file,
                )
        self.datasets = tuple(d.dataset for d in declared)
        self.inputs = tuple(_input_decl(d) for d in declared)
        self.streaming = tuple(d.dataset.id for d in declared if d.streaming)

    def with_datasets(self, declared: tuple[Declared, ...]) -> Source:
        return DeclaredSource((*self._declared.values(), *declared))

    def default_datasets(self, input_names: Iterable[str]) -> tuple[str, ...]:
        """The declared datasets whose input the pipeline configures (the source
        ships many; a pipeline feeds a few)."""
        names = set(input_names)
        return tuple(ds_id for ds_id, d in self._declared.items() if d.input.name in names)

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        for ds_id in ctx.dataset_ids:
            d = self._declared[ds_id]
            if not d.input.required and not ctx.has_input(d.input.name):
                continue
            if d.streaming:
                for batch in ctx.read(d.input.name).batches:
                    yield Batch(ds_id, _completed(pa.Table.from_batches([batch]), d.dataset, ctx))
            else:
                yield Batch(ds_id, _completed(_read_all(ctx, d.input.name), d.dataset, ctx))

    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        for f in dataset.fields:
            if f.derive is not None and f.derive.kind == "percent" and table.num_rows:
                idx = table.column_names.index(f.name)
                table = table.set_column(idx, f.name, _percent(self, ctx, dataset, f, table))
        return table

    def reference(self, ctx: SourceContext, dataset_id: str) -> pa.Table | None:
        """The typed rows of ``dataset_id`` for this period, read from its input
        (values that do not parse are null; the dataset's own run rejects them)."""
        key = f"declared:reference:{dataset_id}"
        if key not in ctx.cache:
            d = self._declared.get(dataset_id)
            if d is None or not ctx.has_input(d.input.name):
                ctx.cache[key] = None
            else:
                typed, _ = normalize_and_validate(_completed(_read_all(ctx, d.input.name), d.dataset, ctx), d.dataset)
                ctx.cache[key] = typed
        return ctx.cache[key]


def _input_decl(d: Declared) -> InputDecl:
    columns: dict[str, tuple[str, ...]] = {}
    optional: list[str] = []
    for f in d.dataset.fields:
        if f.derive is not None:
            continue
        aliases = tuple(dict.fromkeys((*f.aliases, f.title_zh)))
        columns[f.name] = aliases
        if not f.required or f.name == "period":  # period: filled from the run when the file has none
            optional.append(f.name)
    return InputDecl(
        d.input.name,
        columns=columns,
        optional_columns=tuple(optional),
        required=d.input.required,
        per_period=d.input.per_period,
        description=d.input.description or f"{d.dataset.title_zh} ({d.dataset.title_en})",
        datasets=(d.dataset.id,),
    )


def _read_all(ctx: SourceContext, input_name: str) -> pa.Table:
    """Every file of the input (a glob may name several: one per department),
    read once per period: a rule's reference to another dataset reuses it."""
    key = f"declared:input:{input_name}"
    if key not in ctx.cache:
        ctx.cache[key] = _read_files(ctx, input_name)
    return ctx.cache[key]


def _read_files(ctx: SourceContext, input_name: str) -> pa.Table:
    settings = ctx.input_settings(input_name)
    locations = ctx.locations(input_name) if settings is not None and not settings.is_url else []
    if not locations:  # a URL, or no file: the engine's read says which and where
        return ctx.read(input_name).to_table()
    tables = [ctx.read(input_name, location=loc).to_table() for loc in locations]
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


def _completed(table: pa.Table, dataset: Dataset, ctx: SourceContext) -> pa.Table:
    """The run's period where the file has none, and the fields derived before validation."""
    names = dataset.field_names
    if "period" in names and ("period" not in table.column_names or table.column("period").null_count == table.num_rows):
        column = pa.array([ctx.period.key] * table.num_rows, pa.string())
        if "period" in table.column_names:
            table = table.set_column(table.column_names.index("period"), "period", column)
        else:
            table = table.append_column("period", column)
    for f in dataset.fields:
        if f.derive is not None and f.derive.kind == "division_code_of" and f.derive.source in table.column_names:
            codes = pa.array(division_codes(table.column(f.derive.source).to_pylist()), pa.string())
            if f.name in table.column_names:
                table = table.set_column(table.column_names.index(f.name), f.name, codes)
            else:
                table = table.append_column(f.name, codes)
    return table


def _percent(source: DeclaredSource, ctx: SourceContext, dataset: Dataset, f: Field, table: pa.Table) -> pa.Array:
    spec = f.derive
    assert spec is not None
    numerator = table.column(spec.source).cast(pa.float64())
    if "." in spec.of:
        other_id, other_field = spec.of.split(".", 1)
        key = spec.key or dataset.primary_key[-1]
        denominator = values_by_key(table, key, source.reference(ctx, other_id), other_field).cast(pa.float64())
    else:
        denominator = table.column(spec.of).cast(pa.float64())
    value = pc.round(pc.multiply(pc.divide(numerator, denominator), 100.0), spec.round)
    return value.cast(f.arrow_type)


@hookimpl
def register_sources() -> list[Source]:
    shipped = sorted(str(p) for p in SHIPPED.glob("*.yaml"))
    return [DeclaredSource(tuple(load_dataset_files(shipped, SHIPPED)) if shipped else ())]
