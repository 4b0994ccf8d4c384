"""CLI behaviour: documented one-line errors and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import run_etl


def _pipeline(project: Path, text: str) -> Path:
    path = project / "pipelines" / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = (
    "source: {plugin: declared}\n"
    "inputs:\n"
    "  projects: ../sample_data/shantytown/棚改项目清单.xlsx\n"
    "  progress: ../sample_data/shantytown/棚改进度_{period}.xlsx\n"
    "output: {dir: ../out}\n"
)


def _one_error_line(result) -> str:
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_misspelt_key_names_file_path_and_nearest(project: Path, etl) -> None:
    path = _pipeline(project, GOOD.replace("output:", "ouptut:"))
    result = etl("validate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert str(path) in line and "ouptut" in line and "did you mean 'output'?" in line


def test_misspelt_nested_key(project: Path, etl) -> None:
    path = _pipeline(project, GOOD.replace("output: {dir: ../out}", "output: {dri: ../out}"))
    result = etl("run", str(path), "--period", "2016-08")
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "output.dri" in line and "did you mean 'dir'?" in line


def test_wrong_type(project: Path, etl) -> None:
    path = _pipeline(project, GOOD + "max_reject_ratio: lots\n")
    result = etl("validate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "max_reject_ratio" in line and "expected a number between 0 and 1" in line


def test_missing_input_file(project: Path, etl) -> None:
    path = _pipeline(project, GOOD.replace("棚改进度_{period}", "进度_{period}"))
    result = etl("run", str(path), "--period", "2016-08")
    assert result.returncode == 2
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, result.stderr  # one line, whatever its prefix
    assert "进度_2016-08.xlsx" in lines[0] and "input file not found" in lines[0]
    assert "stage extract" in lines[0] and "period 2016-08" in lines[0]


def test_unknown_dataset_and_plugin(project: Path, etl) -> None:
    path = _pipeline(project, GOOD + "datasets: [shantytown_progres]\n")
    line = _one_error_line(etl("validate", str(path)))
    assert "did you mean 'shantytown_progress'?" in line
    path = _pipeline(project, GOOD.replace("plugin: declared", "plugin: declard"))
    line = _one_error_line(etl("validate", str(path)))
    assert "source.plugin" in line and "did you mean 'declared'?" in line


def test_debug_shows_traceback(project: Path, etl) -> None:
    path = _pipeline(project, GOOD.replace("output:", "ouptut:"))
    result = etl("--debug", "validate", str(path))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_bad_period_is_usage_error(project: Path, etl) -> None:
    result = etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-13")
    assert result.returncode == 2
    assert "2016-13" in _one_error_line(result)


def test_datasets_and_schema(etl) -> None:
    listed = etl("datasets")
    assert listed.returncode == 0 and "shantytown_progress" in listed.stdout
    table = etl("schema", "shantytown_progress")
    assert table.returncode == 0 and "累计签约户数" in table.stdout
    import json

    schema = json.loads(etl("schema", "shantytown_progress", "--json").stdout)
    assert schema["primaryKey"] == ["period", "project_id"]
    assert {"name": "investment_cum", "title": "累计完成投资", "type": "number"}.items() <= schema["fields"][8].items()


@pytest.mark.parametrize("fmt", ["json"])
def test_json_log_format(project: Path, etl, fmt: str) -> None:
    import json

    result = etl("--log-format", fmt, "run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-08")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = {e["event"] for e in events}
    assert {"stage", "period"} <= kinds
    period = next(e for e in events if e["event"] == "period")
    assert {d["status"] for d in period["datasets"]} == {"published"}


def test_rows_left_out_are_counted_by_reason(project: Path) -> None:
    """The 填表人 footnote under each office's table is said to be a footnote, not a total."""
    proc = run_etl("run", str(project / "pipelines/double_publicity.yaml"), "--period", "2016-08")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(x for x in proc.stdout.splitlines() if "rows left out" in x)
    assert "脚注行 (footnote)" in line and "合计" not in line, line


@pytest.mark.parametrize("out_dir", ["/", "../..", ".."])
def test_an_output_dir_that_is_the_root_or_a_parent_of_the_pipeline_is_refused(project: Path, etl, out_dir: str) -> None:
    """Issue 17 case 11: `output.dir: /` or `../../..` validated, and a run began creating /.gongkai."""
    path = _pipeline(project, GOOD.replace("output: {dir: ../out}", f"output: {{dir: '{out_dir}'}}"))
    for command in ("validate", "run"):
        result = etl(command, str(path), "--period", "2016-08") if command == "run" else etl(command, str(path))
        assert result.returncode == 2
        line = _one_error_line(result)
        assert "output.dir" in line and "parent of the pipeline's folder" in line
    assert not (project.parent / ".gongkai").exists()


def test_a_pipeline_id_is_a_name_never_a_path(project: Path, etl) -> None:
    """Issue 17 case 3: `pipeline: ../../../victim` validated, and a run truncated victim.lock outside the output."""
    path = _pipeline(project, "pipeline: ../../../victim\n" + GOOD)
    result = etl("validate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "pipeline:" in line and "'../../../victim'" in line


def test_a_billion_laughs_yaml_is_refused_without_expanding_it(project: Path, etl) -> None:
    """Issue 17 case 4: nine levels of nine aliases stand for 9**9 strings; expanding
    them took gigabytes. The expanded size is counted on the alias graph instead."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = _pipeline(project, "\n".join(lines) + "\nsource: *a8\n")
    assert path.stat().st_size < 1000
    result = etl("validate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "YAML" in line and "200,000" in line and len(line) < 400


def test_an_error_message_shows_a_long_value_cut_short(project: Path, etl) -> None:
    path = _pipeline(project, GOOD.replace("output: {dir: ../out}", "output: {dir: ../out}\nreview: [" + ", ".join(["x" * 50] * 200) + "]"))
    result = etl("validate", str(path))
    assert result.returncode == 2
    line = _one_error_line(result)
    assert "review" in line and len(line) < 600, len(line)


def test_plugins_options_lists_each_option_with_type_default_and_meaning() -> None:
    result = run_etl("plugins", "--options", "ppp")
    assert result.returncode == 0, result.stderr
    assert "project_id_pattern (str, default CY-PPP-\\d{4}-\\d{3}): 项目编号的格式" in result.stdout
    assert "notice_working_days (int, default 5):" in result.stdout
    unknown = run_etl("plugins", "--options", "pp")
    assert unknown.returncode == 2 and "'ppp'" in unknown.stderr
