"""Periods and cadences: the time slice one publication covers.

Keys: month ``2016-11``, quarter ``2016Q3``, half ``2016H2``, year ``2016``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import total_ordering

from gongkai_etl.errors import ConfigError


class Cadence(str, Enum):
    """How often a dataset is published, with its ISO 8601 duration for DCAT."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    YEARLY = "yearly"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}[self.value]

    @property
    def iso_duration(self) -> str:
        return {"monthly": "P1M", "quarterly": "P3M", "half-yearly": "P6M", "yearly": "P1Y"}[self.value]

    @property
    def title_zh(self) -> str:
        return {"monthly": "每月", "quarterly": "每季度", "half-yearly": "每半年", "yearly": "每年"}[self.value]


_PATTERNS: list[tuple[re.Pattern[str], Cadence]] = [
    (re.compile(r"^(\d{4})-(\d{2})$"), Cadence.MONTHLY),
    (re.compile(r"^(\d{4})Q([1-4])$"), Cadence.QUARTERLY),
    (re.compile(r"^(\d{4})H([12])$"), Cadence.HALF_YEARLY),
    (re.compile(r"^(\d{4})$"), Cadence.YEARLY),
]


@total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar slice: ``year`` plus the 1-based index of the slice in that year."""

    cadence: Cadence
    year: int
    index: int  # month 1-12, quarter 1-4, half 1-2, or 1 for a year

    @classmethod
    def parse(cls, key: str) -> Period:
        text = key.strip()
        for pattern, cadence in _PATTERNS:
            m = pattern.match(text)
            if m:
                year = int(m.group(1))
                index = int(m.group(2)) if cadence is not Cadence.YEARLY else 1
                if cadence is Cadence.MONTHLY and not 1 <= index <= 12:
                    break
                return cls(cadence, year, index)
        raise ConfigError(
            f"无法识别的期间 {key!r} (unrecognised period; expected 2016-11, 2016Q3, 2016H2 or 2016)"
        )

    @classmethod
    def containing(cls, cadence: Cadence, day: date) -> Period:
        return cls(cadence, day.year, (day.month - 1) // cadence.months + 1)

    @property
    def key(self) -> str:
        if self.cadence is Cadence.MONTHLY:
            return f"{self.year}-{self.index:02d}"
        if self.cadence is Cadence.QUARTERLY:
            return f"{self.year}Q{self.index}"
        if self.cadence is Cadence.HALF_YEARLY:
            return f"{self.year}H{self.index}"
        return f"{self.year}"

    @property
    def start(self) -> date:
        return date(self.year, (self.index - 1) * self.cadence.months + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        month = self.index * self.cadence.months
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def months(self) -> list[Period]:
        """The calendar months inside this period, in order."""
        first = self.start.month
        return [Period(Cadence.MONTHLY, self.year, m) for m in range(first, first + self.cadence.months)]

    def next(self) -> Period:
        per_year = 12 // self.cadence.months
        if self.index < per_year:
            return Period(self.cadence, self.year, self.index + 1)
        return Period(self.cadence, self.year + 1, 1)

    def previous(self) -> Period:
        per_year = 12 // self.cadence.months
        if self.index > 1:
            return Period(self.cadence, self.year, self.index - 1)
        return Period(self.cadence, self.year - 1, per_year)

    def template_values(self) -> dict[str, str]:
        """Values for ``{period}``-style placeholders in input paths."""
        return {
            "period": self.key,
            "year": f"{self.year}",
            "month": f"{self.start.month:02d}" if self.cadence is Cadence.MONTHLY else "",
            "quarter": f"{self.index}" if self.cadence is Cadence.QUARTERLY else "",
            "half": f"{self.index}" if self.cadence is Cadence.HALF_YEARLY else "",
            "yyyymm": f"{self.year}{self.start.month:02d}",
        }

    def _order(self) -> tuple[int, int, int]:
        return (self.start.toordinal(), self.end.toordinal(), self.cadence.months)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._order() < other._order()

    def __str__(self) -> str:
        return self.key


def parse_periods(text: str) -> list[Period]:
    """Parse ``2016-03``, ``2016-01..2016-06`` or a comma list of either, in order."""
    result: list[Period] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if ".." in part:
            first_text, _, last_text = part.partition("..")
            first, last = Period.parse(first_text), Period.parse(last_text)
            if first.cadence is not last.cadence:
                raise ConfigError(f"期间范围两端周期不同 {part!r} (range ends differ in cadence)")
            if last < first:
                raise ConfigError(f"期间范围倒置 {part!r} (range end is before its start)")
            p = first
            while p <= last:
                result.append(p)
                p = p.next()
        else:
            result.append(Period.parse(part))
    if not result:
        raise ConfigError("未给出期间 (no period given)")
    return result


def latest_closed(cadence: Cadence, today: date) -> Period:
    """The most recent period of ``cadence`` that ended before ``today``."""
    return Period.containing(cadence, today).previous()


def periods_between(first: Period, last: Period) -> list[Period]:
    out: list[Period] = []
    p = first
    while p <= last:
        out.append(p)
        p = p.next()
    return out
