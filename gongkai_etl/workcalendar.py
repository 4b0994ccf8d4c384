"""The Chinese working-day calendar (工作日): chinesecalendar, an override table, and
a Monday-Friday count, with a warning, for a year neither knows.

The official holiday schedule (法定节假日 and the adjusted working weekends, 调休)
comes from PyPI ``chinesecalendar``, which only knows the years it shipped with.
The State Council announces the next year's schedule each November/December, so
a pipeline can carry a small ``workdays_override.csv`` until the package catches
up. A year neither source covers is counted Monday-Friday and every report that
depends on it says so (:meth:`WorkCalendar.warnings`); ``strict=True`` makes it
a configuration error instead.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar

from gongkai_etl.errors import ConfigError

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
