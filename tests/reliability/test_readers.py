"""Reader robustness that the corpus does not reach through a pipeline: late non-ASCII
bytes, totals across streaming batches, title/unit rows, explicit header depth,
footnotes, and ``allow_empty`` end to end."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
import yaml
from reliability_helpers import published_files, run_etl

from gongkai_etl.errors import DataError, InputError
from gongkai_etl.extract.csv_reader import CsvReader, detect_encoding
from gongkai_etl.extract.excel_reader import ExcelReader


def _csv(path: Path, rows: list[list[str]], encoding: str = "gbk") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_gbk_after_a_long_ascii_head(tmp_path: Path) -> None:
    rows = [["id", "name", "n"]] + [[f"A{i:07d}", "ascii", str(i)] for i in range(80_000)] + [["B1", "垡头街道", "1"]]
    path = _csv(tmp_path / "late.csv", rows)
    assert path.stat().st_size > (1 << 20)  # the first MiB is pure ASCII
    assert detect_encoding(path) == "gb18030"
    table = CsvReader().read(str(path), {"batch_rows": 5000}, expected=["id", "name"]).to_table()
    assert table.column("name")[-1].as_py() == "垡头街道"
    assert table.column("_row")[-1].as_py() == len(rows)


def test_a_cell_over_128_kib_near_the_top_is_read(tmp_path: Path) -> None:
    """Issue 17 case 1: Python's csv module refused a field over 131,072 characters
    with a traceback (the reader looks at the head with it)."""
    note = "长" * 140_000
    rows = [["编号", "名称", "备注"], ["1", "朝阳", note], ["2", "双井", ""]]
    path = _csv(tmp_path / "long.csv", rows)
    table = CsvReader().read(str(path), {}, expected=["编号", "名称"]).to_table()
    assert table.column("备注").to_pylist() == [note, ""]


def test_undecodable_byte_late_in_a_big_file(tmp_path: Path) -> None:
    rows = [["编号", "名称"]] + [[str(i), "朝阳"] for i in range(120_000)]
    path = _csv(tmp_path / "bad.csv", rows)
    data = bytearray(path.read_bytes())
    line_start = data.index(b"\n100000,") + 1
    data[line_start + 7] = 0xFF  # inside the name cell of line 100,002
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as err:
        CsvReader().read(str(path), {}, expected=["编号", "名称"]).to_table()
    assert f"byte offset {line_start + 7}" in str(err.value) and "line 100002" in str(err.value)


def test_totals_are_summed_across_streamed_batches(tmp_path: Path) -> None:
    rows = [["区域", "户数", "金额(万元)"]]
    for i in range(1, 3001):
        rows.append([f"第{i}组", str(i), f"{i / 100:.2f}"])
        if i % 1000 == 0:
            rows.append(["小计", str(sum(range(i - 999, i + 1))), f"{sum(range(i - 999, i + 1)) / 100:.2f}"])
    rows.append(["合计", f"{sum(range(1, 3001)):,}", f"{sum(range(1, 3001)) / 100:.2f}"])
    path = _csv(tmp_path / "t.csv", rows, "utf-8")
    raw = CsvReader().read(str(path), {"batch_rows": 100, "block_size": 4096, "totals": "check"}, expected=["区域", "户数"])
    table = raw.to_table()
    assert table.num_rows == 3000
    assert [r for r, _ in raw.excluded] == [1002, 2003, 3004, 3005]
    rows[-1][1] = str(sum(range(1, 3001)) + 1)
    _csv(path, rows, "utf-8")
    raw = CsvReader().read(str(path), {"batch_rows": 100, "block_size": 4096, "totals": "check"}, expected=["区域", "户数"])
    with pytest.raises(DataError, match=r"row 3005.*户数: 合计 4501501 ≠ 数据合计 4501500"):
        raw.to_table()
    raw = CsvReader().read(str(path), {"totals": "warn"}, expected=["区域", "户数"])
    raw.to_table()
    assert any("does not add up" in w for w in raw.meta["warnings"])
    raw = CsvReader().read(str(path), {"totals": "off"}, expected=["区域", "户数"])
    assert raw.to_table().num_rows == 3000 and not raw.meta["warnings"]


def test_total_words_only_as_a_label(tmp_path: Path) -> None:
    rows = [["项目名称", "户数"], ["总计划安置项目", "3"], ["合计金额说明", "4"], ["合计（2个项目）", "7"]]
    raw = CsvReader().read(str(_csv(tmp_path / "w.csv", rows)), {"totals": "check"}, expected=["项目名称", "户数"])
    assert raw.to_table().column("项目名称").to_pylist() == ["总计划安置项目", "合计金额说明"]
    assert [r for r, _ in raw.excluded] == [4]


def _xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def test_excel_titles_units_merged_header_and_footnotes(tmp_path: Path) -> None:
    rows = [
        ["2016年棚户区改造项目清单", None, None, None],
        ["单位：户、亿元", None, None, None],
        [None, None, None, None],
        ["项目编号", "街道", "户数情况", None],
        [None, None, "改造户数", "已签约"],
        ["CY-1", "垡头街道", 10, 5],
        ["CY-2", None, 20, 7],  # street merged down from the row above
        ["合计", None, 30, 12],
        ["注：签约户数为累计数。", None, None, None],
        ["填表人：王五", None, "审核人：赵六", None],
    ]
    path = _xlsx(tmp_path / "x.xlsx", rows, ("A1:D1", "A4:A5", "B4:B5", "C4:D4", "B6:B7"))
    raw = ExcelReader().read(str(path), {"totals": "check"}, expected=["项目编号", "街道", "改造户数", "已签约"])
    assert raw.columns == ["项目编号", "街道", "改造户数", "已签约"]
    assert raw.meta["header_row"] == 4 and raw.meta["header_depth"] == 2
    table = raw.to_table()
    assert table.column("街道").to_pylist() == ["垡头街道", "垡头街道"]
    assert table.column("_row").to_pylist() == [6, 7]
    assert [why for _, why in raw.excluded] == ["合计/小计行 (total row)", "脚注行 (footnote)", "脚注行 (footnote)"]
    assert {c for _, c, _, _ in raw.meta["totals_checked"]} == {"改造户数", "已签约"}


def test_explicit_header_rows(tmp_path: Path) -> None:
    rows = [["编号", "名称"], ["A", "甲"], ["B", "乙"]]
    path = _xlsx(tmp_path / "h.xlsx", rows)
    raw = ExcelReader().read(str(path), {"header_rows": 1}, expected=[])
    assert raw.columns == ["编号", "名称"] and raw.to_table().num_rows == 2


def test_allow_empty_publishes_an_empty_period(project: Path) -> None:
    data = project / "sample_data/shantytown"
    (data / "棚改后期管理_2016-09.csv").write_bytes("项目编号,项目名称,回迁安置户数\n".encode("gbk"))
    pfile = project / "pipelines/shantytown.yaml"
    doc = yaml.safe_load(pfile.read_text(encoding="utf-8"))
    r = run_etl("run", str(pfile), "--period", "2016-09")
    assert r.returncode == 2 and "no data rows" in r.stderr and "Traceback" not in r.stderr
    assert not (project / "output/shantytown_followup").exists()
    spec = doc["inputs"]["followup"]
    doc["inputs"]["followup"] = {**(spec if isinstance(spec, dict) else {"path": spec}), "options": {"allow_empty": True}}
    pfile.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    r = run_etl("run", str(pfile), "--period", "2016-09")
    assert r.returncode == 0, r.stderr
    files = published_files(project / "output")
    csv_text = files["shantytown_followup/csv/shantytown_followup_2016-09.csv"].decode("utf-8-sig")
    assert csv_text.count("\n") == 1  # the header only


def test_a_nul_byte_in_a_text_cell_is_a_reject_never_published(project: Path) -> None:
    """Issue 17 case 12: NUL bytes inside a CSV cell were published unchanged."""
    followup = project / "sample_data/shantytown/棚改后期管理_2016-08.csv"
    raw = followup.read_bytes()
    assert "回迁楼配套幼儿园已开工".encode("gbk") in raw
    followup.write_bytes(raw.replace("回迁楼配套幼儿园已开工".encode("gbk"), "回迁楼配套\x00幼儿园已开工".encode("gbk")))
    result = run_etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08")
    assert "Traceback" not in result.stderr
    out = project / "output"
    csvs = {name: data for name, data in published_files(out).items() if name.endswith(".csv")}
    assert csvs and not any(b"\x00" in data for data in csvs.values())
    assert "回迁楼配套幼儿园已开工" not in csvs["shantytown_followup/csv/shantytown_followup_2016-08.csv"].decode("utf-8-sig")
    with open(out / ".gongkai/rejects/shantytown_followup/2016-08.csv", encoding="utf-8-sig", newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["field"], r["row"]) for r in rejects] == [("note", "2")]
    assert "U+0000" in rejects[0]["reason"]
