"""Chinese working-day calendar and publication deadline rules.

The calendar itself (chinesecalendar, override table, unknown years) is
:mod:`gongkai_etl.workcalendar`; this module counts working days with it and
holds the deadline rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence, Period
# Re-exported: the calendar lived here, and callers import it from here.
from gongkai_etl.workcalendar import OVERRIDE_FILENAME as OVERRIDE_FILENAME
from gongkai_etl.workcalendar import WorkCalendar as WorkCalendar


def add_working_days(start: date, n: int, cal: WorkCalendar) -> date:
    """The ``n``-th working day strictly after ``start`` (``n`` >= 1).

    ``start`` itself never counts, whether or not it is a working day: "10
    working days after 2016-10-31" starts counting on 2016-11-01.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if cal.is_workday(day):
            remaining -= 1
    return day


def count_working_days(after: date, until: date, cal: WorkCalendar) -> int:
    """Working days in the interval (``after``, ``until``]: 0 if ``until`` <= ``after``.

    The inverse of :func:`add_working_days`; used to say how many working days
    late a publication was.
    """
    return cal.working_days_between(after, until)


PERIOD_END = "period_end"

_ACCEPTED_FORMS = (
    "'10 working days after period end', '20 days after period end', "
    "'7 days after decision_date', '2 working days after signing_date', "
    "'期末后10个工作日', '期末后20日', 'decision_date后7日', 'signing_date后2个工作日'"
)

_EN_RE = re.compile(
    r"^(?P<n>\d+)\s+(?P<kind>working\s+|calendar\s+)?days?\s+after\s+"
    r"(?:(?P<period>(?:the\s+)?period[\s_]end|(?:the\s+)?end\s+of\s+(?:the\s+)?period)"
    r"|(?P<field>[A-Za-z_][A-Za-z0-9_]*))$",
    re.IGNORECASE,
)
_ZH_RE = re.compile(
    r"^(?:(?P<period>期末|期间结束|期满)|(?P<field>[A-Za-z_][A-Za-z0-9_]*))\s*"
    r"(?:后|之日起)\s*(?P<n>\d+)\s*"
    r"(?:(?P<working>个工作日)|(?:个)?(?:自然)?[日天])\s*内?$"
)


@dataclass(frozen=True)
class DeadlineRule:
    """When a publication is due: ``amount`` (working) days after an anchor.

    ``anchor`` is ``"period_end"`` (the last day of the period) or the name of
    a date field of the record (e.g. ``decision_date``). The anchor day itself
    never counts (民法典 art. 201). A calendar-day deadline whose last day is a
    rest day or statutory holiday ends on the next working day (民法典 art.
    203) unless ``roll`` is False; a working-day deadline always ends on one.
    ``text`` keeps the words the rule was written in (the plan's, for display);
    ``cadence`` is set when those words were a cadence (每月, 按季度, 每半年).
    """

    amount: int
    working: bool
    anchor: str = PERIOD_END
    roll: bool = True
    text: str = field(default="", compare=False)
    cadence: Cadence | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, text: str) -> DeadlineRule:
        cleaned = " ".join(text.split())
        m = _EN_RE.match(cleaned)
        if m:
            working = bool(m.group("kind")) and m.group("kind").strip().lower() == "working"
            anchor = PERIOD_END if m.group("period") else m.group("field")
        else:
            m = _ZH_RE.match(cleaned)
            if not m:
                raise ConfigError(
                    f"无法识别的期限规则 {text!r} (unrecognised deadline rule; "
                    f"accepted forms: {_ACCEPTED_FORMS})"
                )
            working = m.group("working") is not None
            anchor = PERIOD_END if m.group("period") else m.group("field")
        amount = int(m.group("n"))
        if amount < 1:
            raise ConfigError(
                f"期限天数须至少为 1 {text!r} (the number of days must be at least 1)"
            )
        if anchor.lower() == PERIOD_END:
            anchor = PERIOD_END
        return cls(amount, working, anchor)

    @property
    def per_period(self) -> bool:
        """True if the rule counts from the period end rather than a record field."""
        return self.anchor == PERIOD_END

    def due_for_period(self, period: Period, cal: WorkCalendar) -> date:
        """Due date of a period's publication, counted from ``period.end``."""
        if not self.per_period:
            raise ConfigError(
                f"期限规则 '{self}' 按字段 {self.anchor} 计算, 不能按期间计算 "
                f"(the rule counts from the record field {self.anchor}, not from the period end)",
                period=period.key,
            )
        return self.due_for_record(period.end, cal)

    def due_for_record(self, anchor_date: date, cal: WorkCalendar) -> date:
        """Due date counted from ``anchor_date`` (the record's anchor field value)."""
        if self.working:
            return add_working_days(anchor_date, self.amount, cal)
        due = anchor_date + timedelta(days=self.amount)
        if self.roll:
            while not cal.is_workday(due):
                due += timedelta(days=1)
        return due

    def __str__(self) -> str:
        unit = "working day" if self.working else "day"
        plural = "" if self.amount == 1 else "s"
        anchor = "period end" if self.per_period else self.anchor
        # The default (a rest day moves to the next working day) stays unsaid, so
        # the ledger's and the status report's rule texts keep their wording.
        fixed = "" if self.working or self.roll else " (rest days not skipped)"
        return f"{self.amount} {unit}{plural} after {anchor}{fixed}"

    def describe_zh(self) -> str:
        anchor = "期末" if self.per_period else self.anchor
        unit = "个工作日" if self.working else "日"
        fixed = "" if self.working or self.roll else "（末日遇节假日不顺延）"
        return f"{anchor}后{self.amount}{unit}{fixed}"


# Defaults, to verify; override per pipeline. The 2016 Chaoyang plan says how
# often (按月, 按季度, 每半年) but not how soon after the period; 10 and 20
# working days borrow the plan's own deadlines for list changes (10) and
# penalty cases (20).
DEFAULT_DEADLINES: dict[str, str] = {
    Cadence.MONTHLY.value: "10 working days after period end",
    Cadence.QUARTERLY.value: "20 working days after period end",
    Cadence.HALF_YEARLY.value: "20 working days after period end",
    Cadence.YEARLY.value: "20 working days after period end",
}


def default_rule(cadence: Cadence) -> DeadlineRule:
    """The default deadline of a cadence (see :data:`DEFAULT_DEADLINES`)."""
    return DeadlineRule.parse(DEFAULT_DEADLINES[cadence.value])


class Timeliness(str, Enum):
    """Whether a publication met its deadline, as of a given day."""

    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    NOT_YET_DUE = "not_yet_due"

    @property
    def title_zh(self) -> str:
        return {
            "on_time": "按时公开",
            "late": "逾期公开",
            "overdue": "逾期未公开",
            "not_yet_due": "未到期",
        }[self.value]

    def __str__(self) -> str:
        return self.value


def classify(due: date, published_on: date | None, as_of: date) -> Timeliness:
    """Timeliness of one publication.

    Published on or before ``due``: on time; after it: late (whatever
    ``as_of`` is). Unpublished: overdue once ``as_of`` is past ``due``, so
    publishing on the due day itself is still on time.
    """
    if published_on is not None:
        return Timeliness.ON_TIME if published_on <= due else Timeliness.LATE
    return Timeliness.OVERDUE if as_of > due else Timeliness.NOT_YET_DUE
