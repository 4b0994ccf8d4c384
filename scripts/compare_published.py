"""Behaviour check for refactors: run every shipped pipeline with two versions of
gongkai-etl and show that what they publish is byte-identical.

    python scripts/compare_published.py BEFORE_REV [AFTER_REV]

Each revision (a commit, tag or branch; AFTER defaults to the work tree) is
checked out with ``git worktree`` into a temporary folder, installed into its
own virtual environment, and run as ``etl run pipelines/ --as-of 2017-01-20``
with one fixed salt (GONGKAI_SALT), so salted keys agree. Every file under the
two ``output/`` folders is then compared byte for byte, except what records
when it ran: the ledger, run logs and staging under ``.gongkai/``, and the
timestamp keys of JSON metadata (``generated``, ``modified``, ``issued``,
``published_at``, ...), which are blanked before comparing. Exits 1 and lists
the differing files when there is any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2017-01-20"
SALT = "compare-published-fixed-salt"
# Files whose content is a record of the run, not of the data.
SKIP_PARTS = (".gongkai",)
# JSON keys holding wall-clock times or run ids; blanked before comparing.
VOLATILE_KEYS = re.compile(r"(generated|modified|issued|published|published_at|created|run_id|updated|timestamp|as_of)$")
VOLATILE_TEXT = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?|\d{8}T\d{6}-[0-9a-f]{6}")


def checkout(rev: str | None, where: Path) -> Path:
    """The tree of ``rev`` (None: the work tree as it is) at ``where``."""
    if rev is None:
        subprocess.run(["cp", "-a", str(ROOT), str(where)], check=True)
        for leftover in ("output", ".ci-venv", ".venv"):
            subprocess.run(["rm", "-rf", str(where / leftover)], check=True)
        return where
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(where), rev],
                   check=True, capture_output=True)
    return where


def run_pipelines(tree: Path, env_dir: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", str(tree)], capture_output=True, text=True)
    if pip.returncode:
        sys.exit(f"pip install {tree} failed:\n{pip.stderr}")
    env = {**os.environ, "GONGKAI_SALT": SALT}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run([str(env_dir / "bin" / "etl"), "run", "pipelines/", "--as-of", AS_OF],
                            cwd=tree, env=env, capture_output=True, text=True)
    print(f"  etl run in {tree.name}: exit {result.returncode}")
    if result.returncode not in (0, 1):  # 1: a planted dirty row over a limit is still a publication
        print(result.stderr[-2000:])
    return tree / "output"


def _blank(value: object) -> object:
    if isinstance(value, dict):
        return {k: ("*" if VOLATILE_KEYS.search(k) else _blank(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return value


def comparable(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix in (".json", ".jsonld"):
        try:
            return json.dumps(_blank(json.loads(data)), sort_keys=True, ensure_ascii=False).encode()
        except ValueError:
            pass
    if path.suffix in (".html", ".json", ".jsonld", ".md", ".txt"):
        return VOLATILE_TEXT.sub(b"*", data)
    return data


def files(out: Path) -> dict[str, Path]:
    found = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out)
        if p.is_file() and not any(part in SKIP_PARTS for part in rel.parts):
            found[str(rel)] = p
    return found


def compare(before: Path, after: Path) -> list[str]:
    a, b = files(before), files(after)
    problems = [f"only before: {k}" for k in sorted(a.keys() - b.keys())]
    problems += [f"only after: {k}" for k in sorted(b.keys() - a.keys())]
    for k in sorted(a.keys() & b.keys()):
        if comparable(a[k]) != comparable(b[k]):
            problems.append(f"differs: {k}")
            if k.endswith(".json"):  # say where: a refactor's JSON difference is usually one key
                old, new = comparable(a[k]).decode(), comparable(b[k]).decode()
                at = next((i for i, (x, y) in enumerate(zip(old, new)) if x != y), min(len(old), len(new)))
                problems.append(f"    before: ...{old[max(at - 80, 0):at + 80]}...")
                problems.append(f"    after:  ...{new[max(at - 80, 0):at + 80]}...")
    kinds: dict[str, int] = {}
    for k in a.keys() & b.keys():
        ext = Path(k).suffix or "(none)"
        kinds[ext] = kinds.get(ext, 0) + 1
    print("  compared:", ", ".join(f"{n} {ext}" for ext, n in sorted(kinds.items())))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="git revision to compare against (e.g. main~1)")
    parser.add_argument("after", nargs="?", help="git revision (default: the work tree)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongkai-compare-") as tmp:
        work = Path(tmp)
        trees = []
        try:
            for label, rev in (("before", args.before), ("after", args.after)):
                print(f"{label}: {rev or 'work tree'}")
                tree = checkout(rev, work / label)
                trees.append(tree)
                run_pipelines(tree, work / f"venv-{label}")
            problems = compare(trees[0] / "output", trees[1] / "output")
        finally:
            for tree, rev in zip(trees, (args.before, args.after)):
                if rev is not None:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                                   capture_output=True)
    for p in problems:
        print(p)
    print("identical" if not problems else f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
