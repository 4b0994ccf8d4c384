"""Helpers shared by the test modules: the repository root and a way to call
the real ``etl`` command in a subprocess. (Imported as ``support``: several
folders have their own conftest.py, so ``from conftest import ...`` is ambiguous.)"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"


def run_etl(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m gongkai_etl ARGS`` and capture its output."""
    full_env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gongkai_etl", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def copy_project(root: Path) -> Path:
    """Copy pipelines/ and sample_data/ into ``root``; outputs then land in root/output."""
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    shutil.copytree(REPO / "sample_data", root / "sample_data", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def read_rejects(out: Path, dataset: str, period: str) -> list[dict[str, str]]:
    """The rows of a dataset-period's rejects file (none if there is no file)."""
    path = out / ".gongkai" / "rejects" / dataset / f"{period}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_published_rows(out: Path, dataset: str, period: str) -> list[dict]:
    """The rows of a published dataset-period, read from its Parquet file."""
    import pyarrow.parquet as pq

    return pq.read_table(out / dataset / "data" / f"{dataset}_{period}.parquet").to_pylist()


def load_bench(name: str) -> ModuleType:
    """The module ``bench/<name>.py`` (bench/ is not a package; its scripts import
    each other by plain name, so bench/ is on sys.path while it loads)."""
    bench = str(REPO / "bench")
    sys.path.insert(0, bench)
    try:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(bench)


def open_window(pipeline: Path) -> Path:
    """Drop the ``since:``/``until:`` window a shipped sample pipeline declares, for
    tests of what a pipeline owes with no end (``first_period:`` appended still counts)."""
    text = pipeline.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith(("since:", "until:", "# The obligations window"))]
    pipeline.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return pipeline


#: A small declared dataset for the intake tests (units from headers, not_provided,
#: unit jumps, mapping reports): one row per budget unit and period, amounts in 万元.
GRANTS_DATASET = """\
dataset: grants
title: {zh: 专项资金, en: Grants}
publisher: 朝阳区财政局 (Chaoyang Finance Bureau)
cadence: yearly
primary_key: [period, unit_code]
fields:
  - name: period
  - name: unit_code
    title: {zh: 单位编码, en: unit code}
    required: true
    columns: [单位编码]
  - name: amount
    title: {zh: 金额, en: amount}
    type: decimal(14,2)
    unit: 万元
    required: true
    columns: [金额]
  - name: households
    title: {zh: 受益户数, en: households}
    type: integer
    unit: 户
    columns: [受益户数]
  - name: note
    title: {zh: 备注, en: note}
    columns: [备注]
"""


def grants_project(root: Path, header: list[str], rows: list[list[object]], *, inputs_extra: str = "",
                   top_extra: str = "", period: str = "2016") -> Path:
    """A folder with the grants dataset, a pipeline reading ``raw/grants_{period}.xlsx``
    and that workbook (a title row, then ``header`` and ``rows``); returns the pipeline file."""
    import openpyxl

    body = "\n".join("    " + line for line in GRANTS_DATASET.splitlines())
    pipeline = (
        "pipeline: grants\nsource: {plugin: declared}\ndefine:\n  -\n" + body + "\n"
        "inputs:\n  grants:\n    path: raw/grants_{period}.xlsx\n" + inputs_extra
        + f"periods: {period}\noutput:\n  dir: out\n" + top_extra
    )
    (root / "grants.yaml").write_text(pipeline, encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["朝阳区专项资金表"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    (root / "raw").mkdir(parents=True, exist_ok=True)
    wb.save(root / "raw" / f"grants_{period}.xlsx")
    return root / "grants.yaml"


def two_input_project(root: Path, headers: dict[str, list[str]]) -> Path:
    """A pipeline with two declared datasets (grants, subsidies), one input each,
    and a workbook per input with the given header and one data row."""
    import openpyxl

    second = GRANTS_DATASET.replace("dataset: grants", "dataset: subsidies").replace("专项资金", "补贴").replace("Grants", "Subsidies")
    define = "".join("  -\n" + "\n".join("    " + line for line in text.splitlines()) + "\n" for text in (GRANTS_DATASET, second))
    inputs = "".join(f"  {name}:\n    path: raw/{name}_{{period}}.xlsx\n" for name in headers)
    root.mkdir(parents=True, exist_ok=True)
    (root / "two.yaml").write_text(
        "pipeline: two\nsource: {plugin: declared}\ndefine:\n" + define + "inputs:\n" + inputs
        + "periods: 2016\noutput:\n  dir: out\n", encoding="utf-8")
    (root / "raw").mkdir(parents=True, exist_ok=True)
    for name, header in headers.items():
        wb = openpyxl.Workbook()
        wb.active.append(header)
        wb.active.append([f"1{i:02d}" if i == 0 else 5 for i in range(len(header))])
        wb.save(root / "raw" / f"{name}_2016.xlsx")
    return root / "two.yaml"


def forget_declared(*dataset_ids: str) -> None:
    """Drop datasets an in-process run declared (``define:``) from the plugin
    registry, so later tests see only the shipped ones."""
    from gongkai_etl.plugins import load_plugins

    for ds_id in dataset_ids:
        load_plugins().declared.pop(ds_id, None)


def check_unique_agrees_with_dict(keys: Any, *, seed: int, rounds: int, sizes: list[int], key_range: int) -> int:
    """Feed random batches (duplicates, null key parts, a separator inside a value,
    null row numbers, skipped rows) to ``check_unique`` with ``keys`` (a KeySet)
    and with a dict, asserting the same rejects every batch; the dict's size."""
    import random

    import pyarrow as pa

    from gongkai_etl.contracts import ROW_COLUMN
    from gongkai_etl.datasets import Dataset, Field
    from gongkai_etl.periods import Cadence
    from gongkai_etl.validate.unique import check_unique

    ds = Dataset(id="t", title_zh="t", title_en="t", cadence=Cadence.MONTHLY,
                 fields=(Field("a", "a"), Field("b", "b", type="integer")), primary_key=("a", "b"))
    rnd = random.Random(seed)
    legacy: dict = {}
    row = 1
    for _ in range(rounds):
        size = rnd.choice(sizes)
        a = [rnd.choice(["x", "y", "长街道", "", None, "x\x1fy"]) for _ in range(size)]
        b = [rnd.randrange(key_range) if rnd.random() > 0.05 else None for _ in range(size)]
        rows = [r if rnd.random() > 0.02 else None for r in range(row, row + size)]
        table = pa.table({"a": pa.array(a, pa.string()), "b": pa.array(b, pa.int64()), ROW_COLUMN: pa.array(rows, pa.int64())})
        row += size
        skip = {i for i in range(size) if rnd.random() < 0.1}
        old = check_unique(table, ds, legacy, skip)
        new = check_unique(table, ds, keys, skip)
        assert [(r.index, r.row, r.value, r.reason) for r in old] == [(r.index, r.row, r.value, r.reason) for r in new]
    return len(legacy)
