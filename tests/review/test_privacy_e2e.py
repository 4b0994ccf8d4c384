"""End to end through the real social-assistance plugin: a raw 低保 list with ID
numbers where none belong (a bare ID in the 社区 column, a remark typed into
the 社区 cell, an extra 监护人身份证号 column, IDs in 备注) is blocked with a
clear report (exit 1), and publishes once the pipeline's ``privacy:`` section
masks the column. No published, logged or reported byte holds an original ID
number or mobile number."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gongkai_etl.plugins import load_plugins

DATASET = "sa_dibao_public_list"
IDS = ["11010519491231002X", "110105195712127364", "11010519580918906X", "440524188001010014"]
MOBILES = ["13812345678", "18256183245", "15007574349"]
ORIGINALS = IDS + MOBILES + [i.lower() for i in IDS if i.endswith("X")]

RAW = (
    "序号,街道,社区,户主姓名,身份证号,联系电话,家庭住址,保障人口,月保障金额,类别,备注,监护人身份证号\n"
    f"1,建外街道,永安里社区,王五,{IDS[0]},{MOBILES[0]},北京市朝阳区永安里1号,2,857.00,城市低保,"
    f"户主身份证{IDS[0]}已核实,{IDS[3]}\n"
    # a bare ID number keyed into the 社区 column
    f"2,建外街道,{IDS[1]},钱娅霞,{IDS[1]},{MOBILES[1]},北京市朝阳区光华里2号,1,381.50,城市低保,,\n"
    # a remark typed into the 社区 cell
    f"3,呼家楼街道,金台里社区（户主身份证号{IDS[2]}，电话{MOBILES[2]}，已核实）,段眉茗,{IDS[2]},{MOBILES[2]},"
    f'北京市朝阳区金台里3号,2,"1,112.00",城市低保,因收入变化续保，联系{MOBILES[2]},\n'
)

PIPELINE = """\
pipeline: sa_privacy_test
source:
  plugin: social_assistance
inputs:
  dibao_list:
    path: raw/低保名单_{yyyymm}.csv
datasets: [sa_dibao_public_list]
review: auto
output:
  dir: out
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    # a missing dataset fails here rather than skipping: the privacy checks below must run
    assert DATASET in load_plugins().datasets(), "the social_assistance plugin no longer declares sa_dibao_public_list"
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "低保名单_201610.csv").write_text("\ufeff" + RAW, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PIPELINE, encoding="utf-8")
    return tmp_path


def _leaks(text: str) -> list[str]:
    return [v for v in ORIGINALS if v in text]


