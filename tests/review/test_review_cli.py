"""The review gate from the command line (先审查后公开), on the shipped shantytown
sample with ``review: required``: a run waits (exit 4), ``etl review show``
shows what waits, ``approve`` publishes it with the reviewer in the ledger and
datapackage.json, ``reject`` leaves the published period byte-identical, and an
approval is refused when the input, the staged files, the published period or
the ``--hash`` changed since the run."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest

DATASETS = ["shantytown_project", "shantytown_progress", "shantytown_followup"]
FOLLOWUP_0808 = "sample_data/shantytown/棚改后期管理_2016-08.csv"


@pytest.fixture
def pipeline(project: Path) -> Path:
    path = project / "pipelines" / "shantytown.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "review: required\n", encoding="utf-8")
    return path


def _snapshot(out: Path) -> dict[str, str]:
    """sha256 of every published file (the .gongkai state folder excluded)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".gongkai" not in p.parts
    }


def _wait(etl, pipeline: Path, period: str = "2016-08", *extra: str) -> str:
    """Run one period; it must wait for review. Return the review id."""
    result = etl(*extra, "run", str(pipeline), "--period", period)
    assert result.returncode == 4, result.stdout + result.stderr
    ids = set(re.findall(r"review id: (\S+)", result.stdout)) or set(re.findall(r'"review_id": "([^"]+)"', result.stdout))
    assert len(ids) == 1, result.stdout
    return ids.pop()


def _reviews(out: Path) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(out / ".gongkai" / "state.db")
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: r for r in conn.execute("SELECT * FROM reviews")}
    finally:
        conn.close()


def _publications(out: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(out / ".gongkai" / "state.db")
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute("SELECT * FROM publications WHERE current = 1 ORDER BY dataset, period"))
    finally:
        conn.close()


