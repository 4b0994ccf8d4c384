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


def test_validate_inputs_reports_every_input_at_once(tmp_path: Path) -> None:
    """Issue 16 item 5: `etl validate --inputs` maps both inputs of a two-input
    pipeline in one go: found, mapped, missing with names accepted and fixes, unexpected."""
    from support import two_input_project

    pipeline = two_input_project(tmp_path, {"grants": ["单位编码", "拨款"], "subsidies": ["编码", "金额（元）"]})
    result = run_etl("validate", "--inputs", str(pipeline))
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout
    assert "inputs.grants:" in out and "inputs.subsidies:" in out
    assert "缺少 (missing) amount: 接受 (accepted) amount / 金额" in out
    assert "缺少 (missing) unit_code" in out and "未识别的列 (unexpected): 编码" in out
    assert "columns:" in out and "fixed:" in out and "not_provided" not in out.split("缺少 (missing) amount")[1].split("缺少")[0]
    good = two_input_project(tmp_path / "good", {"grants": ["单位编码", "金额"], "subsidies": ["单位编码", "金额（元）"]})
    ok = run_etl("validate", "--inputs", str(good))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "amount <- 金额（元） [元]" in ok.stdout


def test_schema_shows_the_names_the_mapping_accepts(tmp_path: Path) -> None:
    result = run_etl("schema", "pe_sangong")
    assert result.returncode == 0, result.stderr
    assert "this_year <- this_year / 本年预算数" in result.stdout  # the input column that feeds amount
    assert "headers the mapping accepts" in result.stdout


def test_a_runs_json_log_carries_every_inputs_mapping(tmp_path: Path) -> None:
    """Issue 16 item 5: the JSON log of a run that maps has the mapping report of
    each input (found, mapped, unexpected, header units); the console stays short."""
    import json

    from support import two_input_project

    pipeline = two_input_project(tmp_path, {"grants": ["单位编码", "金额", "序号"], "subsidies": ["单位编码", "金额（元）"]})
    result = run_etl("--log-format", "json", "run", str(pipeline))
    assert result.returncode == 0, result.stdout + result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    mappings = {e["input"]: e for e in events if e.get("event") == "mapping"}
    assert set(mappings) == {"grants", "subsidies"}
    assert mappings["grants"]["unexpected"] == ["序号"] and mappings["grants"]["mapped"]["amount"] == "金额"
    assert mappings["subsidies"]["header_units"] == {"amount": "元"}
    notes = [e["message"] for e in events if e.get("event") == "note"]
    assert any("元 -> 万元" in n for n in notes)  # the conversion is in the run report


def test_plugins_options_lists_each_option_with_type_default_and_meaning() -> None:
    result = run_etl("plugins", "--options", "ppp")
    assert result.returncode == 0, result.stderr
    assert "project_id_pattern (str, default CY-PPP-\\d{4}-\\d{3}): 项目编号的格式" in result.stdout
    assert "notice_working_days (int, default 5):" in result.stdout
    unknown = run_etl("plugins", "--options", "pp")
    assert unknown.returncode == 2 and "'ppp'" in unknown.stderr
