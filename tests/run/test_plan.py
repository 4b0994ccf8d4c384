"""`etl plan`: what a run would do (inputs with hashes, datasets, publish /
unchanged / review / fail), and nothing written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from support import run_etl


def _snapshot(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))  # SQLite's own read-side files
    }


def _actions(doc: list[dict]) -> dict[tuple[str, str], tuple[str, int | None]]:
    return {(s["period"], d["dataset"]): (d["action"], d["version"]) for s in doc for d in s["datasets"]}


def test_plan_before_any_run_writes_nothing_and_would_publish(project: Path) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    proc = run_etl("plan", str(pipeline))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (project / "output").exists()  # not even the output folder
    assert "shantytown_progress: 将发布 would publish v1" in proc.stdout
    assert proc.stdout.count("sha256 ") == 9  # three inputs for each of three periods
    assert proc.stdout.rstrip().endswith("dry run: nothing was written)")


def test_plan_after_a_run_says_unchanged_then_changed_input_and_missing(project: Path) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    assert run_etl("run", str(pipeline)).returncode == 0
    before = _snapshot(project / "output")
    proc = run_etl("plan", str(pipeline), "--json")
    assert proc.returncode == 0, proc.stderr
    actions = _actions(json.loads(proc.stdout))
    assert set(actions.values()) == {("unchanged", 1)}
    progress = project / "sample_data/shantytown/棚改后期管理_2016-09.csv"
    progress.write_bytes(progress.read_bytes() + b"\n")
    proc = run_etl("plan", str(pipeline), "--period", "2016-09", "--json")
    doc = json.loads(proc.stdout)
    assert [s["period"] for s in doc] == ["2016-09"]
    assert _actions(doc)[("2016-09", "shantytown_followup")] == ("publish", 2)
    followup = next(f for f in doc[0]["inputs"] if f["input"] == "followup")
    assert followup["sha256"] == hashlib.sha256(progress.read_bytes()).hexdigest()
    (project / "sample_data/shantytown/棚改进度_2016-10.xlsx").unlink()
    proc = run_etl("plan", str(pipeline), "--period", "2016-10")
    assert proc.returncode == 1  # a dataset would fail
    assert "缺少 MISSING" in proc.stdout and "将失败 would fail" in proc.stdout
    assert _snapshot(project / "output") == before  # the plan wrote nothing


def test_plan_due_and_review(project: Path) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text(text + "review: required\n", encoding="utf-8")
    proc = run_etl("plan", "--due", str(pipeline), "--as-of", "2016-10-25", "--json")
    doc = json.loads(proc.stdout)
    assert [s["period"] for s in doc] == ["2016-08", "2016-09"]  # 2016-10 not closed yet
    assert {a for a, _ in _actions(doc).values()} == {"review"}
    assert run_etl("plan", "--due", "--period", "2016-09", str(pipeline)).returncode == 2
