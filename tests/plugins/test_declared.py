"""Datasets declared in YAML, fed by the built-in ``declared`` source.

A data officer's path: write a dataset file and a pipeline into a folder (no
Python), run ``etl run``, and read what was published with DuckDB; a shipped
domain (shantytown) declared in YAML only publishes the bytes its Python plugin did.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from support import REPO, copy_project, read_rejects, run_etl

DATASET_YAML = """\
dataset: street_lamps
title: {zh: 路灯维修记录, en: Street lamp repairs}
description: {zh: 各街乡路灯报修与维修完成情况。, en: Street lamp repair requests and completions by street.}
publisher: 北京市朝阳区城市管理委员会 (Chaoyang District City Management Commission)
domain: 市政设施 municipal facilities
keywords: [路灯, 维修]
cadence: monthly
deadline: 期末后10个工作日内
primary_key: [period, ticket_no]
headline: {field: cost, agg: sum}
fields:
  - name: period
  - name: ticket_no
    title: {zh: 工单编号, en: ticket number}
    required: true
    pattern: 'LD\\d{6}'
    columns: [工单号, 工单编号]
  - name: street
    title: {zh: 街乡, en: street or area}
    required: true
    check: division_code
  - name: division_code
    derive: {division_code_of: street}
  - name: reported
    title: {zh: 报修日期, en: reported on}
    type: date
    required: true
  - name: repaired
    title: {zh: 修复日期, en: repaired on}
    type: date
  - name: lamps
    title: {zh: 灯数, en: lamps}
    type: integer
    unit: 盏
    minimum: 1
  - name: cost
    title: {zh: 维修费用, en: repair cost}
    type: decimal(12,2)
    unit: 元
    minimum: 0
    columns: [费用(元), 维修费用]
  - name: contractor_phone
    title: {zh: 维修单位电话, en: contractor phone}
checks:
  - {rule: not_before, field: repaired, other: reported}
  - {rule: not_future, field: reported}
privacy:
  mask: {contractor_phone: phone}
