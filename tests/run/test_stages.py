"""The stage interface: every stage has one entry point of one shape, the loop
runs them in data-flow order, counts each stage's own rows, and stamps stage,
dataset and period on a failure."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from gongkai_etl.contracts import Reject, Source
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import DataError
from gongkai_etl.normalize import stage as normalize_stage
from gongkai_etl.periods import Cadence, Period
from gongkai_etl.report import DatasetOutcome
from gongkai_etl.run.runner import STAGES
from gongkai_etl.stages import Chunk, StageContext, run_chunk
from gongkai_etl.validate import stage as validate_stage

VISITS = Dataset(
    id="visits", title_zh="到馆人次", title_en="visits", description="", publisher="x", domain="x",
    cadence=Cadence.MONTHLY, primary_key=("library",),
    fields=(Field("library", "图书馆", required=True), Field("visits", "人次", type="integer", minimum=0)),
)


class Checked(Source):
    """A source whose check rejects one library and may fail outright."""

    name = "checked"
    datasets = (VISITS,)
    fail = False

    def check(self, ctx: Any, dataset: Dataset, table: pa.Table) -> list[Reject]:
        if self.fail:
            raise DataError("the department's own check failed")
        libs = table.column("library").to_pylist()
        return [Reject(i, i + 1, "library", v, "closed library") for i, v in enumerate(libs) if v == "旧馆"]


def _ctx(tmp_path: Path, source: Source) -> StageContext:
    period = Period.parse("2016-09")
    return StageContext(
        VISITS, period, None, source, None, {}, VISITS.arrow_schema(), tmp_path,  # type: ignore[arg-type]
        DatasetOutcome(VISITS.id, period.key),
    )


def _raw(rows: list[tuple[str, str]]) -> pa.Table:
    return pa.table({
        "library": [r[0] for r in rows], "visits": [r[1] for r in rows],
        "_row": pa.array(range(1, len(rows) + 1), pa.int64()),
    })


def test_every_stage_has_one_entry_point_of_one_shape() -> None:
    assert [s.NAME for s in STAGES] == ["normalize", "validate", "derive", "protect", "stage"]
    for stage in STAGES:
        assert list(inspect.signature(stage.run).parameters) == ["chunk", "ctx"], stage.NAME


def test_each_stage_counts_its_own_rows(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, Checked())
    raw = _raw([("朝阳馆", "12"), ("劲松馆", "many"), ("旧馆", "3"), ("朝阳馆", "5")])
    out = run_chunk((normalize_stage, validate_stage), Chunk(raw), ctx)
    assert out.table.column("library").to_pylist() == ["朝阳馆"]
    normalize, validate = ctx.totals["normalize"], ctx.totals["validate"]
    assert (normalize.rows_in, normalize.rows_out, normalize.rejected) == (4, 3, 1)  # "many" is no integer
    assert (validate.rows_in, validate.rows_out, validate.rejected) == (3, 1, 2)  # 旧馆, then a duplicate key
    assert sorted((r.row, r.field) for r in ctx.rejects) == [(2, "visits"), (3, "library"), (4, "library")]
    assert ctx.outcome.rejected == 3


def test_a_failure_names_stage_dataset_and_period(tmp_path: Path) -> None:
    source = Checked()
    source.fail = True
    with pytest.raises(DataError) as err:
        run_chunk((normalize_stage, validate_stage), Chunk(_raw([("朝阳馆", "1")])), _ctx(tmp_path, source))
    assert (err.value.stage, err.value.dataset, err.value.period) == ("validate", "visits", "2016-09")
    assert str(err.value).startswith("stage validate, dataset visits, period 2016-09: ")
