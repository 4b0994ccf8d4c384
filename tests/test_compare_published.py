"""scripts/compare_published.py: the refactor check must see a changed byte and
must not see a changed timestamp, or "identical" would mean nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from support import REPO

_spec = importlib.util.spec_from_file_location("compare_published", REPO / "scripts" / "compare_published.py")
assert _spec and _spec.loader
compare_published = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_published)


def _output(root: Path, *, csv: bytes, published: str, extra: str | None = None) -> Path:
    (root / "ds" / "csv").mkdir(parents=True)
    (root / "ds" / "csv" / "ds_2016-09.csv").write_bytes(csv)
    (root / "ds" / "datapackage.json").write_text(json.dumps({"name": "ds", "resources": [{"published": published}]}))
    (root / ".gongkai").mkdir()
    (root / ".gongkai" / "state.db").write_bytes(published.encode())  # the ledger is a record of the run
    if extra:
        (root / extra).write_text("x")
    return root


def test_timestamps_and_the_ledger_are_not_differences(tmp_path: Path) -> None:
    a = _output(tmp_path / "a", csv=b"id,n\n1,2\n", published="2026-12-04T22:16:40+00:00")
    b = _output(tmp_path / "b", csv=b"id,n\n1,2\n", published="2026-12-05T09:00:00+00:00")
    assert compare_published.compare(a, b) == []


def test_a_changed_byte_a_missing_file_and_a_new_file_are_differences(tmp_path: Path) -> None:
    a = _output(tmp_path / "a", csv=b"id,n\n1,2\n", published="t", extra="only_a.txt")
    b = _output(tmp_path / "b", csv=b"id,n\n1,3\n", published="t", extra="only_b.txt")
    assert compare_published.compare(a, b) == [
        "only before: only_a.txt", "only after: only_b.txt", "differs: ds/csv/ds_2016-09.csv"
    ]
