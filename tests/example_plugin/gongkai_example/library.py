"""A complete third-party source: monthly visits of the district's public libraries.

Raw input: one CSV per month with columns 图书馆, 街道, 到馆人次, 借阅册次.
"""

from __future__ import annotations

from collections.abc import Iterator

from gongkai_etl import hookimpl
from gongkai_etl.contracts import Batch, InputDecl, Source, SourceContext
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.periods import Cadence

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
        Field("period", "期间", required=True, pattern=r"\d{4}-\d{2}"),
        Field("library", "图书馆", required=True),
        Field("street", "街道"),
        Field("visits", "到馆人次", type="integer", unit="人次", required=True, minimum=0),
        Field("loans", "借阅册次", type="integer", unit="册次", minimum=0),
    ),
)


class LibrarySource(Source):
    name = "library"
    title_zh = "公共图书馆"
    title_en = "public libraries"
    datasets = (VISITS,)
    inputs = (
        InputDecl(
            "visits",
            columns={
                "library": ("图书馆", "馆名"),
                "street": ("街道",),
                "visits": ("到馆人次",),
                "loans": ("借阅册次",),
            },
            optional_columns=("street", "loans"),
        ),
    )

    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        table = ctx.read("visits").to_table()
        period = [ctx.period.key] * table.num_rows
        import pyarrow as pa

        yield Batch("library_visits", table.append_column("period", pa.array(period, pa.string())))


@hookimpl
def register_sources() -> list[Source]:
    return [LibrarySource()]
