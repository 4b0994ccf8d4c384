"""Make the air-quality sample inputs, deterministically, as the monitoring system exports them.

One CSV per station and month of hourly data (hour-ending Beijing time, 24 rows a day):

- 农展馆_<YYYY-MM>.csv: UTF-8 with BOM, a title line above the header, times written
  ``2016-10-01 01:00`` .. ``2016-10-01 24:00``, CO in mg/m³, missing values ``NA`` or empty,
  and a few hours absent from the file altogether (the export skips hours without data).
- 奥体中心_<YYYYMM>.csv: GBK, Chinese pollutant headers (二氧化硫, 一氧化碳, ...), times written
  ``2016/10/1 1:00`` .. ``2016/10/1 24:00``, CO in μg/m³ (the pipeline declares
  ``units: {co: μg/m³}``), missing values ``-99`` (the system's no-data code) or ``—``.

Concentrations imitate a Beijing late summer and autumn: ozone episodes in August, haze
episodes building up over several days in September and October (2016-10-14..17 reaches
heavy pollution), cleaner days after cold fronts. Each pollutant cell goes missing with a
small probability.

Planned gaps (kept valid, they test the validity rules):
- 奥体中心 2016-10-20: a power cut, all analysers report -99 for the hours ending 03:00..10:00,
  so that day has 16 valid hours for every pollutant: no 24 h means, no AQI.
- 农展馆 2016-10-09: the PM2.5 analyser is serviced, NA for the hours ending 09:00..13:00,
  so PM2.5 has 19 valid hours: no PM2.5 IAQI and no AQI, the other pollutants stay valid.

Planted dirty rows (must land in the rejects of aq_station_hourly):
- 农展馆 2016-10-05 hour ending 14:00: PM2.5 ``-12`` (a negative concentration; -99 alone
  means missing) -> field pm2_5_1h, below the minimum 0.
- 奥体中心 2016-10-15 hour ending 06:00: 监测时间 ``########`` (the column was too narrow when
  someone opened and saved the file in Excel) -> field time, unrecognised date-time.
- 农展馆 2016-09-18 hour ending 11:00: the row is exported twice (the second copy has other
  values) -> duplicate primary key, the first copy is kept.
- 奥体中心 2016-09: the export runs one hour too far and holds ``2016/10/1 1:00`` -> field
  time, not in period 2016-09 (it belongs to October's file, which has it too).

Run: python sample_data/air_quality/generate.py
"""

from __future__ import annotations

import calendar
import csv
import math
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
MONTHS = ["2016-08", "2016-09", "2016-10"]
POLLUTANTS = ("so2", "no2", "pm10", "pm25", "co", "o3")

# Daily PM2.5 base levels (μg/m³) of haze episodes; other days draw a clean-ish base.
EPISODES: dict[date, float] = {
    date(2016, 8, 11): 85, date(2016, 8, 12): 110, date(2016, 8, 13): 70,
    date(2016, 9, 5): 75, date(2016, 9, 6): 105, date(2016, 9, 7): 95,
    date(2016, 9, 25): 90, date(2016, 9, 26): 130, date(2016, 9, 27): 150, date(2016, 9, 28): 60,
    date(2016, 10, 3): 80, date(2016, 10, 4): 125, date(2016, 10, 5): 160, date(2016, 10, 6): 120,
    date(2016, 10, 14): 140, date(2016, 10, 15): 210, date(2016, 10, 16): 250, date(2016, 10, 17): 190,
    date(2016, 10, 26): 95, date(2016, 10, 27): 135,
}
# Afternoon ozone peak (μg/m³) on a sunny clean day, by month.
O3_PEAK = {8: 235.0, 9: 170.0, 10: 95.0}

POWER_CUT = (date(2016, 10, 20), range(3, 11))  # 奥体中心, hours ending 03:00..10:00
PM25_SERVICE = (date(2016, 10, 9), range(9, 14))  # 农展馆, hours ending 09:00..13:00


