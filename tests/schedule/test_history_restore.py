"""`etl history` and `etl restore`: versions of a dataset-period, and an
earlier version brought back byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from schedule_support import publications

ASOF = "2016-11-20"
PARQUET = "shantytown_followup/data/shantytown_followup_2016-09.parquet"
CSV = "shantytown_followup/csv/shantytown_followup_2016-09.csv"


def _make_two_versions(project: Path, etl) -> Path:
    pipeline = project / "pipelines/shantytown.yaml"
    out = project / "output"
    assert etl("run", "--due", str(pipeline), "--as-of", ASOF).returncode == 0
    v1 = project / "v1-copy"
    for rel in (PARQUET, CSV):
        (v1 / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / rel, v1 / rel)
    followup = project / "sample_data/shantytown/棚改后期管理_2016-09.csv"
    followup.write_bytes(followup.read_bytes().replace("配套道路施工中".encode("gbk"), "配套道路已完工".encode("gbk")))
    run = etl("run", "--due", str(pipeline), "--as-of", "2016-11-21")
    assert run.returncode == 0, run.stderr
    for rel in (PARQUET, CSV):
        assert (out / rel).read_bytes() != (v1 / rel).read_bytes()
    return v1


def test_restore_brings_back_a_replaced_version_byte_for_byte(project: Path, etl) -> None:
    v1 = _make_two_versions(project, etl)
    out = project / "output"

    hist = etl("history", "shantytown_followup", "--period", "2016-09", cwd=project)
    assert hist.returncode == 0, hist.stderr
    rows = [ln.split() for ln in hist.stdout.splitlines() if ln.strip().startswith("2016-09")]
    assert [r[1] for r in rows] == ["v1", "v2"]
    assert rows[1][-1] == "*" and rows[0][-1] != "*"

    result = etl("restore", "shantytown_followup", "2016-09", "--version", "1", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "restored shantytown_followup 2016-09 v1" in result.stdout
    for rel in (PARQUET, CSV):
        assert (out / rel).read_bytes() == (v1 / rel).read_bytes(), rel
    assert ("shantytown_followup", "2016-09", 1, 1) in publications(out / ".gongkai/state.db")
    assert ("shantytown_followup", "2016-09", 2, 0) in publications(out / ".gongkai/state.db")
    package = json.loads((out / "shantytown_followup/datapackage.json").read_text(encoding="utf-8"))
    sept = [r for r in package["resources"] if r["period"] == "2016-09"]
    assert sept and {r["version"] for r in sept} == {1}

    hist = etl("history", "shantytown_followup", "--period", "2016-09", "--json", cwd=project)
    doc = json.loads(hist.stdout)
    assert [(v["version"], v["current"]) for v in doc] == [(1, True), (2, False)]

    # restoring the current version changes nothing; the run after it does not republish v2's input...
    again = etl("restore", "shantytown_followup", "2016-09", "--version", "1", cwd=project)
    assert again.returncode == 0 and "already the current version" in again.stdout
    # ...and neither does a due run: the input is unchanged since the last run
    due = etl("run", "--due", str(project / "pipelines/shantytown.yaml"), "--as-of", "2016-11-22")
    assert "nothing to run" in due.stdout
    assert (out / PARQUET).read_bytes() == (v1 / PARQUET).read_bytes()

    # and v2 comes back too
    assert etl("restore", "shantytown_followup", "2016-09", "--version", "2", cwd=project).returncode == 0
    assert (out / PARQUET).read_bytes() != (v1 / PARQUET).read_bytes()


def test_restore_errors(project: Path, etl) -> None:
    _make_two_versions(project, etl)
    result = etl("restore", "shantytown_followup", "2016-09", "--version", "7", cwd=project)
    assert result.returncode == 2 and "v7" in result.stderr and "v1, v2" in result.stderr
    result = etl("restore", "shantytown_folowup", "2016-09", "--version", "1", cwd=project)
    assert result.returncode == 2 and "shantytown_followup" in result.stderr  # did you mean
    # a damaged stored version is refused, the published one untouched
    stored = project / "output/.gongkai/versions/shantytown_followup/2016-09/v1" / CSV.split("/", 1)[1]
    stored.write_bytes(stored.read_bytes() + b"x")
    before = (project / "output" / CSV).read_bytes()
    result = etl("restore", "shantytown_followup", "2016-09", "--version", "1", cwd=project)
    assert result.returncode == 1 and "sha256" in result.stderr
    assert (project / "output" / CSV).read_bytes() == before


def test_history_lists_every_period(project: Path, etl) -> None:
    assert etl("run", "--due", str(project / "pipelines/shantytown.yaml"), "--as-of", ASOF).returncode == 0
    result = etl("history", "shantytown_project", "--pipeline", str(project / "pipelines/shantytown.yaml"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("shantytown_project: 3 versions (* = current 当前版本")
    assert lines[2].split()[3] == ASOF  # counts as published on the --as-of day
    assert [ln.split()[0] for ln in lines[2:]] == ["2016-08", "2016-09", "2016-10"]
    assert all(ln.rstrip().endswith("*") for ln in lines[2:])
