"""Social assistance (社会救助): the shipped pipeline run on a copy of the sample data.

Expected values are worked out here from the raw inputs (the CSV lists, the
workbooks, the JSON export) with this file's own parsing, ID canonicalisation
and GB 11643 check; only the salted hash itself is the engine's
(``gongkai_etl.protect.pii.salted_key``), because the engine computes it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from openpyxl import Workbook, load_workbook

from support import REPO, run_etl
from gongkai_etl.protect.pii import salted_key

SALT = "test-salt-not-secret"  # what the `etl` fixture sets as GONGKAI_SALT
PIPELINE = "pipelines/social_assistance.yaml"
SAMPLE = "sample_data/social_assistance"
MONTHS = ["2016-07", "2016-08", "2016-09"]
PREVIOUS = {"2016-07": "2016-06", "2016-08": "2016-07", "2016-09": "2016-08"}
LIST_FIELDS = ["period", "record_key", "street", "division_code", "community", "head_name", "persons",
               "monthly_amount", "category", "change_type"]
# DOMAIN.md: 110105 + serial + 000, for the streets in the sample.
CODES = {"建外街道": "001", "呼家楼街道": "003", "安贞街道": "008", "酒仙桥街道": "011", "双井街道": "016",
         "劲松街道": "017", "潘家园街道": "018", "南磨房地区": "021", "高碑店地区": "022", "东坝地区": "039"}
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


# --- independent helpers ----------------------------------------------------------------------


def nfkc(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if text is None else str(text)))


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def canonical(raw_id: str) -> str:
    t = nfkc(raw_id).upper()
    if re.fullmatch(r"\d{15}", t):
        t = t[:6] + "19" + t[6:]
        t += check_char(t)
    return t


def valid(t: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", t)) and check_char(t[:17]) == t[17]


def key(raw_id: str, salt: str = SALT) -> str:
    return salted_key(salt, canonical(raw_id))


def mask(name: str) -> str:
    name = nfkc(name)
    return name[0] + "*" if len(name) <= 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def raw_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gbk")


def raw_list(project: Path, month: str) -> list[dict[str, str]]:
    path = project / SAMPLE / f"低保名单_{month.replace('-', '')}.csv"
    return list(csv.DictReader(io.StringIO(raw_text(path))))


def amount(text: str) -> Decimal | None:
    t = nfkc(text).replace(",", "").removesuffix("元")
    return Decimal(t) if re.fullmatch(r"\d+(\.\d+)?", t) else None


def published(out: Path, dataset: str, period: str) -> list[dict[str, Any]]:
    return pq.read_table(out / dataset / "data" / f"{dataset}_{period}.parquet").to_pylist()


def rejects(out: Path, dataset: str, period: str) -> list[dict[str, str]]:
    path = out / ".gongkai" / "rejects" / dataset / f"{period}.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))) if path.exists() else []


def run_ok(etl: Any, project: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    result = etl("run", str(project / PIPELINE), *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return project / "output"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the shipped pipeline over all its periods, shared by the tests that
    only read its output (a copy of pipelines/ and sample_data/, as the `project` fixture)."""
    root = tmp_path_factory.mktemp("social_assistance")
    shutil.copytree(REPO / "pipelines", root / "pipelines")
    shutil.copytree(REPO / "sample_data", root / "sample_data", ignore=shutil.ignore_patterns("__pycache__"))
    run_ok(run_etl, root)
    return root


# --- the shipped pipeline ------------------------------------------------------------------------


