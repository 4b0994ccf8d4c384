"""`etl schedule`: crontab lines and systemd units calling `etl run --due`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def test_crontab_lines_use_absolute_paths_and_json_logs(project: Path, etl) -> None:
    result = etl("schedule", "pipelines/shantytown.yaml", "--at", "05:30", cwd=project)
    assert result.returncode == 0, result.stderr
    jobs = [ln for ln in result.stdout.splitlines() if ln and not ln.startswith("#")]
    assert len(jobs) == 1
    fields = jobs[0].split(None, 5)
    assert fields[:5] == ["30", "5", "*", "*", "*"]
    command = shlex.split(fields[5])
    etl_index = command.index("&&") + 1
    exe = Path(command[etl_index])
    assert exe.is_absolute() and exe.exists()
    assert exe.parent == Path(sys.executable).parent
    args = command[etl_index + 1 :]
    assert args[:5] == ["--log-format", "json", "run", "--due", "--wait"]
    pipeline = Path(args[6])
    assert pipeline.is_absolute() and pipeline == (project / "pipelines/shantytown.yaml").resolve()
    assert args[7] == ">>" and args[8].endswith("/output/.gongkai/logs/shantytown.jsonl")
    assert "GONGKAI_SALT" in result.stdout  # told to set it, never printed


def test_systemd_units(project: Path, etl) -> None:
    result = etl("schedule", str(project / "pipelines/shantytown.yaml"), "--systemd")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "# --- /etc/systemd/system/gongkai-etl-shantytown.service ---" in out
    assert "# --- /etc/systemd/system/gongkai-etl-shantytown.timer ---" in out
    assert "[Service]\nType=oneshot" in out and "OnCalendar=*-*-* 06:15:00" in out and "Persistent=true" in out
    exec_line = next(ln for ln in out.splitlines() if ln.startswith("ExecStart="))
    assert exec_line.startswith(f"ExecStart={Path(sys.executable).parent}/etl --log-format json run --due")
    assert str((project / "pipelines/shantytown.yaml").resolve()) in exec_line


def test_schedule_checks_the_pipelines(project: Path, etl) -> None:
    assert etl("schedule", str(project / "nope.yaml")).returncode == 2
    assert etl("schedule", str(project / "pipelines/shantytown.yaml"), "--at", "25:00").returncode == 2
