"""``etl inspect``: a department's workbook as the engine reads it, and an
``inputs:`` block that, pasted into a pipeline, publishes with no further edit."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font
from support import read_published_rows, read_rejects, run_etl

DATASET = """\
dataset: key_projects
title: {zh: 重点项目投资完成情况, en: Investment in key projects}
description: {zh: 重点项目每月投资完成情况。, en: Monthly investment in key projects.}
publisher: 北京市朝阳区发展和改革委员会 (Chaoyang District Development and Reform Commission)
domain: 重大建设项目 major construction projects
cadence: monthly
deadline: 期末后10个工作日内
primary_key: [period, project]
fields:
  - name: period
  - name: project
    title: {zh: 项目名称, en: project}
    required: true
  - name: street
    title: {zh: 街乡, en: street or area}
    required: true
  - name: planned
    title: {zh: 计划总投资, en: planned investment}
    type: decimal(14,2)
    unit: 万元
    required: true
  - name: done
    title: {zh: 本月完成投资, en: invested this month}
    type: decimal(14,2)
    unit: 万元
    required: true
"""

SKELETON = """\
pipeline: key_projects
source: {plugin: declared}
dataset_files: [datasets/*.yaml]
output: {dir: out}
"""


def _department_workbook(path: Path) -> None:
    """A hidden notes sheet first; then a title, a 单位 line, a header whose
    投资情况 is merged over two columns above 计划总投资（亿元）and 本月完成（元）, the
    序号/项目名称/街乡 cells merged down over both header rows, and a 合计 row."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["本表由各街乡填报，每月5日前报送。"])
    notes.sheet_state = "hidden"
    ws = wb.create_sheet("2016年9月")
    ws.append(["朝阳区重点项目投资完成情况表（2016年9月）"])
    ws.merge_cells("A1:E1")
    ws["A1"].font = Font(bold=True)
    ws.append(["填报单位：朝阳区发展改革委"])
    ws.append(["序号", "项目名称", "街乡", "投资情况", None])
    ws.append([None, None, None, "计划总投资（亿元）", "本月完成（元）"])
    for col in "ABC":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("D3:E3")
    rows = [
        (1, "CBD核心区地下公共空间", "建外街道", 1.25, 3200000),
        (2, "东坝北西区棚户区改造", "东坝地区", 0.8, 1500000),
        (3, "望京东园配套学校", "望京街道", 0.325, 480000),
    ]
    for row in rows:
        ws.append(list(row))
    ws.append(["合计", None, None, 2.375, 5180000])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


@pytest.fixture()
def onboarding(tmp_path: Path) -> Path:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "key_projects.yaml").write_text(DATASET, encoding="utf-8")
    (tmp_path / "key_projects.yaml").write_text(SKELETON, encoding="utf-8")
    _department_workbook(tmp_path / "raw" / "重点项目_2016-09.xlsx")
    return tmp_path


def test_inspect_shows_the_sheets_the_header_and_why_and_each_column(onboarding: Path) -> None:
    result = run_etl("inspect", str(onboarding / "raw" / "重点项目_2016-09.xlsx"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "填表说明  (隐藏 hidden)" in out and "2016年9月  <- 读取 read" in out
    assert "rows 3-4, 2 行表头 header rows" in out
    assert "朝阳区重点项目投资完成情况表（2016年9月）" in out and "填报单位：朝阳区发展改革委" in out  # title rows skipped
    assert "excluded row 8: 合计/小计行 (total row)" in out
    assert "数据行 data rows: 3" in out
    line = next(ln for ln in out.splitlines() if "计划总投资（亿元）" in ln)
    assert "decimal" in line and "单位 unit 亿元" in line and "1.25" in line
    assert "integer" in next(ln for ln in out.splitlines() if ln.strip().startswith("序号"))


def test_the_proposed_block_pasted_into_a_pipeline_publishes_with_no_edit(onboarding: Path) -> None:
    pipeline = onboarding / "key_projects.yaml"
    result = run_etl("inspect", str(onboarding / "raw" / "重点项目_2016-09.xlsx"), "--dataset", "key_projects", "--pipeline", str(pipeline))
    assert result.returncode == 0, result.stderr
    block = result.stdout[result.stdout.index("\ninputs:\n") + 1 :]
    assert 'path: "raw/重点项目_{period}.xlsx"' in block  # the period in the name a placeholder
    assert "units:" in block and "planned: 亿元" in block and "done: 元" in block
    pipeline.write_text(pipeline.read_text(encoding="utf-8") + block, encoding="utf-8")
    run = run_etl("run", str(pipeline), "--period", "2016-09", "--as-of", "2016-10-20")
    assert run.returncode == 0, block + run.stdout + run.stderr
    rows = {r["project"]: (r["street"], str(r["planned"]), str(r["done"])) for r in read_published_rows(onboarding / "out", "key_projects", "2016-09")}
    assert rows == {
        "CBD核心区地下公共空间": ("建外街道", "12500.00", "320.00"),  # 1.25 亿元, 3,200,000 元, in 万元
        "东坝北西区棚户区改造": ("东坝地区", "8000.00", "150.00"),
        "望京东园配套学校": ("望京街道", "3250.00", "48.00"),
    }
    assert read_rejects(onboarding / "out", "key_projects", "2016-09") == []


def test_an_unknown_dataset_is_named_with_the_nearest(onboarding: Path) -> None:
    result = run_etl("inspect", str(onboarding / "raw" / "重点项目_2016-09.xlsx"), "--dataset", "key_project", "--pipeline", str(onboarding / "key_projects.yaml"))
    assert result.returncode == 2
    assert "key_project" in result.stderr and "did you mean 'key_projects'" in result.stderr
