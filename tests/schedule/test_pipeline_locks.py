"""One run per pipeline at a time: concurrent cron runs publish once; a busy
lock stops the second run with exit 5; a SIGKILLed holder blocks nobody."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from schedule_support import publications

from gongkai_etl.home import Home
from gongkai_etl.schedule.locks import PipelineLock, read_holder

ASOF = "2016-11-20"
ENV = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret"}


def _etl(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gongkai_etl", *args],
        env={**ENV, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_due_runs_started_at_once_publish_once(project: Path) -> None:
    pipeline = str(project / "pipelines/shantytown.yaml")
    procs = [_etl("run", "--due", pipeline, "--as-of", ASOF, "--wait", "120") for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
    assert sum("nothing to run" in out for _, out, _ in results) == 1
    pubs = publications(project / "output/.gongkai/state.db")
    assert len(pubs) == 9
    assert len({(d, p) for d, p, _, _ in pubs}) == 9 and {v for _, _, v, _ in pubs} == {1}


def test_a_busy_lock_stops_the_second_run_with_exit_5(project: Path, etl) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    path = Home(project / "output").lock("shantytown")
    with PipelineLock(path, "shantytown", wait=0):
        started = time.monotonic()
        result = etl("run", "--due", str(pipeline), "--as-of", ASOF, "--wait", "1")
        assert time.monotonic() - started >= 1
        assert result.returncode == 5
        assert result.stderr.startswith("Error: ")
        assert f"pid {os.getpid()}" in result.stderr and "--wait" in result.stderr
        # the plain run takes the same lock
        plain = etl("run", str(pipeline), "--period", "2016-08", "--wait", "0")
        assert plain.returncode == 5
    assert not (project / "output/.gongkai/state.db").exists() or publications(project / "output/.gongkai/state.db") == []
    assert etl("run", "--due", str(pipeline), "--as-of", ASOF).returncode == 0


def test_a_lock_left_by_a_sigkilled_run_is_taken_over(project: Path, etl) -> None:
    pipeline = str(project / "pipelines/shantytown.yaml")
    killed = etl("run", "--due", pipeline, "--as-of", ASOF, env={"GONGKAI_FAILPOINT": "run:after-extract"})
    assert killed.returncode == -signal.SIGKILL
    holder = read_holder(Home(project / "output").lock("shantytown"))
    assert holder and holder["pid"] != os.getpid()  # the dead run still named in the file

    started = time.monotonic()
    result = etl("run", "--due", pipeline, "--as-of", ASOF, "--wait", "30")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    assert "took over the lock of an interrupted run" in result.stderr
    assert f"pid {holder['pid']}" in result.stderr
    assert len(publications(project / "output/.gongkai/state.db")) == 9
    assert read_holder(Home(project / "output").lock("shantytown")) is None  # released cleanly


def test_a_holder_killed_while_waiting_lets_the_waiting_run_through(project: Path) -> None:
    output_dir = project / "output"
    code = (
        "import sys, time; from gongkai_etl.home import Home; from gongkai_etl.schedule.locks import PipelineLock\n"
        f"PipelineLock(Home({str(output_dir)!r}).lock('shantytown'), 'shantytown', wait=0).acquire()\n"
        "print('locked', flush=True); time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        waiting = _etl("run", "--due", str(project / "pipelines/shantytown.yaml"), "--as-of", ASOF, "--wait", "120")
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting for the lock
        holder.send_signal(signal.SIGKILL)
        out, err = waiting.communicate(timeout=300)
        assert waiting.returncode == 0, err
        assert "took over the lock" in err
    finally:
        holder.kill()
        holder.wait()
    assert len(publications(output_dir / ".gongkai/state.db")) == 9
