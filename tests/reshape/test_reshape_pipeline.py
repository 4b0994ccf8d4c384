"""Reshape steps end to end: files shaped as departments and research archives keep
them, a dataset declared in YAML in a temporary folder, ``etl run``, the Parquet
read back. The declared source reads through the engine's public API, so these
also show that every source gets the steps."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from support import read_published_rows, read_rejects, run_etl

HOURLY_DATASET = """\
dataset: station_pm25
title: {zh: 站点PM2.5小时浓度, en: Station hourly PM2.5}
description: {zh: 监测站点逐时PM2.5浓度。, en: Hourly PM2.5 by station.}
publisher: 北京市朝阳区环境保护局 (Chaoyang District Environmental Protection Bureau)
domain: 环境 environment
cadence: monthly
deadline: 期末后10个工作日内
primary_key: [station, measured_at]
fields:
  - name: period
  - name: station
    title: {zh: 站点, en: station}
    required: true
  - name: measured_at
    title: {zh: 监测时间, en: hour ending}
    type: datetime
    required: true
  - name: pm2_5
    title: {zh: PM2.5, en: PM2.5}
    type: decimal(8,1)
    unit: μg/m³
    minimum: 0
"""

HOURLY_PIPELINE = """\
pipeline: pm25
source: {plugin: declared}
dataset_files: [datasets/*.yaml]
inputs:
  station_pm25:
    path: raw/PRSA_Data_Nongzhanguan.csv
    fixed: {station: 农展馆}
    reshape:
      - {combine: {into: 监测时间, columns: [year, month, day, hour], as: datetime, hour: beginning}}
      - {select_period: {column: 监测时间, format: auto}}
output: {dir: out}
"""


def _hourly_csv(path: Path, first: datetime, hours: int) -> None:
    """One station, several years, hour-beginning 0-23 in four columns, NA for missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["No", "year", "month", "day", "hour", "PM2.5", "station"])
        for i in range(hours):
            t = first + timedelta(hours=i)
            value = "NA" if i % 97 == 5 else f"{(i * 7) % 300 + 0.5:.1f}"
            out.writerow([i + 1, t.year, t.month, t.day, t.hour, value, "Nongzhanguan"])


@pytest.fixture()
def hourly(tmp_path: Path) -> Path:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "station_pm25.yaml").write_text(HOURLY_DATASET, encoding="utf-8")
    (tmp_path / "pm25.yaml").write_text(HOURLY_PIPELINE, encoding="utf-8")
    _hourly_csv(tmp_path / "raw" / "PRSA_Data_Nongzhanguan.csv", datetime(2015, 1, 1), 2 * 8760 + 24)
    return tmp_path


def _published(root: Path, period: str) -> list[dict]:
    return read_published_rows(root / "out", "station_pm25", period)


@pytest.mark.parametrize("batch_rows", [None, 1000], ids=["held-whole", "streamed"])
def test_one_month_of_a_multi_year_hourly_file_with_hour_beginning_timestamps(hourly: Path, batch_rows: int | None) -> None:
    if batch_rows:  # the CSV then comes in ~10 batches: the Arrow kernels, not petl
        pipeline = hourly / "pm25.yaml"
        pipeline.write_text(pipeline.read_text(encoding="utf-8") + f"batch_rows: {batch_rows}\n", encoding="utf-8")
    result = run_etl("run", str(hourly / "pm25.yaml"), "--period", "2016-02", "--as-of", "2016-03-20")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _published(hourly, "2016-02")
    assert len(rows) == 29 * 24  # a leap February; no other month's row published ...
    assert read_rejects(hourly / "out", "station_pm25", "2016-02") == []  # ... nor rejected
    times = sorted(r["measured_at"] for r in rows)
    # hour 0 beginning is the hour ending 01:00; hour 23 of the 29th ends at 24:00, i.e. 03-01 00:00
    assert times[0] == datetime(2016, 2, 1, 1) and times[-1] == datetime(2016, 3, 1, 0)
    first = next(r for r in rows if r["measured_at"] == datetime(2016, 2, 1, 1))
    hours_before = (datetime(2016, 2, 1) - datetime(2015, 1, 1)) // timedelta(hours=1)
    assert str(first["pm2_5"]) == f"{(hours_before * 7) % 300 + 0.5:.1f}"
    assert sum(r["pm2_5"] is None for r in rows) > 0  # NA is missing, not a reject


def test_both_paths_publish_the_same_bytes(hourly: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert run_etl("run", str(hourly / "pm25.yaml"), "--period", "2015-12", "--as-of", "2016-03-20").returncode == 0
    held = pq.read_table(hourly / "out" / "station_pm25" / "data" / "station_pm25_2015-12.parquet")
    pipeline = hourly / "pm25.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("dir: out", "dir: out2") + "batch_rows: 500\n", encoding="utf-8")
    assert run_etl("run", str(pipeline), "--period", "2015-12", "--as-of", "2016-03-20").returncode == 0
    streamed = pq.read_table(hourly / "out2" / "station_pm25" / "data" / "station_pm25_2015-12.parquet")
    assert streamed.num_rows == 31 * 24 and streamed.equals(held)


def test_a_step_that_cannot_stream_names_itself_and_the_input(hourly: Path) -> None:
    pipeline = hourly / "pm25.yaml"
    text = pipeline.read_text(encoding="utf-8").replace("    reshape:\n", "    reshape:\n      - {fill_down: [station]}\n")
    pipeline.write_text(text + "batch_rows: 1000\n", encoding="utf-8")
    result = run_etl("run", str(pipeline), "--period", "2016-02", "--as-of", "2016-03-20")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "inputs.station_pm25.reshape[0] (fill_down)" in result.stderr
    assert "needs the whole table" in result.stderr and "PRSA_Data_Nongzhanguan.csv" in result.stderr
    assert not (hourly / "out" / "station_pm25" / "data").exists()


def test_a_month_the_file_does_not_hold_is_an_error_not_an_empty_period(hourly: Path) -> None:
    result = run_etl("run", str(hourly / "pm25.yaml"), "--period", "2018-05", "--as-of", "2018-06-20")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no rows left after the reshape steps" in result.stderr and "select_period" in result.stderr


WORKS_DATASET = """\
dataset: street_works
title: {zh: 街乡改造项目月度投资, en: Monthly investment in street renewal projects}
description: {zh: 各项目每月完成投资。, en: Investment completed per project and month.}
publisher: 北京市朝阳区住房和城乡建设委员会 (Chaoyang District Housing and Construction Commission)
domain: 城市建设 urban development
cadence: monthly
deadline: 期末后10个工作日内
primary_key: [period, project]
fields:
  - name: period
  - name: street
    title: {zh: 街乡, en: street or area}
    required: true
  - name: project
    title: {zh: 项目名称, en: project}
    required: true
  - name: category
    title: {zh: 类别, en: category}
    required: true
    enum: [城中村, 棚户区]
  - name: invested
    title: {zh: 完成投资, en: investment completed}
    type: decimal(12,2)
    unit: 万元
    required: true
"""

WORKS_PIPELINE = """\
pipeline: works
source: {plugin: declared}
dataset_files: [datasets/*.yaml]
inputs:
  street_works:
    path: raw/改造项目投资台账.xlsx
    reshape:
      - {fill_down: [街乡]}
      - {unpivot: {keep: [年度, 街乡, 项目名称, 类别], columns: 1月..12月, name: 月份, value: 完成投资}}
      - {drop_rows: {where: {column: 完成投资, empty: true}}}
      - {drop_rows: {where: {column: 类别, equals: 已撤销}}}
      - {map_values: {column: 类别, values: {城中村改造: 城中村, 棚改: 棚户区}}}
      - {combine: {into: 年月, columns: [年度, 月份], as: text, sep: '-'}}
      - {select_period: {column: 年月}}
output: {dir: out}
"""


def _works_workbook(path: Path) -> None:
    """A wide yearly sheet: a project per row, months across; the street written once
    for the projects below it (left blank, as an export of merged cells does)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2016年街乡改造项目投资完成情况（万元）"])
    ws.append(["年度", "街乡", "项目名称", "类别", *[f"{m}月" for m in range(1, 13)]])
    ws.append([2016, "南磨房地区", "双井村改造", "城中村改造", 120, 80.5, None, *[10] * 9])
    ws.append([2016, None, "百子湾棚改", "棚改", 300, None, 45, *[None] * 9])
    ws.append([2016, "将台地区", "驼房营村改造", "城中村改造", 60, 70, 75, *[None] * 9])
    ws.append([2016, None, "旧项目", "已撤销", 1, 1, 1, *[1] * 9])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


@pytest.fixture()
def works(tmp_path: Path) -> Path:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "street_works.yaml").write_text(WORKS_DATASET, encoding="utf-8")
    (tmp_path / "works.yaml").write_text(WORKS_PIPELINE, encoding="utf-8")
    _works_workbook(tmp_path / "raw" / "改造项目投资台账.xlsx")
    return tmp_path


def test_a_wide_sheet_with_blank_merged_cells_unpivots_into_one_row_per_project_and_month(works: Path) -> None:
    result = run_etl("run", str(works / "works.yaml"), "--period", "2016-02..2016-03", "--as-of", "2016-04-20")
    assert result.returncode == 0, result.stdout + result.stderr
    feb = {r["project"]: (r["street"], r["category"], str(r["invested"])) for r in read_published_rows(works / "out", "street_works", "2016-02")}
    assert feb == {"双井村改造": ("南磨房地区", "城中村", "80.50"), "驼房营村改造": ("将台地区", "城中村", "70.00")}
    mar = {r["project"]: (r["street"], r["category"], str(r["invested"])) for r in read_published_rows(works / "out", "street_works", "2016-03")}
    # 百子湾棚改 takes 南磨房地区 from the row above; its blank February is no row at all
    assert mar == {"百子湾棚改": ("南磨房地区", "棚户区", "45.00"), "驼房营村改造": ("将台地区", "城中村", "75.00")}
    assert read_rejects(works / "out", "street_works", "2016-03") == []


def test_a_step_naming_a_column_the_file_lacks_says_which_it_has(works: Path) -> None:
    pipeline = works / "works.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("{fill_down: [街乡]}", "{fill_down: [街乡名]}"), encoding="utf-8")
    result = run_etl("run", str(pipeline), "--period", "2016-02", "--as-of", "2016-04-20")
    assert result.returncode == 2
    assert "inputs.street_works.reshape[0] (fill_down)" in result.stderr and "'街乡名'" in result.stderr
    assert "did you mean '街乡'" in result.stderr


def test_a_python_source_gets_the_steps_too(project: Path) -> None:
    """The air-quality plugin reads its inputs through the engine: a station's
    multi-year research-archive CSV (year, month, day, hour 0-23, NA) feeds it
    with two reshape steps and no preprocessing script."""
    archive = project / "sample_data" / "air_quality" / "PRSA_Data_Aotizhongxin.csv"
    with open(archive, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["No", "year", "month", "day", "hour", "SO2", "NO2", "PM10", "PM2.5", "CO", "O3", "station"])
        t, i = datetime(2016, 7, 1), 0
        while t < datetime(2016, 11, 1):
            pm25 = "NA" if i % 50 == 7 else str(20 + i % 90)
            out.writerow([i + 1, t.year, t.month, t.day, t.hour, 5 + i % 7, 30 + i % 40, 60 + i % 80, pm25, "0.9", 40 + i % 60, "Aotizhongxin"])
            t, i = t + timedelta(hours=1), i + 1
    pipeline = project / "pipelines" / "air_quality.yaml"
    text = pipeline.read_text(encoding="utf-8")
    old = (
        "    path: ../sample_data/air_quality/奥体中心_{yyyymm}.csv     # GBK, CO in μg/m³\n"
        "    fixed: {station: 奥体中心, street: 亚运村街道}\n"
        "    units: {co: μg/m³}\n"
    )
    assert old in text
    pipeline.write_text(text.replace(old, (
        "    path: ../sample_data/air_quality/PRSA_Data_Aotizhongxin.csv\n"
        "    fixed: {station: 奥体中心, street: 亚运村街道}\n"
        "    reshape:\n"
        "      - {combine: {into: 监测时间, columns: [year, month, day, hour], as: datetime, hour: beginning}}\n"
        "      - {select_period: {column: 监测时间}}\n"
    )), encoding="utf-8")
    result = run_etl("run", str(pipeline), "--period", "2016-09", "--as-of", "2016-10-20")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [r for r in read_published_rows(project / "output", "aq_station_hourly", "2016-09") if r["station"] == "奥体中心"]
    assert len(rows) == 30 * 24
    times = sorted(r["time"] for r in rows)
    assert times[0] == datetime(2016, 9, 1, 1) and times[-1] == datetime(2016, 10, 1, 0)
    rejects = read_rejects(project / "output", "aq_station_hourly", "2016-09")
    assert not [r for r in rejects if "PRSA_Data_Aotizhongxin" in r["file"]]


def test_inspect_proposes_the_timestamp_steps_for_a_research_archive(hourly: Path) -> None:
    """The pipeline's inputs block, as inspect writes it for the multi-year file, publishes."""
    pipeline = hourly / "pm25.yaml"
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text(text[: text.index("inputs:")] + "output: {dir: out}\n", encoding="utf-8")
    shown = run_etl("inspect", str(hourly / "raw" / "PRSA_Data_Nongzhanguan.csv"), "--dataset", "station_pm25", "--pipeline", str(pipeline))
    assert shown.returncode == 0, shown.stderr
    block = shown.stdout[shown.stdout.index("\ninputs:\n") + 1 :]
    assert "{combine: {into: 监测时间, columns: [year, month, day, hour], as: datetime, hour: beginning}}" in block
    assert "{select_period: {column: 监测时间}}" in block
    assert "请核对" not in block  # every column found: nothing left to check
    block += "    fixed: {station: 农展馆}\n"  # the file names it Nongzhanguan; the district's name wins
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + block, encoding="utf-8")
    result = run_etl("run", str(pipeline), "--period", "2016-02", "--as-of", "2016-03-20")
    assert result.returncode == 0, block + result.stdout + result.stderr
    assert len(_published(hourly, "2016-02")) == 29 * 24
