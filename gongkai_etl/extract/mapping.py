"""The mapping report of one input: which columns the file has, which of the
source's columns they answer, which are missing (with the names accepted for
each and the pipeline keys that would fix it), which are left over, and the
units the headers carry.

A run that cannot map an input shows this for every input at once (see
gongkai_etl.run.mapping_report), so a two-input file is mapped in one go, not
one error per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gongkai_etl import values as nz
from gongkai_etl.contracts import InputDecl
from gongkai_etl.errors import InputError
from gongkai_etl.extract.headers import header_unit, match_columns
from gongkai_etl.spec import InputSpec


@dataclass
class InputMapping:
    """How one file of one input maps onto the columns its source declares."""

    input: str
    location: str
    found: list[str] = field(default_factory=list)
    #: declared column -> the header it was found under
    mapped: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    #: missing column -> the header names the mapping accepts for it
    accepted: dict[str, list[str]] = field(default_factory=dict)
    #: missing column -> the pipeline keys that would fix it, each with a hint
    fixes: dict[str, list[str]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    #: declared column -> the unit its header carries (金额（元） -> 元)
    header_units: dict[str, str] = field(default_factory=dict)
    fixed: list[str] = field(default_factory=list)
    not_provided: list[str] = field(default_factory=list)
    #: the input could not be read at all (file missing, no reader)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing

    def lines(self) -> list[str]:
        """The report as text lines, Chinese first with English alongside."""
        head = f"inputs.{self.input}: {self.location}"
        if self.error:
            return [head, f"  无法读取 (cannot read): {self.error}"]
        out = [head, f"  文件中的列 (found): {', '.join(self.found) or '-'}"]
        mapped = [f"{k} <- {v}" + (f" [{self.header_units[k]}]" if k in self.header_units else "") for k, v in self.mapped.items()]
        out.append(f"  已映射 (mapped): {', '.join(mapped) or '-'}")
        if self.fixed:
            out.append(f"  固定值 (fixed): {', '.join(self.fixed)}")
        if self.not_provided:
            out.append(f"  来源未提供 (not_provided): {', '.join(self.not_provided)}")
        for name in self.missing:
            out.append(f"  缺少 (missing) {name}: 接受 (accepted) {' / '.join(self.accepted.get(name, [name]))}")
            out += [f"      -> {fix}" for fix in self.fixes.get(name, [])]
        if self.unexpected:
            out.append(f"  未识别的列 (unexpected): {', '.join(self.unexpected)}")
        return out


def accepted_names(decl: InputDecl, spec: InputSpec | None, column: str) -> list[str]:
    """The headers the mapping takes for ``column``: the pipeline's ``columns:``
    entry if it has one, else the name and the source's aliases (a header may
    add its unit in brackets: 金额（元） answers to 金额)."""
    if spec is not None and column in spec.columns:
        return [spec.columns[column]]
    return list(dict.fromkeys([column, *decl.columns.get(column, ())]))


def fixes_for(input_name: str, column: str, may_be_absent: bool, unexpected: Iterable[str]) -> list[str]:
    """Which pipeline keys would give ``column`` a value, most likely first."""
    left = list(unexpected)
    out = [
        f"columns: 文件中该列名称不同时映射 (under another header: inputs.{input_name}.columns: {{{column}: 表头}})"
        + (f"; 候选 (candidates): {', '.join(left[:6])}" if left else "")
    ]
    out.append(f"fixed: 整个文件同一个值时 (one value for the whole file: inputs.{input_name}.fixed: {{{column}: 值}})")
    if may_be_absent:
        out.append(f"not_provided: 部门没有此项时发布为空 (the department does not keep it: inputs.{input_name}.not_provided: [{column}])")
    out.append("reshape: 需由其他列合并、拆分或转置得到时 (built from other columns: combine, split, unpivot, fill_down)")
    return out


def map_input(
    input_name: str,
    location: str,
    found: list[str],
    decl: InputDecl,
    spec: InputSpec,
    may_be_absent: Iterable[str] = (),
) -> InputMapping:
    """The mapping of one read input. ``may_be_absent``: the columns the
    datasets mark optional, which ``not_provided:`` may name."""
    absent_ok = set(may_be_absent) | set(decl.optional_columns)
    given = set(spec.fixed) | set(spec.not_provided)
    declared = {k: v for k, v in decl.columns.items() if k not in given}
    mapped, missing, unexpected = match_columns(found, declared, spec.columns, decl.optional_columns)
    report = InputMapping(input_name, location, list(found), mapped, missing, unexpected=unexpected)
    report.fixed = [k for k in spec.fixed if k in decl.columns]
    report.not_provided = [k for k in spec.not_provided if k in decl.columns]
    for name in missing:
        report.accepted[name] = accepted_names(decl, spec, name)
        report.fixes[name] = fixes_for(input_name, name, name in absent_ok, unexpected)
    for name, header in mapped.items():
        unit = header_unit(header)[1]
        if unit is not None:
            report.header_units[name] = unit
    return report


def column_units(report: InputMapping, spec: InputSpec) -> tuple[dict[str, str], dict[str, str]]:
    """(units to convert from, label units) of the mapped columns.

    The first: the pipeline's ``units:`` or, failing that, a convertible unit
    the header carries (元, 万元, μg/m³ ...), which the conversion to the
    field's unit then follows. The second: a header's unit that is a label, not
    a scale (户, 人, %), checked against the field's unit but never converted.
    A ``units:`` entry that contradicts the header is an error naming both.
    """
    convert: dict[str, str] = {k: v for k, v in spec.units.items()}
    labels: dict[str, str] = {}
    for name, unit in report.header_units.items():
        declared = spec.units.get(name)
        if declared is not None:
            if not nz.same_unit(declared, unit):
                raise InputError(
                    f"表头单位与流水线声明不一致：列 {name}（表头 {report.mapped[name]!r}）的单位是 {unit}，"
                    f"但 inputs.{report.input}.units.{name} 声明为 {declared} "
                    f"(column {name}: its header {report.mapped[name]!r} says {unit}, the pipeline's "
                    f"inputs.{report.input}.units.{name} says {declared}; remove the `units:` entry or fix the file)",
                    file=report.location,
                )
            continue
        if nz.is_convertible_unit(unit):
            convert[name] = unit
        else:
            labels[name] = unit
    return convert, labels


def render(reports: Iterable[InputMapping]) -> str:
    """Every input's report, one block each."""
    return "\n".join(line for r in reports for line in r.lines())


def as_dict(report: InputMapping) -> dict[str, Any]:
    """The report as JSON-ready data (``etl validate --inputs --json``, logs)."""
    return {
        "input": report.input, "location": report.location, "found": report.found, "mapped": report.mapped,
        "missing": [{"column": m, "accepted": report.accepted.get(m, []), "fixes": report.fixes.get(m, [])} for m in report.missing],
        "unexpected": report.unexpected, "header_units": report.header_units, "fixed": report.fixed,
        "not_provided": report.not_provided, "error": report.error,
    }
