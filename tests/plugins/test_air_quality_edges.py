"""AQI edge cases said out loud (issue 16 item 7), on a hand-made station file:
a PM2.5 day above the HJ 633 table's top (500 μg/m³) is capped at AQI 500,
flagged in ``above_table`` and reported as a warning; a day with too few valid
hours has no AQI and says which pollutant lacked them in ``no_aqi_reason``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from support import read_published_rows, run_etl


def _station_file(path: Path) -> None:
    """Two days of hour-ending rows: Oct 1 with PM2.5 at 620 every hour, Oct 2 with
    PM2.5 missing (NA) in 12 of 24 hours; the other pollutants complete."""
    lines = ["某监测站 小时数据 2016-10", "监测时间,SO2,NO2,PM10,PM2.5,CO,O3"]
    start = datetime(2016, 10, 1, 1)
    for i in range(48):
        t = start + timedelta(hours=i)
        pm25 = "620" if i < 24 else ("NA" if i % 2 else "40")
        lines.append(f"{t:%Y-%m-%d %H:%M},5,30,80,{pm25},0.6,40")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    _station_file(data / "站A_2016-10.csv")
    (tmp_path / "aq.yaml").write_text(
        "pipeline: aq_edges\nsource:\n  plugin: air_quality\n"
        "inputs:\n  hourly_1:\n    path: data/站A_{period}.csv\n    fixed: {station: 农展馆, street: 麦子店街道}\n"
        "datasets: [aq_station_hourly, aq_station_daily]\nperiods: 2016-10\n"
        "output:\n  dir: out\n  formats: [parquet]\n",
        encoding="utf-8",
    )
    return run_etl("run", str(tmp_path / "aq.yaml"))


def test_above_table_is_flagged_and_reported_and_short_days_say_why(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    days = {r["date"]: r for r in read_published_rows(tmp_path / "out", "aq_station_daily", "2016-10")}
    high = days[date(2016, 10, 1)]
    assert high["pm2_5_24h"] == 620 and high["aqi"] == 500 and high["iaqi_pm2_5"] == 500
    assert high["above_table"] == "PM2.5" and high["no_aqi_reason"] is None
    said = result.stdout + result.stderr
    assert "农展馆 2016-10-01 PM2.5 = 620" in said and "capped at 500" in said
    short = days[date(2016, 10, 2)]
    assert short["aqi"] is None and short["hours_pm2_5"] == 12
    assert short["no_aqi_reason"] == "PM2.5 有效小时 12/20 (PM2.5 12 of 20 valid hours)"
    assert short["above_table"] is None
    # a day with no hours at all names every statistic
    assert "SO2 0 of 20 valid hours" in days[date(2016, 10, 5)]["no_aqi_reason"]
