"""Many small runs: every district's pipelines in one `etl run`, per executor (issue 19 item 5).

    python bench/many_districts.py [--districts 16 | --units 1150] [--work /tmp/gongkai-districts]
                                   [--only inproc local1 local2 dask] [--no-record]

bench/generate_districts.py writes each district's inputs (the bundled sample generators,
re-seeded per district) and one pipeline YAML per district and domain (``ppp_d01`` ...,
``review: auto``, one output folder per district). Then, each in its own process and with
a fresh output:

  inproc  ``etl run <pipelines>``                          (the default, in-process)
  local1  ``etl run <pipelines> --executor local --workers 1``
  local2  ``etl run <pipelines> --executor local --workers 2``
  dask    ``etl run <pipelines> --executor dask --scheduler ADDR`` against a
          LocalCluster of 2 worker processes (1 thread each) this bench starts

and after the last of them, ``etl run <pipelines> --due --as-of 2017-03-01`` (nothing to
do: every closed period is published and no input changed).

Per configuration: wall seconds, seconds per pipeline-period (unit), and the data work:
the stage times ``etl run`` prints for each dataset-period (extract, normalize, validate,
derive, protect, stage; the reporter's StageInfo.seconds, measured where the work runs,
on the worker under dask). Overhead per unit = (wall − data seconds / W) / units, W the
workers that stage in parallel (1 in-process): what a unit costs beyond reading,
transforming and writing its rows (start-up, plugin loading, ledger, journal, publish,
catalog, changelog, site; under dask also shipping the unit and its events).
In-process the bench also times each unit (between two "pipeline period:" lines of the
output) and compares the overhead of the first 100 units with the last 100: the output
folders fill as the run goes, so work growing with everything published shows there.

The outputs are checked: every configuration must publish the same dataset-periods
(counted from the ledgers, with the failed ones listed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_districts import PERIODS, check_district_zero, generate  # noqa: E402
from run_bench import machine, versions  # noqa: E402

CONFIGS = {
    "inproc": ("a. in-process (default)", [], 1),
    "local1": ("b. --executor local --workers 1", ["--executor", "local", "--workers", "1"], 1),
    "local2": ("c. --executor local --workers 2", ["--executor", "local", "--workers", "2"], 2),
    "dask": ("d. --executor dask, LocalCluster 2 workers", ["--executor", "dask"], 2),
}
DATA_STAGES = {"extract", "normalize", "validate", "derive", "protect", "stage"}
# Searched, not matched: the plain reporter's lines from two pipeline threads can run into each other.
STAGE = re.compile(r"(\S+) (\S+)\s+(\S+)\s+in\s+[\d,]+\s+out\s+[\d,]+\s+rejected\s+[\d,]+\s+([\d.]+)s")
UNIT = re.compile(r"^(\S+) (\S+):$")
STATUS = re.compile(r"^  (\S+)\s+\S+ (published|unchanged|waiting for review|failed|not finished)\b")
ETL = [sys.executable, "-c", "from gongkai_etl.cli import main; main()", "run"]


def run_etl(args: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run one ``etl run``, reading its output as it comes: wall seconds, data seconds,
    stage names seen, and per unit (in order of completion) its time and data seconds."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([*ETL, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)
    data, stages, units, statuses = 0.0, set(), [], {}
    pending, last = 0.0, t0
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.perf_counter()
        found = False
        for m in STAGE.finditer(line):
            found = True
            stages.add(m.group(3))
            if m.group(3) in DATA_STAGES:
                data += float(m.group(4))
                pending += float(m.group(4))
        if found:
            continue
        m = UNIT.match(line.rstrip("\n"))
        if m:
            units.append((m.group(1), m.group(2), now - last, pending))
            pending, last = 0.0, now
            continue
        m = STATUS.match(line)
        if m and units:
            statuses[(units[-1][0], units[-1][1], m.group(1))] = m.group(2)
    err = proc.stderr.read() if proc.stderr else ""
    rc = proc.wait()
    wall = time.perf_counter() - t0
    if rc not in (0, 1):  # 1: some dataset-period failed (planted); anything else is the bench's problem
        raise SystemExit(f"etl run failed ({rc}): {' '.join(args)}\n{err[-3000:]}")
    return {"wall": wall, "data": data, "stages": stages, "units": units, "rc": rc, "stderr": err,
            "statuses": statuses}


def ledger_counts(out_root: Path) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]], int]:
    """(dataset-periods published: (district, dataset, period), failed input checks: (pipeline, period),
    pipeline-periods run: input checks)."""
    published, failed, checked = set(), set(), 0
    for db in sorted(out_root.glob("d*/.gongkai/state.db")):
        con = sqlite3.connect(db)
        try:
            for ds, period in con.execute("SELECT dataset, period FROM publications WHERE current = 1"):
                published.add((db.parent.parent.name, ds, period))
            for pipe, period in con.execute("SELECT pipeline, period FROM input_checks WHERE outcome != 'ok'"):
                failed.add((pipe, period))
            checked += con.execute("SELECT count(*) FROM input_checks").fetchone()[0]
        finally:
            con.close()
    return published, failed, checked


CATALOG = """
import json, sys, time
from pathlib import Path
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal.catalog_file import render_catalog, write_catalog
from gongkai_etl.portal.output import registry_datasets
out = Path(sys.argv[1])
ledger = Ledger(Home(out).ledger)
datasets = registry_datasets(ledger)
def median(rebuild):
    times = []
    for _ in range(5):
        t = time.perf_counter()
        write_catalog(out, render_catalog(out, ledger, datasets, rebuild=rebuild))
        times.append(time.perf_counter() - t)
    return sorted(times)[2]
