"""Stage step: a chunk conformed to the dataset's schema and written, in every
output format of the pipeline, into the period's staging folder (never the
published one: publishing is a later, all-or-nothing step).
"""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl.files import failpoint
from gongkai_etl.report import StageInfo
from gongkai_etl.stage.writers import BackgroundSession
from gongkai_etl.stages import Chunk, StageContext, stage_info

NAME = "stage"


def run(chunk: Chunk, ctx: StageContext) -> tuple[Chunk, StageInfo]:
    started = time.perf_counter()
    out = conform(chunk.table, ctx.schema)
    write(ctx, out)
    ctx.outcome.rows_out += out.num_rows
    return Chunk(out), stage_info(NAME, ctx, chunk.rows, out.num_rows, started)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Exactly the schema's columns, in its order and types."""
    arrays = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            arrays.append(col if col.type == f.type else pc.cast(col, f.type))
        else:
            arrays.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write(ctx: StageContext, table: pa.Table) -> None:
    """Write ``table`` in every format, opening the sessions on first use."""
    if not ctx.sessions:
        for fmt, writer in ctx.writers.items():
            rel = writer.filename(ctx.dataset, ctx.period)
            path = ctx.stage_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written by a thread per format: output overlaps the next batch's work.
            ctx.sessions[fmt] = (BackgroundSession(writer.open(path, ctx.dataset, ctx.schema)), rel)
    for session, _ in ctx.sessions.values():
        for batch in table.to_batches():
            session.write(batch)
        failpoint("stage:after-write")
