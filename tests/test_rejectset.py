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


@settings(deadline=None)
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


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.sampled_from(["b", "a", "c"])),
                         max_size=12), max_size=6))
def test_log_sorts_like_a_stable_sort(tmp_path_factory, chunks: list[list[tuple[int | None, str]]]) -> None:
    """Chunks hold rows after the previous chunk's (as a file is read): sorting each
    chunk as it comes gives what one stable sort of everything gave."""
    tmp: Path = tmp_path_factory.mktemp("log")
    log = RejectLog(tmp / ".rejects.arrow")
    everything: list[Reject] = []
    for n, chunk in enumerate(chunks):
        base = 10 * n + 1
        rejects = [Reject(i, None if off is None and n == 0 else base + (off or 0), field, f"{n}.{i}", "r", "")
                   for i, (off, field) in enumerate(chunk)]
        log += Rejects.of(rejects)
        everything += rejects
    got = [r for batch in log.batches() for r in Rejects([pa.Table.from_batches([batch])])]
    assert got == sorted(everything, key=lambda r: (r.row or 0, r.field))
    assert len(log) == len(everything)


def test_log_spills_privately_and_keeps_what_came_after_a_read(tmp_path: Path) -> None:
    log = RejectLog(tmp_path / ".rejects.arrow")
    log += [Reject(0, 2, "id_number", "x", "bad", "a.csv")]
    assert oct(os.stat(tmp_path / ".rejects.arrow").st_mode & 0o777) == "0o600"
    assert [r.row for r in log] == [2]
    log += [Reject(1, 3, "name", "z", "bad", "a.csv"), Reject(0, 3, "id_number", "y", "bad", "a.csv")]  # after a read
    assert len(log) == 3
    out = write_rejects(tmp_path / "rejects" / "2016-07.csv", log)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["file,row,field,value,reason", "a.csv,2,id_number,x,bad", "a.csv,3,id_number,y,bad", "a.csv,3,name,z,bad"]
    assert not list(tmp_path.glob(".rejects*")), "the spill files go once the rejects file is written"


@settings(deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.one_of(st.none(), st.integers(-5, 10**9)), st.text(max_size=8),
                          st.text(max_size=8), st.text(max_size=8)), min_size=1, max_size=30))
def test_csv_lines_are_what_csv_writer_writes(rows: list[tuple]) -> None:
    import csv
    import io

    from gongkai_etl.stage.rejects import csv_lines

    batch = pa.table({"file": [r[0] for r in rows], "row": pa.array([r[1] for r in rows], pa.int64()),
                      "field": [r[2] for r in rows], "value": [r[3] for r in rows], "reason": [r[4] for r in rows]})
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(rows)
    assert csv_lines(batch) == expected.getvalue().encode("utf-8")
