"""三公 metadata (unit code, unit name, 预算/决算) that is not in the title rows or
the file name: taken from columns of the file or from the pipeline's ``fixed:``;
missing everywhere, the reject says where it can come from; the file-name
pattern is a source option (issue 16 item 4). Hand-made workbooks only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
from support import read_published_rows, read_rejects, run_etl

HEADER = ["科目编码", "项目", "本年预算数", "上年预算数"]
ITEMS = [["30212", "因公出国（境）费", 10, 8], ["30217", "公务接待费", 5, 6]]


def _workbook(path: Path, extra_header: Sequence[str] = (), extra: Sequence[str] = ()) -> None:
    """A bare table: a header row and item rows, no title block; nothing in its name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([*HEADER, *extra_header])
    for row in ITEMS:
        ws.append([*row, *extra])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _pipeline(root: Path, submissions: str, options: str = "") -> Path:
    file = root / "pe.yaml"
    file.write_text(
        "pipeline: pe_meta\nsource:\n  plugin: public_expenditure\n  options:\n    check_prior_year: false\n"
        f"{options}inputs:\n  submissions:\n    path: data/*.xlsx\n    options: {{totals: 'off'}}\n{submissions}"
        "datasets: [pe_sangong, pe_sangong_stats]\nperiods: 2016\nmax_reject_ratio: 1.0\n"
        "output:\n  dir: out\n  formats: [parquet]\n",
        encoding="utf-8",
    )
    return file


def _published(root: Path) -> list[dict]:
    return read_published_rows(root / "out", "pe_sangong", "2016")


def test_metadata_from_columns_publishes(tmp_path: Path) -> None:
    _workbook(tmp_path / "data" / "sheet1.xlsx", ["单位代码", "单位名称", "预决算"], ["108001", "区教委", "预算"])
    result = run_etl("run", str(_pipeline(tmp_path, "")))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _published(tmp_path)
    assert {(r["dept_code"], r["dept_name"], r["version"]) for r in rows} == {("108001", "区教委", "预算")}
    assert len(rows) == 2


def test_metadata_from_fixed_publishes(tmp_path: Path) -> None:
    _workbook(tmp_path / "data" / "sheet1.xlsx")
    fixed = "    fixed: {dept_code: '108002', dept_name: 区卫健委, version: 决算}\n"
    result = run_etl("run", str(_pipeline(tmp_path, fixed)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {(r["dept_code"], r["dept_name"], r["version"]) for r in _published(tmp_path)} == {("108002", "区卫健委", "决算")}


def test_a_file_name_pattern_from_the_pipeline(tmp_path: Path) -> None:
    _workbook(tmp_path / "data" / "预算-区文旅局-code108003.xlsx")
    pattern = "    file_name_pattern: '^(?P<version>预算|决算)-(?P<name>[^-]+)-code(?P<code>\\d+)$'\n"
    result = run_etl("run", str(_pipeline(tmp_path, "", pattern)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {(r["dept_code"], r["dept_name"], r["version"]) for r in _published(tmp_path)} == {("108003", "区文旅局", "预算")}


def test_missing_metadata_reject_says_where_it_can_come_from(tmp_path: Path) -> None:
    _workbook(tmp_path / "data" / "sheet1.xlsx")
    run_etl("run", str(_pipeline(tmp_path, "")))
    reasons = {r["field"]: r["reason"] for r in read_rejects(tmp_path / "out", "pe_sangong", "2016")}
    assert "dept_code" in reasons, reasons
    for where in ("source.options.file_name_pattern", "inputs.<input>.columns.dept_code", "fixed.dept_code"):
        assert where in reasons["dept_code"]


def test_file_name_pattern_is_checked_as_a_regex(tmp_path: Path) -> None:
    _workbook(tmp_path / "data" / "sheet1.xlsx")
    result = run_etl("validate", str(_pipeline(tmp_path, "", "    file_name_pattern: '(?P<code'\n")))
    assert result.returncode == 2 and "file_name_pattern" in result.stderr and "regular expression" in result.stderr
