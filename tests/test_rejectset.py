"""Columnar rejects: the same rejects, in the same order, as one Python object per row."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.contracts import Reject
from gongkai_etl.rejectset import LazyValues, RejectLog, Rejects
from gongkai_etl.stage.rejects import write_rejects


def _one_by_one(mask, raw, rows, files, field, reason) -> list[Reject]:
    """What the engine did before: a Reject per masked row, values through Python's str."""
    out = []
    for i, m in enumerate(mask):
        if m:
            v = raw[i]
            why = reason if isinstance(reason, str) else str(reason[i])
            out.append(Reject(i, rows[i], field, "" if v is None else str(v), why, files[i] if files else ""))
    return out


texts = st.one_of(st.none(), st.text(max_size=6))


@given(st.lists(st.tuples(st.booleans(), texts, st.one_of(st.none(), st.integers(1, 10**6))), max_size=40))
def test_where_matches_one_object_per_row(cells: list[tuple[bool, str | None, int | None]]) -> None:
    mask = [c[0] for c in cells]
    raw = [c[1] for c in cells]
    rows = [c[2] for c in cells]
    files = [f"f{i % 3}.csv" for i in range(len(cells))]
    got = Rejects.where(pa.array(mask, pa.bool_()), pa.array(raw, pa.string()),
                        LazyValues(pa.array(rows, pa.int64())), LazyValues(pa.array(files)), "name", "bad")
    assert list(got) == _one_by_one(mask, raw, rows, files, "name", "bad")


def test_where_shows_typed_values_as_python_does() -> None:
    values = pa.array([Decimal("1.50"), None, Decimal("-2")], pa.decimal128(10, 2))
    reasons = pa.array(["a", None, "c"])
    got = list(Rejects.where(pa.array([True, True, True]), values, [7, 8, 9], None, "amount", reasons))
    assert [(r.row, r.value, r.reason, r.file) for r in got] == [(7, "1.50", "a", ""), (8, "", "None", ""), (9, "-2.00", "c", "")]


@settings(max_examples=50)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.sampled_from(["b", "a", "c"])), max_size=60),
       st.integers(1, 7))
def test_log_sorts_like_a_stable_sort(tmp_path_factory, items: list[tuple[int | None, str]], size: int) -> None:
    tmp: Path = tmp_path_factory.mktemp("log")
    rejects = [Reject(i, row, field, str(i), "r", "") for i, (row, field) in enumerate(items)]
    log = RejectLog(tmp / ".rejects.arrow")
    for start in range(0, len(rejects), size):  # one block per chunk, as the stages add them
        log += Rejects.of(rejects[start:start + size])
    got = [r for batch in log.sorted_batches(size=5) for r in Rejects([batch])]
    assert got == sorted(rejects, key=lambda r: (r.row or 0, r.field))


def test_log_spills_privately_and_keeps_what_came_after_a_read(tmp_path: Path) -> None:
    log = RejectLog(tmp_path / ".rejects.arrow")
    log += [Reject(0, 2, "id_number", "x", "bad", "a.csv")]
    assert oct(os.stat(tmp_path / ".rejects.arrow").st_mode & 0o777) == "0o600"
    assert [r.row for r in log] == [2]
    log += [Reject(1, 1, "id_number", "y", "bad", "a.csv")]  # after the log was read
    assert len(log) == 2
    out = write_rejects(tmp_path / "rejects" / "2016-07.csv", log)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["file,row,field,value,reason", "a.csv,1,id_number,y,bad", "a.csv,2,id_number,x,bad"]
    assert not list(tmp_path.glob(".rejects*")), "the spill files go once the rejects file is written"
