"""Row rules and named checks a dataset declares: each shown to pass a good row
and to reject the row that breaks it, with the field and a reason in words."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence
from gongkai_etl.plugins import load_plugins
from gongkai_etl.rules import parse_rule
from gongkai_etl.toolkit import id18_check_char, normalize_and_validate
from gongkai_etl.validate.rules import RuleEnv, check_declared

TODAY = date(2016, 10, 20)
FIELDS = (
    Field("key", "编号", required=True),
    Field("kind", "类别"),
    Field("a", "甲", type="decimal", scale=2),
    Field("b", "乙", type="decimal", scale=2),
    Field("total", "合计", type="decimal", scale=2),
    Field("start", "开始日期", type="date"),
    Field("end", "结束日期", type="date"),
    Field("code", "代码"),
    Field("n", "数量", type="integer"),
)


def _rejects(rules: list[dict], rows: list[dict], *, previous: pa.Table | None = None, reference: dict | None = None, fields=FIELDS):
    ds = Dataset("t", "测试", "test", fields, Cadence.MONTHLY, checks=tuple(parse_rule(r, f"checks[{i}]") for i, r in enumerate(rules)))
    names = [f.name for f in fields]
    raw = pa.table({n: pa.array([None if r.get(n) is None else str(r[n]) for r in rows], pa.string()) for n in names})
    raw = raw.append_column("_row", pa.array(range(2, 2 + len(rows)), pa.int64()))
    typed, parse_rejects = normalize_and_validate(raw, ds)
    assert parse_rejects == []
    refs = {k: normalize_and_validate(v, ds)[0] if isinstance(v, pa.Table) else v for k, v in (reference or {}).items()}
    env = RuleEnv(TODAY, load_plugins().checks, lambda: previous, lambda name: refs.get(name))
    return [(r.row, r.field, r.reason) for r in check_declared(ds, typed, list(range(2, 2 + len(rows))), None, env)]


def test_sum_of_parts_within_tolerance() -> None:
    rule = {"rule": "sum", "parts": ["a", "b"], "total": "total", "tolerance": 0.01}
    good = {"key": "1", "a": "1.00", "b": "2.00", "total": "3.01"}
    bad = {"key": "2", "a": "1.00", "b": "2.00", "total": "3.50"}
    found = _rejects([rule], [good, bad])
    assert [(row, field) for row, field, _ in found] == [(3, "total")]
    assert "3" in found[0][2] and "甲 + 乙" in found[0][2]


def test_not_before_and_not_after() -> None:
    rows = [{"key": "1", "start": "2016-09-01", "end": "2016-09-02"}, {"key": "2", "start": "2016-09-05", "end": "2016-09-01"}]
    assert [r[:2] for r in _rejects([{"rule": "not_before", "field": "end", "other": "start"}], rows)] == [(3, "end")]
    assert [r[:2] for r in _rejects([{"rule": "not_after", "field": "start", "other": "end"}], rows)] == [(3, "start")]


def test_not_future_counts_from_the_run_date() -> None:
    rows = [{"key": "1", "start": "2016-10-20"}, {"key": "2", "start": "2016-10-21"}]
    found = _rejects([{"rule": "not_future", "field": "start"}], rows)
    assert [r[:2] for r in found] == [(3, "start")] and "2016-10-20" in found[0][2]


def test_at_most_and_at_least_between_fields() -> None:
    rows = [{"key": "1", "a": "1", "b": "2"}, {"key": "2", "a": "5", "b": "2"}]
    assert [r[:2] for r in _rejects([{"rule": "at_most", "field": "a", "other": "b"}], rows)] == [(3, "a")]
    assert [r[:2] for r in _rejects([{"rule": "at_least", "field": "a", "other": "b"}], rows)] == [(2, "a")]


def test_at_most_a_value_of_another_dataset() -> None:
    other = pa.table({"key": ["1", "2"], "n": ["10", "3"], "_row": [2, 3]})
    rows = [{"key": "1", "n": "9"}, {"key": "2", "n": "4"}]
    found = _rejects([{"rule": "at_most", "field": "n", "other": "other.n", "key": "key"}], rows, reference={"other": other})
    assert [r[:2] for r in found] == [(3, "n")] and "3" in found[0][2]


def test_required_if_and_empty_if() -> None:
    rows = [{"key": "1", "kind": "法人", "code": None}, {"key": "2", "kind": "自然人", "code": None}, {"key": "3", "kind": "自然人", "code": "X"}]
    req = _rejects([{"rule": "required_if", "field": "code", "when": {"kind": "法人"}}], rows)
    assert [r[:2] for r in req] == [(2, "code")] and "法人" in req[0][2]
    empty = _rejects([{"rule": "empty_if", "field": "code", "when": {"kind": ["自然人"]}}], rows)
    assert [r[:2] for r in empty] == [(4, "code")]


def _uscc(body: str) -> str:
    from gongkai_etl_plugins.ppp_uscc import check_char

    return body + check_char(body)


def test_named_check_with_a_condition() -> None:
    good = _uscc("91110105" + "MA0012345")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [{"key": "1", "kind": "法人", "code": good}, {"key": "2", "kind": "法人", "code": bad}, {"key": "3", "kind": "自然人", "code": bad}]
    found = _rejects([{"rule": "check", "field": "code", "check": "uscc", "when": {"kind": "法人"}}], rows)
    assert [r[:2] for r in found] == [(3, "code")] and "统一社会信用代码" in found[0][2]


def _id18(first17: str) -> str:
    return first17 + id18_check_char(first17)


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        ("id18", _id18("11010519491231002"), _id18("11010519491231002")[:-1] + "0"),
        ("uscc", _uscc("91110105MA0012345"), "91110105MA00123450"),
        ("division_code", "建外街道", "不存在街道"),
        ("division_code", "110105001000", "110105999000"),
    ],
)
def test_each_named_check_rejects_the_value_that_breaks_it(check: str, good: str, bad: str) -> None:
    fields = (Field("key", "编号", required=True), Field("code", "代码", check=check))
    found = _rejects([], [{"key": "1", "code": good}, {"key": "2", "code": bad}], fields=fields)
    assert [r[:2] for r in found] == [(3, "code")]


@given(st.from_regex(r"[1-6][0-9]{5}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True))
def test_id18_accepts_every_id_with_its_check_character(first17: str) -> None:
    valid = load_plugins().checks["id18"].valid
    full = _id18(first17)
    wrong = full[:-1] + ("1" if full[-1] != "1" else "2")
    assert valid(pa.array([full, wrong])).to_pylist() == [True, False]


def test_unique_field() -> None:
    fields = (Field("key", "编号", required=True), Field("code", "代码", unique=True))
    found = _rejects([], [{"key": "1", "code": "A"}, {"key": "2", "code": "B"}, {"key": "3", "code": "A"}], fields=fields)
    assert [r[:2] for r in found] == [(4, "code")]


def test_in_dataset() -> None:
    other = pa.table({"key": ["1"], "_row": [2]})
    found = _rejects([{"rule": "in_dataset", "field": "key", "dataset": "other"}], [{"key": "1"}, {"key": "9"}], reference={"other": other})
    assert [r[:2] for r in found] == [(3, "key")]


def test_not_decreasing_against_the_previous_period() -> None:
    previous = pa.table({"key": ["1", "2"], "n": pa.array([5, 5], pa.int64())})
    rows = [{"key": "1", "n": "6"}, {"key": "2", "n": "4"}, {"key": "3", "n": "1"}]
    found = _rejects([{"rule": "not_decreasing", "fields": ["n"], "key": "key"}], rows, previous=previous)
    assert [r[:2] for r in found] == [(3, "n")] and "5" in found[0][2]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"rule": "sum", "parts": ["a"]}, "needs total"),
        ({"rule": "not_befor", "field": "a", "other": "b"}, "did you mean 'not_before'"),
        ({"rule": "not_before", "field": "a", "othr": "b"}, "did you mean 'other'"),
        ({"rule": "required_if", "field": "a", "when": []}, "expected a mapping of field to value"),
    ],
)
def test_a_malformed_rule_is_a_one_line_config_error(rule: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_rule(rule, "checks[0]")
    assert message in err.value.message and err.value.message.startswith("checks[0]")


def test_a_rule_naming_an_unknown_field_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a field; did you mean 'start'"):
        Dataset("t", "测试", "test", FIELDS, Cadence.MONTHLY, checks=(parse_rule({"rule": "not_future", "field": "strt"}, "x"),))
