"""What every stage of a run takes and returns: the one stage interface.

A period's rows of one dataset pass the stages in chunks (the whole period's
table for small datasets, one record batch at a time for a source's streaming
datasets). Each stage package has one entry point of the same shape::

    def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]

and a module-level ``NAME``. The runner (:mod:`gongkai_etl.run.runner`) strings
them together in data-flow order: normalize -> validate -> derive -> protect ->
stage; it sums the :class:`StageInfo` of every chunk per stage for the report,
and stamps ``stage``, ``dataset`` and ``period`` on a
:class:`~gongkai_etl.errors.GongkaiError` that a stage raises without them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from gongkai_etl.contracts import Source, SourceContext, Writer, WriterSession
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import GongkaiError
from gongkai_etl.periods import Period
from gongkai_etl.rejectset import RejectLog
from gongkai_etl.report import DatasetOutcome, StageInfo
from gongkai_etl.spec import Pipeline


@dataclass
class Chunk:
    """Rows of one dataset on their way through the stages.

    ``table`` holds the dataset's fields (raw text before normalize, typed
    after) plus ``_row`` and ``_file``. ``handover`` carries what one stage
    leaves for the next (normalize hands validate its per-field checks).
    """

    table: pa.Table
    handover: Any = None

    @property
    def rows(self) -> int:
        return self.table.num_rows


@dataclass
class StageContext:
    """One dataset in one period of one run: what its stages read and keep.

    The stages own the state below: validate keeps the keys it has seen and the
    rejects, protect the privacy findings, stage the open writer sessions.
    """

    dataset: Dataset
    period: Period
    pipeline: Pipeline
    source: Source
    #: The source's view of the run (``check``/``derive`` hooks take it; ``salt``).
    source_ctx: SourceContext
    #: The writers of the pipeline's ``output.formats``, by format.
    writers: Mapping[str, Writer]
    schema: pa.Schema
    stage_dir: Path
    outcome: DatasetOutcome
    #: The validate stage's primary-key set (gongkai_etl.validate.keyset.KeySet), made on first use.
    seen_keys: Any = None
    #: The rejects so far, spilled to the staging folder (``.rejects.arrow``) as they come.
    rejects: RejectLog = None  # type: ignore[assignment]  # made from stage_dir after init
    findings: list[Any] = field(default_factory=list)
    #: format -> (open session, file name relative to the stage folder)
    sessions: dict[str, tuple[WriterSession, str]] = field(default_factory=dict)
    #: Per stage, the sum of its StageInfo over the chunks so far.
    totals: dict[str, StageInfo] = field(default_factory=dict)
    #: What did not come from the files as they stand (unit conversions, ``fixed:``
    #: constants, ``not_provided:`` fields): kept with the staged files for datapackage.json.
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rejects is None:
            self.rejects = RejectLog(self.stage_dir / ".rejects.arrow")

    def add(self, info: StageInfo) -> None:
        """Count one chunk's StageInfo into the stage's total."""
        seen = self.totals.get(info.stage)
        if seen is None:
            self.totals[info.stage] = info
        else:
            seen.rows_in += info.rows_in
            seen.rows_out += info.rows_out
            seen.rejected += info.rejected
            seen.seconds += info.seconds


class Stage(Protocol):
    """A stage module: ``NAME`` and ``run``."""

    NAME: str
    run: Callable[[Chunk, StageContext], tuple[Chunk, StageInfo]]


def run_chunk(stages: Sequence[Stage], chunk: Chunk, ctx: StageContext) -> Chunk:
    """Pass ``chunk`` through ``stages`` in order, counting each StageInfo into
    ``ctx``. A :class:`GongkaiError` a stage raises leaves with its stage, the
    dataset and the period stamped on it (where the stage did not say)."""
    for stage in stages:
        try:
            chunk, info = stage.run(chunk, ctx)
        except GongkaiError as exc:
            exc.stage = exc.stage or stage.NAME
            exc.dataset = exc.dataset or ctx.dataset.id
            exc.period = exc.period or ctx.period.key
            raise
        ctx.add(info)
    return chunk


def stage_info(name: str, ctx: StageContext, rows_in: int, rows_out: int, started: float, rejected: int = 0) -> StageInfo:
    """The StageInfo of one chunk through stage ``name``, timed from ``started`` (perf_counter)."""
    return StageInfo(name, ctx.dataset.id, ctx.period.key, rows_in, rows_out, rejected, time.perf_counter() - started)
