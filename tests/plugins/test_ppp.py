"""PPP source: the shipped pipeline on a copy of the sample data, the planted
dirty rows, the pipeline's column/unit mapping, and the cross-field checks."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from support import read_published_rows, read_rejects
import xlrd
import yaml

from gongkai_etl.contracts import FILE_COLUMN, ROW_COLUMN
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Period
from gongkai_etl.validate.constraints import normalize_and_validate
from gongkai_etl_plugins.ppp import CONTRIBUTION, PROCUREMENT_DOC, PROGRESS, PROJECT, PppSource, _doc_rows

REPO = Path(__file__).resolve().parents[2]
PERIODS = ("2016-08", "2016-09", "2016-10")
DATASETS = ("ppp_project", "ppp_contribution", "ppp_progress", "ppp_procurement_doc")


def _etl(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret"}
    return subprocess.run([sys.executable, "-m", "gongkai_etl", *args], env=env, capture_output=True, text=True, timeout=300)


def _copy(root: Path) -> Path:
    (root / "pipelines").mkdir(parents=True)
    shutil.copy(REPO / "pipelines" / "ppp.yaml", root / "pipelines" / "ppp.yaml")
    shutil.copytree(REPO / "sample_data" / "ppp", root / "sample_data" / "ppp", ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the shipped pipeline on a copy, shared by the read-only tests
    (conftest's ``project``/``etl`` are per test; those serve the variant runs)."""
    root = _copy(tmp_path_factory.mktemp("ppp"))
    result = _etl("run", str(root / "pipelines" / "ppp.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    # no warnings either: e.g. the contribution workbooks' 合计 rows add up
    assert "Warning" not in result.stderr, result.stderr
    return root / "output"



def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["project_id"]: r for r in rows}



# --- the shipped pipeline ---------------------------------------------------------------


def test_every_dataset_and_period_is_published(run: Path) -> None:
    for ds in DATASETS:
        for period in PERIODS:
            assert (run / ds / "data" / f"{ds}_{period}.parquet").exists(), (ds, period)
            assert (run / ds / "csv" / f"{ds}_{period}.csv").exists()


def test_project_basics_are_typed_and_mapped(run: Path) -> None:
    rows = _by_id(read_published_rows(run, "ppp_project", "2016-09"))
    assert len(rows) == 6
    # 亿元 and 万元 with separators and a bare JSON number, all to 万元
    expected_total = {
        "CY-PPP-2015-001": "86000.00",  # 8.6亿元
        "CY-PPP-2016-002": "32000.00",  # "32,000.00"
        "CY-PPP-2016-003": "12350.00",  # 12350
        "CY-PPP-2016-004": "27500.00",  # 2.75亿元
        "CY-PPP-2016-005": "125000.00",  # 12.5亿元
        "CY-PPP-2016-006": "18600.00",
    }
    assert {k: str(v["total_investment"]) for k, v in rows.items()} == expected_total
    # street names as typed (" 望京街道 ", 黑庄户乡) to 12-digit codes: 110105 + serial + 000
    assert rows["CY-PPP-2016-004"]["division_code"] == "110105026000"
    assert rows["CY-PPP-2016-005"]["division_code"] == "110105040000"
    assert rows["CY-PPP-2015-001"]["division_code"] == "110105019000"
    assert rows["CY-PPP-2015-001"]["operation_mode"] == "TOT+BOT"  # typed "TOT + BOT"
    assert rows["CY-PPP-2016-004"]["operation_mode"] == "BOT"  # typed "bot"
    p1 = rows["CY-PPP-2015-001"]
    assert (p1["cooperation_term_years"], p1["construction_years"], p1["operation_years"]) == (25, 2, 23)
    # exported in lower case, published upper case
    assert rows["CY-PPP-2016-005"]["private_partner_uscc"].isupper()


def test_desk_officer_contacts_are_never_published(run: Path) -> None:
    for period in PERIODS:
        text = (run / "ppp_project" / "csv" / f"ppp_project_{period}.csv").read_text(encoding="utf-8-sig")
        assert "010-6509" not in text and "张建华" not in text


def test_progress_share_is_cumulative_over_total(run: Path) -> None:
    def pct(cum: str, total: str) -> Decimal:
        return (Decimal(cum) * 100 / Decimal(total)).quantize(Decimal("0.01"))

    aug = _by_id(read_published_rows(run, "ppp_progress", "2016-08"))
    assert aug["CY-PPP-2016-005"]["investment_cum"] == Decimal("41200.00")  # typed 4.12亿元
    assert aug["CY-PPP-2016-005"]["investment_pct"] == pct("41200", "125000") == Decimal("32.96")
    oct_ = _by_id(read_published_rows(run, "ppp_progress", "2016-10"))
    assert oct_["CY-PPP-2015-001"]["investment_pct"] == pct("58005.75", "86000") == Decimal("67.45")
    assert oct_["CY-PPP-2015-001"]["investment_month"] == Decimal("2885.45")
    assert oct_["CY-PPP-2015-001"]["report_date"] == date(2016, 11, 3)
    assert oct_["CY-PPP-2016-003"]["investment_month"] is None
    assert "CY-PPP-2016-005" not in oct_  # the planted decrease


def test_contributions_add_up_and_keep_their_as_of_dates(run: Path) -> None:
    for period in PERIODS:
        for row in read_published_rows(run, "ppp_contribution", period):
            assert row["government_contribution"] + row["private_contribution"] == row["capital"]
    oct_rows = read_published_rows(run, "ppp_contribution", "2016-10")
    keys = {(r["project_id"], r["as_of_date"]) for r in oct_rows}
    assert ("CY-PPP-2015-001", date(2015, 12, 31)) in keys and ("CY-PPP-2015-001", date(2016, 10, 31)) in keys
    p1 = next(r for r in oct_rows if r["as_of_date"] == date(2016, 10, 31) and r["project_id"] == "CY-PPP-2015-001")
    assert (p1["capital"], p1["debt_financing"]) == (Decimal("17200.00"), Decimal("48000.00"))
    sep_ids = {r["project_id"] for r in read_published_rows(run, "ppp_contribution", "2016-09")}
    assert "CY-PPP-2016-003" not in sep_ids  # the planted sum that does not add up


def _xls_texts(path: Path) -> dict[tuple[str, str], str]:
    """(project id, type as typed) -> 正文, read straight from the raw .xls."""
    sheet = xlrd.open_workbook(str(path)).sheet_by_index(0)
    head = [str(sheet.cell_value(1, c)) for c in range(sheet.ncols)]
    pid, kind, text = head.index("项目编号"), head.index("公开文件类型"), head.index("正文")
    return {(sheet.cell_value(r, pid), sheet.cell_value(r, kind)): sheet.cell_value(r, text) for r in range(3, sheet.nrows)}


def test_procurement_documents(run: Path) -> None:
    oct_ = {(r["project_id"], r["doc_type"], r["seq"]): r for r in read_published_rows(run, "ppp_procurement_doc", "2016-10")}
    # signed Thursday 2016-09-29; the 2nd working day after is Saturday 10-08 (调休)
    contract = oct_[("CY-PPP-2016-002", "项目合同", 1)]
    assert contract["signing_date"] == date(2016, 9, 29) and contract["contract_on_time"] is True
    # signed Monday 10-24, due 10-26, published 10-28: published, flagged late
    late = oct_[("CY-PPP-2016-003", "项目合同", 1)]
    assert late["contract_on_time"] is False
    assert oct_[("CY-PPP-2016-002", "中标/成交结果", 1)]["contract_on_time"] is None  # typed 中标或成交结果
    assert oct_[("CY-PPP-2016-003", "预中标/成交结果", 2)]["notice_working_days"] == 5
    # Mid-Autumn 2016: 9-13, 9-14, (9-15..9-17 off), Sunday 9-18 worked, 9-19, 9-20
    sep = {(r["project_id"], r["doc_type"]): r for r in read_published_rows(run, "ppp_procurement_doc", "2016-09")}
    assert sep[("CY-PPP-2016-002", "预中标/成交结果")]["notice_working_days"] == 5
    # given (in upper case) for some rows, computed from the 正文 for the others
    texts = _xls_texts(run.parent / "sample_data" / "ppp" / "PPP项目采购信息_2016-10.xls")
    checked = 0
    for (pid, _), text in texts.items():
        for r in oct_.values():
            if r["project_id"] == pid and text.startswith(r["doc_title"] + "\n"):
                assert r["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
                checked += 1
    assert checked == len(oct_) == 5
    aug = read_published_rows(run, "ppp_procurement_doc", "2016-08")
    assert {r["doc_type"] for r in aug} == {"项目合同", "资格预审公告", "中标/成交结果", "采购文件"}


PLANTED = [
    # dataset, period, project, field, words the reason must contain
    ("ppp_contribution", "2016-09", "CY-PPP-2016-003", "capital", ("项目资本金", "capital")),
    ("ppp_procurement_doc", "2016-09", "CY-PPP-2016-003", "notice_end", ("工作日", "notice_end")),
    ("ppp_project", "2016-10", "CY-PPP-2016-002", "spv_uscc", ("校验位", "spv_uscc")),
    ("ppp_progress", "2016-10", "CY-PPP-2016-005", "investment_cum", ("累计完成投资", "investment_cum")),
    ("ppp_procurement_doc", "2016-10", "CY-PPP-2016-004", "doc_type", ("法定顺序", "资格预审公告", "doc_type")),
]


@pytest.mark.parametrize(("dataset", "period", "project", "field_name", "words"), PLANTED)
def test_planted_rows_land_inread_rejects(
    run: Path, dataset: str, period: str, project: str, field_name: str, words: tuple[str, ...]
) -> None:
    rejects = read_rejects(run, dataset, period)
    hits = [r for r in rejects if r["field"] == field_name]
    assert len(hits) == 1, rejects
    for word in words:
        assert word in hits[0]["reason"]
    published = {r["project_id"] for r in read_published_rows(run, dataset, period)}
    if dataset in ("ppp_project", "ppp_progress"):
        assert project not in published


def test_no_otherread_rejects(run: Path) -> None:
    counts = {(ds, p): len(read_rejects(run, ds, p)) for ds in DATASETS for p in PERIODS}
    planted = {(ds, p) for ds, p, *_ in PLANTED}
    assert {k: v for k, v in counts.items() if v} == {k: 1 for k in planted}


# --- the pipeline maps columns and units without code ------------------------------------


def test_progress_in_yuan_with_renamed_columns(project: Path, etl: Callable[..., subprocess.CompletedProcess]) -> None:
    root = project
    data = root / "sample_data" / "ppp"
    for period in PERIODS:
        src = data / f"PPP项目实施进度_{period}.csv"
        with open(src, encoding="gbk", newline="") as fh:
            rows = list(csv.reader(fh))
        out = [["项目编号", "项目名称", "本月完成额（元）", "累计完成额（元）", "形象进度", "填报日期"]]
        for r in rows[1:]:
            out.append([r[1], r[2], _yuan(r[3]), _yuan(r[4]), r[5], r[6]])
        with open(data / f"进度_元_{period}.csv", "w", encoding="gbk", newline="") as fh:
            csv.writer(fh).writerows(out)
    spec = yaml.safe_load((root / "pipelines" / "ppp.yaml").read_text(encoding="utf-8"))
    spec["inputs"]["progress"] = {
        "path": "../sample_data/ppp/进度_元_{period}.csv",
        "columns": {"investment_month": "本月完成额（元）", "investment_cum": "累计完成额（元）"},
        "units": {"investment_month": "元", "investment_cum": "元"},
    }
    (root / "pipelines" / "ppp.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = etl("run", str(root / "pipelines" / "ppp.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    out = root / "output"
    oct_ = _by_id(read_published_rows(out, "ppp_progress", "2016-10"))
    assert oct_["CY-PPP-2015-001"]["investment_cum"] == Decimal("58005.75")
    assert oct_["CY-PPP-2015-001"]["investment_month"] == Decimal("2885.45")
    assert oct_["CY-PPP-2015-001"]["investment_pct"] == Decimal("67.45")
    assert _by_id(read_published_rows(out, "ppp_progress", "2016-08"))["CY-PPP-2016-005"]["investment_cum"] == Decimal("41200.00")
    assert [r["field"] for r in read_rejects(out, "ppp_progress", "2016-10")] == ["investment_cum"]


def _yuan(text: str) -> str:
    """万元 (or 亿元) as typed -> 元 with separators, exactly."""
    if not text:
        return text
    if text.endswith("亿元"):
        value = Decimal(text[:-2]) * 100_000_000
    else:
        value = Decimal(text.replace(",", "")) * 10_000
    return f"{value:,.2f}"


def test_missing_column_names_what_was_found(project: Path, etl: Callable[..., subprocess.CompletedProcess]) -> None:
    root = project
    spec = yaml.safe_load((root / "pipelines" / "ppp.yaml").read_text(encoding="utf-8"))
    spec["inputs"]["progress"]["columns"] = {"investment_cum": "累计投资额"}
    spec["periods"] = "2016-08"
    (root / "pipelines" / "ppp.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = etl("run", str(root / "pipelines" / "ppp.yaml"))
    assert result.returncode == 2
    assert "investment_cum" in result.stderr and "累计完成投资(万元)" in result.stderr


# --- cross-field and cross-period checks, on typed rows as the engine passes them -------------


@dataclass
class FakeContext:
    """What the checks use of :class:`gongkai_etl.contracts.SourceContext`."""

    period: Period
    pipeline_dir: Path
    options: dict[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    tables: dict[tuple[str, str], pa.Table] = field(default_factory=dict)

    def published(self, dataset: str, period: Period) -> pa.Table | None:
        return self.tables.get((dataset, period.key))

    def source_unit(self, input_name: str, column: str) -> str | None:
        return None


def _ctx(tmp_path: Path, period: str = "2016-10", **options: Any) -> FakeContext:
    # the short test ids are a local numbering: the pipeline option says so
    ctx = FakeContext(Period.parse(period), tmp_path, options={"project_id_pattern": r"P-\d+", **options})
    ctx.cache["projects"] = pa.table({"project_id": ["P-1", "P-2"], "total_investment": ["12.5亿元", "2,000"]})
    return ctx


def _typed(dataset: Dataset, rows: list[dict[str, str | None]], period: str = "2016-10", *, clean: bool = True) -> pa.Table:
    names = sorted({k for r in rows for k in r})
    data: dict[str, Any] = {n: pa.array([r.get(n) for r in rows], pa.string()) for n in names}
    data["period"] = pa.array([period] * len(rows), pa.string())
    data[ROW_COLUMN] = pa.array(range(2, 2 + len(rows)), pa.int64())
    data[FILE_COLUMN] = pa.array(["test"] * len(rows), pa.string())
    typed, rejects = normalize_and_validate(pa.table(data), dataset)
    assert rejects == [] or not clean, rejects
    return typed


def _check(ctx: FakeContext, dataset: Dataset, rows: list[dict[str, str | None]]) -> list[tuple[int, str]]:
    table = _typed(dataset, rows, ctx.period.key)
    return sorted((r.index, r.field) for r in PppSource().check(ctx, dataset, table))


def test_contribution_identity_allows_a_cent(tmp_path: Path) -> None:
    rows = [
        {"project_id": "P-1", "as_of_date": "2016/10/31", "capital": "100.00", "government_contribution": "20.00",
         "private_contribution": "80.01"},  # off by 0.01: rounding, accepted
        {"project_id": "P-1", "as_of_date": "2016年9月30日", "capital": "100", "government_contribution": "20",
         "private_contribution": "80.02"},
        {"project_id": "P-9", "as_of_date": "2016-11-01", "capital": "1", "government_contribution": "1",
         "private_contribution": "0"},
    ]
    assert _check(_ctx(tmp_path), _ds(CONTRIBUTION, "P-"), rows) == [(1, "capital"), (2, "as_of_date"), (2, "project_id")]


def _ds(dataset: Dataset, prefix: str) -> Dataset:
    """The dataset with a project-id pattern the short test ids satisfy."""
    from dataclasses import replace

    fields = tuple(replace(f, pattern=rf"{prefix}\d+") if f.name == "project_id" else f for f in dataset.fields)
    return replace(dataset, fields=fields)


def test_project_term_and_credit_codes(tmp_path: Path) -> None:
    base = {"project_name": "x", "industry": "教育", "street": "望京街道", "division_code": "110105026000",
            "implementing_agency": "区教委", "total_investment": "1", "operation_mode": "BOT",
            "payment_mechanism": "政府付费", "stage": "执行"}
    rows = [
        {**base, "project_id": "P-1", "cooperation_term_years": "20", "construction_years": "2", "operation_years": "18",
         "spv_uscc": "91350100M000100Y43"},
        {**base, "project_id": "P-2", "cooperation_term_years": "20", "construction_years": "3", "operation_years": "18",
         "private_partner_uscc": "91350100M000100Y44"},
        {**base, "project_id": "P-3", "cooperation_term_years": "15", "street": "海淀街道", "division_code": None},
    ]
    # the engine rejects the missing division code too; check() names the street
    table = _typed(_ds(PROJECT, "P-"), rows, clean=False)
    got = sorted((r.index, r.field) for r in PppSource().check(_ctx(tmp_path), PROJECT, table))
    assert got == [(1, "cooperation_term_years"), (1, "private_partner_uscc"), (2, "street")]


def test_progress_never_below_the_latest_published_month(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    # August published, September not: October compares with August
    ctx.tables[("ppp_progress", "2016-08")] = pa.table({"project_id": ["P-1", "P-2"], "investment_cum": [Decimal("500"), Decimal("10")]})
    rows = [{"project_id": "P-1", "investment_cum": "499.99"}, {"project_id": "P-2", "investment_cum": "10"}]
    dataset = _ds(PROGRESS, "P-")
    table = _typed(dataset, rows)
    rejects = list(PppSource().check(ctx, dataset, table))
    assert [(r.index, r.field) for r in rejects] == [(0, "investment_cum")]
    assert "2016-08" in rejects[0].reason
    derived = PppSource().derive(ctx, dataset, table)
    # P-1: 12.5亿元 = 125000 万元; P-2: 2,000 万元
    assert derived.column("investment_pct").to_pylist() == [Decimal("0.40"), Decimal("0.50")]


def _doc(pid: str, kind: str, published: str, **more: str) -> dict[str, str | None]:
    return {"project_id": pid, "doc_type": kind, "seq": more.pop("seq", "1"), "doc_title": f"{pid}{kind}",
            "procurement_method": "公开招标", "publish_date": published, **more}


def test_notice_period_counts_working_days(tmp_path: Path) -> None:
    rows = [
        # 5 calendar weekdays but National Day: 9-29, 9-30 only (plus Saturday 10-8 would be the 3rd)
        _doc("P-1", "预中标/成交结果", "2016-09-29", notice_start="2016-09-29", notice_end="2016-10-07"),
        # 9-28, 9-29, 9-30, Saturday 10-8, Sunday 10-9 (both worked in 2016): 5
        _doc("P-2", "预中标/成交结果", "2016-09-28", notice_start="2016-09-28", notice_end="2016-10-09"),
        _doc("P-1", "预中标/成交结果", "2016-10-10", seq="2", notice_start="2016-10-10"),  # no end
        _doc("P-2", "采购文件", "2016-09-20", notice_start="2016-09-21", notice_end="2016-09-20"),
        _doc("P-2", "采购文件", "2016-09-21", seq="2", notice_start="2016-09-20", notice_end="2016-09-22"),
    ]
    ctx = _ctx(tmp_path)
    dataset = _ds(PROCUREMENT_DOC, "P-")
    got = _check(ctx, dataset, rows)
    assert got == [(0, "notice_end"), (2, "notice_end"), (3, "notice_end"), (4, "notice_start")]
    derived = PppSource().derive(ctx, dataset, _typed(dataset, rows))
    assert derived.column("notice_working_days").to_pylist()[:2] == [2, 5]


def test_contract_timeliness_is_flagged_not_rejected(tmp_path: Path) -> None:
    rows = [
        _doc("P-1", "项目合同", "2016-10-08", signing_date="2016-09-29"),  # due Saturday 10-08
        _doc("P-2", "项目合同", "2016-10-10", signing_date="2016-09-29"),  # a working day late
        _doc("P-1", "项目合同", "2016-10-11", seq="2"),  # no signing date
        _doc("P-2", "项目合同", "2016-10-12", seq="2", signing_date="2016-10-13"),  # signed after publication
    ]
    ctx = _ctx(tmp_path)
    dataset = _ds(PROCUREMENT_DOC, "P-")
    assert _check(ctx, dataset, rows) == [(2, "signing_date"), (3, "signing_date")]
    derived = PppSource().derive(ctx, dataset, _typed(dataset, rows[:2]))
    assert derived.column("contract_on_time").to_pylist() == [True, False]
    # a pipeline can give more time: 9-30, 10-08, 10-09 (a working Sunday), 10-10
    ctx4 = _ctx(tmp_path, contract_working_days=4)
    assert PppSource().derive(ctx4, dataset, _typed(dataset, rows[:2])).column("contract_on_time").to_pylist() == [True, True]


def test_documents_follow_the_legal_order(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    ctx.tables[("ppp_procurement_doc", "2016-09")] = pa.table({
        "project_id": ["P-2", "P-2"],
        "doc_type": ["资格预审公告", "确认谈判备忘录"],
        "publish_date": pa.array([date(2016, 9, 5), date(2016, 9, 20)], pa.date32()),
    })
    rows = [
        # same batch: the later step dated before the earlier one is the one rejected
        _doc("P-1", "资格预审公告", "2016-10-12"),
        _doc("P-1", "采购文件", "2016-10-10"),
        # against September: before its 资格预审公告 of 9-05
        _doc("P-2", "采购文件", "2016-09-01"),
        # against September: an earlier step after the 确认谈判备忘录 of 9-20
        _doc("P-2", "采购文件", "2016-10-03", seq="2"),
        # fine: after the memorandum
        _doc("P-2", "预中标/成交结果", "2016-10-10", notice_start="2016-10-10", notice_end="2016-10-14"),
    ]
    dataset = _ds(PROCUREMENT_DOC, "P-")
    rejects = list(PppSource().check(ctx, dataset, _typed(dataset, rows)))
    assert sorted((r.index, r.field) for r in rejects) == [(1, "doc_type"), (2, "doc_type"), (3, "doc_type")]
    assert all("法定顺序" in r.reason for r in rejects)


def test_doc_order_option_puts_the_signed_contract_last(tmp_path: Path) -> None:
    rows = [
        _doc("P-1", "中标/成交结果", "2016-10-10"),
        _doc("P-1", "项目合同", "2016-10-20", signing_date="2016-10-19"),
    ]
    dataset = _ds(PROCUREMENT_DOC, "P-")
    assert _check(_ctx(tmp_path), dataset, rows) == [(0, "doc_type")]
    order = ["资格预审公告", "采购文件", "确认谈判备忘录", "预中标/成交结果", "中标/成交结果", "项目合同"]
    assert _check(_ctx(tmp_path, doc_order=order), dataset, rows) == []


def test_doc_order_option_must_list_every_type_once(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, doc_order=["资格预审公告", "采购文件"])
    with pytest.raises(ConfigError, match="doc_order"):
        _check(ctx, _ds(PROCUREMENT_DOC, "P-"), [_doc("P-1", "采购文件", "2016-10-10")])


def test_document_type_spellings(tmp_path: Path) -> None:
    raw = pa.table({"doc_type": ["预中标／成交结果", "PPP项目合同", " 中标结果", "磋商文件", "别的"], "seq": [None, "2", None, None, None]})
    out = _doc_rows(raw)
    assert out.column("doc_type").to_pylist() == ["预中标/成交结果", "项目合同", "中标/成交结果", "采购文件", "别的"]
    assert out.column("seq").to_pylist() == ["1", "2", "1", "1", "1"]


def test_sha256_must_match_the_text(tmp_path: Path) -> None:
    text = "某某PPP项目资格预审公告"
    good = hashlib.sha256(text.encode("utf-8")).hexdigest()
    rows = [
        _doc("P-1", "资格预审公告", "2016-10-10", sha256=good, doc_text=text),
        _doc("P-2", "资格预审公告", "2016-10-10", sha256="0" * 64, doc_text=text),
    ]
    assert _check(_ctx(tmp_path), _ds(PROCUREMENT_DOC, "P-"), rows) == [(1, "sha256")]
