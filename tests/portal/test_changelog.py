"""Changelog per dataset and period: rows added, removed and changed against
the previous published period, checked against an independent computation
from the published CSVs; kept right when an earlier period is republished."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.portal.changelog import compute_changes, count_changes, csv_bytes
from gongkai_etl.periods import Cadence

PROGRESS = "shantytown_progress"


# the pure function -------------------------------------------------------------------
LIST = Dataset(
    id="test_list",
    title_zh="测试名单",
    title_en="test list",
    cadence=Cadence.MONTHLY,
    primary_key=("period", "street", "record_key"),
    fields=(
        Field("period", "期间", required=True),
        Field("street", "街道", required=True),
        Field("record_key", "记录键", required=True),
        Field("persons", "人数", type="integer"),
        Field("amount", "金额", type="decimal", unit="元", scale=2),
        Field("ratio", "比例", type="number"),
        Field("note", "备注"),
    ),
)


def _table(period: str, rows: list[tuple]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(6)]
    return pa.Table.from_arrays(
        [
            pa.array([period] * len(rows), pa.string()),
            pa.array(cols[0], pa.string()),
            pa.array(cols[1], pa.string()),
            pa.array(cols[2], pa.int64()),
            pa.array([None if v is None else Decimal(v) for v in cols[3]], pa.decimal128(18, 2)),
            pa.array(cols[4], pa.float64()),
            pa.array(cols[5], pa.string()),
        ],
        names=["period", "street", "record_key", "persons", "amount", "ratio", "note"],
    )


def test_compute_changes_kinds_nulls_and_composite_keys() -> None:
    before = _table(
        "2016-08",
        [
            ("建外街道", "k1", 2, "800.00", 0.5, None),  # unchanged (null note stays null)
            ("建外街道", "k2", 3, "1200.00", None, "x"),  # amount changes
            ("朝外街道", "k1", 1, "400.00", float("nan"), None),  # same key, other street: NaN == NaN
            ("朝外街道", "k3", 4, None, 1.0, "y"),  # removed
            ("朝外街道", "k4", 1, "300.00", 1.0, None),  # null -> value in note, persons too
        ],
    )
    after = _table(
        "2016-09",
        [
            ("朝外街道", "k4", 2, "300.00", 1.0, "新"),
            ("建外街道", "k2", 3, "1250.00", None, "x"),
            ("建外街道", "k1", 2, "800.00", 0.5, None),
            ("朝外街道", "k1", 1, "400.00", float("nan"), None),
            ("建外街道", "k9", 5, "2000.00", 0.1, None),  # added
        ],
    )
    changes = compute_changes(before, after, LIST, period="2016-09", previous_period="2016-08")
    assert changes.column_names == ["period", "previous_period", "street", "record_key", "change", "changed_fields"]
    rows = changes.to_pylist()
    assert [(r["change"], r["street"], r["record_key"], r["changed_fields"]) for r in rows] == [
        ("added", "建外街道", "k9", []),
        ("removed", "朝外街道", "k3", []),
        ("changed", "建外街道", "k2", ["amount"]),
        ("changed", "朝外街道", "k4", ["persons", "note"]),
    ]
    assert {r["period"] for r in rows} == {"2016-09"}
    assert {r["previous_period"] for r in rows} == {"2016-08"}
    assert count_changes(changes) == {"added": 1, "removed": 1, "changed": 2}
    text = csv_bytes(changes).decode("utf-8-sig")
    assert "persons;note" in text.splitlines()[-1]


def test_compute_changes_empty_sides() -> None:
    one = _table("2016-08", [("建外街道", "k1", 2, "800.00", 0.5, None)])
    empty = _table("2016-09", [])
    gone = compute_changes(one, empty, LIST, period="2016-09", previous_period="2016-08")
    assert count_changes(gone) == {"added": 0, "removed": 1, "changed": 0}
    none = compute_changes(empty, empty, LIST, period="2016-09", previous_period="2016-08")
    assert none.num_rows == 0
    assert none.schema.field("changed_fields").type == pa.list_(pa.string())


# end to end on the shantytown sample --------------------------------------------------------
def _rows_by_id(path: Path) -> dict[str, int]:
    ws = openpyxl.load_workbook(path).active
    return {row[1].value: row[1].row for row in ws.iter_rows(min_row=4) if row[1].value}


def _edit_progress(project: Path) -> None:
    """2016-08 lacks CY-PG-2016-005 (so it is added in 2016-09), 2016-09 lacks
    CY-PG-2016-004 (removed) and repeats CY-PG-2015-002's August row (unchanged)."""
    data = project / "sample_data/shantytown"
    aug_path, sep_path = data / "棚改进度_2016-08.xlsx", data / "棚改进度_2016-09.xlsx"
    aug_wb, sep_wb = openpyxl.load_workbook(aug_path), openpyxl.load_workbook(sep_path)
    aug, sep = aug_wb.active, sep_wb.active
    aug_rows, sep_rows = _rows_by_id(aug_path), _rows_by_id(sep_path)
    for col in range(4, aug.max_column + 1):
        sep.cell(sep_rows["CY-PG-2015-002"], col).value = aug.cell(aug_rows["CY-PG-2015-002"], col).value
    sep.delete_rows(sep_rows["CY-PG-2016-004"])
    aug.delete_rows(aug_rows["CY-PG-2016-005"])
    aug_wb.save(aug_path)
    sep_wb.save(sep_path)


