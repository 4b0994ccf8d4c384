"""Normalize stage: a chunk's raw text columns typed to the dataset's fields.

Values that do not parse are rejected here (row, field, value, reason); the
validate stage checks the declared constraints of the rest and removes every
rejected row.
"""

from __future__ import annotations

import time

from gongkai_etl.normalize.table import normalize_table
from gongkai_etl.report import StageInfo
from gongkai_etl.stages import Chunk, StageContext, stage_info

NAME = "normalize"


def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]:
    started = time.perf_counter()
    normalized = normalize_table(chunk.table, ctx.dataset)
    failed = len(normalized.rejects.indices())
    info = stage_info(NAME, ctx, chunk.rows, chunk.rows - failed, started, failed)
    return Chunk(normalized.table, handover=normalized), info
