"""Nothing personal in clear on the console, in logs or in the ledger, whatever
an error message quotes; private state (rejects, raw archive, review folder)
stays out of the published folder and readable by the owner only."""

from __future__ import annotations

import dataclasses
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from gongkai_etl.cli.console import JsonReporter
from gongkai_etl.contracts import Batch, Source
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import DataError
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.plugins import load_plugins
from gongkai_etl.run.runner import Runner
from gongkai_etl.spec import load_pipeline

RAW_ID = "11010519491231002X"
RAW_MOBILE = "13812345678"

LEAKY_DS = Dataset(
    id="leaky_list",
    title_zh="测试",
    title_en="test",
    cadence=Cadence.MONTHLY,
    fields=(Field("period", "期间", required=True), Field("name", "名称")),
    primary_key=("period",),
    review="required",
)


class LeakySource(Source):
    """A source whose error message quotes a raw cell, as a careless plugin might."""

    name = "leaky"
    datasets = (LEAKY_DS,)

    def extract(self, ctx) -> Iterator[Batch]:
        raise DataError(f"第 5 行无法解析: '{RAW_ID}，电话{RAW_MOBILE}' (cannot parse row 5)", dataset=LEAKY_DS.id)
        yield  # pragma: no cover


def _runner(tmp_path: Path, stream: io.StringIO, extra: str = "") -> Runner:
    reg = load_plugins()
    registry = dataclasses.replace(reg, sources={"leaky": LeakySource()}, source_plugin={"leaky": "test"})
    path = tmp_path / "leaky.yaml"
    path.write_text(f"source: {{plugin: leaky}}\noutput: {{dir: out}}\n{extra}", encoding="utf-8")
    return Runner(load_pipeline(path), JsonReporter(stream), registry)


def test_runner_redacts_error_messages_in_log_report_and_ledger(tmp_path: Path) -> None:
    stream = io.StringIO()
    report = _runner(tmp_path, stream).run([Period.parse("2016-10")])
    assert report.exit_code == 1
    log = stream.getvalue()
    assert RAW_ID not in log and RAW_MOBILE not in log
    assert "110105********002X" in log and "138****5678" in log
    warnings = [json.loads(l) for l in log.splitlines() if '"level": "error"' in l and '"event": "error"' in l]
    assert warnings and "cannot parse row 5" in warnings[0]["message"]
    assert RAW_ID not in (report.periods[0].error or "")
    db = (tmp_path / "out" / ".gongkai" / "state.db").read_bytes().decode("utf-8", errors="replace")
    assert RAW_ID not in db and RAW_MOBILE not in db


def test_dataset_review_default_and_pipeline_override(tmp_path: Path) -> None:
    assert _runner(tmp_path, io.StringIO()).review_required()  # the dataset says required
    assert not _runner(tmp_path, io.StringIO(), "review: auto\n").review_required()
    assert _runner(tmp_path, io.StringIO(), "review: required\n").review_required()


def test_cli_error_line_is_redacted(tmp_path: Path, etl) -> None:
    missing = tmp_path / f"户主{RAW_ID}电话{RAW_MOBILE}.yaml"
    result = etl("validate", str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ")
    assert RAW_ID not in result.stderr and RAW_MOBILE not in result.stderr
    assert "110105********002X" in result.stderr


@pytest.fixture
def pipeline(project: Path) -> Path:
    path = project / "pipelines" / "shantytown.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "review: required\n", encoding="utf-8")
    return path


def test_private_state_modes_and_nothing_private_published(project: Path, pipeline: Path, etl) -> None:
    """2016-10 of the sample plants dirty rows: rejects are written, and the run waits."""
    out = project / "output"
    result = etl("run", str(pipeline), "--period", "2016-10")
    assert result.returncode == 4, result.stdout + result.stderr
    state = out / ".gongkai"
    rejects = list((state / "rejects").rglob("*.csv"))
    assert rejects
    for f in rejects:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert stat.S_IMODE(f.parent.stat().st_mode) == 0o700
    archive = state / "archive"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in archive.iterdir())
    review = state / "review"
    assert stat.S_IMODE(review.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(d.stat().st_mode) == 0o700 for d in review.iterdir())
    # nothing of it under the published tree
    published = [p for p in out.rglob("*") if ".gongkai" not in p.relative_to(out).parts]
    assert published == []

    rid = json.loads(etl("review", "list", "--json", str(pipeline)).stdout)[0]["id"]
    shown = etl("review", "show", rid, str(pipeline))
    assert "rejects (private)" in shown.stdout and "rejected 2" in shown.stdout
    assert etl("review", "approve", rid, str(pipeline), "--by", "李审查").returncode == 0
    published = [p for p in out.rglob("*") if p.is_file() and ".gongkai" not in p.relative_to(out).parts]
    assert published
    assert not any("rejects" in p.parts or "archive" in p.parts or "review" in p.parts for p in published)
