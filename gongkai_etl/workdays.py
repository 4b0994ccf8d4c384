"""Chinese working-day calendar and publication deadline rules.

The official holiday schedule (法定节假日 and the adjusted working weekends, 调休)
comes from PyPI ``chinesecalendar``, which only knows the years it shipped with.
The State Council announces the next year's schedule each November/December, so
a pipeline can carry a small ``workdays_override.csv`` until the package catches
up; a year neither source covers is a configuration error, never a silent
weekday/weekend guess.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path

import chinese_calendar

from gongkai_etl.errors import ConfigError
from gongkai_etl.periods import Cadence, Period

OVERRIDE_FILENAME = "workdays_override.csv"

# Derived from the package's own table (the same way it validates dates), so an
# upgraded chinesecalendar widens the range without a code change here.
_CC_FIRST_YEAR: int = min(chinese_calendar.holidays).year
_CC_LAST_YEAR: int = max(chinese_calendar.holidays).year

_KINDS: dict[str, bool] = {"holiday": False, "workday": True, "休": False, "班": True}

_OVERRIDE_FORMAT = (
    "列 date,kind; kind = holiday/workday 或 休/班; "
    "one row per statutory holiday and per adjusted working day"
)


@functools.lru_cache(maxsize=8192)
def _official_workday(d: date) -> bool:
    """chinesecalendar's answer, shared by every calendar of the process: the
    package validates each date it is asked about (~40 µs a call), and each
    pipeline has its own WorkCalendar."""
    return bool(chinese_calendar.is_workday(d))


class WorkCalendar:
    """Which days are working days (工作日) in mainland China.

    Lookup order for a day: an override row for that exact day; else
    chinesecalendar if it covers the year; else, for a year that has at least
    one override row, the plain Monday-Friday rule. A year neither source knows
    is counted Monday-Friday too, and remembered in :attr:`guessed_years`, so
    every report that depends on it can say so (:meth:`warnings`); with
    ``strict=True`` it is a :class:`ConfigError` instead. chinesecalendar keeps
    deciding unlisted days of the years it covers, so one corrective override
    row cannot wipe out that year's holidays.
    """

    def __init__(
        self,
        overrides: dict[date, bool] | None = None,
        *,
        override_path: Path | None = None,
        strict: bool = False,
    ) -> None:
        self.strict = strict
        #: Years counted Monday-Friday because no source knows their holidays.
        self.guessed_years: set[int] = set()
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._override_years: frozenset[int] = frozenset(d.year for d in self._overrides)
        self.override_path = override_path
        # Deadline arithmetic asks about the same few hundred days again and
        # again (every dataset, every period), so remember the answers.
        self._cache: dict[date, bool] = {}
        self._prefix: dict[int, list[int]] = {}  # year -> working days among its first i days

    @classmethod
    def load(cls, override_path: Path | None, *, strict: bool = False) -> WorkCalendar:
        """A calendar with the override table at ``override_path``, if it exists.

        ``override_path`` may be the CSV itself or the pipeline folder (then
        ``workdays_override.csv`` inside it is used). A missing file is fine:
        the table is only needed for years chinesecalendar does not know, and
        the error for such a year names the file that was looked for.
        """
        if override_path is None:
            return cls(strict=strict)
        path = Path(override_path)
        if path.is_dir():
            path = path / OVERRIDE_FILENAME
        if not path.exists():
            return cls(override_path=path, strict=strict)
        return cls(_read_overrides(path), override_path=path, strict=strict)

    @property
    def official_years(self) -> range:
        """Years the installed chinesecalendar knows."""
        return range(_CC_FIRST_YEAR, _CC_LAST_YEAR + 1)

    @property
    def override_years(self) -> frozenset[int]:
        """Years with at least one override row."""
        return self._override_years

    def covers(self, year: int) -> bool:
        """True if :meth:`is_workday` can answer for every day of ``year``."""
        return year in self.official_years or year in self._override_years

    def is_workday(self, d: date) -> bool:
        if isinstance(d, datetime):  # a datetime would miss the date-keyed tables
            d = d.date()
        cached = self._cache.get(d)
        if cached is not None:
            return cached
        result = self._decide(d)
        self._cache[d] = result
        return result

    def _year_prefix(self, year: int) -> list[int]:
        """``prefix[i]``: working days among the first ``i`` days of ``year`` (computed once a year)."""
        prefix = self._prefix.get(year)
        if prefix is None:
            first = date(year, 1, 1)
            days = (date(year + 1, 1, 1) - first).days
            prefix = [0]
            for i in range(days):
                prefix.append(prefix[-1] + self.is_workday(first + timedelta(days=i)))
            self._prefix[year] = prefix
        return prefix

    def working_days_between(self, after: date, until: date) -> int:
        """Working days in (``after``, ``until``], from per-year running counts: a
        status of ten years of monthly datasets asks this a few hundred times, and
        walking day by day cost seconds."""
        after = after.date() if isinstance(after, datetime) else after
        until = until.date() if isinstance(until, datetime) else until
        if until <= after:
            return 0

        def through(d: date) -> int:
            return self._year_prefix(d.year)[d.timetuple().tm_yday]

        if after.year == until.year:
            return through(until) - through(after)
        total = self._year_prefix(after.year)[-1] - through(after)
        for year in range(after.year + 1, until.year):
            total += self._year_prefix(year)[-1]
        return total + through(until)

    def _decide(self, d: date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        if d.year in self.official_years:
            return _official_workday(d)
        if d.year in self._override_years:
            return d.weekday() < 5
        if self.strict:
            raise self._not_covered(d.year)
        self.guessed_years.add(d.year)
        return d.weekday() < 5

    def source(self, year: int) -> str | None:
        """Where the year's working days come from, or None when no source knows it."""
        if year in self._override_years:
            rows = sum(1 for d in self._overrides if d.year == year)
            return f"{self.override_path} ({rows} 行 rows for {year}; other days Monday-Friday)"
        if year in self.official_years:
            return f"chinesecalendar {_cc_version()} (statutory holidays and 调休, {_CC_FIRST_YEAR}-{_CC_LAST_YEAR})"
        return None

    def warnings(self) -> list[str]:
        """One warning per year counted Monday-Friday for want of its holiday schedule."""
        return [self.unknown_year_warning(y) for y in sorted(self.guessed_years)]

    def _hint(self, year: int) -> tuple[str, str]:
        """(what was looked for, what to do), for a year no source knows."""
        if self.override_path is None:
            return f"no {OVERRIDE_FILENAME} was given", f"在流水线目录放置 {OVERRIDE_FILENAME}"
        if self.override_path.exists():
            return f"{self.override_path} has no row for {year}", f"在 {self.override_path} 中加入 {year} 年的行"
        return f"{self.override_path} not found", f"放置 {self.override_path}"

    def unknown_year_warning(self, year: int) -> str:
        """What a report says of a year counted Monday-Friday, and how to supply its schedule."""
        looked, where = self._hint(year)
        return (
            f"工作日历未覆盖 {year} 年，暂按周一至周五为工作日计算，节假日和调休未计入，期限可能不准 "
            f"({year} counted Monday-Friday: its statutory holidays and 调休 are unknown; chinesecalendar covers "
            f"{_CC_FIRST_YEAR}-{_CC_LAST_YEAR}; {looked}): {where} ({_OVERRIDE_FORMAT}) "
            f"列出国务院公布的该年法定节假日和调休上班日, or upgrade chinesecalendar"
        )

    def _not_covered(self, year: int) -> ConfigError:
        looked, where = self._hint(year)
        return ConfigError(
            f"工作日历未覆盖 {year} 年 (chinesecalendar covers "
            f"{_CC_FIRST_YEAR}-{_CC_LAST_YEAR}; {looked}): "
            f"{where} ({_OVERRIDE_FORMAT}) 列出该年的法定节假日和调休上班日, "
            f"or upgrade chinesecalendar"
        )


