"""Tests of the privacy policy, its application and the PII scan of tables."""

from __future__ import annotations

import pyarrow as pa
import pytest

from gongkai_etl.errors import ConfigError
from gongkai_etl.protect.pii import PiiKind, salted_key
from gongkai_etl.protect.privacy import PrivacyPolicy, apply_policy
from gongkai_etl.protect.scan import Finding, format_findings, scan_table

ID_A = "11010519491231002X"
ID_B = "440524188001010014"


@pytest.fixture
def raw() -> pa.Table:
    return pa.table(
        {
            "head_name": ["王五", "李建华", "欧阳娜娜", None],
            "id_number": [ID_A, ID_B, "11010519491231002x", None],
            "persons": pa.array([1, 3, 2, 1], pa.int64()),
            "remark": ["新增", None, "因收入变化停保", "续保"],
        }
    )


POLICY = PrivacyPolicy.from_dict(
    {
        "drop": ["id_number"],
        "mask": {"head_name": "name"},
        "salted_keys": {"record_key": ["id_number"]},
    }
)


def test_apply_policy_masks_drops_and_keys(raw: pa.Table) -> None:
    out = apply_policy(raw, POLICY, salt="pepper")
    assert out.column_names == ["head_name", "persons", "remark", "record_key"]
    assert out.column("head_name").to_pylist() == ["王*", "李*华", "欧**娜", None]
    keys = out.column("record_key").to_pylist()
    assert keys[0] == salted_key("pepper", ID_A)
    assert keys[2] == keys[0]  # a lower-case x is the same person
    assert keys[3] is None
    assert ID_A not in str(out.to_pylist())
    # stable across runs, different under another salt
    assert apply_policy(raw, POLICY, salt="pepper").column("record_key").to_pylist() == keys
    other = apply_policy(raw, POLICY, salt="salt").column("record_key").to_pylist()
    assert all(a != b for a, b in zip(keys[:3], other[:3]))
    # masking an already protected table changes nothing
    again = apply_policy(out, PrivacyPolicy(mask={"head_name": "name"}), salt=None)
    assert again.column("head_name").to_pylist() == out.column("head_name").to_pylist()
    assert scan_table(out, POLICY, dataset="sa_dibao_public_list", period="2016-10") == []


def test_apply_policy_other_masks_keep_field_metadata() -> None:
    field = pa.field("phone", pa.string(), metadata={"title_zh": "电话"})
    table = pa.table(
        {"phone": ["+86 138 1234 5678", None], "note": ["身份证11010519491231002X，已核实", "无"]},
        schema=pa.schema([field, pa.field("note", pa.string())]),
    )
    policy = PrivacyPolicy(mask={"phone": "phone", "note": "redact"})
    out = apply_policy(table, policy, salt=None)
    assert out.to_pylist() == [
        {"phone": "138****5678", "note": "身份证110105********002X，已核实"},
        {"phone": None, "note": "无"},
    ]
    assert out.schema.field("phone").metadata == {b"title_zh": "电话".encode()}


def test_apply_policy_int_id_column_masked() -> None:
    table = pa.table({"id": pa.array([440524188001010014], pa.int64())})
    out = apply_policy(table, PrivacyPolicy(mask={"id": "id"}), salt=None)
    assert out.column("id").to_pylist() == ["440524********0014"]


def test_salt_missing(raw: pa.Table) -> None:
    with pytest.raises(ConfigError, match="salt not configured") as err:
        apply_policy(raw, POLICY, salt=None)
    assert "GONGKAI_SALT" in str(err.value)
    with pytest.raises(ConfigError, match="salt not configured.*DIBAO_SALT"):
        apply_policy(raw, POLICY, salt="", salt_env="DIBAO_SALT")


def test_apply_policy_missing_fields(raw: pa.Table) -> None:
    with pytest.raises(ConfigError, match="head_nmae") as err:
        apply_policy(raw, PrivacyPolicy(mask={"head_nmae": "name"}), salt=None)
    assert err.value.field == "head_nmae"
    with pytest.raises(ConfigError, match="idno"):
        apply_policy(raw, PrivacyPolicy(salted_keys={"k": ("idno",)}), salt="s")
    # drops of absent raw columns are fine
    assert apply_policy(raw, PrivacyPolicy(drop=("address",)), salt=None) == raw


