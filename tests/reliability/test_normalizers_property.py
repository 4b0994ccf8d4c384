"""Property tests the normalize/ and extract/ suites do not already have.

* normalizers: columnar == scalar on *arbitrary* Unicode (tests/normalize uses
  near-miss alphabets), for every field type, with and without unit conversion,
  and whatever the Arrow layout (chunked, dictionary, large_string);
  nothing but NormalizeError / a reason string, ever; clean_text is idempotent;
  parse_month and the division codes round-trip;
* extract: headers match whatever their spacing, width and order; readers
  raise only GongkaiError on arbitrary bytes and on truncations of valid files;
  CSV encodings round-trip; a 合计 row that adds up passes, one that does not fails.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gongkai_etl.datasets import Field
from gongkai_etl.divisions import DISTRICT_CODE, DIVISIONS, division_code, division_name
from gongkai_etl.errors import DataError, GongkaiError, NormalizeError
from gongkai_etl.extract.csv_reader import CsvReader
from gongkai_etl.extract.excel_reader import ExcelReader
from gongkai_etl.extract.headers import header_key, is_total_row, match_columns
from gongkai_etl.extract.json_reader import JsonReader
from gongkai_etl.extract.totals import TotalsCheck
from gongkai_etl.normalize import columns
from gongkai_etl import values as nz
from gongkai_etl.normalize.columns import normalize_column
from reliability_helpers import REPO, count

FIELDS = [
    Field("t", "文本"),
    Field("i", "整数", "integer", unit="户"),
    Field("n", "数", "number"),
    Field("c", "浓度", "number", unit="mg/m³"),
    Field("m", "金额", "decimal", unit="万元", precision=18, scale=2),
    Field("r", "比例", "decimal", precision=10, scale=3),
    Field("d", "日期", "date"),
    Field("dt", "时间", "datetime"),
    Field("b", "是否", "boolean"),
]
UNITS = {"i": None, "c": "μg/m³", "m": "元"}

# Arbitrary text, minus what Arrow cannot hold (lone surrogates).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
CELLS = st.lists(st.one_of(st.none(), TEXT, st.sampled_from(["1,234.5", "１２", "2016年10月3日", "是", "12.5万元", "-", "NA"])),
                 min_size=1, max_size=25)


def _outcome(parse: Any, value: Any) -> tuple[Any, bool]:
    try:
        return parse(value), False
    except NormalizeError:
        return None, True


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    return a == b and type(a) is type(b)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CELLS, st.sampled_from(FIELDS))
def test_columnar_equals_scalar_on_any_text(values: list[str | None], field: Field) -> None:
    unit = UNITS.get(field.name)
    typed, errors = normalize_column(pa.array(values, pa.string()), field, source_unit=unit)
    assert typed.type == field.arrow_type and len(typed) == len(errors) == len(values)
    parse = columns._scalar_parser(field, unit, columns._unit_shift(field, unit))
    for raw, got, reason in zip(values, typed.to_pylist(), errors.to_pylist(), strict=True):
        want, failed = _outcome(parse, raw)
        if failed:
            assert got is None and isinstance(reason, str) and reason, (field.name, raw)
        else:
            assert reason is None, (field.name, raw, reason)
            assert _same(got, want), (field.name, raw, got, want)


@settings(max_examples=40, deadline=None)
@given(CELLS, st.sampled_from(FIELDS), st.integers(1, 4))
def test_layout_does_not_matter(values: list[str | None], field: Field, pieces: int) -> None:
    unit = UNITS.get(field.name)
    plain = normalize_column(pa.array(values, pa.string()), field, source_unit=unit)
    step = max(1, len(values) // pieces)
    chunked = pa.chunked_array([pa.array(values[i : i + step], pa.string()) for i in range(0, len(values), step)], pa.string())
    for arr in (chunked, pa.array(values, pa.string()).dictionary_encode(), pa.array(values, pa.large_string())):
        other = normalize_column(arr, field, source_unit=unit)
        assert other[0].to_pylist() == plain[0].to_pylist()
        assert other[1].to_pylist() == plain[1].to_pylist()


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_clean_text_is_idempotent(text: str) -> None:
    if any(c in nz.CONTROL for c in text):  # a damaged cell: rejected, never cleaned
        with pytest.raises(NormalizeError, match="控制字符"):
            nz.clean_text(text)
        return
    once = nz.clean_text(text)
    assert once is None or nz.clean_text(once) == once


MONTH_FORMATS = ["{y}-{m:02d}", "{y}-{m}", "{y}年{m}月", "{y}年{m}月份", "{y}{m:02d}", "{y}/{m}", "{y}.{m:02d}", " {y} 年 {m} 月 "]


@settings(max_examples=150)
@given(st.integers(1800, 2199), st.integers(1, 12), st.sampled_from(MONTH_FORMATS), st.booleans())
def test_parse_month_round_trip(year: int, month: int, fmt: str, wide: bool) -> None:
    text = fmt.format(y=year, m=month)
    if wide:
        text = nz.to_halfwidth(text).translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    assert nz.parse_month(text) == f"{year:04d}-{month:02d}"


CODES = sorted(DIVISIONS)


@st.composite
def division_spelling(draw: st.DrawFn) -> tuple[str, str]:
    code = draw(st.sampled_from(CODES))
    name = DIVISIONS[code]
    base = name.removesuffix("街道").removesuffix("地区")
    text = draw(st.sampled_from([name, base, f"{base}办事处", f"{name}办事处", code, code[:9]]))
    if not text.isdigit():
        text = draw(st.sampled_from(["", "朝阳区", "北京市朝阳区", "北京朝阳区"])) + text
        spaces = draw(st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3))
        for sp in spaces:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + sp + text[at:]
    elif draw(st.booleans()):
        text = text.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
    return text, code


@settings(max_examples=200)
@given(division_spelling())
def test_division_round_trip(spelling: tuple[str, str]) -> None:
    text, code = spelling
    assert division_code(text) == code
    assert division_code(division_name(code)) == code


@settings(max_examples=300)
@given(TEXT)
@example("朝阳区朝阳区")
@example("000000000000")
def test_division_code_never_crashes(text: str) -> None:
    try:
        code = division_code(text)
    except NormalizeError:
        return
    assert code == DISTRICT_CODE or code in DIVISIONS


# --- headers ------------------------------------------------------------------------------

HEADERS = ["项目编号", "累计签约户数", "总投资(亿元)", "填报日期", "备注"]


@st.composite
def cosmetic(draw: st.DrawFn, header: str) -> str:
    text = header.replace("(", draw(st.sampled_from(["(", "（"]))).replace(")", draw(st.sampled_from([")", "）"])))
    for sp in draw(st.lists(st.sampled_from([" ", "\u3000", "\n", "\xa0"]), max_size=3)):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + sp + text[at:]
    return text


@settings(max_examples=100)
@given(st.permutations(HEADERS), st.data())
def test_headers_match_whatever_spacing_width_and_order(order: list[str], data: st.DataObject) -> None:
    found = [data.draw(cosmetic(h)) for h in order] + ["序号"]
    declared = {f"c{i}": (h,) for i, h in enumerate(HEADERS)}
    mapping, missing, unexpected = match_columns(found, declared, {})
    assert not missing and unexpected == ["序号"]
    for i, h in enumerate(HEADERS):
        assert header_key(mapping[f"c{i}"]) == header_key(h)
    assert header_key(header_key(found[0])) == header_key(found[0])


# --- readers: only clean errors --------------------------------------------------------------

READERS = {".csv": CsvReader(), ".json": JsonReader(), ".xlsx": ExcelReader(), ".jsonl": JsonReader()}
EXPECTED = ["项目编号", "项目名称", "回迁安置户数", "累计签约户数"]


def _read_all(path: Path) -> None:
    table = READERS[path.suffix].read(str(path), {}, expected=EXPECTED)
    table.to_table()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.sampled_from(sorted(READERS)))
def test_readers_raise_only_clean_errors_on_any_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    path.write_bytes(data)
    try:
        _read_all(path)
    except GongkaiError:
        pass


SAMPLES = sorted((REPO / "sample_data").rglob("*.*"))
SAMPLES = [p for p in SAMPLES if p.suffix in (".csv", ".json", ".xlsx") and p.stat().st_size < 200_000]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SAMPLES), st.floats(0, 1, exclude_max=True), st.sampled_from(["cut", "flip", "zero"]))
def test_damaged_sample_files_give_clean_errors(tmp_path: Path, sample: Path, where: float, how: str) -> None:
    data = bytearray(sample.read_bytes())
    at = int(len(data) * where)
    if how == "cut":
        data = data[:at]
    elif how == "flip":
        data[at] ^= 0xFF
    else:
        data[at : at + 64] = b"\0" * len(data[at : at + 64])
    path = tmp_path / f"damaged{sample.suffix}"
    path.write_bytes(bytes(data))
    try:
        _read_all(path)
    except GongkaiError:
        pass
    count("damaged sample files read")


ROWS = st.lists(st.lists(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5) | st.sampled_from("ab1 ，。"),
                                 min_size=1, max_size=6).filter(lambda t: t.strip() == t and t != ""),
                         min_size=3, max_size=3), min_size=1, max_size=8)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ROWS, st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]))
def test_csv_encodings_round_trip(tmp_path: Path, rows: list[list[str]], encoding: str) -> None:
    header = ["项目编号", "项目名称", "备注"]
    assume(all(not nz.clean_text(c) is None for r in rows for c in r))
    assume(not any(is_total_row(r) for r in rows))  # a drawn 合计 row is left out, by design
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / "rt.csv"
    try:
        path.write_bytes(buf.getvalue().encode(encoding))
    except UnicodeEncodeError:
        assume(False)
    table = CsvReader().read(str(path), {}, expected=header)
    got = table.to_table()
    assert table.columns == header
    assert [[got.column(h)[i].as_py() for h in header] for i in range(got.num_rows)] == rows


# --- 合计 rows ------------------------------------------------------------------------------

@settings(max_examples=100)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=30), st.integers(-5, 5))
def test_integer_totals_must_add_up_exactly(values: list[int], delta: int) -> None:
    check = TotalsCheck(["n"], location="t", mode="check")
    check.add_batch(pa.record_batch({"n": [f"{v:,}" for v in values]}))
    total = sum(values) + delta
    if delta == 0:
        check.total_row(99, [str(total)])
        assert check.checked
    else:
        with pytest.raises(DataError, match="does not add up"):
            check.total_row(99, [str(total)])


@settings(max_examples=100)
@given(st.lists(st.decimals(0, 10**6, places=4), min_size=1, max_size=30))
@example([Decimal("0.0150")] * 3)  # cells 0.02 each, total 0.04: the total's own rounding counts too
def test_rounded_cells_total_of_unrounded_values_passes(values: list[Decimal]) -> None:
    """Cells shown to 0.01 and a total of the unrounded values: within the rounding tolerance."""
    check = TotalsCheck(["x"], location="t", mode="check")
    check.add_batch(pa.record_batch({"x": [f"{v:.2f}" for v in values]}))
    check.total_row(9, [f"{sum(values):.2f}"])
    assert check.checked
