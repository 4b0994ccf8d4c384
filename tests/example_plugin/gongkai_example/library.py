"""A complete third-party plugin: monthly visits of the district's public libraries.

Raw input: each library sends its own CSV every month (columns 图书馆, 街道,
到馆人次, 借阅册次), so the pipeline's ``visits`` input is a glob such as
``data/{period}/*.csv``. Written from the README's plugin author's guide only:
it uses nothing but the public API (hookspecs, contracts, datasets, fields,
periods, toolkit) and the members the SourceContext declares.

Two datasets: every library's row, and one district total per month, which is
computed only when the run publishes it. After each publication the plugin
appends a line to the feed file named by ``LIBRARY_FEED`` (a stand-in for
telling a portal that something new is out).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Batch, InputDecl, Source, SourceContext
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.fields import period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.toolkit import normalize_and_validate

VISITS = Dataset(
    id="library_visits",
    title_zh="公共图书馆月度到馆人次",
    title_en="Public library visits per month",
    description="各公共图书馆每月到馆人次与借阅册次。",
    publisher="朝阳区文化委员会",
    domain="文化 culture",
    cadence=Cadence.MONTHLY,
    primary_key=("period", "library"),
    headline="visits",
    fields=(
        period_field(Cadence.MONTHLY),
        Field("library", "图书馆", required=True),
        Field("street", "街道"),
        Field("visits", "到馆人次", type="integer", unit="人次", required=True, minimum=0),
        Field("loans", "借阅册次", type="integer", unit="册次", minimum=0),
    ),
)

TOTALS = Dataset(
    id="library_totals",
    title_zh="公共图书馆月度到馆人次合计",
    title_en="Public library visits per month, district total",
    description="全区公共图书馆每月到馆人次合计与报送馆数。",
    publisher="朝阳区文化委员会",
    domain="文化 culture",
    cadence=Cadence.MONTHLY,
    primary_key=("period",),
    headline="visits",
    fields=(
        period_field(Cadence.MONTHLY),
        Field("libraries", "报送馆数", type="integer", unit="个", required=True, minimum=0),
        Field("visits", "到馆人次", type="integer", unit="人次", required=True, minimum=0),
    ),
)


class LibrarySource(Source):
    name = "library"
    title_zh = "公共图书馆"
    datasets = (VISITS, TOTALS)
    inputs = (
        InputDecl(
            "visits",
            columns={"library": ("图书馆", "馆名"), "street": ("街道",),
                     "visits": ("到馆人次",), "loans": ("借阅册次",)},
            optional_columns=("street", "loans"),
        ),
    )

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        # One file per library: each read through the engine (archived, header found,
        # columns mapped, 合计 rows left out), then stacked.
        tables = [ctx.read("visits", location=path).to_table() for path in ctx.locations("visits")]
        if not tables:
            ctx.read("visits")  # nothing matched: the engine's own "input file not found"
        table = pa.concat_tables(tables, promote_options="permissive")
        period = pa.array([ctx.period.key] * table.num_rows, pa.string())
        yield Batch(VISITS.id, table.append_column("period", period))
        if TOTALS.id in ctx.dataset_ids:  # the district total only when this run publishes it
            # Typed exactly as the engine types library_visits; rows it would reject count for nothing.
            typed, rejects = normalize_and_validate(table.append_column("period", period), VISITS)
            bad = {r.index for r in rejects}
            counted = typed.filter(pa.array([i not in bad for i in range(typed.num_rows)]))
            visits = pc.sum(counted.column("visits")).as_py() or 0
            yield Batch(TOTALS.id, pa.table({
                "period": [ctx.period.key],
                "libraries": [str(counted.num_rows)],
                "visits": [str(visits)],
                "_row": pa.array([1], pa.int64()),
            }))


@hookimpl
def register_sources() -> list[Source]:
    return [LibrarySource()]


@hookimpl
def after_publish(publication) -> None:  # noqa: ANN001 - takes only the argument it needs (pluggy opt-in)
    feed = os.environ.get("LIBRARY_FEED")
    if not feed or not publication.dataset.startswith("library_"):
        return
    with open(feed, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"dataset": publication.dataset, "period": publication.period,
                             "version": publication.version, "rows": publication.rows}) + "\n")
