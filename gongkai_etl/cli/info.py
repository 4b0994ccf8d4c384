"""What is installed and declared: ``etl validate``, ``etl plugins``, ``etl datasets``, ``etl schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gongkai_etl.cli.app import (
    PipelinesArg,
    app,
    load_pipelines,
    settings,
)
from gongkai_etl.errors import ConfigError


@app.command()
def validate(pipelines: PipelinesArg) -> None:
    """检查流水线文件 Validate pipeline files without running them."""
    from gongkai_etl.deadlines import deadline_plan
    from gongkai_etl.pipeline_check import check_pipeline

    for p in load_pipelines(pipelines):
        source, datasets = check_pipeline(p)
        if not settings.quiet:
            print(f"OK {p.file}: source {source.name}, datasets {', '.join(d.id for d in datasets)}")
            for d in datasets:  # how each deadline rule was understood
                for line in deadline_plan(p, d).explain():
                    print(f"  {d.id} {line}")


@app.command()
def plugins(
    options: Annotated[
        str | None, typer.Option("--options", metavar="SOURCE", help="列出数据源的选项 List a source's options (type, default, meaning).")
    ] = None,
) -> None:
    """列出插件 List plugins, where they come from, and the datasets each source feeds."""
    from gongkai_etl.plugins import load_plugins

    reg = load_plugins()
    if options is not None:
        _print_options(reg.source(options))
        return
    by_plugin: dict[str, list[str]] = {}
    for name, plugin in reg.source_plugin.items():
        by_plugin.setdefault(plugin, []).append(name)
    for info in reg.infos:
        print(f"{info.name}  ({info.distribution} {info.version}, {info.module})")
        print(f"    hooks: {', '.join(info.hooks) or '-'}")
        for src_name in by_plugin.get(info.name, []):
            src = reg.sources[src_name]
            print(f"    source {src.name}: {src.title_zh} {src.title_en}".rstrip())
            for ds in src.datasets:
                print(f"      - {ds.id}  {ds.title_zh} ({ds.cadence.value})")


def _print_options(source: Any) -> None:
    """Every ``source.options`` key of a source, as a pipeline would set it."""
    print(f"数据源 {source.name} 的选项 (source.options of {source.name}):")
    if not source.options:
        print("  (无 none)")
    for name, opt in source.options.items():
        print(f"  {opt.describe(name)}")


_PIPELINE_HELP = "Pipeline files or folders whose declared datasets (dataset_files:, define:) to include."


def _with_pipelines(paths: list[Path] | None) -> Any:
    """The registry, with the datasets the given pipelines declare."""
    from gongkai_etl.pipeline_check import check_pipeline
    from gongkai_etl.plugins import load_plugins
    from gongkai_etl.spec import load_pipeline, pipeline_files

    reg = load_plugins()
    for file in pipeline_files(list(paths or [])):
        check_pipeline(load_pipeline(file), reg)
    return reg


@app.command()
def datasets(
    pipeline: Annotated[list[Path] | None, typer.Option("--pipeline", "-p", help=_PIPELINE_HELP)] = None,
) -> None:
    """列出数据集 List every dataset the installed sources declare (and --pipeline's)."""
    reg = _with_pipelines(pipeline)
    for ds_id, (source, ds) in sorted(reg.datasets().items()):
        print(f"{ds_id:<28} {ds.cadence.value:<12} {source.name:<18} {ds.title_zh} / {ds.title_en}")


@app.command()
def schema(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Frictionless Table Schema.")] = False,
    pipeline: Annotated[list[Path] | None, typer.Option("--pipeline", "-p", help=_PIPELINE_HELP)] = None,
) -> None:
    """显示数据集结构 Show one dataset's fields (or --json: its Table Schema)."""
    from gongkai_etl.errors import unknown_name

    reg = _with_pipelines(pipeline)
    found = reg.datasets().get(dataset)
    if not found:
        raise ConfigError(unknown_name("数据集 dataset", dataset, reg.datasets()))
    ds = found[1]
    if as_json:
        print(json.dumps(ds.table_schema(), ensure_ascii=False, indent=2))
        return
    print(f"{ds.id}: {ds.title_zh} / {ds.title_en}")
    print(f"cadence {ds.cadence.value}; primary key {', '.join(ds.primary_key) or '-'}; publisher {ds.publisher}")
    from gongkai_etl.report import display_width, pad

    rows = []
    for f in ds.fields:
        cons = []
        if f.required:
            cons.append("required")
        if f.enum:
            cons.append("enum " + "/".join(f.enum))
        if f.minimum is not None:
            cons.append(f">= {f.minimum:g}")
        if f.maximum is not None:
            cons.append(f"<= {f.maximum:g}")
        if f.pattern:
            cons.append(f"pattern {f.pattern}")
        if f.unique:
            cons.append("unique")
        if f.check:
            cons.append(f"check {f.check}")
        if f.derive is not None:
            cons.append(f"derived ({f.derive.kind} {f.derive.source})")
        rows.append([f.name, f.title_zh, f.type, f.unit or "", "; ".join(cons)])
    # padded by display width: a Chinese title takes two columns a character
    widths = [max(display_width(r[k]) for r in rows) for k in range(4)]
    for r in rows:
        print("  " + "  ".join(pad(cell, widths[k]) for k, cell in enumerate(r[:4])) + "  " + r[4])
    for rule in ds.checks:
        print(f"  规则 rule  {rule.describe()}")
