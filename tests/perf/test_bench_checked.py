"""bench/duckdb_checked.py (the c2 reference row) rejects the rows `etl run` rejects.

The bench compares etl with DuckDB "doing the same"; c2 claims to make etl's row checks.
This test breaks one row per check in a generated list and runs both on it: c2 must
reject exactly the rows etl rejects, for the same field, and publish the same keys.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import load_bench, read_rejects, run_etl

pytest.importorskip("duckdb")

ROWS = 2_000
SALT = "bench-check-salt"
# 序号 of the broken row -> (column, bad value, the field both must blame)
BROKEN = {
    11: ("身份证号", None, "id_number"),  # check character changed below
    21: ("街道", "火星街道", "street"),
    31: ("保障人口", "0", "persons"),
    41: ("月保障金额", "abc", "monthly_amount"),
    51: ("类别", "其他", "category"),
    61: ("户主姓名", "", "head_name"),
}


def _broken_list(tmp: Path) -> Path:
    src = load_bench("generate_dibao").generate(ROWS, tmp / "clean.csv", seed=3, encoding="utf-8")
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        broken = BROKEN.get(int(row[0]))
        if broken is None:
            continue
        column, value, _ = broken
        i = header.index(column)
        if value is None:  # a wrong GB 11643 check character
            value = row[i][:17] + ("0" if row[i][17] != "0" else "1")
        row[i] = value
    out = tmp / "broken.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return out


def test_c2_rejects_what_etl_rejects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_SALT", SALT)
    src = _broken_list(tmp_path)

    c2_out = tmp_path / "c2"
    load_bench("duckdb_checked").main(str(src), str(c2_out))
    with open(c2_out / "rejects.csv", encoding="utf-8") as fh:
        c2_rejects = {int(r["row_no"]): r["problem"] for r in csv.DictReader(fh)}
    assert c2_rejects == {n: field for n, (_, _, field) in BROKEN.items()}

    (tmp_path / "p.yaml").write_text(
        "pipeline: c2_check\nsource:\n  plugin: social_assistance\n"
        f"inputs:\n  dibao_list:\n    path: {src}\n"
        "datasets: [sa_dibao_public_list]\nperiods: 2016-07\n"
        f"output:\n  dir: {tmp_path / 'etl'}\n  formats: [parquet]\n"
        "salt_env: BENCH_SALT\nmax_reject_ratio: 0.01\nreview: auto\n",
        encoding="utf-8",
    )
    proc = run_etl("run", str(tmp_path / "p.yaml"), "--period", "2016-07", env={"BENCH_SALT": SALT})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    etl_rejects = read_rejects(tmp_path / "etl", "sa_dibao_public_list", "2016-07")
    # etl names the physical line (the header is line 1, so 序号 n is line n + 1). For the
    # bad ID it also reports the record_key it could not make, a second line for the row.
    etl_fields: dict[int, set[str]] = {}
    for r in etl_rejects:
        etl_fields.setdefault(int(r["row"]) - 1, set()).add(r["field"])
    assert etl_fields.keys() == c2_rejects.keys()
    assert all(c2_rejects[n] in fields for n, fields in etl_fields.items())

    etl_keys = pq.read_table(tmp_path / "etl" / "sa_dibao_public_list" / "data" / "sa_dibao_public_list_2016-07.parquet")
    c2_table = pq.read_table(c2_out / "part-0.parquet")
    assert c2_table.num_rows == ROWS - len(BROKEN)
    assert sorted(c2_table.column("record_key").to_pylist()) == sorted(etl_keys.column("record_key").to_pylist())


def test_c2_stops_on_a_repeated_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_SALT", SALT)
    src = load_bench("generate_dibao").generate(200, tmp_path / "list.csv", seed=5, encoding="utf-8")
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    src.write_text("".join(lines) + lines[5].replace(lines[5].split(",")[0], "999", 1), encoding="utf-8")
    with pytest.raises(SystemExit, match="1 repeated record_key"):
        load_bench("duckdb_checked").main(str(src), str(tmp_path / "c2"))
