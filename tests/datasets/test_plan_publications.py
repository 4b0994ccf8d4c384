"""The work plan's publications shipped as YAML only (plugins/datasets/*.yaml): 双公示,
侵权假冒, 权力清单/责任清单, 农村污水治理, 饮用水, 重大建设项目.

Each domain's generator writes fresh raw inputs into a temporary folder, its pipeline runs
there with the real ``etl``, and what was published is read back with DuckDB: the declared
types, exactly the planted rejects (each generator documents its own), and for the datasets
that hold natural persons, no ID number and no unmasked name anywhere in the published files.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from support import REPO, read_rejects, run_etl

DOMAINS = ("double_publicity", "ipr_penalty", "power_list", "rural_sewage", "drinking_water", "major_projects")
DATASET_FILES = {d: REPO / "plugins" / "datasets" / f"{d}.yaml" for d in DOMAINS}

# (dataset, period) -> the fields rejected there, as each generate.py documents its planted rows.
PLANTED: dict[tuple[str, str], set[str]] = {
    ("sgs_penalty", "2016-08"): {"uscc"},
    ("sgs_penalty", "2016-09"): {"uscc"},
    ("sgs_license", "2016-09"): {"valid_to"},
    ("sgs_penalty_person", "2016-10"): {"fine_amount"},
    ("sgs_license_person", "2016-10"): {"decision_date", "valid_from"},  # 2106: in the future, and after 有效期自
    ("ipr_penalty_case", "2016-08"): {"uscc"},
    ("ipr_penalty_case", "2016-09"): {"decision_date"},
    ("ipr_penalty_case", "2016-10"): {"penalized_person", "penalized_unit"},
    ("power_list_adjustment", "2016-08"): {"category"},
    ("power_list_adjustment", "2016-09"): {"receiving_unit"},
    ("duty_list_adjustment", "2016-10"): {"duty_content"},
    ("rural_sewage_facility", "2016H1"): {"households_connected"},
    ("rural_sewage_facility", "2016H2"): {"investment_completed", "township", "division_code"},
    ("dw_plant_quality", "2016Q1"): {"total_coliform"},
    ("dw_tap_quality", "2016Q2"): {"ph"},
    ("dw_source_quality", "2016Q3"): {"township", "division_code"},
    ("major_project_approval", "2016Q2"): {"owner_uscc"},
    ("major_project_approval", "2016Q3"): {"government_investment"},
    ("major_project_progress", "2016Q2"): {"investment_cum"},
    ("major_project_progress", "2016Q3"): {"completion_date"},
}
# The declared type as DuckDB reads it back from Parquet.
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE", "boolean": "BOOLEAN"}
# A resident ID of a Chaoyang-born person (the generators' ids), not inside a credit code.
ID_NUMBER = re.compile(r"(?<![0-9A-Z])110105(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dX](?![0-9A-Z])")


def declared(domain: str) -> list[dict]:
    """The dataset mappings of a shipped file (YAML anchors resolved by the loader)."""
    data = yaml.safe_load(DATASET_FILES[domain].read_text(encoding="utf-8"))
    return data.get("datasets", [data])


def periods(pipeline: Path) -> list[str]:
    """The periods published in a dataset's data folder (one `<dataset>_<period>.parquet` per period)."""
    prefix = pipeline.parent.name + "_"
    return [p.stem.removeprefix(prefix) for p in sorted(pipeline.glob(f"{prefix}*.parquet"))]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh samples from every domain's generator, and every domain's pipeline run once."""
    root = tmp_path_factory.mktemp("plan")
    (root / "pipelines").mkdir()
    for helper in ("frozen_xlsx.py", "sample_ids.py"):
        (root / "sample_data").mkdir(exist_ok=True)
        shutil.copy(REPO / "sample_data" / helper, root / "sample_data" / helper)
    for domain in DOMAINS:
        folder = root / "sample_data" / domain
        folder.mkdir()
        shutil.copy(REPO / "sample_data" / domain / "generate.py", folder / "generate.py")
        made = subprocess.run([sys.executable, str(folder / "generate.py")], capture_output=True, text=True, check=False)
        assert made.returncode == 0, made.stderr
        shutil.copy(REPO / "pipelines" / f"{domain}.yaml", root / "pipelines" / f"{domain}.yaml")
        result = run_etl("run", str(root / "pipelines" / f"{domain}.yaml"))
        assert result.returncode == 0, f"{domain}:\n{result.stdout}\n{result.stderr}"
    return root


def test_etl_datasets_lists_the_plan_publications() -> None:
    result = run_etl("datasets")
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    ours = {d["dataset"] for domain in DOMAINS for d in declared(domain)}
    assert len(ours) == 14
    assert ours <= listed
    assert len({x for x in listed if re.fullmatch(r"[a-z][a-z0-9_]+", x)}) >= 24


def test_only_the_planted_rows_are_rejected(project: Path) -> None:
    out = project / "output"
    found: dict[tuple[str, str], set[str]] = {}
    for domain in DOMAINS:
        for d in declared(domain):
            for period in periods(out / d["dataset"] / "data"):
                fields = {r["field"] for r in read_rejects(out, d["dataset"], period)}
                if fields:
                    found[(d["dataset"], period)] = fields
    assert found == PLANTED


@pytest.mark.parametrize("domain", DOMAINS)
def test_published_columns_have_the_declared_types(project: Path, domain: str) -> None:
    con = duckdb.connect()
    for d in declared(domain):
        data = project / "output" / d["dataset"] / "data"
        assert periods(data), f"{d['dataset']} published nothing"
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{data}/**/*.parquet', hive_partitioning=false)").fetchall()
        types = {name: kind for name, kind, *_ in described}
        for f in d["fields"]:
            if set(f) <= {"name", "derive"}:  # period, division_code: the toolkit's own fields
                continue
            declared_type = f.get("type", "string").replace(" ", "")
            expected = declared_type.upper() if declared_type.startswith("decimal") else DUCKDB_TYPES[declared_type]
            assert types[f["name"]] == expected, (d["dataset"], f["name"])
        assert set(types) >= {f["name"] for f in d["fields"]}


def published_text(out: Path, domain: str) -> str:
    """Every published CSV and JSON file of a domain's datasets (the Parquet holds the same
    rows), as one text."""
    ids = {d["dataset"] for d in declared(domain)}
    files = [p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] in ids and p.suffix in (".csv", ".json")]
    assert files
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in files)


def raw_people(folder: Path) -> tuple[set[str], set[str]]:
    """(ID numbers, full names of natural persons) in a domain's raw files, read with our own
    parsing: every Chaoyang resident ID anywhere; the names in the 自然人 files' 行政相对人名称
    column, and in the 侵权假冒 ledger every name cell of a 个人 row (单位名称 included).
    A name that is also some company's 法定代表人 (published by the 双公示 standard) is left
    out: the generators draw both from one small pool of names."""
    import openpyxl

    ids: set[str] = set()
    names: set[str] = set()
    representatives: set[str] = set()
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".json":
            text = path.read_text(encoding="utf-8")
            ids |= set(ID_NUMBER.findall(text))
            records = json.loads(text)["data"]["list"]
            if "自然人" in path.name:
                names |= {r["行政相对人名称"] for r in records}
            representatives |= {r["法定代表人"] for r in records if r.get("法定代表人")}
        elif path.suffix == ".csv":
            text = path.read_text(encoding="gbk")
            representatives |= {r["法定代表人"] for r in csv.DictReader(io.StringIO(text)) if r.get("法定代表人")}
        elif path.suffix == ".xlsx":
            rows = [list(r) for r in openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True)]
            ids |= {c for row in rows for c in row if isinstance(c, str) and ID_NUMBER.fullmatch(c)}
            data = [r for r in rows if isinstance(r[0], int)]  # rows numbered in 序号
            header = next(r for r in rows if "序号" in r)
            if "自然人" in path.name:
                names |= {r[header.index("行政相对人名称")] for r in data}
            elif "法定代表人" in header:
                representatives |= {r[header.index("法定代表人")] for r in data}
            elif "侵权假冒" in path.name:  # 序号, 文书号, 案件名称, 类别, 类型, 单位名称, 代码, 个人姓名, 身份证号码
                names |= {c for r in data if r[4] == "个人" for c in (r[5], r[7]) if c}
    return ids, names - representatives


@pytest.mark.parametrize("domain", ["double_publicity", "ipr_penalty"])
def test_no_id_number_or_unmasked_name_is_ever_published(project: Path, domain: str) -> None:
    ids, names = raw_people(project / "sample_data" / domain)
    assert len(ids) >= 5 and len(names) >= 5  # the raw files do hold them
    text = published_text(project / "output", domain)
    assert not [i for i in ids if i in text]
    assert not [n for n in names if n in text]


def test_natural_persons_are_published_masked(project: Path) -> None:
    con = duckdb.connect()
    out = project / "output"
    for dataset, column in (("sgs_license_person", "counterparty_name"), ("sgs_penalty_person", "counterparty_name"),
                            ("ipr_penalty_case", "penalized_person")):
        values = [r[0] for r in con.execute(
            f"SELECT {column} FROM read_parquet('{out / dataset}/data/**/*.parquet', hive_partitioning=false) WHERE {column} IS NOT NULL"
        ).fetchall()]
        assert values, dataset
        assert all(re.fullmatch(r"[\u4e00-\u9fff]\*+[\u4e00-\u9fff]?", v) for v in values), (dataset, values)
    # organizations keep their names and credit codes: 双公示 publishes them in full
    orgs = con.execute(
        f"SELECT counterparty_name, uscc FROM read_parquet('{out}/sgs_penalty/data/**/*.parquet', hive_partitioning=false)"
    ).fetchall()
    assert orgs and all("*" not in name and len(code) == 18 for name, code in orgs)


def test_an_exceedance_is_published_as_measured_not_rejected(project: Path) -> None:
    con = duckdb.connect()
    out = project / "output"
    rows = con.execute(
        f"SELECT source_name, nitrate_n, meets_standard, exceeded FROM read_parquet('{out}/dw_source_quality/data/dw_source_quality_2016Q2.parquet') "
        "WHERE NOT meets_standard"
    ).fetchall()
    assert [(r[0], str(r[1]), r[3]) for r in rows] == [("孙河水厂1号水源井", "22.60", "硝酸盐")]
    limits = con.execute(
        f"SELECT limit_min, limit_max FROM read_parquet('{out}/dw_indicator_limit/data/dw_indicator_limit_2016Q2.parquet') "
        "WHERE applies_to = '出厂水' AND indicator IN ('ph', 'free_chlorine') ORDER BY indicator"
    ).fetchall()
    assert limits == [(0.3, 4.0), (6.5, 8.5)]


def test_a_failed_sample_without_its_exceeded_indicators_is_rejected(project: Path, tmp_path: Path) -> None:
    """required_if on a boolean: 是否达标 否 with no 超标项目 names no indicator."""
    root = tmp_path / "dw"
    shutil.copytree(project / "sample_data" / "drinking_water", root / "sample_data" / "drinking_water")
    shutil.copytree(project / "pipelines", root / "pipelines")
    taps = root / "sample_data" / "drinking_water" / "末梢水水质_2016Q3.json"
    doc = json.loads(taps.read_text(encoding="utf-8"))
    failed = [r for r in doc["rows"] if r["是否达标"] == "否"]
    assert len(failed) == 1
    failed[0]["超标项目"] = None
    taps.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_etl("run", str(root / "pipelines" / "drinking_water.yaml"), "--period", "2016Q3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {r["field"] for r in read_rejects(root / "output", "dw_tap_quality", "2016Q3")} == {"exceeded"}
