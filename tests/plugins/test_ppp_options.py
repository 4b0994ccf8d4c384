"""PPP source options: a district whose project IDs follow another numbering
sets ``source.options.project_id_pattern`` in its pipeline (no code), the
default pattern names the option when it rejects, and a pattern that is not a
regex is refused at ``etl validate`` time."""

from __future__ import annotations

from pathlib import Path

from support import read_published_rows, read_rejects, run_etl

PROJECTS = """项目编号,项目名称,所属行业,所在街乡,实施机构,项目总投资,运作方式,回报机制,合作期限,项目阶段
HD-PPP-2016-A01,甲项目,市政工程,望京街道,北京市朝阳区水务局,"12,000",BOT,政府付费,20年,采购
 HD-PPP-2016-A02 ,乙项目,教育,垡头街道,北京市朝阳区教育委员会,8000,BOT,政府付费,15年,准备
"""


def _pipeline(root: Path, options: str = "") -> Path:
    """A one-input pipeline over a hand-made CSV of projects with local IDs."""
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "projects_2016-09.csv").write_text(PROJECTS, encoding="utf-8")
    file = root / "p" / "ppp.yaml"
    file.parent.mkdir(exist_ok=True)
    file.write_text(
        "pipeline: ppp_local\n"
        f"source:\n  plugin: ppp\n{options}"
        "inputs:\n  projects:\n    path: ../data/projects_{period}.csv\n"
        "datasets: [ppp_project]\nperiods: 2016-09\nmax_reject_ratio: 1.0\n"
        "output:\n  dir: ../out\n  formats: [parquet, csv]\n",
        encoding="utf-8",
    )
    return file


def test_local_id_pattern_from_the_pipeline_publishes(tmp_path: Path) -> None:
    file = _pipeline(tmp_path, "  options:\n    project_id_pattern: 'HD-PPP-\\d{4}-A\\d{2}'\n")
    result = run_etl("run", str(file))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_published_rows(tmp_path / "out", "ppp_project", "2016-09")
    assert sorted(r["project_id"] for r in rows) == ["HD-PPP-2016-A01", "HD-PPP-2016-A02"]


def test_without_the_option_rows_are_rejected_naming_it(tmp_path: Path) -> None:
    result = run_etl("run", str(_pipeline(tmp_path)))
    rejects = read_rejects(tmp_path / "out", "ppp_project", "2016-09")
    assert [r["field"] for r in rejects] == ["project_id", "project_id"], result.stdout + result.stderr
    assert all("source.options.project_id_pattern" in r["reason"] for r in rejects)


def test_a_pattern_that_is_not_a_regex_is_refused_by_validate(tmp_path: Path) -> None:
    file = _pipeline(tmp_path, "  options:\n    project_id_pattern: 'HD-(PPP'\n")
    result = run_etl("validate", str(file))
    assert result.returncode == 2
    assert "source.options.project_id_pattern" in result.stderr
    assert "正则表达式" in result.stderr and "regular expression" in result.stderr


def test_unknown_option_lists_the_valid_ones_with_their_meaning(tmp_path: Path) -> None:
    file = _pipeline(tmp_path, "  options:\n    project_pattern: 'X'\n")
    result = run_etl("validate", str(file))
    assert result.returncode == 2
    assert "project_pattern" in result.stderr
    for name in ("project_id_pattern (str, default CY-PPP-\\d{4}-\\d{3})", "notice_working_days (int, default 5)"):
        assert name in result.stderr
    assert "regex the whole ID must match" in result.stderr
