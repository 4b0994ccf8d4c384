"""``etl run --executor local``: worker processes of this machine (standard library, no
dask) stage, this process publishes; the result is byte for byte an in-process run's."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support import copy_project, run_etl

from gongkai_etl.run.executor import Executor

PIPELINES = ("pipelines/shantytown.yaml", "pipelines/air_quality.yaml")
#: the coordinator of a local run must not need dask: imports of it fail here
NO_DASK = "import sys; sys.modules['dask'] = sys.modules['distributed'] = None; from gongkai_etl.cli import main; main()"


def _two_outputs(root: Path) -> Path:
    """The sample project with air quality publishing into an output of its own."""
    copy_project(root)
    aq = root / "pipelines" / "air_quality.yaml"
    text = aq.read_text(encoding="utf-8")
    assert "dir: ../output\n" in text
    aq.write_text(text.replace("dir: ../output\n", "dir: ../output_aq\n"), encoding="utf-8")
    return root


def _published(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.glob("output*/**/*"))
            if p.is_file() and ".gongkai" not in p.parts and p.suffix in (".parquet", ".csv")}


def _current(out: Path) -> list[tuple]:
    with sqlite3.connect(out / ".gongkai" / "state.db") as conn:
        return conn.execute("SELECT dataset, period, version, content_hash FROM publications WHERE current = 1 "
                            "ORDER BY 1, 2").fetchall()


def test_local_workers_publish_what_an_in_process_run_publishes_without_dask(tmp_path: Path) -> None:
    reference = _two_outputs(tmp_path / "reference")
    proc = run_etl("run", *PIPELINES, cwd=reference)
    assert proc.returncode == 0, proc.stderr
    project = _two_outputs(tmp_path / "workers")
    proc = subprocess.run([sys.executable, "-c", NO_DASK, "run", "--executor", "local", "--workers", "2", *PIPELINES],
                          cwd=project, env={**os.environ, "GONGKAI_SALT": "test-salt-not-secret"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    ours, theirs = _published(project), _published(reference)
    assert len(theirs) >= 36 and {p.split("/")[0] for p in theirs} == {"output", "output_aq"}
    assert sorted(ours) == sorted(theirs)
    for rel, data in theirs.items():
        assert ours[rel] == data, rel
    for out in ("output", "output_aq"):
        rows = _current(project / out)
        assert rows and rows == _current(reference / out)


def test_each_output_folder_has_one_publish_lock(tmp_path: Path) -> None:
    ex = Executor("local", workers=1)
    try:
        a, b = tmp_path / "a", tmp_path / "b"
        assert ex.publish_lock(a) is ex.publish_lock(tmp_path / "b" / ".." / "a")
        assert ex.publish_lock(a) is not ex.publish_lock(b)
    finally:
        ex.close()


@pytest.mark.parametrize(("args", "says"), [
    (("--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"), "--workers goes with --executor local"),
    (("--executor", "local", "--workers", "0"), "--workers: expected at least 1"),
    (("--executor", "local", "--scheduler", "tcp://127.0.0.1:9"), "--scheduler goes with --executor dask"),
])
def test_executor_options_that_do_not_fit_are_usage_errors(project: Path, args: tuple[str, ...], says: str) -> None:
    proc = run_etl("run", *args, *PIPELINES, cwd=project)
    assert proc.returncode == 2 and says in proc.stderr, proc.stderr
    assert not (project / "output").exists() or not any((project / "output").glob("*/*.parquet"))


def test_a_worker_killed_mid_unit_is_a_clear_error_and_publishes_nothing(project: Path) -> None:
    # the fault-injection point kills the process that reaches it: only workers extract
    proc = run_etl("run", "--executor", "local", "--workers", "2", *PIPELINES, cwd=project,
                   env={"GONGKAI_FAILPOINT": "run:after-extract"})
    assert proc.returncode == 1, proc.stderr
    said = proc.stdout + proc.stderr
    assert "a worker process of --executor local died while staging" in said
    assert "Traceback" not in said
    assert _published(project) == {}
    # nothing is left half-done: the next run publishes all of it
    again = run_etl("run", "--executor", "local", "--workers", "2", *PIPELINES, cwd=project)
    assert again.returncode == 0, again.stderr
    assert len(_published(project)) >= 36
