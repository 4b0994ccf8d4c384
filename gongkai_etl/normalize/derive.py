"""Derive stage: the source computes derived fields from the validated rows
(``Source.derive``: a change on the previous period, a sum of parts).

It runs after validation, on rows that passed, and before protection, so a
derived value is checked for personal data like any other.
"""

from __future__ import annotations

import time

from gongkai_etl.report import StageInfo
from gongkai_etl.stages import Chunk, StageContext, stage_info

NAME = "derive"


def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]:
    started = time.perf_counter()
    table = ctx.source.derive(ctx.source_ctx, ctx.dataset, chunk.table)
    return Chunk(table), stage_info(NAME, ctx, chunk.rows, table.num_rows, started)
