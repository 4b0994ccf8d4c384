"""The bad-input corpus (tests/corpus/build_corpus.py): every case gets its documented
outcome, and no case changes a byte of what a good run published before it."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reliability_helpers import REPO, ForkServer, check_consistent, count, published_files, run_etl

_spec = importlib.util.spec_from_file_location("build_corpus", REPO / "tests" / "corpus" / "build_corpus.py")
assert _spec and _spec.loader
build_corpus = importlib.util.module_from_spec(_spec)
sys.modules["build_corpus"] = build_corpus  # dataclasses look their module up
_spec.loader.exec_module(build_corpus)

CASE_IDS = build_corpus.case_ids()


@dataclass
class Corpus:
    root: Path
    out: Path
    cases: dict[str, dict[str, Any]]
    snapshot: dict[str, bytes]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, forked: ForkServer) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    build_corpus.build(root, REPO / "sample_data", REPO / "pipelines")
    index = json.loads((root / "cases.json").read_text(encoding="utf-8"))
    out = root / "output"
    for good in index["good"]:
        result = forked.run("run", good["pipeline"])
        assert result.returncode == 0, f"good run of {good['pipeline']} failed:\n{result.stdout}\n{result.stderr}"
    snapshot = published_files(out)
    assert any(k.endswith(".parquet") for k in snapshot)
    check_consistent(out)
    return Corpus(root, out, {c["id"]: c for c in index["cases"]}, snapshot)


def test_corpus_is_big_enough() -> None:
    formats = {cid.split("-")[0] for cid in CASE_IDS}
    assert len(CASE_IDS) >= 30, CASE_IDS
    assert {"csv", "json", "xlsx", "xls"} <= formats
    count("corpus cases", len(CASE_IDS))


#: Cases also run through a fresh ``python -m gongkai_etl`` process (the rest run in
#: forked children of a warm interpreter, same entry point, a fraction of the time).
REAL_PROCESS = {"csv-cut-mid-line", "xlsx-cut-in-half", "json-records"}


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_corpus_case(corpus: Corpus, forked: ForkServer, case_id: str) -> None:
    case = corpus.cases[case_id]
    expect = case["expect"]
    shutil.rmtree(corpus.out / ".gongkai" / "rejects", ignore_errors=True)
    run = run_etl if case_id in REAL_PROCESS else forked.run
    result = run("run", case["pipeline"])
    shown = f"\n--- exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert "Traceback" not in result.stderr, shown
    assert result.returncode == expect["exit"], shown
    for fragment in expect["stderr"]:
        assert fragment in result.stderr, f"{fragment!r} not in stderr{shown}"
    if result.returncode:
        problems = [ln for ln in result.stderr.splitlines() if ln.startswith(("Error:", "Warning:"))]
        assert problems, shown  # one clear line says what went wrong
    for dataset, row, field in expect["rejects"]:
        path = corpus.out / ".gongkai" / "rejects" / dataset / f"{case['period']}.csv"
        assert path.exists(), shown
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rejected = {(int(r["row"]), r["field"]) for r in csv.DictReader(fh)}
        assert (row, field) in rejected, f"{(row, field)} not in {sorted(rejected)}"
    after = published_files(corpus.out)
    changed = sorted(k for k in set(after) | set(corpus.snapshot) if after.get(k) != corpus.snapshot.get(k))
    assert not changed, f"the earlier publication changed: {changed}{shown}"
    count("corpus cases run")
