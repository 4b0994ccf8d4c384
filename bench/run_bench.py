"""Benchmark `etl run` of the 低保 public list against pyarrow, DuckDB, dlt and polars on the same input.

    python bench/run_bench.py --rows 1000000 5000000 [--skip-slow-above 1000000] [--work /tmp/gongkai-bench]
                              [--repeat 3] [--only etl pyarrow_floor ...] [--no-record]

For each size it generates one raw list (bench/generate_dibao.py, UTF-8 so every
contender reads the same bytes), then runs each contender as its own process and
records wall seconds and peak RSS (``/usr/bin/time -v`` when present, else the
child's ``ru_maxrss``), ``--repeat`` times in rounds, keeping the medians: on a shared
2-core machine one run's peak RSS moves by ±5% from run to run. The table is printed and appended to bench/RESULTS.md with
the date, the machine and the versions. Contenders slower than the others by design
(dlt rows-as-dicts) run only up to ``--skip-slow-above`` rows; above that their
figure is extrapolated linearly from the largest measured size and marked ``*``.
``--only`` runs a subset, named by script stem (``etl`` for the engine, ``etl_parquet`` for it
writing Parquet only, as dlt does; ``etl_rejects`` for it on the same list laid out differently,
two unmapped columns and 15 % of rows rejected: the cost of rejects, to compare with ``etl``; ``duckdb_checked`` is c with the row checks etl makes.
Those two are reference rows, not targets).

The outputs are checked: right after each contender, its Parquet must hold one row per
input row; after each size, its set of record_key values must equal the pyarrow floor's
(when the floor ran), so a contender cannot look fast by doing less or keying differently.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_dibao import generate  # noqa: E402

PIPELINE = """\
pipeline: bench_dibao
source:
  plugin: social_assistance
inputs:
  dibao_list:
    path: {src}
datasets: [sa_dibao_public_list]
periods: 2016-07
output:
  dir: {out}
  formats: [{formats}]
salt_env: BENCH_SALT
max_reject_ratio: {max_reject_ratio}
# the bench measures the data path: no human review gate
review: auto
"""

CONTENDERS = [
    ("a. etl run", "etl"),
    # Not a target: dlt writes Parquet only, so this is etl on dlt's footing.
    ("a2. etl run, Parquet only", "etl_parquet"),
    # Target: within 1.2x of a's time and the same peak memory. The list laid out
    # differently: two columns the pipeline does not map, 15 % of rows rejected.
    ("a3. etl run, 15% rows rejected", "etl_rejects"),
    ("b. pyarrow floor", "pyarrow_floor.py"),
    ("c. duckdb SQL", "duckdb_sql.py"),
    # Not a target: c with the row checks etl makes (duckdb_checked.py says which).
    ("c2. duckdb SQL, with etl's checks", "duckdb_checked.py"),
    ("d1. dlt arrow", "dlt_arrow.py"),
    ("d2. dlt rows (add_map)", "dlt_rows.py"),
    ("e. polars lazy", "polars_lazy.py"),
]
SLOW = {"dlt_rows.py"}
FLOOR = "pyarrow_floor"  # the reference whose record_key set the others must match
TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


def stem(script: str) -> str:
    """Contender name for --only and its out dir: the script's stem, ``etl`` for the engine."""
    return script.split(".")[0]


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if TIME:
        cmd = [TIME, "-v", *cmd]
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    if TIME:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        return wall, int(m.group(1)) / 1024
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(after, before) / 1024  # ru_maxrss of children is the max over all of them so far


def parquet_files(out: Path) -> list[Path]:
    """The contender's published Parquet. Hidden dirs are skipped: etl's .gongkai and
    dlt's .dlt keep second copies of the same data."""
    return sorted(p for p in out.rglob("*.parquet") if not any(s.startswith(".") for s in p.relative_to(out).parts))


def output_rows(out: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in parquet_files(out))


def output_keys(out: Path) -> pa.Array:
    """Distinct record_key values; cast to string because polars writes large_string."""
    cols = [pq.ParquetFile(p).read(columns=["record_key"]).column(0).cast(pa.string()) for p in parquet_files(out)]
    return pc.unique(pa.chunked_array([c for col in cols for c in col.chunks], pa.string()))


def check_rows(name: str, out: Path, n: int) -> None:
    rows = output_rows(out)
    if rows != n:
        raise SystemExit(f"OUTPUT CHECK FAILED: {name} wrote {rows:,} rows to Parquet under {out}, expected {n:,}")


