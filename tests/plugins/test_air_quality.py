"""The air-quality pipeline on its sample data: hourly, daily AQI and monthly summaries.

Expected values are worked out here from the raw CSV files with a small reference of our own
(its own CSV parsing, validity rules, HJ 633 breakpoints copied from DOMAIN.md, interpolation
and rounding), never with plugins/aqi.py's daily or monthly functions.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from support import REPO, copy_project, read_published_rows, run_etl

SAMPLE = "sample_data/air_quality"
MONTH = "2016-10"
STATIONS = ("农展馆", "奥体中心")
RAW = {
    "农展馆": (f"{SAMPLE}/农展馆_2016-10.csv", "utf-8-sig", 1, Fraction(1)),  # path, encoding, title lines, CO factor
    "奥体中心": (f"{SAMPLE}/奥体中心_201610.csv", "gbk", 0, Fraction(1, 1000)),  # CO exported in μg/m³
}

# --- independent reference ---------------------------------------------------------------------
# DOMAIN.md, HJ 633-2012: IAQI | SO2 24h | NO2 24h | PM10 24h | CO 24h | O3 1h | O3 8h | PM2.5 24h
_BREAKPOINTS = """
0   0    0   0   0  0    0   0
50  50   40  50  2  160  100 35
100 150  80  150 4  200  160 75
150 475  180 250 14 300  215 115
200 800  280 350 24 400  265 150
300 1600 565 420 36 800  800 250
400 2100 750 500 48 1000 -   350
500 2620 940 600 60 1200 -   500
"""
KEYS = ("so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25")
TABLE: dict[str, list[tuple[int, int]]] = {k: [] for k in KEYS}
for _line in _BREAKPOINTS.strip().splitlines():
    _cells = _line.split()
    for _key, _cell in zip(KEYS, _cells[1:], strict=True):
        if _cell != "-":
            TABLE[_key].append((int(_cell), int(_cells[0])))
PLACES = {k: 1 if k == "co" else 0 for k in KEYS}
GRADES = ((50, "一级"), (100, "二级"), (150, "三级"), (200, "四级"), (300, "五级"), (10**9, "六级"))
MISSING = {"", "NA", "—", "-99"}
HOURLY_COLUMNS = ("so2", "no2", "pm10", "pm25", "co", "o3")  # raw column order after the time


def ref_iaqi(key: str, value: Fraction) -> int | None:
    points = TABLE[key]
    for (c0, i0), (c1, i1) in zip(points, points[1:], strict=False):
        if value <= c1:
            return math.ceil(Fraction(i1 - i0, c1 - c0) * (value - c0) + i0)
    return 500 if points[-1][1] == 500 else None


def ref_round(value: Fraction, places: int) -> Fraction:
    return Fraction(round(value * 10**places), 10**places)  # round() of a Fraction: half to even


def ref_hours(station: str) -> dict[date, dict[int, dict[str, Fraction | None]]]:
    """Valid hours of the raw file: {day: {hour 1..24: {pollutant: value}}}."""
    path, encoding, skip, co_factor = RAW[station]
    out: dict[date, dict[int, dict[str, Fraction | None]]] = {}
    with open(REPO / path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))[skip + 1:]
    for row in rows:
        m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2}) (\d{1,2}):00", row[0])
        if not m:
            continue  # unparseable time: a reject
        day = date(int(m[1]), int(m[2]), int(m[3]))
        values = {k: None if cell.strip() in MISSING else Fraction(cell) for k, cell in zip(HOURLY_COLUMNS, row[1:], strict=True)}
        if any(v is not None and v < 0 for v in values.values()):
            continue  # negative concentration: the whole row is a reject
        if values["co"] is not None:
            values["co"] *= co_factor
        hours = out.setdefault(day, {})
        hours.setdefault(int(m[4]), values)  # a repeated hour: the first copy counts
    return out


def ref_day(hours: dict[int, dict[str, Fraction | None]]) -> dict[str, Any]:
    """Reported daily statistics, IAQI and AQI of one station day."""
    series = {k: {h: v[k] for h, v in hours.items() if v[k] is not None} for k in HOURLY_COLUMNS}
    stat: dict[str, Fraction | None] = {}
    for key in ("so2", "no2", "pm10", "co", "pm25"):
        vals = list(series[key].values())
        stat[key] = ref_round(sum(vals, Fraction(0)) / len(vals), PLACES[key]) if len(vals) >= 20 else None
    o3 = series["o3"]
    stat["o3_1h"] = max(o3.values()) if len(o3) >= 20 else None
    windows = []
    for end in range(8, 25):
        vals = [o3[h] for h in range(end - 7, end + 1) if h in o3]
        if len(vals) >= 6:
            windows.append(sum(vals, Fraction(0)) / len(vals))
    stat["o3_8h"] = ref_round(max(windows), 0) if len(windows) >= 14 else None
    return ref_index(stat) | {"counts": {k: len(series[k]) for k in HOURLY_COLUMNS}, "windows": len(windows)}


def ref_index(stat: dict[str, Fraction | None]) -> dict[str, Any]:
    sub = {k: None if v is None else ref_iaqi(k, v) for k, v in stat.items()}
    aqi = max(sub.values()) if all(v is not None for v in sub.values()) else None  # type: ignore[type-var]
    return {"stat": stat, "iaqi": sub, "aqi": aqi}


def ref_month(days: list[dict[str, Any]]) -> dict[str, Any]:
    valid = [d["aqi"] for d in days if d["aqi"] is not None]
    compliant = sum(1 for a in valid if a <= 100)
    levels = {g: 0 for _, g in GRADES}
    for a in valid:
        levels[next(g for top, g in GRADES if a <= top)] += 1
    means = {}
    for key in KEYS:
        vals = [d["stat"][key] for d in days if d["stat"][key] is not None]
        means[key] = ref_round(sum(vals, Fraction(0)) / len(vals), PLACES[key]) if vals else None
    ratio = ref_round(Fraction(compliant * 100, len(valid)), 1) if valid else None
    return {"valid_days": len(valid), "compliant_days": compliant, "ratio": ratio, "levels": levels, "means": means}


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    days = [date(2016, 10, d) for d in range(1, 32)]
    daily = {s: [ref_day(ref_hours(s).get(day, {})) for day in days] for s in STATIONS}
    district = []
    for i in range(len(days)):
        stat: dict[str, Fraction | None] = {}
        for key in KEYS:
            vals = [daily[s][i]["stat"][key] for s in STATIONS]
            ok = [v for v in vals if v is not None]
            stat[key] = ref_round(sum(ok, Fraction(0)) / len(ok), PLACES[key]) if len(ok) == len(STATIONS) else None
        district.append(ref_index(stat))
    months = {s: ref_month(daily[s]) for s in STATIONS} | {"朝阳区": ref_month(district)}
    return {"days": days, "daily": daily, "months": months}


# --- running the pipeline ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the shipped pipeline on a private copy (as the `project` fixture makes);
    returns the output folder."""
    root = copy_project(tmp_path_factory.mktemp("aq"))
    result = run_etl("run", str(root / "pipelines/air_quality.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "output"


def _rows(out: Path, dataset: str, period: str = MONTH) -> list[dict[str, Any]]:
    return read_published_rows(out, dataset, period)


def _rejects(out: Path, dataset: str, period: str) -> list[dict[str, str]]:
    with open(out / ".gongkai" / "rejects" / dataset / f"{period}.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(value: Any) -> Fraction | None:
    return None if value is None else Fraction(Decimal(value))


MEAN_FIELDS = {"so2": "so2_mean", "no2": "no2_mean", "pm10": "pm10_mean", "co": "co_mean",
               "o3_1h": "o3_1h_max_mean", "o3_8h": "o3_8h_max_mean", "pm25": "pm2_5_mean"}
DAILY_FIELDS = {"so2": ("so2_24h", "iaqi_so2"), "no2": ("no2_24h", "iaqi_no2"), "pm10": ("pm10_24h", "iaqi_pm10"),
                "co": ("co_24h", "iaqi_co"), "o3_1h": ("o3_1h_max", "iaqi_o3_1h"), "o3_8h": ("o3_8h_max", "iaqi_o3_8h"),
                "pm25": ("pm2_5_24h", "iaqi_pm2_5")}

NAMES = {"so2": "SO2", "no2": "NO2", "pm10": "PM10", "co": "CO", "o3_1h": "O3_1h", "o3_8h": "O3_8h", "pm25": "PM2.5"}


# --- tests -------------------------------------------------------------------------------------
def test_october_monthly_summary_matches_reference(published: Path, reference: dict[str, Any]) -> None:
    rows = {r["station"]: r for r in _rows(published, "aq_monthly_summary")}
    assert set(rows) == {"农展馆", "奥体中心", "朝阳区"}
    assert rows["朝阳区"]["division_code"] == "110105000000" and rows["朝阳区"]["scope"] == "全区"
    assert rows["农展馆"]["scope"] == "站点"
    for station, want in reference["months"].items():
        got = rows[station]
        assert got["period"] == MONTH and got["days"] == 31
        assert got["valid_days"] == want["valid_days"], station
        assert got["compliant_days"] == want["compliant_days"], station
        assert _num(got["compliant_ratio"]) == want["ratio"], station
        assert [got[f"days_level_{i}"] for i in range(1, 7)] == list(want["levels"].values()), station
        for key, field in MEAN_FIELDS.items():
            assert _num(got[field]) == want["means"][key], (station, field)
    # The sample is built to give a polluted October: the figures are not trivial.
    nzg = reference["months"]["农展馆"]
    assert nzg["valid_days"] == 30 and 0 < nzg["compliant_days"] < nzg["valid_days"]
    assert reference["months"]["朝阳区"]["valid_days"] == 29  # both stations' incomplete days drop out
    assert reference["months"]["农展馆"]["levels"]["五级"] > 0


def test_october_daily_values_match_reference(published: Path, reference: dict[str, Any]) -> None:
    daily = _rows(published, "aq_station_daily")
    assert len(daily) == 62  # every day of the month for both stations, valid AQI or not
    by_key = {(r["station"], r["date"]): r for r in daily}
    for station in STATIONS:
        for day, want in zip(reference["days"], reference["daily"][station], strict=True):
            got = by_key[(station, day)]
            for key, (conc, sub) in DAILY_FIELDS.items():
                assert _num(got[conc]) == want["stat"][key], (station, day, conc)
                assert got[sub] == want["iaqi"][key], (station, day, sub)
            assert got["aqi"] == want["aqi"], (station, day)
            assert got["hours_pm2_5"] == want["counts"]["pm25"] and got["hours_o3"] == want["counts"]["o3"]
            assert got["o3_8h_windows"] == want["windows"]
            if want["aqi"] is not None and want["aqi"] > 50:
                tops = {NAMES[k] for k, v in want["iaqi"].items() if v == want["aqi"]}
                assert set(got["primary_pollutant"].split(",")) == tops
            elif want["aqi"] is not None:
                assert got["primary_pollutant"] is None
    sample = by_key[("农展馆", date(2016, 10, 15))]
    assert (sample["level"], sample["category"], sample["colour"]) == ("五级", "重度污染", "#99004C")
    assert sample["standard"] == "HJ633-2012" and sample["division_code"] == "110105012000"


def test_days_with_fewer_than_20_hours_have_no_aqi(published: Path) -> None:
    by_key = {(r["station"], r["date"]): r for r in _rows(published, "aq_station_daily")}
    # 农展馆 2016-10-09: the PM2.5 analyser was serviced for 5 hours -> 19 valid PM2.5 hours.
    serviced = by_key[("农展馆", date(2016, 10, 9))]
    assert serviced["hours_pm2_5"] == 19
    assert serviced["pm2_5_24h"] is None and serviced["iaqi_pm2_5"] is None
    assert serviced["iaqi_no2"] is not None and serviced["no2_24h"] is not None  # the others stay valid
    assert serviced["aqi"] is None and serviced["level"] is None and serviced["primary_pollutant"] is None
    # 奥体中心 2016-10-20: power cut over the morning -> fewer than 20 hours for every pollutant.
    cut = by_key[("奥体中心", date(2016, 10, 20))]
    for field in ("hours_so2", "hours_no2", "hours_pm10", "hours_pm2_5", "hours_co", "hours_o3"):
        assert cut[field] < 20
    for field in ("so2_24h", "pm2_5_24h", "co_24h", "o3_1h_max", "iaqi_so2", "iaqi_pm2_5", "aqi", "category"):
        assert cut[field] is None, field
    hourly = [r for r in _rows(published, "aq_station_hourly") if r["station"] == "奥体中心" and r["date"] == date(2016, 10, 20)]
    assert len(hourly) == 24  # the -99 hours are published as missing values, not dropped
    assert sum(r["pm2_5_1h"] is None for r in hourly) >= 8


def test_planted_dirty_rows_land_in_rejects(published: Path) -> None:
    october = _rejects(published, "aq_station_hourly", "2016-10")
    assert len(october) == 2
    neg = next(r for r in october if r["field"] == "pm2_5_1h")
    assert neg["file"].endswith("农展馆_2016-10.csv") and neg["row"] == "111" and neg["value"].startswith("-12")
    assert "最小值" in neg["reason"] and "minimum" in neg["reason"]
    bad_time = next(r for r in october if r["field"] == "time")
    assert bad_time["file"].endswith("奥体中心_201610.csv") and bad_time["value"] == "########"
    assert "日期时间" in bad_time["reason"]
    september = _rejects(published, "aq_station_hourly", "2016-09")
    assert {r["field"] for r in september} == {"period+station+time", "time"}
    dup = next(r for r in september if r["field"] == "period+station+time")
    assert "主键重复" in dup["reason"] and dup["file"].endswith("农展馆_2016-09.csv")
    outside = next(r for r in september if r["field"] == "time")
    assert "2016-09" in outside["reason"] and "period" in outside["reason"] and outside["value"] == "2016-10-01 01:00"
    assert not (published / ".gongkai/rejects/aq_station_hourly/2016-08.csv").exists()
    # Rejected hours are not published and count as missing in the daily values.
    hourly = {(r["station"], r["time"]): r for r in _rows(published, "aq_station_hourly")}
    assert ("农展馆", datetime(2016, 10, 5, 14)) not in hourly
    assert ("奥体中心", datetime(2016, 10, 15, 6)) not in hourly
    first = {(r["station"], r["time"]): r for r in _rows(published, "aq_station_hourly", "2016-09")}
    assert first[("农展馆", datetime(2016, 9, 18, 11))]["pm2_5_1h"] == Decimal("31.0")  # the first copy


def test_co_in_micrograms_is_converted_via_units(published: Path) -> None:
    hourly = {(r["station"], r["time"]): r for r in _rows(published, "aq_station_hourly")}
    for station in STATIONS:
        path, encoding, skip, factor = RAW[station]
        with open(REPO / path, encoding=encoding, newline="") as fh:
            rows = list(csv.reader(fh))[skip + 1:]
        checked = 0
        for row in rows[:48]:
            m = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2}) (\d{1,2}):00", row[0])
            assert m
            end = datetime(int(m[1]), int(m[2]), int(m[3])) + timedelta(hours=int(m[4]))
            raw_co = row[5].strip()
            got = hourly[(station, end)]["co_1h"]
            if raw_co in MISSING:
                assert got is None
            else:
                assert Fraction(got) == Fraction(raw_co) * factor, (station, end)
                checked += 1
        assert checked > 40
    # The day's last hour: 24:00 is the next day's 00:00 but belongs to the day.
    last = hourly[("奥体中心", datetime(2016, 11, 1))]
    assert (last["date"], last["hour"]) == (date(2016, 10, 31), 24)


def _variant(project: Path, text: str) -> Path:
    path = project / "pipelines" / "aq_variant.yaml"
    path.write_text(text, encoding="utf-8")
    return path


VARIANT = """
pipeline: aq_variant
source: {{plugin: air_quality}}
inputs:
  hourly_1:
    path: ../variant/aoti_{{yyyymm}}.csv
    fixed: {{station: 奥体中心, street: 亚运村街道}}
{extra}
datasets: [aq_station_hourly, aq_station_daily, aq_monthly_summary]
periods: 2016-10
output: {{dir: ../output_variant}}
max_reject_ratio: 0.002
"""
MAPPING = """    columns:
      {time: 采样时刻, so2: SO2浓度值, no2: NO2浓度值, pm10: PM10浓度值, pm2_5: PM2.5浓度值, co: CO浓度值, o3: O3浓度值}
"""


def _write_variant_raw(project: Path) -> None:
    """奥体中心's October file as another system exports it: UTF-8, renamed headers, CO in μg/m³."""
    with open(project / SAMPLE / "奥体中心_201610.csv", encoding="gbk", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[0] = ["采样时刻", "SO2浓度值", "NO2浓度值", "PM10浓度值", "PM2.5浓度值", "CO浓度值", "O3浓度值"]
    (project / "variant").mkdir()
    with open(project / "variant" / "aoti_201610.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_pipeline_columns_and_units_mapping(project: Path, etl, published: Path) -> None:
    _write_variant_raw(project)
    pipeline = _variant(project, VARIANT.format(extra=MAPPING + "    units: {co: ug/m3}"))
    result = etl("run", str(pipeline))
    assert result.returncode == 0, result.stdout + result.stderr
    out = project / "output_variant"
    got = {r["date"]: r for r in _rows(out, "aq_station_daily")}
    want = {r["date"]: r for r in _rows(published, "aq_station_daily") if r["station"] == "奥体中心"}
    assert got == want  # same station, same numbers, whatever the headers and spelling of the unit
    summary = _rows(out, "aq_monthly_summary")
    assert [r["station"] for r in summary] == ["奥体中心", "朝阳区"]
    assert summary[0]["compliant_ratio"] == summary[1]["compliant_ratio"]  # one station: the district is it


def test_missing_units_mapping_rejects_co_and_blocks_publication(project: Path, etl) -> None:
    _write_variant_raw(project)
    pipeline = _variant(project, VARIANT.format(extra=MAPPING))
    result = etl("run", str(pipeline))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "max_reject_ratio" in result.stderr + result.stdout
    rejects = _rejects(project / "output_variant", "aq_station_hourly", "2016-10")
    co = [r for r in rejects if r["field"] == "co_1h"]
    assert len(co) > 600 and all("最大值 150" in r["reason"] for r in co)  # μg/m³ read as mg/m³
    assert not (project / "output_variant" / "aq_station_daily" / "data").exists()


def test_unmapped_columns_are_a_clear_error(project: Path, etl) -> None:
    _write_variant_raw(project)
    pipeline = _variant(project, VARIANT.format(extra="    units: {co: μg/m³}"))
    result = etl("run", str(pipeline))
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr
    assert "缺少必需的列" in message and "missing required columns" in message
    assert "so2" in message and "采样时刻" in message and "inputs.hourly_1.columns" in message


def test_unknown_street_is_rejected_with_the_street_named(project: Path, etl) -> None:
    _write_variant_raw(project)
    text = VARIANT.format(extra=MAPPING + "    units: {co: μg/m³}").replace("street: 亚运村街道", "street: 亚运街道")
    result = etl("run", str(_variant(project, text)))
    assert result.returncode == 1, result.stdout + result.stderr  # every row rejected: over max_reject_ratio
    rejects = _rejects(project / "output_variant", "aq_station_hourly", "2016-10")
    street = [r for r in rejects if r["field"] == "street"]
    assert len(street) == 31 * 24 and street[0]["value"] == "亚运街道" and "不是朝阳区的街道或地区" in street[0]["reason"]


def test_daily_without_hourly_dataset_is_a_config_error(project: Path, etl) -> None:
    path = project / "pipelines" / "air_quality.yaml"
    text = path.read_text(encoding="utf-8").replace("datasets: [aq_station_hourly, ", "datasets: [")
    path.write_text(text, encoding="utf-8")
    result = etl("run", str(path), "--period", MONTH)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "aq_station_hourly" in result.stderr and "datasets" in result.stderr


def _iter_hours(out: Path) -> Iterator[dict[str, Any]]:
    yield from _rows(out, "aq_station_hourly")


def test_hourly_rows_are_complete_and_typed(published: Path) -> None:
    rows = list(_iter_hours(published))
    assert {r["station"] for r in rows} == set(STATIONS)
    assert all(r["period"] == MONTH for r in rows)
    assert all(1 <= r["hour"] <= 24 and r["date"].month == 10 for r in rows)
    codes = {r["station"]: r["division_code"] for r in rows}
    assert codes == {"农展馆": "110105012000", "奥体中心": "110105009000"}
    # 奥体中心 exports every hour; one planted row is rejected.
    assert sum(r["station"] == "奥体中心" for r in rows) == 31 * 24 - 1
