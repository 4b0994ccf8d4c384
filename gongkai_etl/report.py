"""What a run reports: small info objects per stage, and the reporter protocol
through which the runner tells the CLI (the one place that talks to the user)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class StageInfo:
    """Rows in/out and time of one stage of one dataset-period."""

    stage: str
    dataset: str
    period: str
    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    seconds: float = 0.0


@dataclass
class Progress:
    """How far the extraction of one period has got (for a live display).

    A reporter that has a ``progress(p: Progress)`` method gets one after every
    batch; it decides how often to show it (the runner does not throttle)."""

    pipeline: str
    period: str
    rows: int
    bytes_read: int
    bytes_total: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class DatasetOutcome:
    dataset: str
    period: str
    rows_in: int = 0
    rows_out: int = 0
    rejected: int = 0
    version: int | None = None
    status: str = "pending"  # published | unchanged | waiting-review | failed | skipped
    rejects_file: str | None = None
    review_id: str | None = None
    stages: list[StageInfo] = field(default_factory=list)
    #: per-record deadlines of an event-driven dataset (gongkai_etl.schedule.timeliness)
    timeliness: dict[str, Any] | None = None
    #: numeric columns about 10^k times the previous period's (gongkai_etl.validate.jumps), with ``unit_jumps: warn``
    unit_jumps: list[str] = field(default_factory=list)


@dataclass
class PeriodOutcome:
    pipeline: str
    period: str
    datasets: list[DatasetOutcome] = field(default_factory=list)
    excluded_rows: int = 0
    #: the rows the readers left out, counted by reason (合计/小计行, 脚注行)
    excluded: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = 0

    def excluded_text(self) -> str:
        """``已排除的非数据行 (rows left out): 合计/小计行 (total row) 1, 脚注行 (footnote) 6``."""
        parts = ", ".join(f"{why} {n}" for why, n in self.excluded.items()) or str(self.excluded_rows)
        return f"已排除的非数据行 (rows left out, not data): {parts}"


@dataclass
class RunReport:
    run_id: str
    pipeline: str
    periods: list[PeriodOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return worst_exit(p.exit_code for p in self.periods)


def worst_exit(codes: Iterable[int]) -> int:
    """The exit code of several outcomes: the most serious one wins.

    A failure (1 data, 2 configuration, 3 source) outranks "waiting for review"
    (4) and "locked" (5), which only say that a person has something to do.
    """
    codes = [int(c) for c in codes if c]
    failures = [c for c in codes if c in (1, 2, 3)]
    if failures:
        return max(failures)
    return max(codes, default=0)


class Reporter(Protocol):
    def stage(self, info: StageInfo) -> None: ...

    def note(self, message: str, **fields: object) -> None: ...

    def warn(self, message: str, **fields: object) -> None: ...

    def period_done(self, outcome: PeriodOutcome) -> None: ...


class SilentReporter:
    """A reporter that keeps nothing (library use, tests)."""

    def stage(self, info: StageInfo) -> None:
        pass

    def note(self, message: str, **fields: object) -> None:
        pass

    def warn(self, message: str, **fields: object) -> None:
        pass

    def period_done(self, outcome: PeriodOutcome) -> None:
        pass


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal or in a spreadsheet: East Asian wide and
    full-width characters take two, so Chinese titles line up with ASCII."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` display columns."""
    return text + " " * max(width - display_width(text), 0)