def _published_text(out: Path) -> str:
    """Every published file as text; Parquet decoded (its pages are compressed)."""
    parts = []
    for path in sorted(out.rglob("*")):
        if not path.is_file() or ".gongkai" in path.relative_to(out).parts:
            continue
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str))
        else:
            parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_ids_where_none_belong_block_then_policy_publishes(workdir: Path, etl) -> None:
    out = workdir / "out"
    pipeline = workdir / "p.yaml"

    blocked = etl("--log-format", "json", "run", str(pipeline), "--period", "2016-10")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    events = [json.loads(line) for line in blocked.stdout.splitlines() if line.strip()]
    (period,) = [e for e in events if e["event"] == "period"]
    report = period["error"]
    assert "personal data findings block publication" in report
    lines = report.splitlines()
    # dataset, period, row, column, kind, masked value, and where it came from
    assert (
        "数据集 sa_dibao_public_list 期间 2016-10 第 2 行 列 community: 身份证号 (resident ID) 110105********7364 "
        "(源数据 source: 低保名单_201610.csv 第 3 行 row 3)"
    ) in lines
    assert any("第 3 行 列 community: 身份证号 (resident ID) 110105********906X" in l for l in lines)
    assert any("第 3 行 列 community: 手机号 (mobile number) 150****4349" in l for l in lines)
    assert len(lines) == 4  # header + 3 findings: nothing from 备注 or the extra column, dropped by policy
    assert any(e["event"] == "error" and e["level"] == "error" and "block publication" in e["message"] for e in events)
    assert period["datasets"][0]["status"] == "failed"
    assert not (out / DATASET).exists()
    assert _leaks(blocked.stdout + blocked.stderr) == []

    # the same in text form (Warning lines on stderr)
    plain = etl("run", str(pipeline), "--period", "2016-10")
    assert plain.returncode == 1
    assert "110105********7364" in plain.stderr
    assert _leaks(plain.stdout + plain.stderr) == []

    # the pipeline adjusts the dataset's policy: free-text masking of the column
    pipeline.write_text(
        PIPELINE + "privacy:\n  sa_dibao_public_list:\n    mask: {community: redact}\n", encoding="utf-8"
    )
    ok = etl("--log-format", "json", "run", str(pipeline), "--period", "2016-10")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert _leaks(ok.stdout + ok.stderr) == []
    table = pq.read_table(out / DATASET / "data" / f"{DATASET}_2016-10.parquet")
    assert table.num_rows == 3
    assert table.column("community").to_pylist() == [
        "永安里社区",
        "110105********7364",
        "金台里社区（户主身份证号110105********906X，电话150****4349，已核实）",
    ]
    assert table.column("head_name").to_pylist() == ["王*", "钱*霞", "段*茗"]
    assert not {"id_number", "phone", "address", "remarks"} & set(table.column_names)
    published = _published_text(out)
    assert "110105********7364" in published  # decoding worked: masked forms are there
    assert _leaks(published) == []
    assert "王五" not in published and "北京市朝阳区永安里" not in published
    # the ledger keeps no clear ID either (run errors are redacted)
    assert _leaks((out / ".gongkai" / "state.db").read_bytes().decode("utf-8", errors="replace")) == []
    # the raw input is archived, privately
    archive = out / ".gongkai" / "archive"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o700
    files = list(archive.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_drop_also_publishes(workdir: Path, etl) -> None:
    pipeline = workdir / "p.yaml"
    pipeline.write_text(PIPELINE + "privacy:\n  sa_dibao_public_list:\n    drop: [community]\n", encoding="utf-8")
    ok = etl("run", str(pipeline), "--period", "2016-10")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    table = pq.read_table(workdir / "out" / DATASET / "data" / f"{DATASET}_2016-10.parquet")
    assert table.column("community").null_count == 3
    assert _leaks(_published_text(workdir / "out")) == []
    assert _leaks(ok.stdout + ok.stderr) == []


def test_waiting_review_of_personal_data_shows_masked_rows_only(workdir: Path, etl) -> None:
    pipeline = workdir / "p.yaml"
    pipeline.write_text(
        PIPELINE.replace("review: auto", "review: required")
        + "privacy:\n  sa_dibao_public_list:\n    mask: {community: redact}\n",
        encoding="utf-8",
    )
    waited = etl("--log-format", "json", "run", str(pipeline), "--period", "2016-10")
    assert waited.returncode == 4, waited.stdout + waited.stderr
    rid = next(json.loads(l)["review_id"] for l in waited.stdout.splitlines() if '"review_id": "' in l and '"note"' in l)
    shown = etl("review", "show", rid, str(pipeline))
    assert shown.returncode == 0, shown.stderr
    assert "钱*霞" in shown.stdout and "110105********7364" in shown.stdout
    assert _leaks(shown.stdout + shown.stderr + waited.stdout + waited.stderr) == []
    review_dir = workdir / "out" / ".gongkai" / "review"
    assert stat.S_IMODE(review_dir.stat().st_mode) == 0o700
    approved = etl("review", "approve", rid, str(pipeline), "--by", "民政局保密员")
    assert approved.returncode == 0, approved.stderr
    dp = json.loads((workdir / "out" / DATASET / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["periods"][0]["reviewed_by"] == "民政局保密员"
    assert _leaks(_published_text(workdir / "out")) == []