"""

PIPELINE_YAML = """\
pipeline: lamps
title: 路灯维修 / street lamps
source: {plugin: declared}
dataset_files: [datasets/*.yaml]
inputs:
  street_lamps:
    path: raw/路灯维修_{period}.xlsx
periods: 2016-09
output:
  dir: out
max_reject_ratio: 0.5
"""

ROWS = [
    # 工单号, 街乡, 报修日期, 修复日期, 灯数, 费用(元), 维修单位电话
    ("LD000001", "建外街道", "2016-09-01", "2016-09-03", 2, "1,200.50", "13800138000"),
    ("LD000002", "将台地区", "2016-09-05", "", 1, "300", ""),
    ("LD000003", "麦子店", "2016-09-06", "2016-09-02", 1, "80", ""),  # repaired before reported
    ("LD000004", "不存在街道", "2016-09-07", "2016-09-08", 1, "90", ""),  # not a Chaoyang street
]


def _workbook(path: Path, rows: list[tuple]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["朝阳区路灯维修记录（2016年9月）"])  # a title row, as departments send
    ws.append(["工单号", "街乡", "报修日期", "修复日期", "灯数", "费用(元)", "维修单位电话"])
    for row in rows:
        ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


@pytest.fixture()
def lamps(tmp_path: Path) -> Path:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "street_lamps.yaml").write_text(DATASET_YAML, encoding="utf-8")
    (tmp_path / "lamps.yaml").write_text(PIPELINE_YAML, encoding="utf-8")
    _workbook(tmp_path / "raw" / "路灯维修_2016-09.xlsx", ROWS)
    return tmp_path


def test_a_dataset_written_in_yaml_publishes_with_its_declared_types(lamps: Path) -> None:
    result = run_etl("run", str(lamps / "lamps.yaml"), "--as-of", "2016-10-20")
    assert result.returncode == 0, result.stdout + result.stderr
    data = str(lamps / "out" / "street_lamps" / "data" / "**" / "*.parquet")
    con = duckdb.connect()
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{data}', hive_partitioning=false)").fetchall()}
    assert types["reported"] == "DATE"
    assert types["lamps"] == "BIGINT"
    assert types["cost"] == "DECIMAL(12,2)"
    rows = con.execute(f"SELECT ticket_no, division_code, cost, contractor_phone FROM read_parquet('{data}', hive_partitioning=false) ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == ["LD000001", "LD000002"]
    assert rows[0][1] == "110105001000"  # derived from 建外街道
    assert str(rows[0][2]) == "1200.50"
    assert rows[0][3] != "13800138000" and rows[0][3].startswith("138")  # masked by the privacy policy
    rejects = {r["row"]: r for r in read_rejects(lamps / "out", "street_lamps", "2016-09")}
    assert rejects["5"]["field"] == "repaired" and "reported" in rejects["5"]["reason"]
    assert rejects["6"]["field"] == "street" and "朝阳区" in rejects["6"]["reason"]
    package = json.loads((lamps / "out" / "street_lamps" / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == "路灯维修记录" and package["title_en"] == "Street lamp repairs"


def test_commands_see_a_declared_dataset_like_a_python_one(lamps: Path) -> None:
    assert run_etl("run", str(lamps / "lamps.yaml"), "--as-of", "2016-10-20").returncode == 0
    schema = run_etl("schema", "street_lamps", "--pipeline", str(lamps / "lamps.yaml"))
    assert schema.returncode == 0, schema.stderr
    assert "not_before: repaired >= reported" in schema.stdout
    assert "check division_code" in schema.stdout
    listed = run_etl("datasets", "--pipeline", str(lamps / "lamps.yaml"))
    assert "street_lamps" in listed.stdout and "declared" in listed.stdout
    validate = run_etl("validate", str(lamps / "lamps.yaml"))
    assert validate.returncode == 0, validate.stdout + validate.stderr
    status = run_etl("status", str(lamps / "lamps.yaml"), "--as-of", "2016-10-20")
    assert "street_lamps" in status.stdout, status.stdout + status.stderr
    catalog = json.loads((lamps / "out" / "catalog.json").read_text(encoding="utf-8"))
    assert "street_lamps" in json.dumps(catalog, ensure_ascii=False)


def test_inline_define_in_the_pipeline_works_too(tmp_path: Path) -> None:
    body = "\n".join("    " + line for line in DATASET_YAML.splitlines())
    pipeline = PIPELINE_YAML.replace("dataset_files: [datasets/*.yaml]\n", "define:\n  -\n" + body + "\n")
    (tmp_path / "lamps.yaml").write_text(pipeline, encoding="utf-8")
    _workbook(tmp_path / "raw" / "路灯维修_2016-09.xlsx", ROWS[:2])
    result = run_etl("run", str(tmp_path / "lamps.yaml"), "--as-of", "2016-10-20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "street_lamps" / "csv").is_dir()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("cadence: monthly", "cadence: montly"), "cadence: expected one of monthly"),
        (("    type: integer", "    tpye: integer"), "fields[6].tpye: 未知的键 (unknown key); did you mean 'type'?"),
        (("  - {rule: not_future, field: reported}", "  - {rule: not_futur, field: reported}"), "checks[1].rule: 未知的规则"),
        (("    check: division_code", "    check: divison_code"), "did you mean 'division_code'?"),
        (("  - {rule: not_before, field: repaired, other: reported}", "  - {rule: not_before, field: repaird, other: reported}"), "repaird"),
        (("title: {zh: 路灯维修记录, en: Street lamp repairs}", "title: 路灯维修记录"), "title: expected {zh: 中文, en: English}"),
    ],
)
def test_a_malformed_dataset_file_gets_a_one_line_error(lamps: Path, change: tuple[str, str], expected: str) -> None:
    path = lamps / "datasets" / "street_lamps.yaml"
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    result = run_etl("validate", str(lamps / "lamps.yaml"))
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "Traceback" not in message
    assert expected in message, message
    assert "street_lamps.yaml" in message


def test_the_shantytown_domain_in_yaml_publishes_the_python_plugins_bytes(tmp_path: Path) -> None:
    """The hashes were taken from the Python plugin's output (the plugin was removed
    in the same change, after scripts/compare_published.py showed every published
    file identical). If a deliberate format change alters these bytes, re-take them
    from a run of the release before it and say so in the commit."""
    root = copy_project(tmp_path)
    result = run_etl("run", str(root / "pipelines" / "shantytown.yaml"), "--as-of", "2017-01-20", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = json.loads((REPO / "tests" / "plugins" / "shantytown_python_hashes.json").read_text())
    out = root / "output"
    got = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.relative_to(out).parts[0].startswith("shantytown") and p.suffix in (".csv", ".parquet")
    }
    assert got == expected


def test_shipped_declared_datasets_are_listed() -> None:
    result = run_etl("datasets")
    assert result.returncode == 0
    for ds_id in ("shantytown_project", "shantytown_progress", "shantytown_followup"):
        assert ds_id in result.stdout


def test_a_pipeline_may_not_redeclare_a_registered_dataset(lamps: Path) -> None:
    path = lamps / "datasets" / "street_lamps.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("dataset: street_lamps", "dataset: shantytown_project"), encoding="utf-8")
    pipeline = lamps / "lamps.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("street_lamps:", "shantytown_project:"), encoding="utf-8")
    result = run_etl("validate", str(pipeline))
    assert result.returncode == 2
    assert "already declared" in result.stderr
