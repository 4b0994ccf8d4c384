"""The published 低保 public list does not depend on the batch size of the streaming path.

The raw list comes from bench/generate_dibao.py (20k households, all 43 streets,
thousands separators); the pipeline runs once with ``batch_rows: 1000`` and once
with ``batch_rows: 65536``. Parquet tables and CSV bytes must be identical.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import REPO, run_etl

ROWS = 20_000


def _generator():
    spec = importlib.util.spec_from_file_location("generate_dibao", REPO / "bench" / "generate_dibao.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def raw_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generator().generate(ROWS, tmp_path_factory.mktemp("raw") / "低保名单.csv", seed=7, encoding="gbk")


def _publish(raw: Path, root: Path, batch_rows: int) -> Path:
    root.mkdir()
    out = root / "out"
    (root / "dibao.yaml").write_text(
        "pipeline: dibao_batches\n"
        "source:\n  plugin: social_assistance\n"
        f"inputs:\n  dibao_list:\n    path: {raw}\n"
        "datasets: [sa_dibao_public_list]\n"
        "periods: 2016-07\n"
        f"output:\n  dir: {out}\n  formats: [parquet, csv]\n"
        f"batch_rows: {batch_rows}\n"
        "review: auto\n",
        encoding="utf-8",
    )
    proc = run_etl("run", str(root / "dibao.yaml"), "--period", "2016-07")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "sa_dibao_public_list"


def test_outputs_identical_across_batch_sizes(raw_list: Path, tmp_path: Path) -> None:
    small = _publish(raw_list, tmp_path / "small", 1000)
    large = _publish(raw_list, tmp_path / "large", 65536)
    part = Path("data/period=2016-07/part-0.parquet")
    a, b = pq.read_table(small / part), pq.read_table(large / part)
    assert a.num_rows == ROWS
    assert a.schema == b.schema
    assert a.equals(b)
    csv = Path("csv/sa_dibao_public_list_2016-07.csv")
    assert (small / csv).read_bytes() == (large / csv).read_bytes()
    # the masking and the key really happened: no clear name, no ID number in the output
    names = a.column("head_name").to_pylist()
    assert all("*" in n for n in names)
    assert "id_number" not in a.column_names