whole = median(True)
kept = median(False)
print(json.dumps({"whole": whole, "kept": kept, "pubs": len(ledger.current_all()),
                  "datasets": len({p.dataset for p in ledger.current_all()}), "bytes": (out / "catalog.json").stat().st_size}))
"""


def catalog_cost(out: Path, env: dict[str, str]) -> str:
    """What writing one output's catalog.json costs: built whole (``etl catalog``) and
    as a publish writes it, from the kept nodes of the datasets that did not change
    (there one dataset's node is built; here none is, so this is the splice and write)."""
    import json

    proc = subprocess.run([sys.executable, "-c", CATALOG, str(out)], env=env, capture_output=True, text=True, check=True)
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return (f"catalog.json of {out.name} ({r['datasets']} datasets, {r['pubs']} dataset-periods, {r['bytes'] / 1024:.0f} KiB), "
            f"median of 5: built whole (`etl catalog`) {r['whole'] * 1000:.1f} ms "
            f"({r['whole'] / r['pubs'] * 1000:.2f} ms per dataset-period held); spliced from kept nodes, none rebuilt, "
            f"and written {r['kept'] * 1000:.1f} ms. A publish writes it the second way plus its own dataset's node.")


def start_cluster():
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="gongkai-etl: many districts' small runs")
    ap.add_argument("--districts", type=int, default=16)
    ap.add_argument("--units", type=int, default=None,
                    help="about this many pipeline-periods instead of --districts (each district has "
                         f"{sum(PERIODS.values())}: --units 1150 runs 61 districts, 1,159 units)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/gongkai-districts"))
    ap.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    args = ap.parse_args(argv)
    if args.units:
        args.districts = max(1, round(args.units / sum(PERIODS.values())))
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    bad = check_district_zero(work)
    if bad:
        raise SystemExit(f"the generators no longer write the bundled samples at the shipped seeds: {bad}")
    load = os.getloadavg()
    t = time.perf_counter()
    files = generate(args.districts, work)
    units = args.districts * sum(PERIODS.values())
    print(f"generated {args.districts} districts, {len(files)} pipelines, {units} pipeline-periods "
          f"in {time.perf_counter() - t:.1f}s under {work}", flush=True)
    env = dict(os.environ, GONGKAI_SALT="bench-salt", PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1")
    pipelines = str(work / "pipelines")
    rows, reference, extra = [], None, []
    for name in args.only:
        label, opts, workers = CONFIGS[name]
        shutil.rmtree(work / "out", ignore_errors=True)
        cluster = None
        if name == "dask":
            cluster = start_cluster()
            opts = [*opts, "--scheduler", cluster.scheduler_address]
        try:
            r = run_etl([pipelines, *opts], env, work)
        finally:
            if cluster is not None:
                cluster.close()
        published, failed, got = ledger_counts(work / "out")
        counts: dict[str, int] = {}
        for st in r["statuses"].values():
            counts[st] = counts.get(st, 0) + 1
        not_published = sorted(f"{p} {q} {d}: {st}" for (p, q, d), st in r["statuses"].items() if st != "published")
        print(f"  dataset-periods by status: {counts}" + (f"; not published: {', '.join(not_published)}" if not_published else ""),
              flush=True)
        print(f"{label}: {r['wall']:.1f}s wall, {r['data']:.1f}s data work, {got} units in the ledgers, "
              f"{len(published)} dataset-periods published, {len(failed)} pipeline-periods not published"
              f"{': ' + ', '.join(f'{p} {q}' for p, q in sorted(failed)) if failed else ''}; "
              f"stages seen: {', '.join(sorted(r['stages']))}", flush=True)
        if got != units:
            raise SystemExit(f"OUTPUT CHECK FAILED: {label} has {got} units in its ledgers, expected {units}\n{r['stderr'][-2000:]}")
        if reference is None:
            reference = published
        elif published != reference:
            raise SystemExit(f"OUTPUT CHECK FAILED: {label} published {len(published)} dataset-periods, the first "
                             f"configuration {len(reference)}; differing: {sorted(published ^ reference)[:10]}")
        over = (r["wall"] - r["data"] / workers) / units
        rows.append((label, units, r["wall"], r["wall"] / units, r["data"] / units, over))
        if name == "inproc":
            per = [(dt - d) for _, _, dt, d in r["units"]]
            first, last = statistics.mean(per[1:101]), statistics.mean(per[-100:])  # unit 1 carries start-up
            extra.append(f"In-process, per unit as it completes (time between two units minus its data work): "
                         f"first unit {per[0] * 1000:.0f} ms (start-up), units 2-101 {first * 1000:.0f} ms, "
                         f"last 100 {last * 1000:.0f} ms (ratio {last / first:.2f}).")
    # A second run that finds nothing to do: work that grows with what is published shows here.
    r = run_etl([pipelines, "--due", "--as-of", "2017-03-01"], env, work)
    published, _, _ = ledger_counts(work / "out")
    extra.append(f"`etl run --due --as-of 2017-03-01` over the same {len(files)} pipelines and {len(published)} published "
                 f"dataset-periods, nothing due: {r['wall']:.1f}s ({r['wall'] / units * 1000:.0f} ms per pipeline-period "
                 f"held; {len(r['statuses'])} dataset-periods run).")
    extra.append(catalog_cost(work / "out" / "d01", env))
    base = {label: wall for label, _, wall, *_ in rows}
    one = base.get(CONFIGS["local1"][0])
    lines = ["| configuration | units | wall s | s per unit | data work s per unit | overhead ms per unit | vs workers 1 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, n, wall, per, data, over in rows:
        ratio = f"{wall / one:.2f}x" if one else ""
        lines.append(f"| {label} | {n} | {wall:.1f} | {per:.3f} | {data:.3f} | {over * 1000:.0f} | {ratio} |")
    text = "\n".join(lines) + "\n\n" + "\n".join(f"- {e}" for e in extra)
    print(text)
    if not args.no_record:
        only = f" --only {' '.join(args.only)}" if args.only != list(CONFIGS) else ""
        size = f"--units {args.units}" if args.units else f"--districts {args.districts}"
        head = (f"\n## {datetime.now():%Y-%m-%d %H:%M} many districts (issue 19 item 5)\n\n{machine()}  \n{versions()}  \n"
                f"`python bench/many_districts.py {size}{only}`\n\n{text}\n\n"
                f"One run each; load average at the start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared). "
                "Overhead per unit = (wall − data work / workers) / units; data work is the "
                "extract, normalize, validate, derive, protect and stage seconds `etl run` reports per dataset-period.\n")
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(head)
    return 0


if __name__ == "__main__":
    sys.exit(main())
