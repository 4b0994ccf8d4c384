"""Validate stage: declared constraints, primary-key uniqueness and the
source's own checks (``Source.check``); every failing row leaves the chunk
with its reasons, for the rejects file.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pyarrow as pa

from gongkai_etl.errors import DataError
from gongkai_etl.normalize.table import Normalized, normalize_table
from gongkai_etl.plugins import load_plugins
from gongkai_etl.report import StageInfo
from gongkai_etl.stages import Chunk, StageContext, stage_info
from gongkai_etl.validate.constraints import check_field
from gongkai_etl.validate.jumps import find_unit_jumps
from gongkai_etl.validate.keyset import KeySet
from gongkai_etl.validate.rules import RuleEnv, check_declared
from gongkai_etl.validate.unique import check_unique

NAME = "validate"


def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]:
    started = time.perf_counter()
    ds = ctx.dataset
    normalized = chunk.handover if isinstance(chunk.handover, Normalized) else normalize_table(chunk.table, ds)
    rejects = normalized.rejects
    unparsed = len(rejects.indices())  # counted by the normalize stage
    for f in ds.fields:
        rejects += check_field(f, normalized)
    typed = normalized.table
    if ctx.seen_keys is None:
        ctx.seen_keys = KeySet(spill_dir=ctx.stage_dir)
    rejects += check_unique(typed, ds, ctx.seen_keys, rejects.indices())
    if ds.checks or any(f.check or f.unique for f in ds.fields):
        rejects += check_declared(ds, typed, normalized.rows, normalized.files, _rule_env(ctx))
    rejects += list(ctx.source.check(ctx.source_ctx, ds, typed) or ())
    _unit_jumps(ctx, typed)
    n = typed.num_rows
    bad = rejects.indices()
    if len(bad):
        keep = np.ones(n, bool)
        keep[bad[(bad >= 0) & (bad < n)]] = False
        typed = typed.filter(pa.array(keep))
        ctx.rejects += rejects
        ctx.outcome.rejected += len(bad)
    return Chunk(typed), stage_info(NAME, ctx, n - unparsed, typed.num_rows, started, len(bad) - unparsed)


def _unit_jumps(ctx: StageContext, typed: pa.Table) -> None:
    """Compare the period with the published previous one (``unit_jumps:``).
    ``reject`` fails the period here; ``warn`` leaves the messages on the outcome
    for the runner to hold the period for review. Streaming datasets (hourly
    data, checked batch by batch) are left out: a batch is no period."""
    # a stage context built without a pipeline (library use, stage tests) has nothing to compare with
    mode = ctx.pipeline.unit_jumps if ctx.pipeline is not None else "off"
    if mode == "off" or ctx.dataset.id in ctx.source.streaming or not typed.num_rows:
        return
    previous = ctx.period.previous()
    found = find_unit_jumps(ctx.dataset, typed, ctx.source_ctx.published(ctx.dataset.id, previous), previous.key)
    if found and mode == "reject":
        raise DataError("; ".join(found) + " (unit_jumps: reject; nothing was published)", stage=NAME, dataset=ctx.dataset.id)
    ctx.outcome.unit_jumps += found


def _rule_env(ctx: StageContext) -> RuleEnv:
    return RuleEnv(
        today=date.today(),
        checks=load_plugins().checks,
        previous=lambda: ctx.source_ctx.published(ctx.dataset.id, ctx.period.previous()),
        reference=lambda dataset_id: ctx.source.reference(ctx.source_ctx, dataset_id),
    )
