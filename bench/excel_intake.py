"""Excel intake: a 低保 list kept as a workbook (.xlsx, a title row above the header,
numbers as numbers) through `etl run`, end to end, read by fastexcel (calamine in
Rust, handing over Arrow columns; python-calamine before 2026-12-05).

    python bench/excel_intake.py [--rows 200000] [--repeat 3] [--work /tmp/gongkai-bench] [--no-record]

The workbook is made once from bench/generate_dibao.py's list with XlsxWriter
(with a shared-strings table, as Excel saves a workbook) and kept in --work. Each round runs `etl run` in its own
process (Parquet + CSV, all checks) and takes wall seconds and peak RSS; the
median is printed and appended to bench/RESULTS.md with the command. Target
(issue 19): 100k rows/s or more.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_dibao import generate  # noqa: E402
from run_bench import check_rows, machine, measure, versions  # noqa: E402

PIPELINE = """\
pipeline: bench_excel
source:
  plugin: social_assistance
inputs:
  dibao_list:
    path: {src}
datasets: [sa_dibao_public_list]
periods: 2016-07
output:
  dir: {out}
  formats: [parquet, csv]
salt_env: BENCH_SALT
max_reject_ratio: 0.01
review: auto
"""


def _cell(column: int, value: str) -> object:
    """Numbers as a department's workbook keeps them: 保障人口 and 月保障金额 typed."""
    if column == 7:
        return int(value)
    if column == 8:
        return float(value.replace(",", ""))
    return value


def make_workbook(n: int, work: Path) -> Path:
    import xlsxwriter

    book = work / f"dibao_{n}_shared.xlsx"
    if book.exists():
        return book
    src = generate(n, work / f"dibao_{n}_for_xlsx.csv", encoding="utf-8")
    started = time.perf_counter()
    # Not constant_memory: that mode writes every text cell inline, which Excel never
    # does (it keeps a shared-strings table), and calamine reads inline cells 1.7x slower.
    wb = xlsxwriter.Workbook(str(book))
    ws = wb.add_worksheet("低保名单")
    ws.write_row(0, 0, ["朝阳区城乡低保家庭名单（2016年7月）"])
    with open(src, encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            ws.write_row(i + 1, 0, row if i == 0 else [_cell(k, v) for k, v in enumerate(row)])
    wb.close()
    print(f"made {book} ({n:,} rows) in {time.perf_counter() - started:.1f}s", flush=True)
    return book


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Excel intake benchmark")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path("/tmp/gongkai-bench"))
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    book = make_workbook(args.rows, args.work)
    env = dict(os.environ, BENCH_SALT="bench-salt", PYTHONHASHSEED="0")
    runs = []
    for round_no in range(max(args.repeat, 1)):
        out = args.work / f"out_excel_{args.rows}"
        shutil.rmtree(out, ignore_errors=True)
        yaml = args.work / f"pipeline_excel_{args.rows}.yaml"
        yaml.write_text(PIPELINE.format(src=book, out=out), encoding="utf-8")
        cmd = [sys.executable, "-c", "from gongkai_etl.cli import main; main()", "run", str(yaml), "--period", "2016-07"]
        secs, rss = measure(cmd, env)
        check_rows("etl", out, args.rows)
        runs.append((secs, rss))
        print(f"  etl run, .xlsx {args.rows:>10,} rows {secs:8.2f}s {rss:8.0f} MiB  (round {round_no + 1})", flush=True)
    secs = statistics.median(s for s, _ in runs)
    rss = statistics.median(r for _, r in runs)
    line = (f"| f. etl run, .xlsx intake (fastexcel) | {args.rows:,} | {secs:.2f} | {args.rows / secs:,.0f} | {rss:.0f} | "
            f"{min(s for s, _ in runs):.2f}–{max(s for s, _ in runs):.2f} s |")
    text = "| contender | rows | seconds | rows/s | peak RSS MiB | runs |\n|---|---:|---:|---:|---:|---|\n" + line
    print(text)
    if not args.no_record:
        with open(args.results, "a", encoding="utf-8") as fh:
            fh.write(f"\n## {datetime.now():%Y-%m-%d %H:%M} Excel intake\n\n{machine()}  \n{versions()}  \n"
                     f"`python bench/excel_intake.py --rows {args.rows} --repeat {args.repeat}`\n\n{text}\n\n"
                     f"Medians of {args.repeat} runs. Target: 100,000 rows/s or more.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