def check_keys(n: int, outs: dict[str, Path]) -> None:
    """Each contender's record_key set must equal the floor's (compared as Arrow arrays, not Python sets)."""
    if FLOOR not in outs:
        print(f"  outputs agree on row counts ({n:,}); no {FLOOR} run to compare record_key sets with", flush=True)
        return
    ref = output_keys(outs[FLOOR])
    for name, out in outs.items():
        if name == FLOOR:
            continue
        keys = output_keys(out)
        missing = ref.filter(pc.invert(pc.is_in(ref, value_set=keys)))
        extra = keys.filter(pc.invert(pc.is_in(keys, value_set=ref)))
        if len(missing) or len(extra):
            raise SystemExit(
                f"OUTPUT CHECK FAILED at {n:,} rows: record_key of {name} differs from {FLOOR}'s: "
                f"{len(missing):,} of {len(ref):,} floor keys missing (e.g. {missing[:3].to_pylist()}), "
                f"{len(extra):,} of {len(keys):,} keys extra (e.g. {extra[:3].to_pylist()})")
        print(f"  {name}: {n:,} rows, {len(keys):,} record_keys = {FLOOR}'s: outputs agree", flush=True)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024**2
    except (OSError, AttributeError):
        mem = float("nan")
    return f"nproc {os.cpu_count()}, {cpu}, RAM {mem:.1f} GiB, Python {platform.python_version()}, {platform.system()}"


def versions() -> str:
    out = []
    for pkg in ("gongkai-etl", "pyarrow", "numpy", "duckdb", "polars", "dlt"):
        try:
            out.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            out.append(f"{pkg} -")
    return ", ".join(out)


def run_size(n: int, work: Path, skip_slow_above: int, measured: dict[str, tuple[int, float, float]],
             only: Sequence[str], repeat: int = 1) -> list[tuple]:
    """Each contender ``repeat`` times, in rounds (every contender once per round, so
    a noisy spell of the shared machine hits them alike); median seconds and
    median peak RSS. The slow contender runs once."""
    src = work / f"dibao_{n}.csv"
    if not src.exists():
        t = time.perf_counter()
        generate(n, src, encoding="utf-8")
        print(f"generated {n:,} rows in {time.perf_counter() - t:.1f}s: {src}", flush=True)
    env = dict(os.environ, BENCH_SALT="bench-salt", PYTHONHASHSEED="0")
    outs: dict[str, Path] = {}
    runs: dict[str, list[tuple[float, float]]] = {}
    for round_no in range(repeat):
        for label, script in CONTENDERS:
            if stem(script) not in only or (script in SLOW and (n > skip_slow_above or round_no > 0)):
                continue
            out = work / f"out_{n}_{stem(script)}"
            shutil.rmtree(out, ignore_errors=True)
            if script.startswith("etl"):
                yaml = work / f"pipeline_{n}_{script}.yaml"
                formats = "parquet" if script == "etl_parquet" else "parquet, csv"
                source, ratio = (rejects_src(work, n), 0.2) if script == "etl_rejects" else (src, 0.01)
                yaml.write_text(PIPELINE.format(src=source, out=out, formats=formats, max_reject_ratio=ratio))
                cmd = [sys.executable, "-c", "from gongkai_etl.cli import main; main()", "run", str(yaml), "--period", "2016-07"]
            else:
                cmd = [sys.executable, str(HERE / script), str(src), str(out)]
            secs, rss = measure(cmd, env)
            runs.setdefault(script, []).append((secs, rss))
            print(f"  {label:<24} {n:>10,} rows {secs:8.2f}s {rss:8.0f} MiB  (round {round_no + 1})", flush=True)
            if script == "etl_rejects":  # every row published or rejected, and its own keys: not compared with b
                reject_file = out / ".gongkai/rejects/sa_dibao_public_list/2016-07.csv"
                rejected = reject_file.read_bytes().count(b"\n") - 1  # one line per rejected row, after the header
                check_rows(stem(script), out, n - rejected)
                print(f"  {'':<24} {rejected:>10,} rows rejected ({rejected / n:.1%})", flush=True)
                DISK[(label, n)] = disk_use(rejects_src(work, n), out)
                continue
            check_rows(stem(script), out, n)  # cheap (Parquet footers): fail before running the rest
            outs[stem(script)] = out
            if script.startswith("etl"):
                DISK[(label, n)] = disk_use(src, out)
    rows = []
    for label, script in CONTENDERS:
        if script in runs:
            secs = statistics.median(s for s, _ in runs[script])
            rss = statistics.median(r for _, r in runs[script])
            measured[script] = (n, secs, rss)
            spread = (min(s for s, _ in runs[script]), max(s for s, _ in runs[script]),
                      min(r for _, r in runs[script]), max(r for _, r in runs[script]))
            rows.append((label, n, secs, rss, False, spread))
        elif script in SLOW and stem(script) in only and script in measured:
            m_n, m_s, m_rss = measured[script]
            rows.append((label, n, m_s * n / m_n, m_rss, True, None))
    check_keys(n, outs)
    return rows


