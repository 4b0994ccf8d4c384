"""One error model: usage mistakes are one bilingual line with the nearest option
and exit 2; failures say ``Error:``; under ``--log-format json`` every line of a
failing run is JSON with level and run id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_etl


def _one_error_line(proc) -> str:  # noqa: ANN001
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--perod", "2016-09", "pipelines/"], ["未知选项 (no such option) --perod", "did you mean '--period'"]),
        (["run", "--bogus", "pipelines/"], ["no such option", "expected one of: --period"]),
        (["history", "some_dataset", "--output", "x"], ["未知选项 (no such option) --output", "etl history --help"]),
        (["runn"], ["未知命令 (no such command) 'runn'", "did you mean 'run'"]),
        (["status", "--as-of", "bad"], ["--as-of", "expected a date"]),
        (["run"], ["缺少参数", "missing argument"]),
    ],
)
def test_usage_mistakes_are_one_bilingual_line_and_exit_2(args: list[str], expected: list[str]) -> None:
    proc = run_etl(*args)
    assert proc.returncode == 2, proc.stderr
    line = _one_error_line(proc)
    for part in expected:
        assert part in line, line


def test_a_period_no_dataset_serves_is_an_error_naming_what_is_served(project: Path) -> None:
    proc = run_etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016Q3")
    assert proc.returncode == 2
    line = _one_error_line(proc)
    assert "2016Q3" in line and "shantytown: monthly 2016-08..2016-10" in line


def _fail_on_rejects(project: Path) -> Path:
    path = project / "pipelines/shantytown.yaml"
    text = path.read_text(encoding="utf-8")
    assert "max_reject_ratio: 0.2" in text
    path.write_text(text.replace("max_reject_ratio: 0.2", "max_reject_ratio: 0").replace("\nreject_ratios: {", "\n# reject_ratios: {"), encoding="utf-8")
    return path


def test_a_failure_says_error_not_warning(project: Path) -> None:
    proc = run_etl("run", str(_fail_on_rejects(project)), "--period", "2016-10")
    assert proc.returncode == 1
    assert "Error: " in proc.stderr and "Warning: " not in proc.stderr, proc.stderr


def test_every_json_line_of_a_failing_run_parses_with_level_and_run_id(project: Path) -> None:
    proc = run_etl("--log-format", "json", "run", str(_fail_on_rejects(project)))
    assert proc.returncode == 1
    assert proc.stderr == "", proc.stderr  # errors are JSON lines too, on the same stream
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert docs
    run_ids = {d["run_id"] for d in docs}
    assert len(run_ids) == 1 and None not in run_ids
    for d in docs:
        assert d["level"] in ("info", "warning", "error") and d["pipeline"] == "shantytown"
        assert {"period", "dataset", "stage"} <= set(d)
        if "seconds" in d:
            assert d["seconds"] == round(d["seconds"], 3)
    errors = [d for d in docs if d["level"] == "error"]
    assert any(d["event"] == "error" and d["period"] == "2016-10" and d["exit_code"] == 1 for d in errors), errors
    assert not any(d["event"] == "warning" and d.get("exit_code") for d in docs)
