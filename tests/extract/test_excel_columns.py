"""The workbook reader's column-wise conversion shows each cell as the per-cell rule does."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai_etl.extract.excel_reader import _text, _text_columns

cells = st.one_of(
    st.none(), st.just(""), st.text(max_size=5), st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
)


@settings(deadline=None)
@given(st.lists(st.lists(cells, max_size=5), max_size=12), st.integers(1, 4))
def test_columns_match_cell_by_cell(rows: list[list[object]], width: int) -> None:
    got = [col.to_pylist() for col in _text_columns(rows, width)]
    expected = [[_text(r[i]) if i < len(r) else None for r in rows] for i in range(width)]
    assert got == expected


def test_a_text_column_keeps_spaces_and_makes_empty_cells_null() -> None:
    got = _text_columns([[" 朝阳 ", 1.0], ["", 2.5], [None, None]], 2)
    assert [c.to_pylist() for c in got] == [[" 朝阳 ", None, None], ["1", "2.5", None]]
