"""Which periods a pipeline owes, as of a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence, Period, latest_closed, periods_between
from gongkai_etl.spec import Pipeline


def parse_as_of(text: str | None) -> date:
    """``--as-of YYYY-MM-DD``; today (local) when not given."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--as-of: 无法识别的日期 {text!r} (expected a date like 2016-11-20)") from None


def first_period(pipeline: Pipeline, cadence: Cadence, published: Iterable[str] = ()) -> Period | None:
    """The first period ``cadence`` is owed from.

    ``first_period:`` of the pipeline for that cadence, else the first of its
    ``periods:`` of that cadence, else the earliest period already published,
    else None (then only the latest closed period is owed).
    """
    if cadence.value in pipeline.first_period:
        return pipeline.first_period[cadence.value]
    own = [p for p in pipeline.periods if p.cadence is cadence]
    if own:
        return min(own)
    done = []
    for key in published:
        try:
            p = Period.parse(key)
        except ConfigError:
            continue
        if p.cadence is cadence:
            done.append(p)
    return min(done) if done else None


def owed_periods(pipeline: Pipeline, cadence: Cadence, as_of: date, published: Iterable[str] = ()) -> list[Period]:
    """Every period of ``cadence`` from its first one to the latest closed one as of
    ``as_of`` (or the pipeline's ``until:``, if earlier), in order: the obligations
    window that ``status``, ``run --due`` and the site count."""
    last = latest_closed(cadence, as_of)
    until = pipeline.until.get(cadence.value)
    if until is not None and until < last:
        last = until
    first = first_period(pipeline, cadence, published) or last
    if first > last:
        return []
    return periods_between(first, last)