def test_from_dict_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match="maks") as err:
        PrivacyPolicy.from_dict({"maks": {"head_name": "name"}})
    assert err.value.field == "maks"
    with pytest.raises(ConfigError, match="privacy.mask.head_name") as err:
        PrivacyPolicy.from_dict({"mask": {"head_name": "hash"}})
    assert "hash" in str(err.value)
    with pytest.raises(ConfigError, match="privacy.drop"):
        PrivacyPolicy.from_dict({"drop": [1]})
    with pytest.raises(ConfigError, match="privacy.salted_keys.record_key"):
        PrivacyPolicy.from_dict({"salted_keys": {"record_key": []}})
    with pytest.raises(ConfigError, match="pipelines/x.yaml:privacy.ignore"):
        PrivacyPolicy.from_dict({"ignore": {"a": 1}}, where="pipelines/x.yaml:privacy")


def test_merge_adds_to_the_default() -> None:
    merged = POLICY.merge(
        {"drop": ["address", "id_number"], "mask": {"head_name": None, "phone": "phone"}, "ignore": "project_id"}
    )
    assert merged.drop == ("id_number", "address")
    assert merged.mask == {"phone": "phone"}
    assert merged.ignore == ("project_id",)
    assert merged.salted_keys == {"record_key": ("id_number",)}
    assert POLICY.mask == {"head_name": "name"}  # the default is untouched
    with pytest.raises(ConfigError, match="unknown privacy key"):
        POLICY.merge({"salt": "x"})
    with pytest.raises(ConfigError, match="privacy.mask.phone"):
        POLICY.merge({"mask": {"phone": ["phone"]}})


@pytest.fixture
def published() -> pa.Table:
    return pa.table(
        {
            "division_code": ["110105001000", "110105002000", "110105003000"],
            "street": ["建外街道", "朝外街道11010519491231002X", "呼家楼街道"],
            "head_name": ["王*", "李*华", "张三"],
            "official": ["赵六", "钱七", "孙八"],
            "remark": ["新增", "续保", f"户主身份证{ID_B}，电话13812345678，已停保"],
            "legacy_id": pa.array([1, None, 440524188001010014], pa.int64()),
            "amount": pa.array([1234567.89, 2.0, 3.0], pa.float64()),
        }
    )


SCAN_POLICY = PrivacyPolicy(
    name_fields=("head_name", "official"), allow_names=("official",), ignore=("division_code",)
)


def test_scan_finds_ids_everywhere(published: pa.Table) -> None:
    findings = scan_table(
        published, SCAN_POLICY, dataset="sa_dibao_public_list", period="2016-10"
    )
    assert findings == [
        Finding("sa_dibao_public_list", "2016-10", 2, "street", PiiKind.ID18, "110105********002X"),
        Finding("sa_dibao_public_list", "2016-10", 3, "head_name", PiiKind.NAME, "张*"),
        Finding("sa_dibao_public_list", "2016-10", 3, "remark", PiiKind.ID18, "440524********0014"),
        Finding("sa_dibao_public_list", "2016-10", 3, "remark", PiiKind.MOBILE, "138****5678"),
        Finding("sa_dibao_public_list", "2016-10", 3, "legacy_id", PiiKind.ID18, "440524********0014"),
    ]
    report = format_findings(findings)
    line = "数据集 sa_dibao_public_list 期间 2016-10 第 2 行 列 street: 身份证号 (resident ID) 110105********002X"
    assert line in report.splitlines()
    assert "第 3 行 列 head_name: 未遮蔽姓名" in report
    assert ID_A not in report and ID_B not in report and "13812345678" not in report
    assert "张三" not in report


def test_scan_respects_ignore_and_allow_names(published: pa.Table) -> None:
    table = published.set_column(0, "division_code", pa.array([ID_A, ID_A, ID_A]))
    findings = scan_table(table, SCAN_POLICY, dataset="d", period="2016")
    assert all(f.column not in ("division_code", "official") for f in findings)
    strict = PrivacyPolicy(name_fields=("official",))
    strict_findings = scan_table(table, strict, dataset="d", period="2016")
    assert [f.row for f in strict_findings if f.column == "official"] == [1, 2, 3]