def test_sample_run_publishes_monthly_and_quarterly_periods(sample: Path) -> None:
    out = sample / "output"
    for month in MONTHS:
        for ds in ("sa_monthly_stats", "sa_dibao_public_list"):
            assert (out / ds / "data" / f"{ds}_{month}.parquet").exists()
            assert (out / ds / "csv" / f"{ds}_{month}.csv").exists()
        assert not (out / "sa_quarterly_stats" / "data" / f"sa_quarterly_stats_{month}.parquet").exists()
    assert (out / "sa_quarterly_stats" / "data" / "sa_quarterly_stats_2016Q3.parquet").exists()
    assert not (out / "sa_monthly_stats" / "data" / "sa_monthly_stats_2016Q3.parquet").exists()
    assert not (out / "sa_dibao_public_list" / "data" / "sa_dibao_public_list_2016-06.parquet").exists()  # June is only a baseline
    schema = pq.read_schema(out / "sa_dibao_public_list" / "data" / "sa_dibao_public_list_2016-07.parquet")
    assert schema.names == LIST_FIELDS


def test_public_list_publishes_no_id_phone_or_name(sample: Path) -> None:
    project, out = sample, sample / "output"
    ids: set[str] = set()
    phones: set[str] = set()
    names: set[str] = set()
    for month in ["2016-06", *MONTHS]:
        path = project / SAMPLE / f"低保名单_{month.replace('-', '')}.csv"
        text = unicodedata.normalize("NFKC", raw_text(path))
        # Anywhere in the raw file, the remarks included.
        ids |= {m.upper() for m in re.findall(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?![\dXx])", text)}
        ids |= {canonical(m) for m in ids}
        phones |= set(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text))
        phones |= {m.replace("-", "") for m in re.findall(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)", text)}
        phones |= {m.split("-")[1] for m in re.findall(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)", text)}
        for row in csv.DictReader(io.StringIO(raw_text(path))):
            names.add(nfkc(row["户主姓名"]))
            ids.add(nfkc(row["身份证号"]).upper())
    assert len(ids) > 300 and len(phones) > 300 and len(names) > 300
    secrets = sorted(ids | phones | {n.lower() for n in ids} | names, key=len)
    for month in MONTHS:
        parquet = out / "sa_dibao_public_list" / "data" / f"sa_dibao_public_list_{month}.parquet"
        rows = pq.read_table(parquet).to_pylist()
        cells = [str(v) for row in rows for v in row.values() if v is not None]
        csv_text = (out / "sa_dibao_public_list" / "csv" / f"sa_dibao_public_list_{month}.csv").read_text(encoding="utf-8-sig")
        parquet_bytes = parquet.read_bytes().decode("latin-1")
        for secret in secrets:
            assert not any(secret in c for c in cells), f"{month}: raw value leaked into a parquet cell"
            assert secret not in csv_text, f"{month}: raw value leaked into the CSV"
        for secret in ids | phones:
            assert secret not in parquet_bytes, f"{month}: raw number in the parquet file bytes"
        # Generic shapes everywhere but the salted key (hex digests can hold digit runs).
        for row in rows:
            for field, value in row.items():
                if field == "record_key" or value is None:
                    continue
                assert not re.search(r"\d{15}|1[3-9]\d{9}", str(value)), (field, value)
        assert {r["head_name"] for r in rows} <= {mask(n) for n in names}
        assert all("*" in r["head_name"] for r in rows)


def test_change_types_follow_the_previous_raw_list(sample: Path) -> None:
    project, out = sample, sample / "output"
    for month in MONTHS:
        now = raw_list(project, month)
        before = raw_list(project, PREVIOUS[month])
        now_ids = {canonical(r["身份证号"]) for r in now}
        before_valid = {canonical(r["身份证号"]): r for r in before if valid(canonical(r["身份证号"]))}
        expected: dict[str, tuple[str, Decimal | None, int]] = {}
        for r in now:
            cid = canonical(r["身份证号"])
            if not valid(cid) or amount(r["月保障金额"]) is None:
                continue  # rejected (planted rows)
            change = "续保" if cid in before_valid else "新增"
            expected[salted_key(SALT, cid)] = (change, amount(r["月保障金额"]), int(nfkc(r["保障人口"])))
        for cid, r in before_valid.items():
            if cid not in now_ids:
                expected[salted_key(SALT, cid)] = ("停保", Decimal("0.00"), int(nfkc(r["保障人口"])))
        got = {r["record_key"]: (r["change_type"], r["monthly_amount"], r["persons"]) for r in published(out, "sa_dibao_public_list", month)}
        assert got == expected, month
        kinds = {v[0] for v in got.values()}
        assert kinds == {"新增", "停保", "续保"}, month


def test_record_key_is_stable_across_months_and_depends_on_the_salt(sample: Path, project: Path, etl: Any) -> None:
    keys = {m: {r["record_key"] for r in published(sample / "output", "sa_dibao_public_list", m)} for m in MONTHS}
    july = {canonical(r["身份证号"]): r["身份证号"] for r in raw_list(project, "2016-07")}
    august = {canonical(r["身份证号"]): r["身份证号"] for r in raw_list(project, "2016-08")}
    both = set(july) & set(august)
    assert len(both) > 250
    # The same person under another spelling: a 15-digit old ID in July, a lower-case x in August.
    assert any(len(july[c]) == 15 and len(august[c]) == 18 for c in both)
    assert any(august[c].endswith("x") and july[c].endswith("X") for c in both)
    paid_in_august = {canonical(r["身份证号"]) for r in raw_list(project, "2016-08") if amount(r["月保障金额"]) is not None}
    for cid in both & paid_in_august:  # the August row without an amount is rejected
        if valid(cid):
            assert salted_key(SALT, cid) in keys["2016-07"] and salted_key(SALT, cid) in keys["2016-08"]
    out2 = run_ok(etl, project, "--period", "2016-07", env={"GONGKAI_SALT": "another-salt"})
    other = {r["record_key"] for r in published(out2, "sa_dibao_public_list", "2016-07")}
    assert len(other) == len(keys["2016-07"])
    assert not other & keys["2016-07"]
    assert {key(r["身份证号"], "another-salt") for r in raw_list(project, "2016-07")} <= other


def test_without_salt_variable_a_local_salt_keeps_keys_stable(project: Path, etl: Any) -> None:
    """A fresh clone runs without GONGKAI_SALT: the engine makes a private salt in
    the output's state folder, and later runs reuse it."""
    out = run_ok(etl, project, "--period", "2016-07", env={"GONGKAI_SALT": ""})
    salt_file = out / ".gongkai" / "salt"
    assert salt_file.exists() and salt_file.stat().st_mode & 0o077 == 0
    local = salt_file.read_text().strip()
    july = {r["record_key"] for r in published(out, "sa_dibao_public_list", "2016-07")}
    assert {key(r["身份证号"], local) for r in raw_list(project, "2016-07")} <= july
    assert not july & {key(r["身份证号"]) for r in raw_list(project, "2016-07")}
    run_ok(etl, project, "--period", "2016-08", env={"GONGKAI_SALT": ""})
    august = published(out, "sa_dibao_public_list", "2016-08")
    continuing = {r["record_key"] for r in august if r["change_type"] in ("续保", "停保")}
    assert continuing and continuing <= july


def test_planted_dirty_rows_land_in_rejects(sample: Path) -> None:
    project, out = sample, sample / "output"
    stats = {m: rejects(out, "sa_monthly_stats", m) for m in MONTHS}
    assert [(r["field"], r["value"]) for r in stats["2016-07"]] == [("persons", "0")]
    assert "persons" in stats["2016-07"][0]["reason"] and stats["2016-07"][0]["file"].endswith("2016-07.xlsx")
    assert [r["field"] for r in stats["2016-08"]] == ["persons"]
    assert "households" in stats["2016-08"][0]["reason"]
    assert [r["field"] for r in stats["2016-09"]] == ["expenditure_ytd"]
    assert "year-to-date" in stats["2016-09"][0]["reason"]

    listed = rejects(out, "sa_dibao_public_list", "2016-08")
    fields = sorted(r["field"] for r in listed)
    assert fields == ["id_number", "monthly_amount", "record_key"]
    by_field = {r["field"]: r for r in listed}
    assert by_field["monthly_amount"]["value"] == "待核定"
    assert by_field["id_number"]["row"] == by_field["record_key"]["row"]
    raw_bad = raw_list(project, "2016-08")[int(by_field["id_number"]["row"]) - 2]["身份证号"]
    assert not valid(canonical(raw_bad))
    assert raw_bad not in (out / ".gongkai" / "rejects" / "sa_dibao_public_list" / "2016-08.csv").read_text(encoding="utf-8-sig")
    assert by_field["id_number"]["value"] == raw_bad[:6] + "*" * 8 + raw_bad[-4:]
    for month in ("2016-07", "2016-09"):
        assert rejects(out, "sa_dibao_public_list", month) == []

    quarterly = rejects(out, "sa_quarterly_stats", "2016Q3")
    pairs = {(r["field"], r["value"]) for r in quarterly}
    assert ("street", "朝阳门街道") in pairs and ("person_times", "0") in pairs


def _stats_rows(path: Path) -> list[dict[str, Any]]:
    ws = load_workbook(path).active
    out = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] is None or str(row[0]).startswith("合计"):
            continue
        out.append({
            "street": nfkc(row[1]), "category": row[2], "households": int(nfkc(row[3])), "persons": int(nfkc(row[4])),
            "expenditure_month": Decimal(nfkc(row[5]).removesuffix("万元")).quantize(Decimal("0.01")),
            "expenditure_ytd": Decimal(nfkc(row[6])).quantize(Decimal("0.01")),
            "standard_amount": Decimal(nfkc(row[7])).quantize(Decimal("0.01")),
        })
    return out


def test_monthly_stats_values_and_cross_checks(sample: Path) -> None:
    project, out = sample, sample / "output"
    last_ytd: dict[tuple[str, str], Decimal] = {}
    for month in MONTHS:
        expected = []
        for r in _stats_rows(project / SAMPLE / f"低保特困统计_{month}.xlsx"):
            k = (r["street"], r["category"])
            if r["persons"] < r["households"] or r["expenditure_ytd"] < last_ytd.get(k, Decimal(0)):
                continue  # rejected
            last_ytd[k] = r["expenditure_ytd"]
            expected.append({"period": month, **r, "division_code": f"110105{CODES[r['street']]}000"})
        got = published(out, "sa_monthly_stats", month)
        assert sorted(got, key=lambda r: (r["street"], r["category"])) == sorted(expected, key=lambda r: (r["street"], r["category"]))
        # The 低保 rows agree with the month's list (the generator made them so).
        listed = raw_list(project, month)
        for r in got:
            if r["category"] == "城市低保" and r["persons"] >= r["households"]:
                n = sum(1 for x in listed if nfkc(x["街道"]) == r["street"] and nfkc(x["类别"]) in ("城市低保", "城镇低保"))
                assert r["households"] == n, (month, r["street"])


def test_quarterly_values(sample: Path) -> None:
    project, out = sample, sample / "output"
    doc = json.loads((project / SAMPLE / "医疗临时救助_2016Q3.json").read_text(encoding="utf-8"))
    expected = {}
    for rec in doc["data"]["list"]:
        category = rec["jzlx"] + (f"-{rec['jzxm']}" if rec["jzxm"] else "")
        times = int(nfkc(rec["jzrc"]).removesuffix("人次"))
        money = Decimal(nfkc(rec["zjzc"]).removesuffix("万元")).quantize(Decimal("0.01"))
        if rec["jdmc"] not in CODES or (times == 0 and money > 0):
            continue
        expected[(f"110105{CODES[rec['jdmc']]}000", category)] = (rec["jdmc"], times, money)
    got = {(r["division_code"], r["category"]): (r["street"], r["person_times"], r["expenditure"])
           for r in published(out, "sa_quarterly_stats", "2016Q3")}
    assert got == expected
    assert {c for _, c in got} == {"医疗救助-资助参保", "医疗救助-直接救助", "临时救助"}


def test_pipeline_maps_renamed_columns_and_units(project: Path, etl: Any) -> None:
    """A street office's own headers and a workbook in 元 instead of 万元, mapped in YAML only."""
    original = _stats_rows(project / SAMPLE / "低保特困统计_2016-07.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.append(["2016年7月低保特困统计（单位：元）"])
    ws.append(["街乡名称", "类别", "保障户数", "保障人数", "当月发放金额", "年度累计发放金额"])
    for r in original:
        ws.append([r["street"], r["category"], r["households"], r["persons"],
                   f"{r['expenditure_month'] * 10000:,.2f}", f"{r['expenditure_ytd'] * 10000:,.2f}"])
    variant = project / "variant"
    variant.mkdir()
    wb.save(variant / "stats_2016-07.xlsx")
    rows = raw_list(project, "2016-07")
    with open(variant / "list_201607.csv", "w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["街道", "社区", "申请人", "证件号码", "保障人口", "月保障金额", "类别"])
        w.writerows([[r["街道"], r["社区"], r["户主姓名"], r["身份证号"], r["保障人口"], r["月保障金额"], r["类别"]] for r in rows])
    spec = yaml.safe_load((project / PIPELINE).read_text(encoding="utf-8"))
    spec["inputs"]["stats"] = {
        "path": "../variant/stats_{period}.xlsx",
        "columns": {"street": "街乡名称", "expenditure_month": "当月发放金额", "expenditure_ytd": "年度累计发放金额"},
        "units": {"expenditure_month": "元", "expenditure_ytd": "元"},
    }
    spec["inputs"]["dibao_list"] = {
        "path": "../variant/list_{yyyymm}.csv",
        "columns": {"head_name": "申请人", "id_number": "证件号码"},
    }
    (project / "pipelines" / "variant.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = etl("run", str(project / "pipelines" / "variant.yaml"), "--period", "2016-07")
    assert result.returncode == 0, result.stdout + result.stderr
    out = project / "output"
    got = {(r["street"], r["category"]): (r["expenditure_month"], r["expenditure_ytd"]) for r in published(out, "sa_monthly_stats", "2016-07")}
    want = {(r["street"], r["category"]): (r["expenditure_month"], r["expenditure_ytd"]) for r in original if r["persons"] >= r["households"]}
    assert got == want
    listed = published(out, "sa_dibao_public_list", "2016-07")
    assert {r["record_key"] for r in listed if r["change_type"] != "停保"} == {key(r["身份证号"]) for r in rows}
    # No previous month in the variant folder: the change type is unknown, not 新增, and nobody is 停保.
    assert {r["change_type"] for r in listed} == {None}

    del spec["inputs"]["stats"]["columns"]["street"]
    (project / "pipelines" / "variant.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = etl("run", str(project / "pipelines" / "variant.yaml"), "--period", "2016-07")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "street" in result.stderr and "街乡名称" in result.stderr


def test_change_types_given_in_the_raw_list_are_kept(project: Path, etl: Any) -> None:
    path = project / SAMPLE / "低保名单_201607.csv"
    rows = list(csv.reader(io.StringIO(raw_text(path))))
    rows[0].append("变动情况")
    for i, row in enumerate(rows[1:]):
        row.append("新纳入" if i % 10 == 0 else "")  # a synonym, and blanks left for derivation
    with open(path, "w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = run_ok(etl, project, "--period", "2016-07")
    got = {r["record_key"]: r["change_type"] for r in published(out, "sa_dibao_public_list", "2016-07")}
    before = {canonical(r["身份证号"]) for r in raw_list(project, "2016-06")}
    for i, row in enumerate(rows[1:]):
        derived = "续保" if canonical(row[4]) in before else "新增"
        assert got[key(row[4])] == ("新增" if i % 10 == 0 else derived)
    assert "停保" not in got.values()  # a list that states its changes also states who left
