"""The live progress display: rows, bytes and rows/s on a terminal while a long
streaming input is read, and nothing extra when the output is not a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from support import load_bench, run_etl

ROWS = 60_000


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    raw = load_bench("generate_dibao").generate(ROWS, root / "低保名单.csv", seed=3, encoding="gbk")
    path = root / "dibao.yaml"
    path.write_text(
        "pipeline: dibao_progress\n"
        "source:\n  plugin: social_assistance\n"
        f"inputs:\n  dibao_list:\n    path: {raw}\n"
        "datasets: [sa_dibao_public_list]\n"
        "periods: 2016-07\n"
        f"output:\n  dir: {root / 'out'}\n  formats: [parquet]\n"
        "batch_rows: 2000\n"
        "review: auto\n",
        encoding="utf-8",
    )
    return path


def _run_in_pty(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return (exit code, what it showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gongkai_etl", *args], stdout=slave, stderr=slave, stdin=slave,
                            env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_progress_lines_on_a_terminal(pipeline: Path) -> None:
    env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret", "GONGKAI_PROGRESS_SECONDS": "0", "COLUMNS": "200"}
    code, shown = _run_in_pty(["run", str(pipeline)], env)
    assert code == 0, shown
    lines = re.findall(r"读取 reading dibao_progress 2016-07: ([\d,]+) 行 rows, ([\d.,]+)/([\d.,]+) MiB \((\d+)%\), ([\d,]+) 行/秒 rows/s", shown)
    assert len(lines) >= 10, shown[-2000:]  # one per batch of 2,000 rows (the interval is 0 here)
    rows = [int(r[0].replace(",", "")) for r in lines]
    assert rows == sorted(rows) and rows[-1] >= ROWS - 2000
    assert float(lines[-1][2].replace(",", "")) > 1.0  # the total is the file's size in MiB
    assert "\r\x1b[K" in shown  # rewritten in place, and cleared before the next output


def test_no_progress_when_not_a_terminal(pipeline: Path) -> None:
    proc = run_etl("run", str(pipeline), env={"GONGKAI_PROGRESS_SECONDS": "0"})
    assert proc.returncode == 0, proc.stderr
    assert "读取 reading" not in proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr


def test_stage_times_add_up_to_no_more_than_the_run(pipeline: Path, tmp_path: Path) -> None:
    """On the streaming path the reader works a batch ahead in a thread: its time is
    counted as the stages' wait for it, so the stage lines of a period add up to no
    more than the run's own time in the summary table."""
    text = pipeline.read_text(encoding="utf-8").replace(str(pipeline.parent / "out"), str(tmp_path / "out"))
    fresh = tmp_path / "dibao.yaml"
    fresh.write_text(text, encoding="utf-8")
    proc = run_etl("run", str(fresh))
    assert proc.returncode == 0, proc.stderr
    stages = re.findall(r"^  2016-07 \S+\s+(\w+)\s+in .*?(\d+\.\d+)s$", proc.stdout, re.M)
    assert {name for name, _ in stages} >= {"extract", "normalize", "validate", "protect", "stage", "publish"}
    total = sum(float(seconds) for _, seconds in stages)
    row = next(line for line in proc.stdout.splitlines() if line.startswith("  dibao_progress"))
    assert total <= float(row.split()[-1]) + 0.1, (total, row)  # the summary's seconds are rounded to 0.1
