"""Issue 17 case 8: ``etl review approve`` publishes exactly the bytes it verified.

Someone with the same OS user swaps a staged CSV (adding a row with a full ID
number) while the approval runs. The approval copies the staged version into a
private folder of its own, hashes it there and publishes that copy: a swap after
the copy is never published, a swap before or during it is refused with a clear
error. Either way the ledger and datapackage.json match the published files."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from gongkai_etl.errors import DataError
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal.output import registry_datasets
from gongkai_etl.review import find_review

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))  # the reliability suite's helpers and counters
from reliability_helpers import check_consistent, count, etl_env, published_files, run_etl  # noqa: E402

approve_module = importlib.import_module("gongkai_etl.review.approve")
folders_module = importlib.import_module("gongkai_etl.review.folders")

EXTRA_ROW = "CY-PG-2015-999,插入的行 110101199003077777,1,1.0,1,身份证号 110101199003077777\n"


@pytest.fixture
def waiting(project: Path) -> tuple[Path, str]:
    """2016-08 of shantytown waiting for review; (output folder, review id)."""
    pipeline = project / "pipelines/shantytown.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + "review: required\n", encoding="utf-8")
    proc = run_etl("run", str(pipeline), "--period", "2016-08")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    rid = re.findall(r"review id: (\S+)", proc.stdout)[0]
    return project / "output", rid


def _staged_csv(out: Path, rid: str, ds: str = "shantytown_followup") -> Path:
    return next((out / ".gongkai/review" / rid / ds).rglob("*.csv"))


def _swap(path: Path) -> None:
    path.write_bytes(path.read_bytes() + EXTRA_ROW.encode("utf-8"))


def _approve(out: Path, rid: str) -> Any:
    home = Home(out)
    ledger = Ledger(home.ledger)
    try:
        return approve_module.approve(home, ledger, find_review(ledger, rid).id, by="李审查", datasets=registry_datasets(ledger))
    finally:
        ledger.close()


def _no_extra_row_published(out: Path) -> None:
    for name, data in published_files(out).items():
        assert b"110101199003077777" not in data, name


def test_case8_swap_between_verify_and_publish_is_never_published(waiting, monkeypatch: pytest.MonkeyPatch) -> None:
    """The swap lands in the review folder after the approval verified its copy."""
    out, rid = waiting
    staged = _staged_csv(out, rid)
    verified = staged.read_bytes()
    real = approve_module.publish_period

    def swap_then_publish(*args: Any, **kwargs: Any) -> Any:
        if staged.exists():
            _swap(staged)
        return real(*args, **kwargs)

    monkeypatch.setattr(approve_module, "publish_period", swap_then_publish)
    done = _approve(out, rid)
    assert done.status == "approved"
    published = out / "shantytown_followup/csv/shantytown_followup_2016-08.csv"
    assert published.read_bytes() == verified
    _no_extra_row_published(out)
    check_consistent(out)  # ledger and datapackage hashes are those of the published files
    count("approval race cases")


def test_case8_swap_before_the_copy_is_hashed_is_refused(waiting, monkeypatch: pytest.MonkeyPatch) -> None:
    """The swap lands while the approval copies: the copy's hash differs from the
    ledger's and the approval refuses; nothing is published, the review still waits."""
    out, rid = waiting
    staged = _staged_csv(out, rid)
    real = folders_module.private_copy

    def swap_then_copy(home: Home, rv: Any, ds: str) -> Path:
        if ds == "shantytown_followup":
            _swap(staged)
        return real(home, rv, ds)

    monkeypatch.setattr(approve_module, "private_copy", swap_then_copy)
    with pytest.raises(DataError, match=r"暂存文件在审查后被改动 \(staged file changed after the run"):
        _approve(out, rid)
    assert published_files(out) == {}
    ledger = Ledger(Home(out).ledger)
    try:
        assert find_review(ledger, rid).status == "waiting"
    finally:
        ledger.close()
    assert not list((out / ".gongkai/approving").iterdir())  # the private copies are gone
    count("approval race cases")


def test_case8_a_thread_swapping_during_the_approval_command(waiting) -> None:
    """A real ``etl review approve`` while another process keeps swapping the staged
    CSV: exit 0 with the verified bytes published, or exit 1 with a clear refusal."""
    out, rid = waiting
    staged = _staged_csv(out, rid)
    original = staged.read_bytes()
    stop = threading.Event()

    def swapper() -> None:
        while not stop.is_set():
            try:
                _swap(staged)
                staged.write_bytes(original)
            except OSError:
                return  # the approval moved the folder away

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "gongkai_etl", "review", "approve", rid, str(out), "--by", "李审查"],
            env=etl_env(), capture_output=True, text=True, timeout=120,
        )
    finally:
        stop.set()
        thread.join(timeout=10)
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        published = out / "shantytown_followup/csv/shantytown_followup_2016-08.csv"
        assert published.read_bytes() == original
    else:
        assert proc.returncode == 1 and "approval refused" in proc.stderr, proc.stderr
    _no_extra_row_published(out)
    if published_files(out):
        check_consistent(out)
    count("approval race cases")


@pytest.mark.parametrize("point", [
    "review:after-private-copy@1", "review:after-private-copy@3", "publish:after-version-rename@1",
    "publish:between-files@1", "publish:after-ledger@1", "review:after-dataset@1", "review:after-dataset@3",
])
def test_case8_approval_killed_is_finished_by_the_next_approve(waiting, point: str) -> None:
    """SIGKILL anywhere on the approval path (the private copy, the publish of each
    dataset, the removal of its waiting copy): the next approve publishes the rest,
    and the output is consistent; no private copy is left behind."""
    out, rid = waiting
    killed = run_etl("review", "approve", rid, str(out), "--by", "李审查", env=etl_env(GONGKAI_FAILPOINT=point))
    assert killed.returncode == -9, (point, killed.stderr)
    done = run_etl("review", "approve", rid, str(out), "--by", "李审查")
    assert done.returncode == 0, (point, done.stdout, done.stderr)
    check_consistent(out)
    _no_extra_row_published(out)
    assert sorted(p.split("/")[0] for p in published_files(out) if p.endswith("datapackage.json")) == [
        "shantytown_followup", "shantytown_progress", "shantytown_project"]
    assert not list((out / ".gongkai/approving").iterdir())
    count("kill points (approval)")
