"""Scale-out on dask: `etl run --executor dask` publishes byte for byte what
an in-process run publishes, and the ledger stays consistent (issue 8b)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from support import REPO, run_etl

distributed = pytest.importorskip("dask.distributed")

PIPELINES = ("pipelines/shantytown.yaml", "pipelines/air_quality.yaml")
SALT = {"GONGKAI_SALT": "test-salt-not-secret"}


def _copy(root: Path) -> Path:
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    shutil.copytree(REPO / "sample_data", root / "sample_data", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _published(out: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and rel.parts[0] != ".gongkai" and path.suffix in (".parquet", ".csv"):
            files[str(rel)] = path.read_bytes()
    return files


def _ledger(out: Path) -> list[tuple]:
    with sqlite3.connect(out / ".gongkai" / "state.db") as conn:
        return conn.execute(
            "SELECT dataset, period, COUNT(*) FROM publications WHERE current = 1 GROUP BY dataset, period ORDER BY 1, 2"
        ).fetchall()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy(tmp_path_factory.mktemp("reference"))
    proc = run_etl("run", *PIPELINES, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "output"


@pytest.fixture(scope="module")
def cluster(monkeypatch_module):  # noqa: ANN001, ANN201
    monkeypatch_module.setenv("GONGKAI_SALT", SALT["GONGKAI_SALT"])  # the workers inherit it
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def monkeypatch_module():  # noqa: ANN201
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _check_same(out: Path, reference: Path) -> None:
    ours, theirs = _published(out), _published(reference)
    assert sorted(ours) == sorted(theirs)
    assert len([r for r in ours if "/changes/" not in r]) == 36  # 6 datasets x 3 months x (parquet + csv)
    for rel in theirs:
        assert ours[rel] == theirs[rel], rel
    rows = _ledger(out)
    assert rows == _ledger(reference)
    assert len(rows) == 18 and all(n == 1 for *_, n in rows)


def test_dask_scheduler_matches_local_run(project: Path, local_reference: Path, cluster) -> None:  # noqa: ANN001
    proc = run_etl("run", "--executor", "dask", "--scheduler", cluster.scheduler_address, *PIPELINES, cwd=project)
    assert proc.returncode == 0, proc.stderr
    _check_same(project / "output", local_reference)
    # the worker processes staged; this process published and recorded the runs
    with sqlite3.connect(project / "output" / ".gongkai" / "state.db") as conn:
        runs = conn.execute("SELECT pipeline, outcome FROM runs ORDER BY pipeline").fetchall()
    assert runs == [("air_quality", "ok"), ("shantytown", "ok")]
    # an unchanged re-run on the cluster publishes nothing new
    again = run_etl("run", "--executor", "dask", "--scheduler", cluster.scheduler_address, *PIPELINES, cwd=project)
    assert again.returncode == 0, again.stderr
    assert "published v2" not in again.stdout
    _check_same(project / "output", local_reference)


def test_executor_usage_errors(project: Path) -> None:
    proc = run_etl("run", "--executor", "dask", *PIPELINES, cwd=project)
    assert proc.returncode == 2 and "--scheduler" in proc.stderr
    proc = run_etl("run", "--workers", "2", *PIPELINES, cwd=project)
    assert proc.returncode == 2 and "--executor" in proc.stderr
    proc = run_etl("run", "--executor", "spark", *PIPELINES, cwd=project)
    assert proc.returncode == 2
