"""`etl run --due` on the shipped sample pipeline: exactly the owed, unpublished
(or changed) periods, in order; missing inputs reported per period; safe to re-run;
and `etl status` before and after."""

from __future__ import annotations

import json
from pathlib import Path

from schedule_support import by_key, publications, status_json
from support import open_window

ASOF = "2016-11-20"


def _pipeline(project: Path) -> Path:
    return open_window(project / "pipelines/shantytown.yaml")  # these tests run past the sample's months


def test_status_before_and_after_a_due_run(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    code, before = status_json(etl, str(pipeline), "--as-of", ASOF)
    assert code == 1
    assert len(before["items"]) == 9  # 3 datasets x 2016-08..2016-10 (2016-11 is not closed)
    assert before["counts"]["overdue"] == 9

    run = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert run.returncode == 0, run.stderr
    for period in ("2016-08", "2016-09", "2016-10"):
        assert f"到期 due shantytown {period}: not yet published" in run.stdout
    assert run.stdout.index("2016-08:") < run.stdout.index("2016-09:") < run.stdout.index("2016-10:")

    code, after = status_json(etl, str(pipeline), "--as-of", ASOF)
    assert code == 0
    # published on 2016-11-20: every period was already past its due date, so all late, none overdue
    items = by_key(after)
    assert after["counts"] == {"on_time": 0, "late": 9, "overdue": 0, "not_yet_due": 0}
    oct_ = items[("shantytown_progress", "2016-10")]
    assert (oct_["published_on"], oct_["version"], oct_["days"]) == ("2016-11-20", 1, 4)  # 11-15..18 (11-19/20 is a weekend)
    assert items[("shantytown_progress", "2016-09")]["days"] == 22

    # re-running publishes nothing twice
    again = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert again.returncode == 0, again.stderr
    assert "nothing to run" in again.stdout
    pubs = publications(project / "output/.gongkai/state.db")
    assert len(pubs) == 9 and {p[2] for p in pubs} == {1}


def test_published_before_the_due_date_is_on_time(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    run = etl("run", "--due", str(pipeline), "--as-of", "2016-11-10")
    assert run.returncode == 0, run.stderr
    code, doc = status_json(etl, str(pipeline), "--as-of", ASOF)
    assert code == 0
    items = by_key(doc)
    assert items[("shantytown_followup", "2016-10")]["status"] == "on_time"  # due 11-14, published 11-10
    assert items[("shantytown_followup", "2016-09")]["status"] == "late"
    assert items[("shantytown_followup", "2016-08")]["status"] == "late"
    # as of a day before the run, nothing was published yet
    code, doc = status_json(etl, str(pipeline), "--as-of", "2016-11-09")
    assert code == 1 and doc["counts"] == {"on_time": 0, "late": 0, "overdue": 6, "not_yet_due": 3}


def test_missing_input_is_reported_per_period_without_failing_the_others(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    # as of 2016-12-05, 2016-11 is closed but its input is missing and it is not due until 12-14
    run = etl("run", "--due", str(pipeline), "--as-of", "2016-12-05")
    assert run.returncode == 0, run.stderr
    missing = [ln for ln in run.stdout.splitlines() if ln.startswith("缺少输入 missing")]
    assert len(missing) == 1
    assert "shantytown 2016-11" in missing[0] and "棚改进度_2016-11.xlsx" in missing[0] and "not yet overdue" in missing[0]
    assert len(publications(project / "output/.gongkai/state.db")) == 9  # 2016-08..10 all published

    # as of 2017-01-20, 2016-11 and 2016-12 are both overdue without input: a person is needed
    run = etl("--log-format", "json", "run", "--due", str(pipeline), "--as-of", "2017-01-20")
    assert run.returncode == 1
    events = [json.loads(ln) for ln in run.stdout.splitlines()]
    missing_events = [e for e in events if e["event"] == "missing"]
    assert [e["period"] for e in missing_events] == ["2016-11", "2016-12"]
    assert all(e["overdue"] for e in missing_events)
    assert missing_events[0]["missing"][0]["input"] == "progress"
    assert "needs a person" in run.stderr and "2016-11: input missing" in run.stderr


def test_changed_input_reruns_only_that_period(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    assert etl("run", "--due", str(pipeline), "--as-of", ASOF).returncode == 0
    followup = project / "sample_data/shantytown/棚改后期管理_2016-09.csv"
    raw = followup.read_bytes()
    followup.write_bytes(raw.replace("配套道路施工中".encode("gbk"), "配套道路已完工".encode("gbk")))
    assert followup.read_bytes() != raw

    run = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert run.returncode == 0, run.stderr
    assert "到期 due shantytown 2016-09: input changed" in run.stdout
    assert "2016-08:" not in run.stdout and "2016-10:" not in run.stdout
    pubs = publications(project / "output/.gongkai/state.db")
    assert ("shantytown_followup", "2016-09", 2, 1) in pubs
    assert ("shantytown_project", "2016-09", 2, 1) not in pubs  # unchanged output: nothing new
    assert len(pubs) == 10

    assert "nothing to run" in etl("run", "--due", str(pipeline), "--as-of", ASOF).stdout


def test_due_runs_pick_up_periods_published_by_a_plain_run(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    assert etl("run", str(pipeline), "--period", "2016-08").returncode == 0
    run = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert run.returncode == 0, run.stderr
    assert "shantytown 2016-08" not in run.stdout
    assert "到期 due shantytown 2016-09" in run.stdout and "到期 due shantytown 2016-10" in run.stdout


def test_due_defaults_to_the_pipelines_folder_and_excludes_period(project: Path, etl) -> None:
    result = etl("run", "--due", "--period", "2016-08", str(_pipeline(project)))
    assert result.returncode == 2 and "--due" in result.stderr
    result = etl("run")
    assert result.returncode == 2 and "PIPELINES" in result.stderr
    # no argument: ./pipelines (every shipped pipeline); check it plans without running any
    result = etl("status", "--as-of", "2016-11-20", "--json", cwd=project)
    assert result.returncode in (0, 1), result.stderr
    assert "shantytown" in {i["pipeline"] for i in json.loads(result.stdout)["items"]}


def test_a_due_date_outside_the_calendar_does_not_block_publishing(project: Path, etl) -> None:
    pipeline = _pipeline(project)
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "first_period: 2030-01\n", encoding="utf-8")
    data = project / "sample_data/shantytown"
    for name in ("棚改进度", "棚改后期管理"):
        src = next(data.glob(f"{name}_2016-10.*"))
        (data / src.name.replace("2016-10", "2030-01")).write_bytes(src.read_bytes())
    run = etl("run", "--due", str(pipeline), "--as-of", "2030-02-10")
    assert run.returncode == 0, run.stdout + run.stderr  # 2030 is counted Monday-Friday...
    assert "Warning: 工作日历未覆盖 2030 年" in run.stderr and "workdays_override.csv" in run.stderr  # ...and says so
    assert "shantytown_progress" in run.stdout and "2030-01" in run.stdout  # 2030-01 was published
    assert {p[1] for p in publications(project / "output/.gongkai/state.db")} == {"2030-01"}


def test_periods_held_for_review_wait_for_the_reviewer(project: Path, etl) -> None:
    import sqlite3

    pipeline = _pipeline(project)
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "review: required\n", encoding="utf-8")
    db = project / "output/.gongkai/state.db"

    def reviews() -> dict[str, tuple[str, str]]:
        conn = sqlite3.connect(db)
        try:
            return {period: (rid, status) for rid, period, status in conn.execute("SELECT id, period, status FROM reviews ORDER BY created")}
        finally:
            conn.close()

    first = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert first.returncode == 4, first.stderr
    assert sorted(reviews()) == ["2016-08", "2016-09", "2016-10"]

    again = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert again.returncode == 4
    waiting = [ln for ln in again.stdout.splitlines() if ln.startswith("待审查 waiting for review")]
    assert len(waiting) == 3 and "shantytown 2016-08" in waiting[0]
    assert len(reviews()) == 3  # nothing staged twice

    ids = reviews()
    assert etl("review", "reject", ids["2016-08"][0], "--by", "张三", "--reason", "核对中", cwd=project).returncode == 0
    for period in ("2016-09", "2016-10"):
        assert etl("review", "approve", ids[period][0], "--by", "张三", cwd=project).returncode == 0, period
    after = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert after.returncode == 1  # the rejected period needs a person
    assert any(ln.startswith("审查未通过 review rejected shantytown 2016-08") for ln in after.stdout.splitlines())
    assert "2016-08: review rejected" in after.stderr

    followup = project / "sample_data/shantytown/棚改后期管理_2016-08.csv"
    followup.write_bytes(followup.read_bytes() + "\n".encode("gbk"))  # a corrected input
    fixed = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert fixed.returncode == 4 and "到期 due shantytown 2016-08" in fixed.stdout
    assert reviews()["2016-08"][1] == "waiting"

    # a published period whose input changed is staged again and then waits, too
    sept = project / "sample_data/shantytown/棚改后期管理_2016-09.csv"
    sept.write_bytes(sept.read_bytes().replace("配套道路施工中".encode("gbk"), "配套道路已完工".encode("gbk")))
    restaged = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert restaged.returncode == 4 and "到期 due shantytown 2016-09: input changed" in restaged.stdout
    def review_rows() -> int:
        conn = sqlite3.connect(db)
        try:
            return conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        finally:
            conn.close()

    count = review_rows()
    waits = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert waits.returncode == 4
    assert any(ln.startswith("待审查 waiting for review shantytown 2016-09") for ln in waits.stdout.splitlines())
    assert review_rows() == count == 5  # 3 first runs, 2016-08 again, 2016-09 again


def test_due_reads_glob_inputs_and_sees_a_changed_office_file(project: Path, etl) -> None:
    """An input naming one file per office (`行政许可_法人_*`) is found, run, and
    re-run when one office's file changes; a period with no office file is missing."""
    pipeline = project / "pipelines/double_publicity.yaml"
    for path in (project / "sample_data/double_publicity/2016-10").glob("行政*"):
        path.unlink()
    run = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert "到期 due double_publicity 2016-08: not yet published" in run.stdout, run.stdout + run.stderr
    assert "到期 due double_publicity 2016-09: not yet published" in run.stdout
    assert "缺少输入 missing double_publicity 2016-10: sgs_license:" in run.stdout
    assert run.stdout.count("缺少输入") == 1
    again = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert "nothing to run" in again.stdout, again.stdout
    office = sorted((project / "sample_data/double_publicity/2016-09").glob("行政许可_法人_*"))[0]
    (office.parent / ("行政许可_法人_补报" + office.suffix)).write_bytes(office.read_bytes())  # one more office's file
    changed = etl("run", "--due", str(pipeline), "--as-of", ASOF)
    assert "到期 due double_publicity 2016-09: input changed" in changed.stdout, changed.stdout
