"""End to end on the shipped shantytown sample: published files read back by
real consumers, rejects, unchanged re-runs, replaced versions, and a run killed
while writing."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gongkai_etl.plugins import load_plugins
import pytest

DATASETS = ["shantytown_project", "shantytown_progress", "shantytown_followup"]


def _snapshot(out: Path) -> dict[str, str]:
    """sha256 of every published file (the .gongkai state folder excluded)."""
    result = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and ".gongkai" not in path.parts:
            result[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


@pytest.fixture
def published(project: Path, etl) -> Path:
    result = etl("run", str(project / "pipelines/shantytown.yaml"))
    assert result.returncode == 0, result.stderr + result.stdout
    return project / "output"


def test_layout_and_types_with_pyarrow(published: Path) -> None:
    for ds in DATASETS:
        for key in ("2016-08", "2016-09", "2016-10"):
            assert (published / ds / "data" / f"{ds}_{key}.parquet").exists()
            assert (published / ds / "csv" / f"{ds}_{key}.csv").exists()
        assert (published / ds / "datapackage.json").exists()
    table = pq.read_table(published / "shantytown_progress/data/shantytown_progress_2016-09.parquet")
    assert table.schema.field("investment_cum").type == pa.decimal128(18, 2)
    assert table.schema.field("signed_households").type == pa.int64()
    assert table.schema.field("report_date").type == pa.date32()
    assert table.schema.field("signed_households").metadata[b"title_zh"] == "累计签约户数".encode()
    meta = pq.read_metadata(published / "shantytown_progress/data/shantytown_progress_2016-09.parquet")
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert table.num_rows == 8


def test_duckdb_reads_the_period_files(published: Path) -> None:
    import duckdb

    glob = str(published / "shantytown_progress/data/*.parquet")
    rows = duckdb.sql(
        f"SELECT period, count(*) AS n, typeof(any_value(investment_cum)) AS t, typeof(any_value(report_date)) AS d "
        f"FROM '{glob}' GROUP BY period ORDER BY period"
    ).fetchall()
    assert [r[0] for r in rows] == ["2016-08", "2016-09", "2016-10"]
    assert [r[1] for r in rows] == [8, 8, 6]  # two planted rows rejected in 2016-10
    assert rows[0][2] == "DECIMAL(18,2)" and rows[0][3] == "DATE"


def test_pandas_reads_parquet_and_csv(published: Path) -> None:
    import pandas as pd

    df = pd.read_parquet(published / "shantytown_project/data/shantytown_project_2016-08.parquet")
    assert str(df["households"].dtype) == "Int64"  # nullable integers stay integers
    assert "酒仙桥地区危旧房改造项目" in set(df["project_name"])
    assert set(df["division_code"]) >= {"110105011000", "110105021000"}  # 酒仙桥, 南磨房
    raw = (published / "shantytown_project/csv/shantytown_project_2016-08.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    csv_df = pd.read_csv(published / "shantytown_project/csv/shantytown_project_2016-08.csv", encoding="utf-8-sig", dtype=str)
    assert list(csv_df.columns) == load_plugins().datasets()["shantytown_project"][1].field_names
    assert csv_df.loc[csv_df.project_id == "CY-PG-2016-001", "households"].item() == "2230"  # "2,230" normalized


def test_datapackage_is_valid_frictionless(published: Path) -> None:
    from frictionless import Package

    for ds in DATASETS:
        path = published / ds / "datapackage.json"
        doc = json.loads(path.read_text(encoding="utf-8"))
        for res in doc["resources"]:
            file = published / ds / res["path"]
            assert res.get("bytes", res.get("file_bytes")) == file.stat().st_size
            assert res["hash"] == "sha256:" + hashlib.sha256(file.read_bytes()).hexdigest()
        # the whole package, Parquet resources included
        assert {r["format"] for r in doc["resources"]} == {"csv", "parquet", "xlsx"}
        report = Package(doc, basepath=str(path.parent)).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


def test_planted_rows_land_in_rejects(published: Path) -> None:
    path = published / ".gongkai/rejects/shantytown_progress/2016-10.csv"
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    by_field = {r["field"]: r for r in rows}
    assert set(by_field) == {"signed_households", "units_started_cum"}
    assert "累计签约户数超过" in by_field["signed_households"]["reason"] and "households" in by_field["signed_households"]["reason"]
    assert by_field["units_started_cum"]["value"] == "待定"
    assert by_field["units_started_cum"]["row"] == "11"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    followup = (published / ".gongkai/rejects/shantytown_followup/2016-10.csv").read_text(encoding="utf-8-sig")
    assert "resettled_households" in followup and "减少" in followup


def test_unchanged_rerun_publishes_nothing(published: Path, project: Path, etl) -> None:
    before = _snapshot(published)
    result = etl("run", str(project / "pipelines/shantytown.yaml"))
    assert result.returncode == 0
    assert "unchanged" in result.stdout and "published v" not in result.stdout
    assert _snapshot(published) == before


def test_changed_input_replaces_period_and_keeps_old_version(published: Path, project: Path, etl) -> None:
    old_csv = (published / "shantytown_progress/csv/shantytown_progress_2016-09.csv").read_bytes()
    import openpyxl

    xlsx = project / "sample_data/shantytown/棚改进度_2016-09.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.active
    ws.cell(4, 6).value = 1  # relocated households of the first project
    wb.save(xlsx)
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-09")
    assert result.returncode == 0, result.stderr
    assert "published v2" in result.stdout
    new_csv = (published / "shantytown_progress/csv/shantytown_progress_2016-09.csv").read_bytes()
    assert new_csv != old_csv
    kept = published / ".gongkai/versions/shantytown_progress/2016-09/v1/csv/shantytown_progress_2016-09.csv"
    assert kept.read_bytes() == old_csv


def test_rejects_over_limit_fail_and_publish_nothing(project: Path, etl) -> None:
    pipeline = project / "pipelines/shantytown.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("max_reject_ratio: 0.2", "max_reject_ratio: 0").replace("\nreject_ratios: {", "\n# reject_ratios: {"), encoding="utf-8")
    result = etl("run", str(pipeline), "--period", "2016-10")
    assert result.returncode == 1
    assert "max_reject_ratio" in result.stderr
    assert not (project / "output/shantytown_progress/data/shantytown_progress_2016-10.parquet").exists()


@pytest.mark.parametrize("point", ["run:after-extract", "publish:after-journal", "publish:between-files", "publish:before-ledger"])
def test_killed_run_leaves_previous_publication_intact(published: Path, project: Path, etl, point: str) -> None:
    """SIGKILL inside the run (failpoints) while replacing 2016-09 with new content."""
    before = _snapshot(published)
    import openpyxl

    xlsx = project / "sample_data/shantytown/棚改进度_2016-09.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    wb.active.cell(4, 6).value = 2
    wb.save(xlsx)
    killed = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-09", env={"GONGKAI_FAILPOINT": point})
    assert killed.returncode == -signal.SIGKILL
    after = _snapshot(published)
    # every file is whole: either byte-identical to before or (after the journal) the complete new file
    changed = {k for k in before if after.get(k) != before[k]}
    if point == "run:after-extract":
        assert after == before
    else:
        assert changed <= {"shantytown_project/csv/shantytown_project_2016-09.csv", "shantytown_progress/csv/shantytown_progress_2016-09.csv",
                           "shantytown_progress/data/shantytown_progress_2016-09.parquet", "shantytown_progress/datapackage.json",
                           "shantytown_progress/xlsx/shantytown_progress_2016-09.xlsx"}
        for rel in changed:
            if rel.endswith(".parquet"):
                pq.read_table(published / rel)  # a whole file, never a partial one
            if rel.endswith(".xlsx"):
                openpyxl.load_workbook(published / rel)  # whole too
    finished = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-09")
    assert finished.returncode == 0, finished.stderr
    doc = json.loads((published / "shantytown_progress/datapackage.json").read_text(encoding="utf-8"))
    for res in doc["resources"]:
        data = (published / "shantytown_progress" / res["path"]).read_bytes()
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_sigkill_while_writing_by_time(published: Path, project: Path) -> None:
    """A real SIGKILL from outside at increasing delays, never at a failpoint."""
    before = _snapshot(published)
    env = {**os.environ, "GONGKAI_SALT": "x"}
    cmd = [sys.executable, "-m", "gongkai_etl", "-q", "run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08..2016-10"]
    for delay in (0.3, 0.6, 0.9, 1.2):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _snapshot(published) == before  # same content: an unchanged run never rewrites


def test_a_file_the_new_version_no_longer_has_is_removed(project: Path, etl) -> None:
    """A format dropped (or the Parquet layout before one file per period): the old
    file must go, or a reader of the folder would count the period twice."""
    pipeline = project / "pipelines/shantytown.yaml"
    assert etl("run", str(pipeline), "--period", "2016-09").returncode == 0
    out = project / "output/shantytown_progress"
    xlsx = out / "xlsx/shantytown_progress_2016-09.xlsx"
    assert xlsx.exists()
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text(text.replace("formats: [parquet, csv, xlsx]", "formats: [parquet, csv]"), encoding="utf-8")
    result = etl("run", str(pipeline), "--period", "2016-09")
    assert result.returncode == 0, result.stderr
    assert "v2" in result.stdout  # the file set changed, so this is a new version
    assert not xlsx.exists() and not xlsx.parent.exists()
    doc = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert not [r for r in doc["resources"] if r["format"] == "xlsx" and r["period"] == "2016-09"]