def _published_csv(out: Path, period: str) -> dict[str, dict[str, str]]:
    with open(out / PROGRESS / "csv" / f"{PROGRESS}_{period}.csv", encoding="utf-8-sig", newline="") as fh:
        return {row["project_id"]: row for row in csv.DictReader(fh)}


def _expected(out: Path, period: str, previous: str) -> list[tuple[str, str, str]]:
    """The changelog computed independently: plain dicts of the published CSVs."""
    before, after = _published_csv(out, previous), _published_csv(out, period)
    rows = []
    for pid in sorted(set(after) - set(before)):
        rows.append(("added", pid, ""))
    for pid in sorted(set(before) - set(after)):
        rows.append(("removed", pid, ""))
    for pid in sorted(set(before) & set(after)):
        diff = [k for k in after[pid] if k not in ("period", "project_id") and after[pid][k] != before[pid][k]]
        if diff:
            rows.append(("changed", pid, ";".join(diff)))
    return rows


def _changes_csv(out: Path, period: str) -> list[tuple[str, str, str]]:
    with open(out / PROGRESS / "changes" / f"changes_{period}.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["period"] == period for r in rows)
    return [(r["change"], r["project_id"], r["changed_fields"]) for r in rows]


def _counts(rows: list[tuple[str, str, str]]) -> dict[str, int]:
    return {k: sum(1 for r in rows if r[0] == k) for k in ("added", "removed", "changed")}


def _catalog_counts(out: Path, dataset: str, period: str) -> dict[str, int]:
    doc = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    node = next(d for d in doc["dcat:dataset"] if d["dct:identifier"] == dataset)
    cs = next(c for c in node.get("gk:changeSet", []) if c["gk:period"] == period)
    return {"added": cs["gk:added"], "removed": cs["gk:removed"], "changed": cs["gk:changed"]}


def test_two_periods_added_removed_changed(project: Path, etl) -> None:
    _edit_progress(project)
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08..2016-09")
    assert result.returncode == 0, result.stderr + result.stdout
    out = project / "output"

    expected = _expected(out, "2016-09", "2016-08")
    # the test's own edits show up as intended
    assert ("added", "CY-PG-2016-005", "") in expected
    assert ("removed", "CY-PG-2016-004", "") in expected
    assert not any(pid == "CY-PG-2015-002" for _, pid, _ in expected)
    assert _counts(expected) == {"added": 1, "removed": 1, "changed": 5}

    assert _changes_csv(out, "2016-09") == expected
    table = pq.read_table(out / PROGRESS / "changes" / "changes_2016-09.parquet")
    assert [(r["change"], r["project_id"], ";".join(r["changed_fields"])) for r in table.to_pylist()] == expected
    assert table.schema.field("changed_fields").type == pa.list_(pa.string())
    assert not (out / PROGRESS / "changes" / "changes_2016-08.csv").exists()  # first period: nothing to compare

    dp = json.loads((out / PROGRESS / "datapackage.json").read_text(encoding="utf-8"))
    by_period = {p["period"]: p for p in dp["periods"]}
    assert "changes" not in by_period["2016-08"]
    sep = by_period["2016-09"]["changes"]
    assert {k: sep[k] for k in ("added", "removed", "changed")} == _counts(expected)
    assert sep["previous_period"] == "2016-08"
    assert set(sep["files"]) == {"changes/changes_2016-09.csv", "changes/changes_2016-09.parquet"}
    for res in dp["resources"]:
        if res["period"] == "2016-09":
            assert res["changes"]["added"] == 1 and res["changes"]["removed"] == 1
    assert _catalog_counts(out, PROGRESS, "2016-09") == _counts(expected)


def test_republishing_an_earlier_period_updates_the_next_changelog(project: Path, etl) -> None:
    result = etl("run", str(project / "pipelines/shantytown.yaml"))
    assert result.returncode == 0, result.stderr + result.stdout
    out = project / "output"
    assert _changes_csv(out, "2016-09") == _expected(out, "2016-09", "2016-08")
    assert _changes_csv(out, "2016-10") == _expected(out, "2016-10", "2016-09")
    before_10 = (out / PROGRESS / "changes" / "changes_2016-10.csv").read_bytes()

    # August corrected: CY-PG-2016-001 now reports exactly its September figures
    data = project / "sample_data/shantytown"
    aug_path = data / "棚改进度_2016-08.xlsx"
    aug_wb = openpyxl.load_workbook(aug_path)
    sep = openpyxl.load_workbook(data / "棚改进度_2016-09.xlsx").active
    aug = aug_wb.active
    a, s = _rows_by_id(aug_path)["CY-PG-2016-001"], _rows_by_id(data / "棚改进度_2016-09.xlsx")["CY-PG-2016-001"]
    for col in range(4, aug.max_column + 1):
        aug.cell(a, col).value = sep.cell(s, col).value
    aug_wb.save(aug_path)

    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08")
    assert result.returncode == 0, result.stderr + result.stdout
    expected = _expected(out, "2016-09", "2016-08")
    assert not any(pid == "CY-PG-2016-001" for _, pid, _ in expected)
    assert _changes_csv(out, "2016-09") == expected
    dp = json.loads((out / PROGRESS / "datapackage.json").read_text(encoding="utf-8"))
    sep_changes = next(p for p in dp["periods"] if p["period"] == "2016-09")["changes"]
    assert sep_changes["changed"] == _counts(expected)["changed"]
    assert _catalog_counts(out, PROGRESS, "2016-09") == _counts(expected)
    # 2016-10 against 2016-09 did not change
    assert (out / PROGRESS / "changes" / "changes_2016-10.csv").read_bytes() == before_10
    # nothing half-written is left beside the files
    assert sorted(p.name for p in (out / PROGRESS / "changes").iterdir()) == [
        "changes_2016-09.csv", "changes_2016-09.parquet", "changes_2016-10.csv", "changes_2016-10.parquet",
    ]


def test_changelog_is_repaired_by_etl_catalog(project: Path, etl) -> None:
    """A changelog file lost (say a run killed between files) is rebuilt by the
    next regeneration, because the manifest no longer matches the files."""
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08..2016-09")
    assert result.returncode == 0, result.stderr + result.stdout
    out = project / "output"
    target = out / PROGRESS / "changes" / "changes_2016-09.csv"
    good = target.read_bytes()
    target.unlink()
    result = etl("catalog", str(out))
    assert result.returncode == 0, result.stderr + result.stdout
    assert target.read_bytes() == good


@pytest.mark.parametrize("key", [("period",), ()])
def test_no_changelog_without_an_identifying_key(key: tuple[str, ...]) -> None:
    from gongkai_etl.portal.changelog import has_changelog

    ds = Dataset(id="t", title_zh="t", title_en="t", cadence=Cadence.MONTHLY, primary_key=key, fields=(Field("period", "期间"),))
    assert not has_changelog(ds)


def test_a_changelog_that_cannot_be_computed_does_not_block_publishing(project: Path, etl) -> None:
    """Derived metadata never stops data from being published: the run warns,
    publishes every dataset, and the catalog is still written."""
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08")
    assert result.returncode == 0, result.stderr
    out = project / "output"
    lost = [
        out / "shantytown_project/data/shantytown_project_2016-08.parquet",
        out / "shantytown_project/csv/shantytown_project_2016-08.csv",
        *(out / ".gongkai/versions/shantytown_project/2016-08").rglob("*"),
    ]
    for path in lost:
        if path.is_file():
            path.unlink()
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-09")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "changelog not updated" in result.stderr and "shantytown_project" in result.stderr
    assert (out / "shantytown_progress/changes/changes_2016-09.csv").exists()
    assert not (out / "shantytown_project/changes/changes_2016-09.csv").exists()
    doc = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    periods = {d["gk:period"] for ds in doc["dcat:dataset"] for d in ds["dcat:distribution"]}
    assert periods == {"2016-08", "2016-09"}
    # the explicit command is strict and says why
    result = etl("catalog", str(out))
    assert result.returncode != 0
    assert "shantytown_project" in result.stderr and "Traceback" not in result.stderr
