"""Checks of the intake keys against the source and datasets (``not_provided:``),
called by gongkai_etl.pipeline_check; apart from gongkai_etl.intake_spec, which
spec imports and so must not import the contracts."""

from __future__ import annotations

from pathlib import Path

from gongkai_etl.contracts import InputDecl
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, unknown_name


def check_not_provided(file: Path, input_name: str, names: list[str], decl: InputDecl, datasets: list[Dataset]) -> None:
    """Each ``not_provided`` name is a column of the input that no dataset of the
    pipeline requires: a required field cannot be faked as absent any more than
    with an invented ``fixed:`` value."""
    fields = {f.name: f for d in datasets for f in d.fields}
    for name in names:
        where = f"inputs.{input_name}.not_provided"
        if name not in decl.columns:
            raise ConfigError(f"{where}: {unknown_name('列 column', name, decl.columns)}", file=file)
        field = fields.get(name)
        if (field is not None and field.required) or (field is None and name not in decl.optional_columns):
            raise ConfigError(
                f"{where}: 必填字段 {name} 不能声明为来源未提供；请用 columns: 映射文件中的列，或用 reshape 步骤从其他列生成 "
                f"(field {name} is required, so it cannot be not_provided; map it from the file with "
                f"`inputs.{input_name}.columns: {{{name}: 表头}}` or build it with a reshape step)",
                file=file,
            )
