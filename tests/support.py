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