def test_scan_row_offset_for_batches() -> None:
    batch = pa.table({"remark": ["无", "电话13812345678"]})
    findings = scan_table(batch, PrivacyPolicy(), dataset="d", period="p", row_offset=100)
    assert [(f.row, f.kind, f.masked_value) for f in findings] == [(102, PiiKind.MOBILE, "138****5678")]


def test_scan_skips_amounts_and_reads_dictionary_columns() -> None:
    table = pa.table(
        {
            "amount": pa.array([13812345678.5], pa.float64()),
            "street": pa.array(["建外街道13812345678"]).dictionary_encode(),
        }
    )
    findings = scan_table(table, PrivacyPolicy(), dataset="d", period="p")
    assert [(f.column, f.kind) for f in findings] == [("street", PiiKind.MOBILE)]


def test_masked_name_field_counts_as_name_field() -> None:
    table = pa.table({"head_name": ["王五", "王*"]})
    findings = scan_table(table, PrivacyPolicy(mask={"head_name": "name"}), dataset="d", period="p")
    assert [(f.row, f.kind) for f in findings] == [(1, PiiKind.NAME)]


def test_format_findings_limit() -> None:
    findings = [Finding("d", "2016-10", i, "remark", PiiKind.MOBILE, "138****5678") for i in range(1, 31)]
    report = format_findings(findings, limit=20)
    lines = report.splitlines()
    assert len(lines) == 22
    assert lines[-1].startswith("…… 另有 10 处未列出 (10 more not shown)")
    assert "第 20 行" in report and "第 21 行" not in report
    assert format_findings([]) == "未发现个人信息 (no personal data found)"


def test_policy_for_scans_fields_with_unbounded_patterns() -> None:
    """Fixed-shape pattern fields (codes, keys) are skipped; a URL field is scanned."""
    from gongkai_etl.datasets import Dataset, Field
    from gongkai_etl.periods import Cadence, Period
    from gongkai_etl.spec import Pipeline
    from gongkai_etl.protect.protect import policy_for, protect
    from pathlib import Path

    ds = Dataset(
        id="docs",
        title_zh="文件",
        title_en="docs",
        cadence=Cadence.MONTHLY,
        fields=(
            Field("code", "代码", pattern=r"\d{12}"),
            Field("uscc", "信用代码", pattern=r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"),
            Field("url", "网址", pattern=r"https?://\S+"),
        ),
    )
    pipeline = Pipeline(Path("p.yaml"), "p", "p", "s", {}, {}, [], Path("out"), ["csv"])
    assert policy_for(ds, pipeline).ignore == ("code", "uscc")
    table = pa.table(
        {
            "code": ["110105001000"],
            "uscc": ["440524188001010014"],
            "url": ["http://czj.bjchy.gov.cn/notice?tel=13812345678"],
        }
    )
    _, findings = protect(table, ds, pipeline, Period.parse("2016-10"), salt=None)
    assert [(f.column, f.kind, f.masked_value) for f in findings] == [("url", PiiKind.MOBILE, "138****5678")]


def test_fields_with_a_code_check_are_not_scanned_but_id_checks_are() -> None:
    """An all-digit credit code can pass the Luhn test of a bank card; a field whose
    named check validates a code (uscc) is left alone like a bounded pattern, while a
    field checked as an ID number (id18) is still scanned."""
    from pathlib import Path

    from gongkai_etl.datasets import Dataset, Field
    from gongkai_etl.periods import Cadence
    from gongkai_etl.plugins import load_plugins
    from gongkai_etl.protect.protect import policy_for
    from gongkai_etl.spec import Pipeline

    checks = load_plugins().checks
    code_checks = {name for name, check in checks.items() if check.code}
    assert {"uscc", "division_code"} <= code_checks and "id18" not in code_checks
    ds = Dataset(
        id="orgs",
        title_zh="机构",
        title_en="orgs",
        cadence=Cadence.MONTHLY,
        fields=(
            Field("credit", "信用代码", check="uscc"),
            Field("person_id", "身份证号", check="id18"),
        ),
    )
    pipeline = Pipeline(Path("p.yaml"), "p", "p", "s", {}, {}, [], Path("out"), ["csv"])
    assert policy_for(ds, pipeline, code_checks).ignore == ("credit",)
    assert policy_for(ds, pipeline).ignore == ()  # without the registry's word, everything is scanned
