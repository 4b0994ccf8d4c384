"""Kill ``etl run`` everywhere and check nothing partial or inconsistent is ever published.

Scenario: period 2016-09 of the shantytown pipeline (three datasets) is published
from the sample data ("old"); a run with corrected inputs for the same period
("new") then republishes all three datasets. That second run is killed with
SIGKILL

* at every failpoint it passes (``GONGKAI_FAILPOINT=name@N``, listed by a probe
  run with ``GONGKAI_FAILPOINT_TRACE``): extract, staging writes, version rename,
  journal, every single file placed, ledger, datapackage.json, catalog hooks,
  between datasets, inside atomic writes (half a temporary file on disk);
* and after a series of increasing delays.

Immediately after each kill: every published data file is byte-identical to its
old or its new version (never partial, never a third thing), no stray file is
visible, JSON metadata parses, the ledger passes ``PRAGMA integrity_check``.
(Between two files of one publish, some files may be new and others old: the
journal left behind makes the next command finish the publish.)

After the next, normal run: all data files are the new version, the ledger's
current publications, datapackage.json and catalog.json checksums match the
files, no journal is left.

Also: a full disk (a 1 MiB tmpfs) and a read-only output folder give one clean
``Error:`` line, a non-zero exit, no traceback, and the earlier publication
untouched.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from reliability_helpers import REPO, ForkServer, check_consistent, count, etl_env, published_files, run_etl, sha256

PERIOD = "2016-09"
DATA = "sample_data/shantytown"


@dataclass
class Scenario:
    root: Path
    base: Path  # state after the old publication: <base>/output
    old_yaml: Path
    new_yaml: Path
    old: dict[str, bytes]  # published data files of the old version
    new: dict[str, bytes]  # ... of the new version
    meta_old: set[str]  # other visible files (metadata) in either state
    meta_new: set[str]
    kill_points: list[str]
    seconds: float  # how long a new run takes


def _data_files(out: Path) -> dict[str, bytes]:
    """Published files that belong to a publication (ledger-recorded, content-hashed)."""
    conn = sqlite3.connect(out / ".gongkai" / "state.db")
    try:
        rows = conn.execute("SELECT dataset, files FROM publications").fetchall()
    finally:
        conn.close()
    names = {f"{ds}/{rel}" for ds, files in rows for rel in json.loads(files)}
    return {k: v for k, v in published_files(out).items() if k in names}


def _new_inputs(src: Path, dst: Path) -> None:
    """Corrected inputs for 2016-09: one value changed in each of the three files."""
    import openpyxl

    dst.mkdir(parents=True)
    text = (src / f"棚改后期管理_{PERIOD}.csv").read_bytes().decode("gbk")
    assert ",368," in text
    (dst / f"棚改后期管理_{PERIOD}.csv").write_bytes(text.replace(",368,", ",371,").encode("gbk"))
    wb = openpyxl.load_workbook(src / f"棚改进度_{PERIOD}.xlsx")
    ws = wb.active
    assert ws.cell(4, 9).value == 62 and ws.cell(12, 9).value == 115
    ws.cell(4, 9).value, ws.cell(12, 9).value = 64, 117  # 累计竣工 and its 合计
    wb.save(dst / f"棚改进度_{PERIOD}.xlsx")
    wb = openpyxl.load_workbook(src / "棚改项目清单.xlsx")
    ws = wb.active
    assert ws.cell(4, 10).value == "48.60"
    ws.cell(4, 10).value = "48.70"
    ws.cell(12, 10).value = f"{float(ws.cell(12, 10).value) + 0.1:.2f}"
    wb.save(dst / "棚改项目清单.xlsx")


def _pipeline(path: Path, data_dir: Path, out: Path) -> None:
    doc = yaml.safe_load((REPO / "pipelines/shantytown.yaml").read_text(encoding="utf-8"))
    doc["inputs"] = {
        "projects": {"path": str(data_dir / "棚改项目清单.xlsx")},
        "progress": {"path": str(data_dir / "棚改进度_{period}.xlsx")},
        "followup": {"path": str(data_dir / "棚改后期管理_{period}.csv")},
    }
    doc["periods"] = PERIOD
    doc["output"]["dir"] = str(out)
    doc["max_reject_ratio"] = 0
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def _fresh(scn: Scenario, name: str) -> Path:
    """A copy of the old state whose pipelines point at it; returns its output dir."""
    work = scn.root / name
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(scn.base / "output", work / "output", symlinks=True)
    return work / "output"


def _env(out: Path, **extra: str) -> dict[str, str]:
    return etl_env(**extra)


def _yaml_for(scn: Scenario, out: Path, new: bool = True) -> Path:
    path = out.parent / ("new.yaml" if new else "old.yaml")
    if not path.exists():
        doc = yaml.safe_load((scn.new_yaml if new else scn.old_yaml).read_text(encoding="utf-8"))
        doc["output"]["dir"] = str(out)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, forked: ForkServer) -> Scenario:
    root = tmp_path_factory.mktemp("faults")
    _new_inputs(REPO / DATA, root / "new_inputs")
    base_out = root / "base" / "output"
    old_yaml, new_yaml = root / "old.yaml", root / "new.yaml"
    _pipeline(old_yaml, REPO / DATA, base_out)
    _pipeline(new_yaml, root / "new_inputs", base_out)
    r = forked.run("run", str(old_yaml))
    assert r.returncode == 0, r.stdout + r.stderr
    check_consistent(base_out)
    old = _data_files(base_out)
    assert len(old) == 9  # three datasets x (parquet, csv, xlsx: the shantytown sample opts in to XLSX)
    meta_old = set(published_files(base_out)) - set(old)

    scn = Scenario(root, root / "base", old_yaml, new_yaml, old, {}, meta_old, set(), [], 0.0)
    # the known-good new version, and the list of kill points (a probe run that records them)
    out = _fresh(scn, "golden")
    trace = root / "trace.txt"
    started = time.monotonic()
    r = forked.run("run", str(_yaml_for(scn, out)), env=_env(out, GONGKAI_FAILPOINT_TRACE=str(trace)))
    scn.seconds = time.monotonic() - started
    assert r.returncode == 0, r.stdout + r.stderr
    check_consistent(out)
    all_new = published_files(out)
    scn.new = {k: v for k, v in all_new.items() if k in _data_files(out)}
    assert set(scn.new) == set(old) and all(scn.new[k] != old[k] for k in old), "every file must change"
    scn.meta_new = set(all_new) - set(scn.new)
    scn.kill_points = trace.read_text(encoding="utf-8").split()
    return scn


def _check_after_kill(scn: Scenario, out: Path, label: str) -> list[str]:
    """Invariants that hold the instant a run died; returns the state of each dataset:
    'old', 'new', or 'mixed' (only ever while its publish journal is pending)."""
    visible = published_files(out)
    allowed = set(scn.old) | set(scn.new) | scn.meta_old | scn.meta_new
    stray = sorted(set(visible) - allowed)
    assert not stray, f"{label}: unexpected files in the published folder: {stray}"
    per_dataset: dict[str, set[str]] = {}
    for rel in sorted(set(scn.old) | set(scn.new)):
        data = visible.get(rel)
        assert data is not None, f"{label}: {rel} vanished"
        if data == scn.old.get(rel):
            state = "old"
        elif data == scn.new.get(rel):
            state = "new"
        else:
            raise AssertionError(f"{label}: {rel} is neither the old nor the new version (partial?)")
        per_dataset.setdefault(rel.split("/")[0], set()).add(state)
    for rel, data in visible.items():
        if rel.endswith(".json"):
            json.loads(data)  # whole, not cut
    conn = sqlite3.connect(out / ".gongkai" / "state.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", label
        current = {ds: json.loads(files) for ds, files in
                   conn.execute("SELECT dataset, files FROM publications WHERE current = 1 AND period = ?", (PERIOD,))}
    finally:
        conn.close()
    states = []
    for ds, seen in sorted(per_dataset.items()):
        journal = out / ".gongkai" / "journal" / f"{ds}__{PERIOD}.json"
        agrees = all(sha256(visible[f"{ds}/{rel}"]) == info["sha256"] for rel, info in current[ds].items())
        if len(seen) > 1 or not agrees:
            # half-placed, or placed but not yet recorded: only with the journal that finishes it
            assert journal.exists(), f"{label}: {ds} is {sorted(seen)} (ledger agrees: {agrees}) without a journal"
        states.append("mixed" if len(seen) > 1 else seen.pop())
    return states


def _check_after_next_run(scn: Scenario, forked: ForkServer, out: Path, label: str) -> None:
    r = forked.run("run", str(_yaml_for(scn, out)), env=_env(out))
    assert r.returncode == 0, f"{label}: the next run failed\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    visible = published_files(out)
    for rel, data in scn.new.items():
        assert visible.get(rel) == data, f"{label}: {rel} is not the new version after the next run"
    assert set(visible) <= set(scn.new) | scn.meta_new | scn.meta_old, f"{label}: stray files"
    check_consistent(out)
    journal = out / ".gongkai" / "journal"
    assert not journal.exists() or not any(journal.iterdir()), f"{label}: journal left behind"


def _count_states(states: list[str]) -> None:
    for state in states:
        count(f"  dataset-periods found {state} right after a kill or write failure")


def test_enough_kill_points(scenario: Scenario) -> None:
    names = {p.split("@")[0] for p in scenario.kill_points}
    for needed in ("extract:after-archive", "run:after-extract", "stage:after-write", "publish:after-version-rename",
                   "publish:after-journal", "publish:between-files", "files:place-before-rename", "publish:before-ledger",
                   "publish:after-ledger", "publish:after-datapackage", "files:atomic-write-half", "run:between-datasets"):
        assert needed in names, f"{needed} never reached: {sorted(names)}"
    assert len(scenario.kill_points) + len(TIMED) >= 50, len(scenario.kill_points)


TIMED = [0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8]  # fractions of a new run's duration


def test_kill_at_every_failpoint(scenario: Scenario, forked: ForkServer) -> None:
    """One SIGKILL per failpoint the run passes (each on a fresh copy of the old state)."""
    failures: list[str] = []
    for point in scenario.kill_points:
        out = _fresh(scenario, "work")
        r = forked.run("run", str(_yaml_for(scenario, out)), env=_env(out, GONGKAI_FAILPOINT=point))
        try:
            assert r.returncode == -9, f"{point}: expected SIGKILL, got {r.returncode}\n{r.stderr}"
            states = _check_after_kill(scenario, out, point)
            _check_after_next_run(scenario, forked, out, point)
        except AssertionError as exc:
            failures.append(str(exc))
            continue
        count("kill points (failpoints)")
        _count_states(states)
    assert not failures, f"{len(failures)} of {len(scenario.kill_points)} kill points broke an invariant:\n" + "\n".join(failures)
    count("partial or inconsistent publications", 0)


@pytest.mark.parametrize("fraction", TIMED)
def test_kill_after_delay(scenario: Scenario, forked: ForkServer, fraction: float) -> None:
    out = _fresh(scenario, "work")
    delay = scenario.seconds * fraction
    r = forked.run("run", str(_yaml_for(scenario, out)), env=_env(out), kill_after=delay)
    label = f"kill after {delay:.3f}s"
    if r.returncode == -9:
        _count_states(_check_after_kill(scenario, out, label))
    else:
        assert r.returncode == 0, r.stderr
    count("kill points (timed)")
    _check_after_next_run(scenario, forked, out, label)


def test_kill_in_a_real_process(scenario: Scenario) -> None:
    """The same through ``python -m gongkai_etl`` (not the fork server), at the worst place:
    between the files of one publish."""
    out = _fresh(scenario, "real")
    r = run_etl("run", str(_yaml_for(scenario, out)), env=_env(out, GONGKAI_FAILPOINT="publish:between-files@1"))
    assert r.returncode == -9, r.stderr
    assert "mixed" in _check_after_kill(scenario, out, "real process")
    r = run_etl("run", str(_yaml_for(scenario, out)), env=_env(out))
    assert r.returncode == 0 and "finished an interrupted publish" in r.stderr, r.stderr
    assert {k: v for k, v in published_files(out).items() if k in scenario.new} == scenario.new
    check_consistent(out)
    count("kill points (real process)")


# --- a full disk and a read-only output -------------------------------------------------------

def _mount(target: Path, size: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)], check=True,
                       capture_output=True, text=True)
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {getattr(exc, 'stderr', exc)}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def _clean_error(r: subprocess.CompletedProcess, label: str) -> None:
    assert r.returncode != 0, f"{label}: should fail\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr, f"{label}:\n{r.stderr}"
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1, f"{label}: expected one Error: line\n{r.stderr}"


def _fill(mnt: Path, leave_kb: int) -> Path:
    """Fill the file system but ``leave_kb`` KiB; returns the filler file."""
    filler = mnt / "filler"
    free = shutil.disk_usage(mnt).free // 1024
    with open(filler, "wb") as fh:
        if free > leave_kb:
            fh.truncate(0)
            fh.write(b"\0" * ((free - leave_kb) * 1024))
    if leave_kb == 0:
        try:  # the last bytes too
            with open(mnt / "filler2", "wb") as fh:
                while True:
                    fh.write(b"\0" * 512)
                    fh.flush()
        except OSError:
            pass
    return filler


def test_completely_full_disk(scenario: Scenario, tmp_path: Path) -> None:
    """Not a byte left: the run stops at once with one clean error."""
    mnt = tmp_path / "full"
    _mount(mnt, "2m")
    try:
        shutil.copytree(scenario.base / "output", mnt / "output")
        out = mnt / "output"
        pipeline = _yaml_for(scenario, out)
        before = published_files(out)
        _fill(mnt, 0)
        r = run_etl("run", str(pipeline), env=_env(out))
        _clean_error(r, "full disk")
        assert published_files(out) == before
    finally:
        _umount(mnt)
    count("disk-full / read-only checks")


def test_full_disk_at_every_stage(scenario: Scenario, forked: ForkServer, tmp_path: Path) -> None:
    """Leave a little more room each time, so the disk runs full at a later stage of
    the run (ledger, archive, staging, journal, datapackage.json, catalog ...), until
    the run fits. Every failure is one clean ``Error:`` line; every published file is
    whole (old or new); what a failure leaves half done carries a journal; with the
    space back, the next run completes."""
    mnt = tmp_path / "small"
    _mount(mnt, "2m")
    outcomes: list[str] = []
    try:
        for leave in range(4, 1024, 24):
            if (mnt / "output").exists():
                shutil.rmtree(mnt / "output")
            for f in mnt.glob("filler*"):
                f.unlink()
            shutil.copytree(scenario.base / "output", mnt / "output")
            out = mnt / "output"
            pipeline = _yaml_for(scenario, out)
            before = published_files(out)
            filler = _fill(mnt, leave)
            r = forked.run("run", str(pipeline), env=_env(out))
            label = f"disk full with {leave} KiB left"
            if r.returncode == 0:
                outcomes.append(f"{leave} KiB: published")
                break
            _clean_error(r, label)
            assert "No space left on device" in r.stderr or "disk I/O error" in r.stderr, r.stderr
            filler.unlink()  # (sqlite needs room to even open the ledger for the checks)
            states = _check_after_kill(scenario, out, label)
            if leave == 4:
                assert published_files(out) == before, f"{label}: the earlier publication changed"
            outcomes.append(f"{leave} KiB: {r.stderr.splitlines()[-1][7:110]}")
            _check_after_next_run(scenario, forked, out, label)
            count("disk-full stages")
            _count_states(states)
        else:
            pytest.fail("the run never fitted")
    finally:
        _umount(mnt)
    assert len(outcomes) >= 3, outcomes
    print("\n".join(outcomes))


def test_read_only_output(scenario: Scenario, tmp_path: Path) -> None:
    """A read-only output: a clean error from the command line, and the engine itself
    (below the command line's pipeline lock) raises a PublishError, never an OSError."""
    from gongkai_etl.errors import PublishError
    from gongkai_etl.periods import Period
    from gongkai_etl.run.runner import Runner
    from gongkai_etl.spec import load_pipeline

    mnt = tmp_path / "ro"
    _mount(mnt, "8m")
    try:
        shutil.copytree(scenario.base / "output", mnt / "output")
        out = mnt / "output"
        pipeline = _yaml_for(scenario, out)
        before = published_files(out)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True, capture_output=True)
        r = run_etl("run", str(pipeline), env=_env(out))
        _clean_error(r, "read-only")
        assert "Read-only file system" in r.stderr or "readonly" in r.stderr, r.stderr
        with pytest.raises(PublishError) as err:
            Runner(load_pipeline(pipeline)).run([Period.parse(PERIOD)])
        assert "Read-only file system" in str(err.value) or "readonly" in str(err.value)
        assert published_files(out) == before
    finally:
        _umount(mnt)
    count("disk-full / read-only checks")
