"""Field declarations many datasets share, declared once.

A dataset's ``period`` column and a ``division_code`` (the 12-digit statistical
division code) look the same everywhere; declare them with these functions so
their patterns and titles cannot drift apart between datasets::

    from gongkai_etl.fields import division_code_field, period_field

    fields = (period_field(Cadence.MONTHLY), division_code_field(), ...)
"""

from __future__ import annotations

from gongkai_etl.datasets import Field
from gongkai_etl.periods import Cadence

#: The text of a period key, by cadence (gongkai_etl.periods.Period.key).
PERIOD_PATTERNS: dict[Cadence, str] = {
    Cadence.MONTHLY: r"\d{4}-\d{2}",
    Cadence.QUARTERLY: r"\d{4}Q[1-4]",
    Cadence.HALF_YEARLY: r"\d{4}H[12]",
    Cadence.YEARLY: r"\d{4}",
}


def period_field(cadence: Cadence, *, title_zh: str = "期间", title_en: str = "period") -> Field:
    """The required ``period`` column of a dataset published on ``cadence``:
    ``2016-09``, ``2016Q3``, ``2016H2`` or ``2016``."""
    return Field("period", title_zh, required=True, pattern=PERIOD_PATTERNS[cadence], title_en=title_en)


def division_code_field(*, required: bool = True, description: str = "") -> Field:
    """``division_code``: the 12-digit statistical division code (统计用区划代码) of
    a street or area; :func:`gongkai_etl.divisions.division_code` looks one up by name."""
    return Field(
        "division_code", "区划代码", required=required, pattern=r"\d{12}", title_en="division code",
        description=description,
    )
