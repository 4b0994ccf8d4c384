"""A pipeline checked against the installed plugins: its source, datasets,
inputs, columns, options, formats and deadline rules."""

from __future__ import annotations

from gongkai_etl.contracts import Source
from gongkai_etl.datasets import Dataset
from gongkai_etl.deadlines import deadline_plan
from gongkai_etl.declare import pipeline_declared
from gongkai_etl.errors import ConfigError, unknown_name
from gongkai_etl.intake_check import check_not_provided
from gongkai_etl.plugins import Registry, load_plugins
from gongkai_etl.spec import Pipeline


def check_pipeline(pipeline: Pipeline, registry: Registry | None = None) -> tuple[Source, list[Dataset]]:
    """Checks that need the plugins: source, datasets, inputs, options, formats."""
    registry = registry or load_plugins()
    file = pipeline.file
    declared = pipeline_declared(pipeline)
    try:
        source = registry.source(pipeline.source)
    except ConfigError as exc:
        raise ConfigError(f"source.plugin: {exc.message}", file=file) from None
    try:
        source = registry.source_for(source, tuple(declared))
    except ConfigError as exc:
        raise ConfigError(exc.message, file=exc.file or file) from None
    known = {d.id: d for d in source.datasets}
    chosen: list[Dataset] = []
    # A pipeline that declares datasets publishes those by default, not every
    # dataset its source can feed (the declared source ships the plan's).
    default = [d.dataset.id for d in declared] or list(source.default_datasets(pipeline.inputs))
    for i, ds_id in enumerate(pipeline.datasets or default):
        if ds_id not in known:
            raise ConfigError(f"datasets[{i}]: {unknown_name('数据集 dataset', ds_id, known)}", file=file)
        chosen.append(known[ds_id])
    declared_inputs = {d.name: d for d in source.inputs}
    for name in pipeline.inputs:
        if name not in declared_inputs:
            raise ConfigError(f"inputs.{name}: {unknown_name('输入 input', name, declared_inputs)}", file=file)
    for name, spec in pipeline.inputs.items():
        decl = declared_inputs[name]
        for key in ("columns", "units"):
            for col in getattr(spec, key):
                if col not in decl.columns:
                    raise ConfigError(f"inputs.{name}.{key}.{col}: {unknown_name('列 column', col, decl.columns)}", file=file)
        for col in spec.fixed:
            if col not in decl.columns:
                raise ConfigError(f"inputs.{name}.fixed.{col}: {unknown_name('列 column', col, decl.columns)}", file=file)
        check_not_provided(file, name, spec.not_provided, decl, chosen)
    for key, value in pipeline.source_options.items():
        opt = source.options.get(key)
        if opt is None:
            # The error is the options' documentation too: each with its type,
            # default and meaning, so the fix needs no other page.
            listed = "".join(f"\n  {o.describe(n)}" for n, o in source.options.items())
            raise ConfigError(
                f"source.options.{key}: {unknown_name('选项 option', key, source.options)}"
                f"\n数据源 {source.name} 的选项 (options of source {source.name}):{listed or ' none'}",
                file=file,
            )
        if not isinstance(value, opt.type) or (isinstance(value, bool) and opt.type is not bool):
            raise ConfigError(f"source.options.{key}: expected {opt.type.__name__}, got {value!r}", file=file)
        problem = opt.check(value) if opt.check else None
        if problem:
            raise ConfigError(f"source.options.{key}: {problem}; got {value!r}", file=file)
    for i, fmt in enumerate(pipeline.formats):
        if fmt not in registry.writers:
            raise ConfigError(f"output.formats[{i}]: {unknown_name('格式 format', fmt, registry.writers)}", file=file)
    for key in (*pipeline.deadlines, *pipeline.privacy, *pipeline.reject_ratios):
        if key not in known:
            raise ConfigError(f"{_section(pipeline, key)}.{key}: {unknown_name('数据集 dataset', key, known)}", file=file)
    for d in chosen:  # deadline rules parse and name a date field of the dataset
        deadline_plan(pipeline, d)
    return source, chosen


def _section(pipeline: Pipeline, key: str) -> str:
    if key in pipeline.reject_ratios:
        return "reject_ratios"
    return "deadlines" if key in pipeline.deadlines else "privacy"
