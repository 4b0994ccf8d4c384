"""Air quality index (AQI) by HJ 633, computed exactly.

Pure algorithm: no I/O, stdlib only. Versions of the standard are data (``Standard``), chosen
by the date the measurements belong to (``standard_for``), so HJ 633-2026 sits beside
HJ 633-2012 and old data keeps the rules it was published under.

Everything is computed with ``Fraction``: the standard rounds IAQI *up*, so binary float error
would turn 35 μg/m³ PM2.5 into IAQI 51 instead of 50.

Items marked "to verify" were not checked against the primary text of HJ 633 / HJ 663 /
GB 3095; they are defaults exposed as parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import NamedTuple, Union

Concentration = Union[Fraction, Decimal, int, float]

# IAQI values at the breakpoints, shared by every pollutant column of the HJ 633 table.
IAQI_STEPS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

# Keys of the breakpoint table: pollutant + averaging period. CO in mg/m³, the rest μg/m³.
POLLUTANT_KEYS: tuple[str, ...] = (
    "SO2_24h", "SO2_1h", "NO2_24h", "NO2_1h", "PM10_24h",
    "CO_24h", "CO_1h", "O3_1h", "O3_8h", "PM25_24h",
)

# The statistics a daily report carries, in the column order of the HJ 633 table; this order
# is also the order of names in `primary` and `exceeding`.
DAILY_KEYS: tuple[str, ...] = ("SO2_24h", "NO2_24h", "PM10_24h", "CO_24h", "O3_1h", "O3_8h", "PM25_24h")

# Names printed for the primary and exceeding pollutants. O3 keeps its averaging period
# because 1 h and 8 h are reported separately and can both be the primary pollutant.
DISPLAY_NAMES: Mapping[str, str] = MappingProxyType({
    "SO2_24h": "SO2", "NO2_24h": "NO2", "PM10_24h": "PM10", "CO_24h": "CO",
    "O3_1h": "O3_1h", "O3_8h": "O3_8h", "PM25_24h": "PM2.5",
})

# Decimal places of reported concentrations: CO in mg/m³ to 0.1, the rest integer μg/m³.
REPORT_PLACES: Mapping[str, int] = MappingProxyType({k: (1 if k.startswith("CO") else 0) for k in POLLUTANT_KEYS})

Breakpoints = tuple[tuple[Fraction, int], ...]  # (concentration, IAQI), ascending


def _column(*concentrations: int | None) -> Breakpoints:
    # A '-' in the table (None) ends the column: above it the standard gives no IAQI.
    return tuple((Fraction(c), i) for c, i in zip(concentrations, IAQI_STEPS) if c is not None)


@dataclass(frozen=True)
class Standard:
    """One version of HJ 633: its breakpoint table and the daily-report rules that differ."""

    version: str
    valid_from: date  # first data date the version applies to
    # Keyed by POLLUTANT_KEYS; excluded from the hash because a mapping is not hashable.
    breakpoints: Mapping[str, Breakpoints] = field(hash=False)
    daily_uses_o3_1h: bool  # whether the daily max 1 h O3 takes part in the daily AQI


HJ633_2012 = Standard(
    version="HJ633-2012",
    # Issue date of HJ 633-2012; nationwide it applied from 2016-01-01 with GB 3095-2012, Beijing
    # published AQI earlier. Older data used the API system, which this module does not compute.
    valid_from=date(2012, 2, 29),  # to verify
    breakpoints=MappingProxyType({
        "SO2_24h": _column(0, 50, 150, 475, 800, 1600, 2100, 2620),
        "SO2_1h": _column(0, 150, 500, 650, 800, None, None, None),
        "NO2_24h": _column(0, 40, 80, 180, 280, 565, 750, 940),
        "NO2_1h": _column(0, 100, 200, 700, 1200, 2340, 3090, 3840),
        "PM10_24h": _column(0, 50, 150, 250, 350, 420, 500, 600),
        "CO_24h": _column(0, 2, 4, 14, 24, 36, 48, 60),
        "CO_1h": _column(0, 5, 10, 35, 60, 90, 120, 150),
        "O3_1h": _column(0, 160, 200, 300, 400, 800, 1000, 1200),
        "O3_8h": _column(0, 100, 160, 215, 265, 800, None, None),
        "PM25_24h": _column(0, 35, 75, 115, 150, 250, 350, 500),
    }),
    daily_uses_o3_1h=True,
)

# Provisional, to verify against the published HJ 633-2026 text: only the changes named in
# DOMAIN.md are applied (PM2.5 100-breakpoint 75 -> 60, PM10 150 -> 120, no O3 1 h in the daily
# AQI); everything else is copied from 2012.
HJ633_2026 = Standard(
    version="HJ633-2026",
    valid_from=date(2026, 3, 1),
    breakpoints=MappingProxyType({
        **HJ633_2012.breakpoints,
        "PM10_24h": _column(0, 50, 120, 250, 350, 420, 500, 600),
        "PM25_24h": _column(0, 35, 60, 115, 150, 250, 350, 500),
    }),
    daily_uses_o3_1h=False,
)

STANDARDS: tuple[Standard, ...] = (HJ633_2012, HJ633_2026)  # ascending valid_from


def standard_for(day: date) -> Standard:
    """The version in force for data of ``day`` (the data date, not the processing date)."""
    if isinstance(day, datetime):  # a datetime is a date; compare its calendar day only
        day = day.date()
    chosen = None
    for standard in STANDARDS:
        if standard.valid_from <= day:
            chosen = standard
    if chosen is None:
        raise ValueError(f"no HJ 633 version applies to {day.isoformat()} (earliest {STANDARDS[0].valid_from})")
    return chosen


def _exact(value: Concentration) -> Fraction:
    # Floats go through their shortest repr so 35.8 means 35.8, not 35.79999999999999715...
    if isinstance(value, bool):
        raise TypeError("a concentration cannot be a bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"concentration {value!r} is not a finite number")
        return Fraction(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"concentration {value!r} is not a finite number")
        return Fraction(value)
    if isinstance(value, int):
        return Fraction(value)
    raise TypeError(f"unsupported concentration type {type(value).__name__}")


def iaqi(pollutant_key: str, concentration: Concentration, standard: Standard) -> int | None:
    """Individual AQI of one concentration: exact linear interpolation, rounded up.

    ``standard`` is required (no default) so old data is never scored by a newer table by
    accident; use ``standard_for(day)``. Returns None where the table gives no IAQI:
    SO2 1 h above 800 μg/m³ (report the 24 h IAQI instead, see ``hourly_so2_iaqi``) and O3 8 h
    above 800 μg/m³ (report the 1 h IAQI instead, done by ``daily_aqi``). Above the top of a
    complete column the result is 500: the index scale ends there and "beyond the scale" is
    still 六级 严重污染, so capping keeps the day in the statistics instead of dropping it.
    """
    try:
        column = standard.breakpoints[pollutant_key]
    except KeyError:
        raise ValueError(f"unknown pollutant key {pollutant_key!r}; expected one of {POLLUTANT_KEYS}") from None
    c = _exact(concentration)
    if c < 0:
        raise ValueError(f"negative concentration {concentration!r} for {pollutant_key}")
    for (c_lo, i_lo), (c_hi, i_hi) in zip(column, column[1:]):
        if c <= c_hi:
            return math.ceil(Fraction(i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo)
    if column[-1][1] == IAQI_STEPS[-1]:
        return IAQI_STEPS[-1]
    return None


def hourly_so2_iaqi(so2_1h: Concentration, so2_24h: Concentration | None, standard: Standard) -> int | None:
    """SO2 IAQI of an hourly report: from the 1 h value, or above 800 μg/m³ from the 24 h one."""
    value = iaqi("SO2_1h", so2_1h, standard)
    if value is None and so2_24h is not None:
        value = iaqi("SO2_24h", so2_24h, standard)
    return value


@dataclass(frozen=True)
class Level:
    """One AQI level (空气质量指数级别) with its category and the colour maps use."""

    grade: str  # 一级 .. 六级
    category: str  # 优 .. 严重污染
    colour: str  # hex RGB
    name_en: str
    aqi_min: int
    aqi_max: int | None  # None: open-ended (六级)


LEVELS: tuple[Level, ...] = (
    Level("一级", "优", "#00E400", "Excellent", 0, 50),
    Level("二级", "良", "#FFFF00", "Good", 51, 100),
    Level("三级", "轻度污染", "#FF7E00", "Lightly Polluted", 101, 150),
    Level("四级", "中度污染", "#FF0000", "Moderately Polluted", 151, 200),
    Level("五级", "重度污染", "#99004C", "Heavily Polluted", 201, 300),
    Level("六级", "严重污染", "#7E0023", "Severely Polluted", 301, None),
)


def level(aqi: int) -> Level:
    """The level an (integer) AQI falls in."""
    if aqi < 0:
        raise ValueError(f"negative AQI {aqi}")
    for candidate in LEVELS:
        if candidate.aqi_max is None or aqi <= candidate.aqi_max:
            return candidate
    raise AssertionError("unreachable: the last level is open-ended")


class HourRecord(NamedTuple):
    """One station hour. ``hour_end`` is hour-ending, UTC+8, naive (aware values are converted).

    Concentrations: SO2, NO2, PM10, PM2.5, O3 in μg/m³, CO in mg/m³; None (or NaN) = missing.
    """

    hour_end: datetime
    so2: Concentration | None
    no2: Concentration | None
    pm10: Concentration | None
    pm25: Concentration | None
    co: Concentration | None
    o3: Concentration | None


# HourRecord field feeding each 24 h mean.
_MEAN_FIELDS: Mapping[str, str] = MappingProxyType({
    "SO2_24h": "so2", "NO2_24h": "no2", "PM10_24h": "pm10", "CO_24h": "co", "PM25_24h": "pm25",
})

_UTC8 = timezone(timedelta(hours=8))


def _hour_value(record: HourRecord, name: str) -> Fraction | None:
    raw = getattr(record, name)
    if raw is None or (isinstance(raw, (float, Decimal)) and raw != raw):  # NaN is the NA marker
        return None
    value = _exact(raw)
    if value < 0:
        raise ValueError(f"negative {name} {raw!r} at {record.hour_end.isoformat()}")
    return value


def _hours_of_day(hours: Iterable[HourRecord], day: date) -> dict[int, HourRecord]:
    # Index 1..24 = hour ending 01:00 .. 24:00 (= next day 00:00); other days are ignored so a
    # caller may pass a whole series.
    start = datetime.combine(day, time())
    by_index: dict[int, HourRecord] = {}
    for record in hours:
        end = record.hour_end
        if end.tzinfo is not None:
            end = end.astimezone(_UTC8).replace(tzinfo=None)
        offset = end - start
        if offset <= timedelta(0) or offset > timedelta(hours=24):
            continue
        if offset % timedelta(hours=1):
            raise ValueError(f"hour_end {record.hour_end.isoformat()} is not on the full hour")
        index = offset // timedelta(hours=1)
        if index in by_index:
            raise ValueError(f"two records for hour ending {record.hour_end.isoformat()}")
        by_index[index] = record
    return by_index


def _round_report(value: Fraction, places: int) -> Decimal:
    # Half to even, as GB/T 8170 (cited by HJ 663) rounds; to verify.
    return Decimal(round(value * 10**places)).scaleb(-places)


@dataclass(frozen=True)
class DailyResult:
    """One station day. Mappings are keyed by DAILY_KEYS; None means not valid."""

    day: date
    standard: str  # Standard.version used
    counts: Mapping[str, int]  # valid hours (24 h means, O3 1 h) or valid 8 h windows (O3 8 h)
    means: Mapping[str, Fraction | None]  # exact 24 h means, daily max 1 h / 8 h for O3
    reported: Mapping[str, Decimal | None]  # `means` rounded as published; IAQI comes from these
    iaqi: Mapping[str, int | None]
    aqi: int | None
    primary: str | None  # display names comma-joined; only when AQI > 50
    exceeding: tuple[str, ...]  # display names of IAQI > 100
    level: Level | None
    #: Display names whose reported concentration is above the top of the HJ 633 column
    #: (IAQI capped at 500, or O3 8 h replaced by the 1 h IAQI): published, but said out loud.
    above_table: tuple[str, ...] = ()
    #: Why a day has no AQI: each statistic that lacked valid hours (or windows), with the
    #: count found and the count needed. None on a day with an AQI.
    no_aqi_reason: str | None = None

    @property
    def valid(self) -> Mapping[str, bool]:
        return {key: value is not None for key, value in self.means.items()}

    @property
    def has_aqi(self) -> bool:
        return self.aqi is not None

    @property
    def grade(self) -> str | None:
        return self.level.grade if self.level else None

    @property
    def category(self) -> str | None:
        return self.level.category if self.level else None

    @property
    def colour(self) -> str | None:
        return self.level.colour if self.level else None


def daily_aqi(
    hours: Iterable[HourRecord],
    day: date,
    standard: Standard | None = None,
    *,
    require_all: bool = True,
    min_hours_24h: int = 20,
    min_hours_o3_1h: int = 20,
    min_hours_8h: int = 6,
    min_o3_8h_windows: int = 14,
) -> DailyResult:
    """Daily AQI of one station from its hourly records (records of other days are ignored).

    Validity defaults (to verify, HJ 663 / GB 3095): a 24 h mean needs ``min_hours_24h`` hourly
    values of that pollutant; an 8 h O3 window needs ``min_hours_8h`` of its 8 hours; the daily
    max 8 h needs ``min_o3_8h_windows`` valid windows of the 17 ending 08:00..24:00; the daily
    max 1 h needs ``min_hours_o3_1h`` hours (our choice, mirroring the 24 h rule). Missing hours
    are skipped, never zero-filled. IAQI is computed from the *reported* (rounded) value, as a
    reader of the published daily report would (to verify). With ``require_all`` the AQI exists
    only when every statistic the standard's daily report uses is valid (to verify); otherwise
    it is the max of whatever IAQI exist.
    """
    standard = standard or standard_for(day)
    by_index = _hours_of_day(hours, day)

    counts: dict[str, int] = {}
    means: dict[str, Fraction | None] = {}
    for key, name in _MEAN_FIELDS.items():
        values = [v for r in by_index.values() if (v := _hour_value(r, name)) is not None]
        counts[key] = len(values)
        means[key] = sum(values, Fraction(0)) / len(values) if len(values) >= min_hours_24h else None

    o3 = {i: v for i, r in by_index.items() if (v := _hour_value(r, "o3")) is not None}
    counts["O3_1h"] = len(o3)
    means["O3_1h"] = max(o3.values()) if len(o3) >= min_hours_o3_1h else None

    window_means: list[Fraction] = []
    for end in range(8, 25):  # the window ending 08:00 covers hours ending 01:00..08:00
        values = [o3[i] for i in range(end - 7, end + 1) if i in o3]
        if len(values) >= min_hours_8h:
            window_means.append(sum(values, Fraction(0)) / len(values))
    counts["O3_8h"] = len(window_means)
    means["O3_8h"] = max(window_means) if window_means and len(window_means) >= min_o3_8h_windows else None

    means = {key: means[key] for key in DAILY_KEYS}
    counts = {key: counts[key] for key in DAILY_KEYS}
    reported = {k: (None if m is None else _round_report(m, REPORT_PLACES[k])) for k, m in means.items()}
    sub: dict[str, int | None] = {k: (None if r is None else iaqi(k, r, standard)) for k, r in reported.items()}
    if reported["O3_8h"] is not None and sub["O3_8h"] is None:
        # Only above the column's top (800 μg/m³) has a valid 8 h value no index: HJ 633 then
        # reports the 1 h IAQI for O3 (None if the 1 h max is itself invalid).
        sub["O3_8h"] = sub["O3_1h"]
    if not standard.daily_uses_o3_1h:
        sub["O3_1h"] = None  # the concentration stays published; it only leaves the index

    used = [k for k in DAILY_KEYS if k != "O3_1h" or standard.daily_uses_o3_1h]
    present = {k: v for k in used if (v := sub[k]) is not None}
    aqi: int | None = None
    if present and (not require_all or len(present) == len(used)):
        aqi = max(present.values())
    primary = None
    if aqi is not None and aqi > 50:
        primary = ",".join(DISPLAY_NAMES[k] for k, v in present.items() if v == aqi)
    # Exceeding is a per-pollutant fact, so it is kept even on a day without a valid AQI.
    exceeding = tuple(DISPLAY_NAMES[k] for k, v in present.items() if v > 100)

    needed = {k: min_hours_24h for k in _MEAN_FIELDS} | {"O3_1h": min_hours_o3_1h, "O3_8h": min_o3_8h_windows}
    return DailyResult(
        day=day,
        standard=standard.version,
        counts=counts,
        means=means,
        reported=reported,
        iaqi=sub,
        aqi=aqi,
        primary=primary,
        exceeding=exceeding,
        level=None if aqi is None else level(aqi),
        above_table=above_table(reported, standard),
        no_aqi_reason=None if aqi is not None else no_aqi_reason([k for k in used if k not in present], counts, needed),
    )


def above_table(reported: Mapping[str, Decimal | None], standard: Standard) -> tuple[str, ...]:
    """Display names whose reported value is above the top concentration of its HJ 633 column."""
    return tuple(
        DISPLAY_NAMES[k] for k, v in reported.items()
        if v is not None and k in standard.breakpoints and Fraction(v) > standard.breakpoints[k][-1][0]
    )


def no_aqi_reason(missing: Iterable[str], counts: Mapping[str, int], needed: Mapping[str, int]) -> str:
    """``PM2.5 有效小时 12/20`` per statistic without a valid value, Chinese then English."""
    zh, en = [], []
    for k in missing:
        what_zh, what_en = ("有效8小时窗口", "valid 8 h windows") if k == "O3_8h" else ("有效小时", "valid hours")
        zh.append(f"{DISPLAY_NAMES[k]} {what_zh} {counts[k]}/{needed[k]}")
        en.append(f"{DISPLAY_NAMES[k]} {counts[k]} of {needed[k]} {what_en}")
    return f"{'；'.join(zh)} ({'; '.join(en)})"


@dataclass(frozen=True)
class MonthlySummary:
    """Statistics over the daily results of one station (or division) and month."""

    days: int  # daily results given
    valid_days: int  # days with a valid AQI: the denominator of the compliant ratio
    compliant_days: int  # AQI <= 100
    compliant_ratio: Fraction | None  # None without valid days
    compliant_percent: float | None  # ratio in percent, 1 decimal
    days_per_level: Mapping[str, int]  # 一级..六级, every grade present
    means: Mapping[str, Fraction | None]  # mean of the valid reported daily values, per key
    mean_days: Mapping[str, int]  # each key's own denominator
    reported_means: Mapping[str, Decimal | None]  # `means` rounded like daily values


def monthly_summary(daily: Iterable[DailyResult]) -> MonthlySummary:
    """Summarise daily results; days without a valid AQI leave the ratio's denominator.

    Means average the *reported* daily values (what the public can recheck from the daily data;
    to verify), each pollutant over its own valid days. No minimum number of days is enforced:
    ``mean_days`` lets the caller apply HJ 663's monthly rule (to verify: 27 days, 25 in February).
    """
    results = list(daily)
    seen: set[date] = set()
    for result in results:
        if result.day in seen:
            raise ValueError(f"two daily results for {result.day.isoformat()}")
        seen.add(result.day)

    with_aqi = [r for r in results if r.aqi is not None]
    compliant = sum(1 for r in with_aqi if r.aqi is not None and r.aqi <= 100)
    ratio = Fraction(compliant, len(with_aqi)) if with_aqi else None
    percent = None if ratio is None else float(_round_report(ratio * 100, 1))

    per_level = {lv.grade: 0 for lv in LEVELS}
    for r in with_aqi:
        if r.level is not None:
            per_level[r.level.grade] += 1

    means: dict[str, Fraction | None] = {}
    mean_days: dict[str, int] = {}
    for key in DAILY_KEYS:
        values = [Fraction(v) for r in results if (v := r.reported.get(key)) is not None]
        mean_days[key] = len(values)
        means[key] = sum(values, Fraction(0)) / len(values) if values else None
    reported = {k: (None if m is None else _round_report(m, REPORT_PLACES[k])) for k, m in means.items()}

    return MonthlySummary(
        days=len(results),
        valid_days=len(with_aqi),
        compliant_days=compliant,
        compliant_ratio=ratio,
        compliant_percent=percent,
        days_per_level=per_level,
        means=means,
        mean_days=mean_days,
        reported_means=reported,
    )
