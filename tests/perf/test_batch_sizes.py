"""The published 低保 public list does not depend on the batch size of the streaming path.

The raw list comes from bench/generate_dibao.py (20k households, all 43 streets,
thousands separators); the pipeline runs once with ``batch_rows: 1000`` and once
with ``batch_rows: 65536``. Parquet tables and CSV bytes must be identical. It
also runs with the primary-key set spilling to disk every 512 keys: the same
output, a duplicate 20k rows apart still caught, a full disk a clean error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import load_bench, read_rejects, run_etl

ROWS = 20_000


@pytest.fixture(scope="module")
def raw_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_bench("generate_dibao").generate(ROWS, tmp_path_factory.mktemp("raw") / "低保名单.csv", seed=7, encoding="gbk")


def _publish(raw: Path, root: Path, batch_rows: int, max_reject_ratio: float | None = None) -> Path:
    root.mkdir()
    out = root / "out"
    (root / "dibao.yaml").write_text(
        "pipeline: dibao_batches\n"
        "source:\n  plugin: social_assistance\n"
        f"inputs:\n  dibao_list:\n    path: {raw}\n"
        "datasets: [sa_dibao_public_list]\n"
        "periods: 2016-07\n"
        f"output:\n  dir: {out}\n  formats: [parquet, csv]\n"
        f"batch_rows: {batch_rows}\n"
        + (f"max_reject_ratio: {max_reject_ratio}\n" if max_reject_ratio is not None else "")
        + "review: auto\n",
        encoding="utf-8",
    )
    proc = run_etl("run", str(root / "dibao.yaml"), "--period", "2016-07")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "sa_dibao_public_list"


def test_outputs_identical_across_batch_sizes(raw_list: Path, tmp_path: Path) -> None:
    small = _publish(raw_list, tmp_path / "small", 1000)
    large = _publish(raw_list, tmp_path / "large", 65536)
    part = Path("data/sa_dibao_public_list_2016-07.parquet")
    a, b = pq.read_table(small / part), pq.read_table(large / part)
    assert a.num_rows == ROWS
    assert a.schema == b.schema
    assert a.equals(b)
    csv = Path("csv/sa_dibao_public_list_2016-07.csv")
    assert (small / csv).read_bytes() == (large / csv).read_bytes()
    # the masking and the key really happened: no clear name, no ID number in the output
    names = a.column("head_name").to_pylist()
    assert all("*" in n for n in names)
    assert "id_number" not in a.column_names


def _run_spilling(root: Path, raw: Path, *, fail_spill: bool = False) -> subprocess.CompletedProcess:
    """``etl run`` in a real process whose primary-key set spills a run every 512
    keys and folds the spilled runs into its on-disk base past 4096 (and, with
    ``fail_spill``, whose spill writes fail as on a full disk)."""
    root.mkdir()
    out = root / "out"
    (root / "dibao.yaml").write_text(
        "pipeline: dibao_spill\n"
        "source:\n  plugin: social_assistance\n"
        f"inputs:\n  dibao_list:\n    path: {raw}\n"
        "datasets: [sa_dibao_public_list]\n"
        "periods: 2016-07\n"
        f"output:\n  dir: {out}\n  formats: [parquet, csv]\n"
        "batch_rows: 1000\n"
        "max_reject_ratio: 0.01\n"
        "review: auto\n",
        encoding="utf-8",
    )
    prelude = ("from gongkai_etl.validate import keybase, keyset\n"
               "keyset.KeySet._MAX_RUN = 1024\nkeyset.KeySet._DENSE_KEYS = 4096\n")
    if fail_spill:
        prelude += ("import errno, os\n"
                    "def full(*a):\n    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
                    "keybase.os = type('os', (), {**vars(os), 'pwrite': staticmethod(full)})\n")
    code = prelude + "from gongkai_etl.cli import main\nmain()\n"
    env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret"}
    return subprocess.run([sys.executable, "-c", code, "run", str(root / "dibao.yaml"), "--period", "2016-07"],
                          capture_output=True, text=True, env=env, timeout=600)


def test_spilled_key_runs_publish_the_same_and_catch_a_far_duplicate(raw_list: Path, tmp_path: Path) -> None:
    lines = raw_list.read_text(encoding="gbk").splitlines()
    twice = tmp_path / "twice.csv"  # the list plus its 3rd row again at the end
    twice.write_text("\n".join([*lines, lines[3]]) + "\n", encoding="gbk")
    reference = _publish(raw_list, tmp_path / "reference", 1000)
    proc = _run_spilling(tmp_path / "spill", twice)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "spill" / "out"
    part = Path("data/sa_dibao_public_list_2016-07.parquet")
    assert pq.read_table(out / "sa_dibao_public_list" / part).equals(pq.read_table(reference / part))
    rejects = read_rejects(out, "sa_dibao_public_list", "2016-07")
    assert len(rejects) == 1, rejects
    assert rejects[0]["row"] == str(len(lines) + 1)  # the appended line
    assert "第 4 行" in rejects[0]["reason"]  # first seen on line 4, thousands of keys and many spilled runs earlier


def test_a_full_disk_while_spilling_keys_stops_cleanly(raw_list: Path, tmp_path: Path) -> None:
    proc = _run_spilling(tmp_path / "full", raw_list, fail_spill=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "写入输出失败" in proc.stderr and "No space left on device" in proc.stderr, proc.stderr
    assert not (tmp_path / "full" / "out" / "sa_dibao_public_list").exists()


def test_the_rejects_of_a_high_reject_run_are_identical_across_batch_sizes(tmp_path: Path) -> None:
    """15 % of the rows in a category the public list does not take, two columns it does
    not map: the same published rows and the same reject file, byte for byte, whatever
    the batch size."""
    raw = load_bench("generate_dibao").generate(
        ROWS, tmp_path / "低保名单_另一格式.csv", seed=11, encoding="gbk", reject_share=0.15, extra_columns=2)
    small = _publish(raw, tmp_path / "small", 1000, max_reject_ratio=0.2)
    large = _publish(raw, tmp_path / "large", 65536, max_reject_ratio=0.2)
    part = Path("data/sa_dibao_public_list_2016-07.parquet")
    a, b = pq.read_table(small / part), pq.read_table(large / part)
    assert a.equals(b)
    rejects = [out.parent / ".gongkai/rejects/sa_dibao_public_list/2016-07.csv" for out in (small, large)]
    assert rejects[0].read_bytes() == rejects[1].read_bytes()
    rows = read_rejects(small.parent, "sa_dibao_public_list", "2016-07")
    assert 0.13 * ROWS < len(rows) < 0.17 * ROWS
    assert a.num_rows + len({r["row"] for r in rows}) == ROWS  # every row published or rejected, none twice
    assert {r["field"] for r in rows} == {"category"}