def _days(month: str) -> list[date]:
    year, mon = map(int, month.split("-"))
    return [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


def daily_base(rng: random.Random) -> dict[date, float]:
    """PM2.5 base level per day, one day beyond the last month for the interpolation."""
    out: dict[date, float] = {}
    day = date(2016, 8, 1)
    while day <= date(2016, 11, 1):
        out[day] = EPISODES.get(day, rng.uniform(12, 62) if rng.random() < 0.8 else rng.uniform(55, 78))
        day += timedelta(days=1)
    return out


def hourly_series(month: str, base: dict[date, float], rng: random.Random) -> list[tuple[date, int, dict[str, float]]]:
    """True (regional) concentrations per hour of the month; stations perturb them."""
    rows = []
    mon = int(month[5:])
    for day in _days(month):
        cloud = rng.uniform(0.65, 1.1)  # sunshine of the day, drives ozone
        for hour in range(1, 25):  # hour ending
            frac = hour / 24
            pm25_base = base[day] * (1 - frac) + base[day + timedelta(days=1)] * frac
            diurnal = 1.0 + 0.25 * math.cos((hour - 1) / 24 * 2 * math.pi)  # higher at night
            pm25 = max(3.0, pm25_base * diurnal * rng.lognormvariate(0, 0.12))
            pm10 = pm25 * rng.uniform(1.25, 1.75) + rng.uniform(0, 25)
            rush = 1.0 + 0.35 * (math.exp(-((hour - 8) ** 2) / 4) + math.exp(-((hour - 20) ** 2) / 6))
            no2 = min(140.0, (22 + 0.28 * pm25) * rush * rng.lognormvariate(0, 0.1))
            so2 = max(1.0, 2 + 0.035 * pm25 + rng.gauss(0, 1.2))
            co = max(0.2, 0.3 + 0.0105 * pm25 + rng.gauss(0, 0.06))
            sun = max(0.0, math.sin((hour - 7) / 13 * math.pi)) ** 1.5 if 7 <= hour <= 20 else 0.0
            haze = 1.0 / (1.0 + pm25_base / 180)  # haze dims the sun and titrates ozone
            o3 = max(2.0, 12 + O3_PEAK[mon] * cloud * haze * sun * rng.lognormvariate(0, 0.06) - 0.15 * no2 * (1 - sun))
            rows.append((day, hour, {"so2": so2, "no2": no2, "pm10": pm10, "pm25": pm25, "co": co, "o3": o3}))
    return rows


def _station_values(true: dict[str, float], scale: float, rng: random.Random) -> dict[str, float]:
    return {k: v * scale * rng.lognormvariate(0, 0.05) for k, v in true.items()}


def nongzhanguan(month: str, series: list[tuple[date, int, dict[str, float]]], rng: random.Random) -> None:
    lines: list[list[str]] = []
    for day, hour, true in series:
        if rng.random() < 0.006 and day not in (date(2016, 9, 18), date(2016, 10, 5)):
            continue  # hour absent from the export (never where rows are planted)
        v = _station_values(true, 1.05, rng)
        cells = [f"{v['so2']:.0f}", f"{v['no2']:.0f}", f"{v['pm10']:.0f}", f"{v['pm25']:.0f}", f"{v['co']:.1f}", f"{v['o3']:.0f}"]
        cells = [("NA" if rng.random() < 0.5 else "") if rng.random() < 0.012 else c for c in cells]
        if day == PM25_SERVICE[0] and hour in PM25_SERVICE[1]:
            cells[3] = "NA"
        if day == date(2016, 10, 5) and hour == 14:
            cells[3] = "-12"  # planted: negative concentration
        stamp = f"{day.isoformat()} {hour:02d}:00"
        lines.append([stamp, *cells])
        if day == date(2016, 9, 18) and hour == 11:
            again = [str(round(int(c) * 1.1)) if c.isdigit() else c for c in cells]
            lines.append([stamp, *again])  # planted: the same hour exported twice, other values
    with open(HERE / f"农展馆_{month}.csv", "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"北京市空气质量自动监测系统 农展馆站 小时数据 {month}"])
        w.writerow(["监测时间", "SO2", "NO2", "PM10", "PM2.5", "CO", "O3"])
        w.writerows(lines)


def aotizhongxin(month: str, series: list[tuple[date, int, dict[str, float]]], rng: random.Random) -> None:
    lines: list[list[str]] = []
    for day, hour, true in series:
        v = _station_values(true, 0.95, rng)
        cells = [f"{v['so2']:.0f}", f"{v['no2']:.0f}", f"{v['pm10']:.0f}", f"{v['pm25']:.0f}",
                 f"{v['co'] * 1000:.0f}", f"{v['o3']:.0f}"]
        cells = [("-99" if rng.random() < 0.7 else "—") if rng.random() < 0.015 else c for c in cells]
        if day == POWER_CUT[0] and hour in POWER_CUT[1]:
            cells = ["-99"] * 6
        stamp = f"{day.year}/{day.month}/{day.day} {hour}:00"
        if day == date(2016, 10, 15) and hour == 6:
            stamp = "########"  # planted: Excel's display of a too-narrow date column
        lines.append([stamp, *cells])
    if month == "2016-09":
        # planted: the export overshoots into October by one hour
        lines.append(["2016/10/1 1:00", "5", "48", "96", "61", "920", "17"])
    with open(HERE / f"奥体中心_{month.replace('-', '')}.csv", "w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["时间", "二氧化硫", "二氧化氮", "PM10", "PM2.5", "一氧化碳", "臭氧"])
        w.writerows(lines)


def main() -> None:
    rng = random.Random(20161020)
    base = daily_base(rng)
    for month in MONTHS:
        series = hourly_series(month, base, rng)
        nongzhanguan(month, series, rng)
        aotizhongxin(month, series, rng)
    print(f"wrote air quality samples for {', '.join(MONTHS)} to {HERE}")


if __name__ == "__main__":
    main()