def _cc_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def _read_overrides(path: Path) -> dict[date, bool]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
        text = raw.decode("gb18030")
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    date_col = kind_col = -1
    overrides: dict[date, bool] = {}
    first_line: dict[date, int] = {}
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None:
            header = [c.lower() for c in cells]
            if "date" not in header or "kind" not in header:
                raise ConfigError(
                    f"表头应为 date,kind (header must name the columns date and kind), got {cells}",
                    file=path,
                    row=line,
                )
            date_col, kind_col = header.index("date"), header.index("kind")
            continue
        value = cells[date_col] if date_col < len(cells) else ""
        kind_text = cells[kind_col] if kind_col < len(cells) else ""
        day = _parse_override_date(value)
        if day is None:
            raise ConfigError(
                f"无法识别的日期 {value!r} (expected a date like 2027-01-01)",
                file=path,
                row=line,
            )
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            raise ConfigError(
                f"无法识别的类型 {kind_text!r} (kind must be holiday, workday, 休 or 班)",
                file=path,
                row=line,
            )
        if day in overrides and overrides[day] != kind:
            raise ConfigError(
                f"{day} 与第 {first_line[day]} 行矛盾 "
                f"(contradicts row {first_line[day]}: a day is either holiday or workday)",
                file=path,
                row=line,
            )
        overrides[day] = kind
        first_line.setdefault(day, line)
    if header is None:
        raise ConfigError(
            "文件为空, 缺少表头 date,kind (empty file; expected a header line date,kind)",
            file=path,
        )
    return overrides


def _parse_override_date(text: str) -> date | None:
    # Excel rewrites 2027-01-01 as 2027/1/1 when it saves, so accept both.
    m = _DATE_RE.match(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


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
