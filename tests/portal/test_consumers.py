"""Every published dataset as its consumers open it: pyarrow's dataset reader,
pandas, DuckDB and polars on the ``data/`` folder with no options, and the real
``frictionless validate`` on every ``datapackage.json``, Parquet resources included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import copy_project, run_etl

from gongkai_etl.plugins import load_plugins


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("consumers"))
    proc = run_etl("run", str(root / "pipelines"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    return root / "output"


def _published(out: Path) -> list[tuple[str, Path]]:
    found = sorted((d.name, d) for d in out.iterdir() if (d / "datapackage.json").exists())
    registered = set(load_plugins().datasets())
    assert {name for name, _ in found} == registered, [name for name, _ in found]  # every dataset, Python or YAML
    assert len(found) >= 24
    return found


def _declared(dataset_id: str) -> pa.Schema:
    """The dataset's declared schema in the types Parquet stores (it has no
    second-resolution timestamp: ``timestamp[s]`` is kept as milliseconds)."""
    schema = load_plugins().datasets()[dataset_id][1].arrow_schema()
    return pa.schema([f.with_type(pa.timestamp("ms")) if f.type == pa.timestamp("s") else f for f in schema])


def _rows(ds_dir: Path) -> int:
    doc = json.loads((ds_dir / "datapackage.json").read_text(encoding="utf-8"))
    return sum(p["rows"] for p in doc["periods"])


def test_pyarrow_and_pandas_read_every_folder_without_options(out: Path) -> None:
    import pandas as pd

    for name, ds_dir in _published(out):
        declared = _declared(name)
        table = pq.read_table(ds_dir / "data")
        assert table.num_rows == _rows(ds_dir), name
        for field in declared:
            assert table.schema.field(field.name).type == field.type, (name, field.name)
        assert table.schema.field("period").type == pa.string()
        frame = pd.read_parquet(ds_dir / "data")
        assert len(frame) == table.num_rows
        assert pd.api.types.is_string_dtype(frame["period"]), (name, frame["period"].dtype)
        for field in declared:
            if pa.types.is_integer(field.type):
                # nullable integers stay integers (Int64), never floats with NaN
                assert str(frame[field.name].dtype) == "Int64", (name, field.name, frame[field.name].dtype)


def test_duckdb_and_polars_read_every_folder_without_options(out: Path) -> None:
    import duckdb
    import polars as pl

    for name, ds_dir in _published(out):
        declared = _declared(name)
        glob = str(ds_dir / "data" / "*.parquet")
        rel = duckdb.sql(f"SELECT * FROM '{glob}'")
        duck_types = dict(zip(rel.columns, (str(t) for t in rel.types)))
        assert duck_types["period"] == "VARCHAR", name
        assert duckdb.sql(f"SELECT count(*) FROM '{glob}'").fetchall()[0][0] == _rows(ds_dir)
        frame = pl.read_parquet(glob)
        assert frame.height == _rows(ds_dir)
        assert frame.schema["period"] == pl.String
        for field in declared:
            expected = pl.from_arrow(pa.table({field.name: pa.array([], field.type)})).schema[field.name]
            assert frame.schema[field.name] == expected, (name, field.name)


def test_frictionless_validate_passes_on_every_package(out: Path) -> None:
    cli = Path(sys.executable).with_name("frictionless")
    for name, ds_dir in _published(out):
        proc = subprocess.run([str(cli), "validate", "--json", str(ds_dir / "datapackage.json")], check=False,
                              capture_output=True, text=True, timeout=300)
        report = json.loads(proc.stdout)
        errors = [(t["name"], e["type"], e["message"][:160]) for t in report["tasks"] for e in t["errors"]]
        assert report["valid"] and proc.returncode == 0, (name, errors[:5])
        formats = {t["name"].rsplit("_", 1)[-1] for t in report["tasks"]}
        assert {"csv", "parquet"} <= formats, (name, formats)
