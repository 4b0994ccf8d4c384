"""Protect stage: the dataset's privacy policy applied, every output cell scanned.

Findings are collected for the whole period; any finding blocks its
publication when the period is staged (:func:`gongkai_etl.stage.finish.finish_period`).
"""

from __future__ import annotations

import time

from gongkai_etl.protect.protect import protect
from gongkai_etl.report import StageInfo
from gongkai_etl.stages import Chunk, StageContext, stage_info

NAME = "protect"


def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]:
    started = time.perf_counter()
    # The engine's run context carries the registry; a bare SourceContext (a test's) has no named checks.
    checks = getattr(getattr(ctx.source_ctx, "registry", None), "checks", {})
    table, findings = protect(
        chunk.table, ctx.dataset, ctx.pipeline, ctx.period, salt=ctx.source_ctx.salt, row_offset=ctx.outcome.rows_out,
        code_checks={name for name, check in checks.items() if check.code},
    )
    ctx.findings += findings
    return Chunk(table), stage_info(NAME, ctx, chunk.rows, table.num_rows, started)
