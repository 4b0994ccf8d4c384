"""Issue 17 cases 6 and 7: an interrupted publish (SIGKILL between the files of
one publish) is finished by every command that opens the output, not only
``etl run``; and a journal belongs to its pipeline's lock, so a run of pipeline B
never replays pipeline A's journal while A is publishing into the same output."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from reliability_helpers import check_consistent, count, etl_env, run_etl

FOLLOWUP = "sample_data/shantytown/棚改后期管理_2016-09.csv"
FINISHED = "finished an interrupted publish"


def _edit_followup(project: Path, remark: str) -> None:
    path = project / FOLLOWUP
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"))))
    rows[1][5] = remark
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("gbk"))


def _interrupted(project: Path) -> Path:
    """2016-09 published, then its republish killed after the first file of
    shantytown_followup: the output holds a live-looking journal and a mixed period."""
    pipeline = project / "pipelines/shantytown.yaml"
    first = run_etl("run", str(pipeline), "--period", "2016-09")
    assert first.returncode == 0, first.stderr
    _edit_followup(project, "第二版备注")
    killed = run_etl("run", str(pipeline), "--period", "2016-09", env=etl_env(GONGKAI_FAILPOINT="publish:between-files@1"))
    assert killed.returncode == -9, killed.stderr
    out = project / "output"
    assert list((out / ".gongkai/journal").glob("*.json")), "the kill left no journal"
    with pytest.raises(AssertionError):
        check_consistent(out)  # mixed: one file new, the ledger and the others old
    return pipeline


def _serve(out: Path) -> subprocess.CompletedProcess:
    """``etl serve`` until it listens, then stopped (recovery happens before it listens)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gongkai_etl", "serve", str(out), "--port", "0"],
        env=etl_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "Serving" in line, line
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, line + stdout, stderr)


