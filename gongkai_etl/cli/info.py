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
from gongkai_etl.errors import ConfigError, ExitCode


@app.command()
def validate(
    pipelines: PipelinesArg,
    inputs: Annotated[bool, typer.Option("--inputs", help="Also read every input and print the mapping report.")] = False,
    period: Annotated[str | None, typer.Option("--period", help="Period(s) whose inputs --inputs reads (default: the pipeline's periods).")] = None,
) -> None:
    """检查流水线文件 Validate pipeline files without running them; with --inputs,
    read every input and report, for all of them at once, the columns found, mapped,
    missing (with the names accepted and the keys that would fix each) and unexpected."""
    from gongkai_etl.deadlines import deadline_plan
    from gongkai_etl.pipeline_check import check_pipeline

    failed = False
    for p in load_pipelines(pipelines):
        source, datasets = check_pipeline(p)
        if inputs:
            failed |= not _mapping_report(p, source, datasets, period)
        if not settings.quiet:
            print(f"OK {p.file}: source {source.name}, datasets {', '.join(d.id for d in datasets)}")
            for d in datasets:  # how each deadline rule was understood
                for line in deadline_plan(p, d).explain():
                    print(f"  {d.id} {line}")
    if failed:
        raise typer.Exit(int(ExitCode.USAGE))


def _mapping_report(p: Any, source: Any, datasets: list[Any], period: str | None) -> bool:
    """Print the mapping report of every input for each period; True when all map."""
    from gongkai_etl.extract.mapping import render
    from gongkai_etl.periods import parse_periods
    from gongkai_etl.plugins import load_plugins
    from gongkai_etl.run.mapping_report import input_mappings

    periods = parse_periods(period) if period else list(p.periods)
    if not periods:
        raise ConfigError("--inputs 需要周期 (give --period, or `periods:` in the pipeline)", file=p.file)
    ok = True
    for per in periods:
        chosen = [d for d in datasets if d.cadence is per.cadence]
        reports = input_mappings(p, source, load_plugins(), per, chosen)
        print(f"映射报告 mapping report {p.id} {per.key}:")
        print(render(reports) or "  (没有配置输入 no inputs configured)")
        ok &= all(r.ok for r in reports)
    return ok


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
    for line in _accepted_lines(found[0], ds):
        print(line)
    for rule in ds.checks:
        print(f"  规则 rule  {rule.describe()}")


def _accepted_lines(source: Any, ds: Any) -> list[str]:
    """Beside the output names, the raw headers the column mapping accepts, per
    input (a header may add its unit: 金额（元） answers to 金额); input columns
    that are no output field (三公's this_year feeds amount) are listed too, as
    the names `columns:`, `fixed:` and `not_provided:` take."""
    decls = [d for d in getattr(source, "inputs", ()) if not d.datasets or ds.id in d.datasets]
    lines: list[str] = []
    fields = {f.name for f in ds.fields}
    for decl in decls:
        lines.append(f"映射接受的表头 headers the mapping accepts (inputs.{decl.name}; columns:/fixed:/not_provided: 用左边的名称 take the names on the left):")
        for name, aliases in decl.columns.items():
            tag = "" if name in fields else "  (输入列，非输出字段 input column, not an output field)"
            optional = "  [可缺 optional]" if name in decl.optional_columns else ""
            lines.append(f"  {name} <- {' / '.join(dict.fromkeys([name, *aliases]))}{optional}{tag}")
    if not decls:  # a dataset declared in YAML: each field's own name, its columns: and its title
        lines.append("映射接受的表头 headers the mapping accepts:")
        lines += [f"  {f.name} <- {' / '.join(dict.fromkeys([f.name, *f.aliases, f.title_zh]))}" for f in ds.fields if f.derive is None]
    return lines
