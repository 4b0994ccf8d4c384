"""normalize_table parses a repeating amount, count or date column through its
distinct values: the typed column, the rejects and the checks' input are what the
row-by-row parse gives."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.contracts import ROW_COLUMN
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.periods import Cadence
from gongkai_etl.normalize import table as normtable
from gongkai_etl.normalize.table import Normalized, normalize_table

FIELDS = (
    Field("amount", "金额", type="decimal", unit="元", scale=2),
    Field("persons", "人数", type="integer"),
    Field("day", "日期", type="date"),
    Field("name", "名称"),
)
DATASET = Dataset("t", "测试", "test", FIELDS, Cadence.MONTHLY)
AMOUNTS = st.sampled_from(["1,996.00", "985.5", "", "无", "12.345", "-3", "1,2,3", "  7 ", None, "１２", "3元"])
COUNTS = st.sampled_from(["1", "2", "3人", "", None, "x", "2.0", "99999999999999999999"])
DAYS = st.sampled_from(["2016-07-01", "20160701", "2016/7/1", "2016-02-30", "", None, "2016年7月1日"])


def _table(rows: list[tuple[str | None, str | None, str | None]]) -> pa.Table:
    amounts, counts, days = zip(*rows, strict=True) if rows else ((), (), ())
    n = len(rows)
    return pa.table({
        "amount": pa.array(amounts, pa.string()),
        "persons": pa.array(counts, pa.string()),
        "day": pa.array(days, pa.string()),
        "name": pa.array([f"n{i % 7}" for i in range(n)], pa.string()),
        ROW_COLUMN: pa.array(range(2, n + 2), pa.int64()),
    })


def _outcome(table: pa.Table) -> tuple[list[object], list[tuple[object, ...]]]:
    normalized = normalize_table(table, DATASET)
    rejects = sorted((r.row, r.field, str(r.value), r.reason) for r in normalized.rejects)
    return normalized.table.select([f.name for f in FIELDS]).to_pylist(), rejects


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(AMOUNTS, COUNTS, DAYS), min_size=1, max_size=60), st.integers(1, 200))
def test_parsing_through_the_distinct_values_gives_what_the_rows_give(rows: list, repeat: int) -> None:
    table = _table(rows * repeat)
    with mock.patch.object(normtable, "ENCODE_MIN_ROWS", 1):
        encoded = _outcome(table)
    with mock.patch.object(normtable, "ENCODE_MIN_ROWS", 10**9):
        plain = _outcome(table)
    assert encoded == plain


def _amount_parses(table: pa.Table) -> tuple[list[int], Normalized]:
    """normalize_table of ``table``, and the length of every array normalize_column
    parsed for the amount field."""
    parsed: list[int] = []
    original = normtable.normalize_column

    def counting(arr: pa.Array | pa.ChunkedArray, f: Field, **kw: object) -> tuple[pa.Array, pa.Array]:
        if f.name == "amount":
            parsed.append(len(arr))
        return original(arr, f, **kw)  # type: ignore[arg-type]

    with mock.patch.object(normtable, "normalize_column", counting):
        normalized = normalize_table(table, DATASET)
    return parsed, normalized


def test_a_long_repeating_amount_column_is_parsed_once_per_value() -> None:
    amounts = ["1,996.00", "985.00", "2,010.50"] * 4000
    parsed, normalized = _amount_parses(_table([(a, "2", "2016-07-01") for a in amounts]))
    assert parsed == [3]  # the three distinct values, not 12,000 rows
    amount = normalized.table.column("amount")
    assert pa.types.is_decimal(amount.type)
    assert not pa.types.is_dictionary(amount.type)  # published as plain decimals
    assert pc.sum(amount).as_py() == sum(Decimal(a.replace(",", "")) for a in amounts)


def test_a_column_of_distinct_values_is_parsed_row_by_row() -> None:
    parsed, _ = _amount_parses(_table([(f"{i}.00", "1", "2016-07-01") for i in range(20000)]))
    assert parsed == [20000]
