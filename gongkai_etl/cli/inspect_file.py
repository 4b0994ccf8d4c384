"""``etl inspect FILE [--dataset ID]``: how a data officer onboards a department's file.

Reads the file as ``etl run`` would (gongkai_etl.extract.inspect) and prints
the sheets, the header chosen and why, each column with samples, type and
unit; with ``--dataset``, an ``inputs:`` block for a pipeline: the column
mapping, units the headers carry, and reshape steps the data suggests.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from gongkai_etl.cli.app import app
from gongkai_etl.errors import ConfigError

_PLAIN = re.compile(r"^[\w\u3400-\u9fff（）.%-]+$")
_MONTH_HEADER = re.compile(r"^(\d{1,2})月(份)?$")


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="The department's file (xlsx, xls, csv, json).")],
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="Dataset id: propose an `inputs:` block for it.")] = None,
    pipeline: Annotated[list[Path] | None, typer.Option("--pipeline", "-p", help="Pipeline whose declared datasets to include; paths are proposed relative to it.")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Sheet name or 0-based index (default: the first visible sheet).")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding of a CSV (default: detected).")] = None,
) -> None:
    """查看输入文件 Show how the engine reads a file; with --dataset, propose its `inputs:` block."""
    from gongkai_etl.cli.info import _with_pipelines
    from gongkai_etl.errors import InputError, unknown_name
    from gongkai_etl.extract.inspect import inspect_input

    reg = _with_pipelines(pipeline)
    ds = decl = None
    if dataset is not None:
        found = reg.datasets().get(dataset)
        if not found:
            raise ConfigError(unknown_name("数据集 dataset", dataset, reg.datasets()))
        source, ds = found
        decls = [d for d in source.inputs if not d.datasets or ds.id in d.datasets]
        if not decls:
            raise ConfigError(f"数据集 {ds.id} 的数据源 {source.name} 没有声明输入 (its source declares no input)")
    if not file.exists():
        raise InputError("输入文件不存在 (input file not found)", file=file)
    options: dict[str, Any] = {}
    if sheet is not None:
        options["sheet"] = int(sheet) if sheet.isdigit() else sheet
    if encoding is not None:
        options["encoding"] = encoding
    location = str(file.resolve())
    reader = next((r for r in reg.readers if r.can_read(location, options)), None)
    if reader is None:
        raise InputError("没有能读取此文件的读取器 (no reader for this file type)", file=file)
    if ds is not None:
        # the input whose expected headers the file matches best
        scored = []
        for d in decls:
            expected = [n for name, aliases in d.columns.items() for n in (name, *aliases)]
            scored.append((len(inspect_input(location, reader, options, expected).matched), d, expected))
        _, decl, expected = max(scored, key=lambda s: s[0])
    else:
        expected = []
    found = inspect_input(location, reader, options, expected)
    _print_found(found, expected)
    if ds is not None and decl is not None:
        base = pipeline[0].resolve().parent if pipeline and pipeline[0].is_file() else None
        print()
        print(f"建议的输入配置 proposed inputs block for {ds.id} (paste under your pipeline; lines with # 请核对 need a look):")
        print("\n".join(propose_block(found, ds, decl, file, base)))


def _print_found(found: Any, expected: list[str]) -> None:
    print(f"文件 file: {found.location}")
    print(f"读取器 reader: {found.reader}" + (f"; 编码 encoding: {found.encoding}" if found.encoding else ""))
    if found.sheets:
        print("工作表 sheets:")
        for name, visible in found.sheets:
            mark = "  <- 读取 read (第一个可见工作表 first visible)" if name == found.sheet else ""
            print(f"  {name}{'' if visible else '  (隐藏 hidden)'}{mark}")
    print(f"表头 header: {found.header_reason(expected)}")
    print(f"数据行 data rows: {found.rows}")
    for row, why in found.excluded:
        print(f"  排除 excluded row {row}: {why}")
    print("列 columns:")
    from gongkai_etl.report import display_width, pad

    width = max((display_width(c.name) for c in found.columns), default=0)
    for c in found.columns:
        unit = f"  单位 unit {c.unit}" if c.unit else ""
        blanks = f"  空 blanks {c.blanks}" if c.blanks else ""
        span = f"  {c.months[0]}..{c.months[1]}" if c.months and c.months[0] != c.months[1] else ""
        mark = "  ✓" if c.name in found.matched else ""
        samples = ", ".join(c.samples)
        print(f"  {pad(c.name, width)}  {c.type:<8}{unit}{blanks}{span}  例 e.g. {samples}{mark}")


def propose_block(found: Any, ds: Any, decl: Any, file: Path, base: Path | None) -> list[str]:
    """The ``inputs:`` block for ``decl`` as YAML lines."""
    from gongkai_etl.extract.headers import header_key, header_unit, match_columns

    headers = [c.name for c in found.columns]
    mapping, missing, unexpected = match_columns(headers, decl.columns, {}, decl.optional_columns)
    columns: dict[str, tuple[str, str]] = {}  # declared name -> (header, comment)
    free = [h for h in unexpected]
    for name in [*missing, *(n for n in decl.optional_columns if n not in mapping and n != "period")]:
        accepted = [name, *decl.columns.get(name, ())]
        keys = {header_key(a) for a in accepted} | {header_key(header_unit(a)[0]) for a in accepted}
        hit = next((h for h in free if any(header_key(f) in keys for f in _forms(h))), None)
        note = ""
        if hit is None:
            scored = [
                (difflib.SequenceMatcher(None, header_key(f), header_key(a)).ratio(), h, a)
                for h in free for f in _forms(h) for a in accepted
            ]
            best = max(scored, default=(0.0, None, ""))
            if best[0] >= 0.6 and best[1]:
                hit, note = best[1], f"  # 请核对 check: 与 {best[2]} 相近 (similar to {best[2]!r})"
        if hit is not None:
            columns[name] = (hit, note)
            free.remove(hit)
    mapped = {**{n: (h, "") for n, h in mapping.items()}, **columns}
    fields = {f.name: f for f in ds.fields}
    units = {}
    for name, (header, _) in mapped.items():
        unit = header_unit(header)[1]
        want = fields[name].unit if name in fields else None
        if unit and want and unit != want:
            units[name] = unit
    lines = ["inputs:", f"  {decl.name}:", f"    path: {_q(_path(file, base, ds))}"]
    if found.sheet is not None and found.sheets and any(not v for _, v in found.sheets):
        lines.append(f"    # sheet: {_q(found.sheet)}   # 默认读取第一个可见工作表 the first visible sheet is read by default")
    if found.encoding and found.encoding not in ("utf-8", "utf-8-sig"):
        lines.append(f"    encoding: {found.encoding}")
    if columns:
        lines.append("    columns:")
        lines += [f"      {name}: {_q(header)}{note}" for name, (header, note) in columns.items()]
    if units:
        lines.append("    units:")
        lines += [f"      {name}: {_q(unit)}   # 表头中的单位 unit in the header" for name, unit in units.items()]
    still = [m for m in missing if m not in columns]
    timestamp = _timestamp_hint(found, ds, still)
    if timestamp:
        still.remove(timestamp[0])
    lines += _reshape_hints(found, mapped, ds, timestamp[1] if timestamp else [])
    for name in still:
        accepted = " / ".join([name, *decl.columns.get(name, ())][:4])
        lines.append(f"    # 请核对 check: 文件中没有 {name} (not in the file; accepted: {accepted}): map it under columns:, "
                     f"or give fixed: {{{name}: ...}}")
    return lines


_PARTS = {"year": ("year", "年", "年份"), "month": ("month", "月", "月份"), "day": ("day", "日", "日期"), "hour": ("hour", "时", "小时")}


def _timestamp_hint(found: Any, ds: Any, missing: list[str]) -> tuple[str, list[str]] | None:
    """A missing date or datetime field the file keeps in year/month/day(/hour)
    columns, as research archives do: (the field, its combine and select_period steps)."""
    fields = {f.name: f for f in ds.fields}
    by_key = {c.name.strip().lower(): c for c in found.columns}
    parts = {k: next((by_key[n] for n in names if n in by_key), None) for k, names in _PARTS.items()}
    for name in missing:
        f = fields.get(name)
        if f is None or f.type not in ("date", "datetime") or not all(parts[k] for k in ("year", "month", "day")):
            continue
        if f.type == "datetime" and parts["hour"] is None:
            continue
        columns = [parts[k].name for k in ("year", "month", "day", "hour") if f.type == "datetime" or k != "hour"]
        into = f.title_zh or name
        hour = ""
        if f.type == "datetime":
            hours = [int(v) for v in found.raw.to_table().column(parts["hour"].name).to_pylist() if v and str(v).strip().isdigit()]
            convention = "beginning" if hours and min(hours) == 0 else "ending"
            hour = f", hour: {convention}"
        step = f"      - {{combine: {{into: {_q(into)}, columns: [{', '.join(_q(c) for c in columns)}], as: {f.type}{hour}}}}}"
        if f.type == "datetime":
            step += f"   # 小时 {min(hours) if hours else '?'}-{max(hours) if hours else '?'}: hour-{convention}"
        steps = [step]
        if parts["year"].distinct > 1 or parts["month"].distinct > 1:
            steps.append(f"      - {{select_period: {{column: {_q(into)}}}}}   # 文件含多个期间 the file holds several periods")
        return name, steps
    return None


def _reshape_hints(found: Any, mapped: dict[str, tuple[str, str]], ds: Any, first: list[str]) -> list[str]:
    steps: list[str] = list(first)
    used = {h for h, _ in mapped.values()}
    by_name = {c.name: c for c in found.columns}
    for header in used:
        c = by_name.get(header)
        # a label written once for the rows below it (merged cells exported as blanks)
        if c and c.type == "text" and c.blanks and c.distinct < found.rows - c.blanks:
            steps.append(f"      - {{fill_down: [{_q(header)}]}}")
    months = [c.name for c in found.columns if _MONTH_HEADER.match(c.name)]
    if len(months) >= 3:
        steps.append(f"      # - {{unpivot: {{columns: {_q(months[0] + '..' + months[-1])}, name: 月份, value: 数值}}}}   # 请核对 check: months across the columns")
    # the first date column of a required or key field whose values fall in more than one
    # period of the dataset's cadence (an optional date, a planned start say, is no period)
    fields = {f.name: f for f in ds.fields}
    period_like = [h for name, (h, _) in mapped.items() if name in fields and (fields[name].required or name in ds.primary_key)]
    for header in [c.name for c in found.columns if c.name in period_like]:
        c = by_name[header]
        if c.months and _periods(c.months, ds.cadence) > 1:
            steps.append(f"      - {{select_period: {{column: {_q(header)}}}}}   # 请核对 check: 文件含多个期间 the file spans "
                         f"{c.months[0]}..{c.months[1]}")
            break
    return ["    reshape:", *steps] if steps else []


def _periods(months: tuple[str, str], cadence: Any) -> int:
    """How many periods of ``cadence`` the months ``first..last`` touch (1 or more)."""
    from datetime import date

    from gongkai_etl.periods import Period

    first, last = (Period.containing(cadence, date(int(m[:4]), int(m[5:7]), 1)) for m in months)
    return 1 if first == last else 2


def _forms(header: str) -> list[str]:
    """A header and the shorter names it may be meant by: its leaf under a merged
    group (投资情况/本年完成 -> 本年完成), each without a unit in brackets."""
    from gongkai_etl.extract.headers import header_unit

    leaf = header.rsplit("/", 1)[-1]
    return list(dict.fromkeys([header, leaf, header_unit(header)[0], header_unit(leaf)[0]]))


def _path(file: Path, base: Path | None, ds: Any) -> str:
    """The file's path (relative to the pipeline when given), the period in its
    name made a placeholder so the next period's file is found too."""
    path = file.resolve()
    text = str(path.relative_to(base)) if base and path.is_relative_to(base) else str(file)
    name = Path(text).name
    cadence = getattr(ds.cadence, "value", "")
    if cadence == "monthly":
        name = re.sub(r"(?<!\d)(20\d\d)-(0[1-9]|1[0-2])(?!\d)", "{period}", name)
        name = re.sub(r"(?<!\d)(20\d\d)(0[1-9]|1[0-2])(?!\d)", "{yyyymm}", name)
    elif cadence in ("quarterly", "half-yearly"):
        name = re.sub(r"(?<!\d)20\d\d[QH][1-4](?!\d)", "{period}", name)
    return str(Path(text).with_name(name))


def _q(text: str) -> str:
    """A YAML scalar: plain when safe, else a JSON string (valid YAML)."""
    return text if _PLAIN.match(text) and not text[0].isdigit() else json.dumps(text, ensure_ascii=False)
