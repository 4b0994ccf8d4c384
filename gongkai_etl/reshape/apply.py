"""Apply an input's ``reshape:`` steps to the raw table a reader returned.

Called by the run context between reading an input and mapping its columns,
so every source (Python plugins and YAML-declared datasets alike) gets the
steps. A table the reader holds whole (workbook, JSON, a CSV that fits in one
batch of ``batch_rows``) goes through petl (:mod:`.table`); a larger CSV
streams, batch by batch, through the Arrow kernels of :mod:`.stream`, and a
step that needs the whole table (fill_down, unpivot, split) is refused there
with the step and the input named.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from gongkai_etl.contracts import ROW_COLUMN, RawTable
from gongkai_etl.errors import InputError
from gongkai_etl.periods import Period
from gongkai_etl.reshape import stream, table
from gongkai_etl.reshape.values import check_columns
from gongkai_etl.reshape_spec import ReshapeStep


def reshape_input(
    raw: RawTable, steps: Sequence[ReshapeStep], period: Period, input_name: str, *, allow_empty: bool = False
) -> RawTable:
    """``raw`` with ``steps`` applied, in order; ``raw`` itself when there are none."""
    if not steps:
        return raw
    batches, whole = _held_whole(raw.batches)
    if whole:
        return _reshape_whole(raw, list(batches), steps, period, allow_empty=allow_empty)
    for step in steps:
        if not step.streams:
            raise InputError(
                f"{step.describe()}: 整理步骤 {step.kind} 需要整张表，不能用于分批读取的大 CSV 文件 (this step needs the "
                f"whole table, and inputs.{input_name} is a CSV read in batches; steps that stream: select_period, "
                "map_values, drop_rows, combine; raise `batch_rows:` above the file's row count, or save it as xlsx)",
                file=raw.location,
            )
    columns = list(raw.columns)
    for step in steps:
        check_columns(step, raw.location, columns)
        if step.kind == "combine" and step.args["into"] not in columns:
            columns.append(step.args["into"])
    out = RawTable(location=raw.location, columns=columns, batches=[], sha256=raw.sha256, excluded=raw.excluded, meta=raw.meta)
    out.batches = _streamed(batches, steps, period, raw.location, allow_empty=allow_empty)
    return out


def _held_whole(batches: Iterable[pa.RecordBatch]) -> tuple[Iterable[pa.RecordBatch], bool]:
    """(the batches, whether the table is small enough to hold): a list is held
    already; a stream that ends after its first batch is small (and has run to
    its end, so a CSV reader's 合计 checks are done)."""
    if isinstance(batches, list | tuple):
        return batches, True
    it = iter(batches)
    head = list(itertools.islice(it, 2))
    if len(head) < 2:
        return head, True
    return itertools.chain(head, it), False


def _reshape_whole(
    raw: RawTable, batches: list[pa.RecordBatch], steps: Sequence[ReshapeStep], period: Period, *, allow_empty: bool
) -> RawTable:
    if batches:
        source = pa.Table.from_batches(batches)
    else:
        source = pa.table({c: pa.array([], pa.string()) for c in [*raw.columns, ROW_COLUMN]})
    view = table.to_petl(source)
    for step in steps:
        header = list(table.petl.header(view))
        check_columns(step, raw.location, header)
        view = table.apply_view(view, step, period, raw.location)
    columns = [h for h in table.petl.header(view) if h != ROW_COLUMN]
    result = table.to_arrow(view, columns)
    if source.num_rows and not result.num_rows and not allow_empty:
        raise _nothing_left(raw.location, steps, period)
    batches = result.to_batches() if result.num_rows else []
    return RawTable(location=raw.location, columns=columns, batches=batches, sha256=raw.sha256, excluded=raw.excluded, meta=raw.meta)


def _streamed(
    batches: Iterable[pa.RecordBatch], steps: Sequence[ReshapeStep], period: Period, location: str, *, allow_empty: bool
) -> Iterator[pa.RecordBatch]:
    rows_in = rows_out = 0
    for batch in batches:
        rows_in += batch.num_rows
        for step in steps:
            batch = stream.apply_batch(batch, step, period, location)
        rows_out += batch.num_rows
        if batch.num_rows:
            yield batch
    if rows_in and not rows_out and not allow_empty:
        raise _nothing_left(location, steps, period)


def _nothing_left(location: str, steps: Sequence[ReshapeStep], period: Period) -> InputError:
    """A file whose every row a step removed is not "an empty period" by accident:
    say which steps filter, so a wrong column or period is found at once."""
    filters = ", ".join(s.describe() for s in steps if s.kind in ("select_period", "drop_rows"))
    return InputError(
        f"整理步骤之后没有剩余的行 (no rows left after the reshape steps {filters}; period {period.key}: "
        "does the file hold this period? if an empty period is right, set `allow_empty: true` under the input's `options`)",
        file=location,
    )
