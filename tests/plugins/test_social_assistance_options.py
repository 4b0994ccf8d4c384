"""Social assistance: a department's own category words are a source option
(``category_words``), so a stats file that says 城市低保户 publishes without code;
without the option the rows are rejected; a word mapped onto no category is
refused at ``etl validate`` time. Hand-made inputs only."""

from __future__ import annotations

from pathlib import Path

from support import read_published_rows, read_rejects, run_etl

STATS = """街道,类别,保障户数,保障人数,本月支出,本年累计支出
望京街道,城市低保户,12,20,1.5,9.0
垡头街道,农村低保户,3,5,0.4,2.4
"""


def _pipeline(root: Path, options: str = "") -> Path:
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "stats_2016-07.csv").write_text(STATS, encoding="utf-8")
    file = root / "sa.yaml"
    file.write_text(
        f"pipeline: sa_local\nsource:\n  plugin: social_assistance\n{options}"
        "inputs:\n  stats:\n    path: data/stats_{period}.csv\n"
        "datasets: [sa_monthly_stats]\nperiods: 2016-07\nmax_reject_ratio: 1.0\nreview: auto\n"
        "output:\n  dir: out\n  formats: [parquet]\n",
        encoding="utf-8",
    )
    return file


def test_local_category_words_from_the_pipeline_publish(tmp_path: Path) -> None:
    words = "  options:\n    category_words: {城市低保户: 城市低保, 农村低保户: 农村低保}\n"
    result = run_etl("run", str(_pipeline(tmp_path, words)))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_published_rows(tmp_path / "out", "sa_monthly_stats", "2016-07")
    assert sorted(r["category"] for r in rows) == ["农村低保", "城市低保"]


def test_without_the_option_the_words_are_rejected(tmp_path: Path) -> None:
    run_etl("run", str(_pipeline(tmp_path)))
    assert [r["field"] for r in read_rejects(tmp_path / "out", "sa_monthly_stats", "2016-07")] == ["category", "category"]


def test_a_word_onto_no_category_is_refused_by_validate(tmp_path: Path) -> None:
    result = run_etl("validate", str(_pipeline(tmp_path, "  options:\n    category_words: {低保户: 低保}\n")))
    assert result.returncode == 2 and "category_words" in result.stderr and "低保户: 低保" in result.stderr