REJECT_SHARE, EXTRA_COLUMNS = 0.15, 2

#: (contender label, rows) -> disk use of an etl run, in bytes by part (the last round's).
DISK: dict[tuple[str, int], dict[str, int]] = {}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def disk_use(src: Path, out: Path) -> dict[str, int]:
    """What an etl run leaves on disk: its input, the raw archive (a copy of the input,
    compressed or not), the published files, the private rejects, and staging (which a
    finished run empties; while it runs, staging holds up to the published size)."""
    state = out / ".gongkai"
    published = sum(_size(p) for p in out.iterdir() if p.name != ".gongkai")
    return {"input": _size(src), "archive": _size(state / "archive"), "published": published,
            "rejects": _size(state / "rejects"), "staging left": _size(state / "staging")}


def disk_table() -> str:
    if not DISK:
        return ""
    gib = 1024 ** 3
    lines = ["| etl run | rows | input GiB | raw archive GiB | published GiB | rejects GiB | staging left |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for (label, n), d in DISK.items():
        lines.append(f"| {label} | {n:,} | {d['input'] / gib:.2f} | {d['archive'] / gib:.2f} | {d['published'] / gib:.2f} | "
                     f"{d['rejects'] / gib:.2f} | {d['staging left']:,} B |")
    return "\n".join(lines)


def rejects_src(work: Path, n: int) -> Path:
    """The same list laid out differently: two unmapped columns, 15 % of rows in a
    category the public list does not take."""
    src = work / f"dibao_{n}_rejects.csv"
    if not src.exists():
        generate(n, src, encoding="utf-8", reject_share=REJECT_SHARE, extra_columns=EXTRA_COLUMNS)
    return src


def table(rows: list[tuple]) -> str:
    floor = {n: s for label, n, s, *_ in rows if label.startswith("b.")}
    lines = ["| contender | rows | seconds | rows/s | peak RSS MiB | ratio to b | runs: seconds, MiB |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for label, n, secs, rss, est, spread in rows:
        mark = "*" if est else ""
        ratio = secs / floor[n] if n in floor else float("nan")
        rss_s = f"{rss:.0f}" + (" (at smaller size)" if est else "")
        runs = "" if spread is None else f"{spread[0]:.2f}–{spread[1]:.2f} s, {spread[2]:.0f}–{spread[3]:.0f}"
        lines.append(f"| {label} | {n:,} | {secs:.2f}{mark} | {n / secs:,.0f}{mark} | {rss_s} | {ratio:.2f}x{mark} | {runs} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="gongkai-etl benchmark")
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--skip-slow-above", type=int, default=1_000_000,
                    help="run dlt rows-as-dicts only up to this many rows; extrapolate above")
    ap.add_argument("--work", type=Path, default=Path("/tmp/gongkai-bench"))
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--no-record", action="store_true", help="print only, do not append to RESULTS.md")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each contender per size, in rounds; the table shows the medians (default 3)")
    names = [stem(script) for _, script in CONTENDERS]
    ap.add_argument("--only", nargs="+", choices=names, default=names, metavar="NAME",
                    help=f"run only these contenders ({', '.join(names)})")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple] = []
    measured: dict[str, tuple[int, float, float]] = {}
    for n in sorted(args.rows):
        rows += run_size(n, args.work, args.skip_slow_above, measured, args.only, max(args.repeat, 1))
    text = table(rows)
    if DISK:
        text += "\n\nDisk use of the etl runs (last round; staging peaks at about the published size while a run stages):\n\n" + disk_table()
    print(text)
    if not args.no_record:
        head = (f"\n## {datetime.now():%Y-%m-%d %H:%M}\n\n{machine()}  \n{versions()}  \n"
                f"`python bench/run_bench.py --rows {' '.join(map(str, args.rows))} --skip-slow-above {args.skip_slow_above}"
                f" --repeat {args.repeat}{' --only ' + ' '.join(args.only) if args.only != names else ''}`"
                f"\n\n{text}\n\nMedians of {args.repeat} runs in rounds, least and most in the last column (the slow "
                "contender: one run). "
                "`*` extrapolated linearly from the largest measured size (not run).\n")
        if not args.results.exists():
            args.results.write_text("# Benchmark results\n\nAppended by `bench/run_bench.py`; newest last.\n")
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(head)
    return 0


if __name__ == "__main__":
    sys.exit(main())
