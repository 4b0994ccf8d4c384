"""Micro-bench of the primary-key set alone: memory and time at 5M and 50M keys.

    python bench/keyset_memory.py --keys 5000000 50000000 [--dup 0.001] [--spill-dir /tmp]

Feeds KeySet batches of 131,072 random 64-bit hashes the way check_unique does (one
sorted lookup, then the new keys added), a share ``--dup`` of each batch repeating
earlier keys. Reports the largest in-memory footprint of the set (``KeySet.nbytes``:
the arrays it holds, measured after every batch, not the process's RSS), the time
of the lookups and the adds, how many lookups the filter let through to a spilled
run without the key being there (false positives) and the disk reads they cost.
Every repeated key must be found with its first row: the bench checks it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongkai_etl.validate.keyset import KeySet  # noqa: E402

BATCH = 131_072


def run(n: int, dup: float, spill_dir: str) -> dict[str, float]:
    rnd = np.random.default_rng(n)
    keys = KeySet(spill_dir=spill_dir)
    peak = 0
    t_lookup = t_add = 0.0
    missed = 0
    sample: list[tuple[np.ndarray, np.ndarray]] = []  # a few (hash, row) pairs added, to repeat later
    row = 0
    while row < n:
        size = min(BATCH, n - row)
        batch = rnd.integers(0, 2**64 - 1, size, dtype=np.uint64, endpoint=True)
        repeat = int(size * dup) if sample else 0
        want = np.full(size, -1, np.int64)
        if repeat:
            h, r = sample[int(rnd.integers(len(sample)))]
            pick = rnd.integers(0, len(h), repeat)
            batch[:repeat] = h[pick]
            want[:repeat] = r[pick]
        rows = np.arange(row, row + size, dtype=np.int64)
        order = np.argsort(batch)
        t0 = time.perf_counter()
        found, first = keys._lookup_sorted(batch[order])
        t1 = time.perf_counter()
        new = ~found
        sorted_rows = rows[order]
        keys._add_sorted(batch[order][new], sorted_rows[new])
        t2 = time.perf_counter()
        t_lookup += t1 - t0
        t_add += t2 - t1
        missed += int((first != want[order]).sum())
        if len(sample) < 64:
            sample.append((batch[repeat:repeat + 256].copy(), rows[repeat:repeat + 256].copy()))
        peak = max(peak, keys.nbytes)
        row += size
    keys.close()
    return {"keys": len(keys), "peak_mib": peak / 2**20, "bytes_per_key": peak / len(keys),
            "lookup_s": t_lookup, "add_s": t_add, "wrong": missed,
            "passed": keys.stats["passed"], "reads": keys.stats["reads"], "lookups": keys.stats["lookups"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, nargs="+", default=[5_000_000, 50_000_000])
    ap.add_argument("--dup", type=float, default=0.001)
    ap.add_argument("--spill-dir", default=tempfile.gettempdir())
    ap.add_argument("--one", action="store_true", help="measure the first size in this process, print JSON")
    args = ap.parse_args()
    if args.one:
        r = run(args.keys[0], args.dup, args.spill_dir)
        r["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(r))
        return
    print("| keys | peak KeySet MiB | B/key at peak | lookup s | add s | filter false positives | disk reads | wrong answers | process max RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.keys:
        # A process per size, so that its peak RSS is its own.
        out = subprocess.run([sys.executable, __file__, "--one", "--keys", str(n), "--dup", str(args.dup),
                              "--spill-dir", args.spill_dir], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        fp = r["passed"] / max(r["lookups"], 1)
        rss = r["rss_mib"]
        print(f"| {n:,} | {r['peak_mib']:.1f} | {r['bytes_per_key']:.2f} | {r['lookup_s']:.2f} | {r['add_s']:.2f} "
              f"| {fp:.1%} | {r['reads']:,} | {r['wrong']} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