COMMANDS = {
    "history": lambda p: run_etl("history", "shantytown_followup", "--pipeline", str(p)),
    "status": lambda p: run_etl("status", str(p), "--as-of", "2016-12-30"),
    "catalog": lambda p: run_etl("catalog", str(p.parent.parent / "output")),
    "site": lambda p: run_etl("site", str(p.parent.parent / "output")),
    "serve": lambda p: _serve(p.parent.parent / "output"),
    "run": lambda p: run_etl("run", str(p), "--period", "2016-09"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_case6_every_command_finishes_an_interrupted_publish(project: Path, command: str) -> None:
    pipeline = _interrupted(project)
    out = project / "output"
    proc = COMMANDS[command](pipeline)
    assert FINISHED in proc.stderr, (command, proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert not list((out / ".gongkai/journal").glob("*.json"))
    check_consistent(out)  # ledger, files and every datapackage.json agree
    rows = (out / "shantytown_followup/csv/shantytown_followup_2016-09.csv").read_text(encoding="utf-8-sig")
    assert "第二版备注" in rows  # the period ended fully on the new version
    count("kill points (journal replay by command)")


def test_case6_catalog_rewrites_a_stale_datapackage(project: Path) -> None:
    """`etl catalog` never says OK over a datapackage.json whose checksums and
    row counts disagree with the files: it rewrites it."""
    pipeline = project / "pipelines/shantytown.yaml"
    assert run_etl("run", str(pipeline), "--period", "2016-09").returncode == 0
    out = project / "output"
    dp = out / "shantytown_followup/datapackage.json"
    good = dp.read_text(encoding="utf-8")
    stale = good.replace('"sha256:', '"sha256:0000', 1)
    assert stale != good
    dp.write_text(stale, encoding="utf-8")
    with pytest.raises(AssertionError):
        check_consistent(out)
    proc = run_etl("catalog", str(out))
    assert proc.returncode == 0, proc.stderr
    check_consistent(out)
    count("stale metadata rewritten by etl catalog")


def test_case7_a_live_journal_of_another_pipeline_is_left_alone(project: Path) -> None:
    """Pipeline A (shantytown) is publishing into the shared output: it holds its
    lock and its journal is on disk. Pipeline B (a second pipeline, same output)
    runs meanwhile: it must not replay A's journal. Once A's lock is free, the
    next command finishes A's publish."""
    pipeline_a = _interrupted(project)
    out = project / "output"
    journal = sorted((out / ".gongkai/journal").glob("*.json"))
    pipeline_b = project / "pipelines/shantytown_b.yaml"
    text = pipeline_a.read_text(encoding="utf-8").replace("pipeline: shantytown\n", "pipeline: shantytown_b\n")
    pipeline_b.write_text(text.replace("datasets: [shantytown_project, shantytown_progress, shantytown_followup]",
                                       "datasets: [shantytown_project]"), encoding="utf-8")
    # A "is publishing": a live process holds A's lock (flock) as a run does while it publishes
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\nfrom gongkai_etl.schedule.locks import PipelineLock\n"
         "lock = PipelineLock(Path(sys.argv[1]), 'shantytown', wait=5).acquire()\nprint('held', flush=True)\n"
         "sys.stdin.read()\n",
         str(out / ".gongkai/locks/shantytown.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=etl_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = {p: p.read_bytes() for p in journal}
        b = run_etl("run", str(pipeline_b), "--period", "2016-09")
        assert b.returncode == 0, b.stderr
        assert FINISHED not in b.stderr, b.stderr
        assert {p: p.read_bytes() for p in journal if p.exists()} == before  # A's intent untouched
        for command in ("catalog", "history"):
            proc = COMMANDS[command](pipeline_a)
            assert FINISHED not in proc.stderr, (command, proc.stderr)
            assert all(p.exists() for p in journal)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # A's lock is free again (its process is gone): the next command finishes A's publish
    proc = run_etl("run", str(pipeline_b), "--period", "2016-09")
    assert proc.returncode == 0 and FINISHED in proc.stderr, proc.stderr
    check_consistent(out)
    count("kill points (journal replay by command)")


def test_case7_two_pipelines_publishing_into_one_output_concurrently(project: Path) -> None:
    """Two pipelines run at once into one output, many times over: neither ever
    reports finishing the other's publish, and the output ends consistent."""
    pipeline_a = project / "pipelines/shantytown.yaml"
    pipeline_b = project / "pipelines/shantytown_b.yaml"
    text = pipeline_a.read_text(encoding="utf-8").replace("pipeline: shantytown\n", "pipeline: shantytown_b\n")
    pipeline_b.write_text(text.replace("datasets: [shantytown_project, shantytown_progress, shantytown_followup]",
                                       "datasets: [shantytown_project]"), encoding="utf-8")
    out = project / "output"
    for round_ in range(3):
        _edit_followup(project, f"第{round_}轮")
        env = etl_env()
        procs = [
            subprocess.Popen([sys.executable, "-m", "gongkai_etl", "run", str(p), "--period", "2016-09"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for p in (pipeline_a, pipeline_b)
        ]
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            assert FINISHED not in stderr, stderr
        check_consistent(out)
    assert not list((out / ".gongkai/journal").glob("*.json"))
    count("concurrency rounds (two pipelines, one output)", 3)


@pytest.mark.parametrize("point", [
    "files:place-before-rename@1", "publish:between-files@1", "publish:before-ledger@1",
    "publish:after-ledger@1", "publish:after-datapackage@1",
])
def test_case6_a_replay_killed_is_finished_by_the_next_command(project: Path, point: str) -> None:
    """The replay itself killed (here by `etl catalog`): the journal stays, and the
    command after it (`etl status`) finishes the publish; the period ends whole."""
    pipeline = _interrupted(project)
    out = project / "output"
    killed = run_etl("catalog", str(out), env=etl_env(GONGKAI_FAILPOINT=point))
    assert killed.returncode == -9, (point, killed.stderr)
    assert list((out / ".gongkai/journal").glob("*.json")), point
    proc = COMMANDS["status"](pipeline)
    assert FINISHED in proc.stderr, (point, proc.stderr)
    check_consistent(out)
    rows = (out / "shantytown_followup/csv/shantytown_followup_2016-09.csv").read_text(encoding="utf-8-sig")
    assert "第二版备注" in rows
    count("kill points (journal replay by command)")
