"""Issue 17 case 2: the reject limit holds per dataset, and a dataset that would
publish 0 rows from a non-empty input fails its period (nothing of the period is
published, the earlier versions stay byte for byte)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from reliability_helpers import check_consistent, count, published_files, run_etl

FOLLOWUP = "sample_data/shantytown/棚改后期管理_2016-09.csv"


def _spoil_every_followup_row(project: Path) -> int:
    """Every row of shantytown_followup 2016-09 gets a completion share that is no number."""
    path = project / FOLLOWUP
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"))))
    for row in rows[1:]:
        row[3] = "不详"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("gbk"))
    return len(rows) - 1


def _set(project: Path, text: str) -> Path:
    pipeline = project / "pipelines/shantytown.yaml"
    body = pipeline.read_text(encoding="utf-8")
    start = body.index("max_reject_ratio:")
    pipeline.write_text(body[:start] + text, encoding="utf-8")
    return pipeline


def _published_then_spoiled(project: Path, limits: str) -> tuple[Path, dict[str, bytes]]:
    pipeline = _set(project, limits)
    first = run_etl("run", str(pipeline), "--period", "2016-09")
    assert first.returncode == 0, first.stderr
    before = published_files(project / "output")
    assert any("shantytown_followup_2016-09" in name for name in before)
    _spoil_every_followup_row(project)
    return pipeline, before


def test_case2_one_dataset_all_rejected_fails_the_period(project: Path) -> None:
    """Every followup row rejected while the other datasets pass: counted over the
    period together this was under 20%; per dataset it is 100%, so the run fails."""
    pipeline, before = _published_then_spoiled(project, "max_reject_ratio: 0.2\n")
    proc = run_etl("run", str(pipeline), "--period", "2016-09")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert "数据集 shantytown_followup" in line and "2/2" in line
    assert line.index("数据集") < line.index("(dataset shantytown_followup: 2 of 2 rows rejected")
    assert published_files(project / "output") == before  # nothing of 2016-09 changed
    check_consistent(project / "output")
    count("reject limit cases (issue 17 case 2)")


def test_case2_zero_rows_from_a_non_empty_input_fail_whatever_the_limit(project: Path) -> None:
    """Even a limit of 1 (all rows may be rejected) never publishes an empty new version."""
    pipeline, before = _published_then_spoiled(
        project, "max_reject_ratio: 0.2\nreject_ratios: {shantytown_followup: 1}\n"
    )
    proc = run_etl("run", str(pipeline), "--period", "2016-09")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert "输入 2 行，可发布 0 行" in line
    assert "dataset shantytown_followup would publish 0 rows from 2 input rows (2 rejected)" in line
    assert published_files(project / "output") == before
    check_consistent(project / "output")
    count("reject limit cases (issue 17 case 2)")


def test_case2_reject_ratios_are_validated(project: Path) -> None:
    for text, expected in [
        ("max_reject_ratio: 0\nreject_ratios: {no_such_dataset: 0.1}\n", "reject_ratios.no_such_dataset"),
        ("max_reject_ratio: 0\nreject_ratios: {shantytown_followup: 2}\n", "reject_ratios.shantytown_followup"),
        ("max_reject_ratio: 0\nreject_ratios: {shantytown_followup: yes}\n", "reject_ratios.shantytown_followup"),
    ]:
        pipeline = _set(project, text)
        proc = run_etl("validate", str(pipeline))
        assert proc.returncode == 2, (text, proc.stdout, proc.stderr)
        assert expected in proc.stderr + proc.stdout, (text, proc.stderr)
    count("reject limit cases (issue 17 case 2)")