def _content_hash(etl, rid: str, where: Path) -> str:
    shown = etl("review", "show", rid, str(where), "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["content_hash"]


def _edit_followup(project: Path, old: str, new: str) -> None:
    path = project / FOLLOWUP_0808
    text = path.read_bytes().decode("gbk")
    assert old in text
    path.write_bytes(text.replace(old, new, 1).encode("gbk"))


def test_run_waits_then_show_and_approve_publishes_with_reviewer(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    rid = _wait(etl, pipeline)
    # nothing published yet; the staged versions wait in a private folder
    assert _snapshot(out) == {}
    rdir = out / ".gongkai" / "review" / rid
    assert sorted(p.name for p in rdir.iterdir()) == sorted(DATASETS)
    assert stat.S_IMODE((out / ".gongkai" / "review").stat().st_mode) == 0o700
    assert stat.S_IMODE(rdir.stat().st_mode) == 0o700
    assert not list((out / ".gongkai" / "staging").rglob("*.parquet"))  # moved out of the staging folder

    listed = etl("review", "list", str(pipeline))
    assert listed.returncode == 0, listed.stderr
    assert rid in listed.stdout and "shantytown 2016-08" in listed.stdout and "waiting" in listed.stdout
    listed_out = etl("review", "list", str(out))  # by output folder too
    assert rid in listed_out.stdout

    shown = etl("review", "show", rid, str(pipeline))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "shantytown_progress" in text and "rows  in 8  out 8  rejected 0" in text
    assert "首次发布" in text  # nothing to diff against yet
    assert "CY-PG-2015-001" in text  # sample rows
    content_hash = _content_hash(etl, rid, pipeline)
    assert f"--hash {content_hash[:12]}" in text

    approved = etl("review", "approve", rid, str(pipeline), "--by", "李审查", "--note", "保密审查通过", "--hash", content_hash[:12])
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert "approved and published: shantytown_progress 2016-08 v1" in approved.stdout

    for ds in DATASETS:
        assert (out / ds / "data" / f"{ds}_2016-08.parquet").exists()
        dp = json.loads((out / ds / "datapackage.json").read_text(encoding="utf-8"))
        (entry,) = [p for p in dp["periods"] if p["period"] == "2016-08"]
        assert entry["reviewed_by"] == "李审查"
        assert entry["reviewed_at"]
    pubs = _publications(out)
    assert {p["dataset"] for p in pubs} == set(DATASETS)
    assert all(p["reviewed_by"] == "李审查" and p["review_note"] == "保密审查通过" for p in pubs)
    row = _reviews(out)[rid]
    assert row["status"] == "approved" and row["decided_by"] == "李审查" and row["note"] == "保密审查通过"
    assert row["content_hash"] == content_hash
    assert json.loads(row["versions"]) == {ds: 1 for ds in DATASETS}
    assert not rdir.exists()
    # the catalog follows an approval as it follows a run
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert "shantytown_progress" in json.dumps(catalog, ensure_ascii=False)

    # deciding twice is a usage error
    again = etl("review", "approve", rid, str(pipeline), "--by", "李审查")
    assert again.returncode == 2 and "approved" in again.stderr
    # an unchanged re-run publishes nothing and waits for nothing
    rerun = etl("run", str(pipeline), "--period", "2016-08")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "unchanged" in rerun.stdout
    assert len(_reviews(out)) == 1


def test_reject_leaves_published_period_byte_identical(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    first = _wait(etl, pipeline)
    assert etl("review", "approve", first, str(pipeline), "--by", "李审查").returncode == 0
    before = _snapshot(out)

    _edit_followup(project, ",335,", ",336,")
    rid = _wait(etl, pipeline)
    assert rid != first
    shown = etl("review", "show", rid, str(pipeline))
    assert shown.returncode == 0, shown.stderr
    # only the follow-up dataset changed: the others are unchanged and not held
    assert "shantytown_followup" in shown.stdout and "shantytown_progress" not in shown.stdout
    assert "已发布 2016-08 v1" in shown.stdout
    assert "changed 1" in shown.stdout and "project_id=CY-PG-2015-001 (resettled_households)" in shown.stdout

    no_reason = etl("review", "reject", rid, str(pipeline), "--by", "李审查")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    rejected = etl("review", "reject", rid, str(pipeline), "--by", "李审查", "--reason", "回迁户数未经核实")
    assert rejected.returncode == 0, rejected.stderr
    assert _snapshot(out) == before
    row = _reviews(out)[rid]
    assert (row["status"], row["decided_by"], row["note"]) == ("rejected", "李审查", "回迁户数未经核实")
    assert not (out / ".gongkai" / "review" / rid).exists()
    assert etl("review", "approve", rid, str(pipeline), "--by", "x").returncode == 2
    listed = etl("review", "list", "--all", str(pipeline))
    assert "rejected" in listed.stdout and "回迁户数未经核实" in listed.stdout


def test_approval_refused_when_input_changed_then_rerun_supersedes(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    rid = _wait(etl, pipeline)
    _edit_followup(project, ",335,", ",337,")
    shown = etl("review", "show", rid, str(pipeline))
    assert "inputs changed since the run" in shown.stdout

    refused = etl("review", "approve", rid, str(pipeline), "--by", "李审查")
    assert refused.returncode == 1
    assert "input changed since the run" in refused.stderr and "棚改后期管理_2016-08.csv" in refused.stderr
    assert "re-run" in refused.stderr
    assert _snapshot(out) == {}
    assert _reviews(out)[rid]["status"] == "waiting"

    newer = _wait(etl, pipeline)
    rows = _reviews(out)
    assert rows[rid]["status"] == "superseded" and rows[rid]["superseded_by"] == newer
    assert not (out / ".gongkai" / "review" / rid).exists()
    assert etl("review", "approve", rid, str(pipeline), "--by", "李审查").returncode == 2
    ok = etl("review", "approve", newer, str(pipeline), "--by", "李审查")
    assert ok.returncode == 0, ok.stderr
    assert _snapshot(out)


def test_approval_is_for_one_content_hash(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    rid = _wait(etl, pipeline)
    content_hash = _content_hash(etl, rid, pipeline)
    wrong = ("0" if content_hash[0] != "0" else "1") + content_hash[1:12]
    refused = etl("review", "approve", rid, str(pipeline), "--by", "李审查", "--hash", wrong)
    assert refused.returncode == 1 and "does not start with" in refused.stderr
    short = etl("review", "approve", rid, str(pipeline), "--by", "李审查", "--hash", content_hash[:4])
    assert short.returncode == 2
    nobody = etl("review", "approve", rid, str(pipeline))
    assert nobody.returncode == 2 and "--by" in nobody.stderr
    unknown = etl("review", "approve", "nosuchid", str(pipeline), "--by", "李审查")
    assert unknown.returncode == 2 and "no review with this id" in unknown.stderr

    # a staged file altered after the run cannot be approved
    csv = next((out / ".gongkai" / "review" / rid / "shantytown_followup").rglob("*.csv"))
    csv.write_bytes(csv.read_bytes().replace(b"335", b"999"))
    tampered = etl("review", "approve", rid, str(pipeline), "--by", "李审查", "--hash", content_hash[:12])
    assert tampered.returncode == 1 and "staged file changed" in tampered.stderr
    assert _snapshot(out) == {}


def test_published_period_changed_since_review_refuses(project: Path, pipeline: Path, etl) -> None:
    """A review made against v1 cannot overwrite what an automatic run published meanwhile."""
    out = project / "output"
    rid = _wait(etl, pipeline)
    auto = pipeline.read_text(encoding="utf-8").replace("review: required", "review: auto")
    pipeline.write_text(auto, encoding="utf-8")
    original = (project / FOLLOWUP_0808).read_bytes()
    _edit_followup(project, ",335,", ",338,")
    assert etl("run", str(pipeline), "--period", "2016-08").returncode == 0  # published unreviewed
    (project / FOLLOWUP_0808).write_bytes(original)  # the input is as the review saw it again
    before = _snapshot(out)
    refused = etl("review", "approve", rid, str(out), "--by", "李审查")
    assert refused.returncode == 1
    assert "published period changed since this review" in refused.stderr
    assert "dataset shantytown_" in refused.stderr and "period 2016-08" in refused.stderr
    assert _snapshot(out) == before


def test_json_log_of_a_waiting_run(project: Path, pipeline: Path, etl) -> None:
    result = etl("--log-format", "json", "run", str(pipeline), "--period", "2016-08")
    assert result.returncode == 4
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    (period,) = [e for e in events if e["event"] == "period"]
    assert period["exit_code"] == 4
    assert {d["status"] for d in period["datasets"]} == {"waiting-review"}
    rid = period["datasets"][0]["review_id"]
    assert any(e["event"] == "note" and e.get("review_id") == rid for e in events)
    assert any(e["event"] == "stage" and e["stage"] == "review" for e in events)
    listed = etl("review", "list", "--json", str(pipeline))
    doc = json.loads(listed.stdout)
    assert [r["id"] for r in doc] == [rid]
    assert doc[0]["rows"] == {"shantytown_project": 8, "shantytown_progress": 8, "shantytown_followup": 2}


def test_review_commands_default_to_current_folder(project: Path, pipeline: Path, etl) -> None:
    rid = _wait(etl, pipeline)
    listed = etl("review", "list", cwd=project)  # finds ./pipelines
    assert listed.returncode == 0 and rid in listed.stdout
    listed = etl("review", "list", cwd=project / "output")  # an output folder
    assert rid in listed.stdout
    nowhere = etl("review", "list", cwd=project / "sample_data")
    assert nowhere.returncode == 2 and nowhere.stderr.startswith("Error: ")


def test_rerun_back_to_published_content_supersedes_the_waiting_review(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    first = _wait(etl, pipeline)
    assert etl("review", "approve", first, str(pipeline), "--by", "李审查").returncode == 0
    original = (project / FOLLOWUP_0808).read_bytes()
    _edit_followup(project, ",335,", ",339,")
    stale = _wait(etl, pipeline)
    (project / FOLLOWUP_0808).write_bytes(original)
    rerun = etl("run", str(pipeline), "--period", "2016-08")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr  # unchanged: nothing waits
    row = _reviews(out)[stale]
    assert row["status"] == "superseded" and row["superseded_by"] is None
    assert not (out / ".gongkai" / "review" / stale).exists()


def test_approval_killed_half_way_is_finished_by_the_next_approve(project: Path, pipeline: Path, etl) -> None:
    out = project / "output"
    rid = _wait(etl, pipeline)
    killed = etl("review", "approve", rid, str(pipeline), "--by", "李审查", env={"GONGKAI_FAILPOINT": "publish:after-ledger"})
    assert killed.returncode < 0  # SIGKILL after the first dataset's ledger record
    assert _reviews(out)[rid]["status"] == "waiting"
    done = etl("review", "approve", rid, str(pipeline), "--by", "李审查")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(_reviews(out)[rid]["versions"]) == {ds: 1 for ds in DATASETS}
    for ds in DATASETS:
        dp = json.loads((out / ds / "datapackage.json").read_text(encoding="utf-8"))
        assert [p["version"] for p in dp["periods"]] == [1]
        assert dp["periods"][0]["reviewed_by"] == "李审查"
