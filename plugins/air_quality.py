"""Air quality (空气质量): station hourly data, daily AQI by HJ 633, monthly summaries.

Plan section 三(一): 持续发布本区空气质量监测和预测信息. The environmental protection bureau
exports one CSV per monitoring station and month from the monitoring system: hour-ending
Beijing time (``2016-10-01 01:00`` .. ``2016-10-01 24:00``), SO2, NO2, PM10, PM2.5, O3 in
μg/m³ and CO in mg/m³ (some stations' systems export CO in μg/m³).

How the pieces fit:

- Inputs ``hourly_1`` .. ``hourly_8``: one per station, each bound in the pipeline with
  ``fixed: {station: 农展馆, street: 麦子店街道}`` (the file itself names no station) and, where
  the export differs, ``encoding:``, ``columns:`` and ``units: {co: μg/m³}``. Separate inputs
  rather than one templated path because path templates know only the period, and because
  each station's export has its own encoding, headers and units.
- Units: the engine converts units only of dataset fields named like the raw column, and it
  merges the ``units:`` of all inputs (core limit, see the report). The raw pollutant columns
  (``so2`` .. ``o3``) are therefore *not* dataset field names; the source converts each
  input's values itself with ``ctx.source_unit`` + ``convert_unit`` (exact decimal shift).
- Missing hours: ``NA``, ``—``, ``-``, empty (the engine's missing markers) and the monitoring
  system's no-data code ``-99`` (option ``missing_code``) are missing. Any other negative value
  is an error and rejects the row.
- ``aq_station_hourly`` publishes the hourly rows, so a dirty hourly row (bad timestamp,
  negative or absurd concentration, duplicate hour, hour outside the period) is rejected by the
  engine's normal validation with field and reason. The daily and monthly datasets are computed
  from exactly the hourly rows that pass: the source runs the same validation on its own copy
  (``normalize_and_validate`` + ``check_unique`` + :meth:`AirQualitySource.check`) before
  aggregating, so a rejected row never feeds an average. A rejected row counts as a missing
  hour for every pollutant of that hour.
  The pipeline must therefore list ``aq_station_hourly`` whenever it lists the daily or
  monthly dataset (checked: a clear configuration error otherwise).
- Daily AQI: :func:`gongkai_etl_plugins.aqi.daily_aqi` (HJ 633, exact fractions, version chosen
  by the data date). Every calendar day of the month is published for every station, also
  days without a valid AQI (AQI, level and the invalid statistics are then null).
- District (朝阳区, 110105000000) in the monthly summary: for each day and statistic (24 h means,
  O3 daily max 1 h and max 8 h) the arithmetic mean of the stations' *reported* daily values;
  valid when at least ``district_min_station_share`` of the stations (default 75 %, rounded up:
  both of two stations) have a valid value; rounded like station values; IAQI and AQI by HJ 633
  from these district values with the same all-statistics rule as for stations. The month is
  then summarised like a station's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pyarrow as pa
from gongkai_etl_plugins import aqi

from gongkai_etl import hookimpl
from gongkai_etl.contracts import (
    FILE_COLUMN,
    ROW_COLUMN,
    Batch,
    InputDecl,
    Option,
    Reject,
    Source,
    SourceContext,
)
from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.divisions import DISTRICT_CODE, DISTRICT_NAME, division_code
from gongkai_etl.errors import ConfigError, NormalizeError
from gongkai_etl.fields import division_code_field, period_field
from gongkai_etl.periods import Cadence
from gongkai_etl.toolkit import check_unique, normalize_and_validate, text_cell
from gongkai_etl.values import convert_unit, parse_decimal, unit_exponent

PUBLISHER = "北京市朝阳区环境保护局 (Chaoyang District Environmental Protection Bureau)"
DOMAIN = "空气质量 air quality"
UG = "μg/m³"
MG = "mg/m³"
INPUT_NAMES = tuple(f"hourly_{i}" for i in range(1, 9))

# Raw input column -> (hourly dataset field, HourRecord attribute, unit the source expects,
# decimals kept in the hourly dataset, plausibility maximum of one hourly value). CO keeps 3
# decimals so a μg/m³ export converts without loss; the maxima are the tops of the HJ 633 1 h
# columns (CO 150 mg/m³, NO2 3840, O3 1200) or generous instrument limits, so a unit mix-up
# (CO in μg/m³ read as mg/m³) is rejected instead of published.
POLLUTANTS: dict[str, tuple[str, str, str, int, float]] = {
    "so2": ("so2_1h", "so2", UG, 1, 5000),
    "no2": ("no2_1h", "no2", UG, 1, 3840),
    "pm10": ("pm10_1h", "pm10", UG, 1, 3000),
    "pm2_5": ("pm2_5_1h", "pm25", UG, 1, 2000),
    "co": ("co_1h", "co", MG, 3, 150),
    "o3": ("o3_1h", "o3", UG, 1, 1200),
}

# aqi.DAILY_KEYS -> (daily concentration field, IAQI field, valid-count field, monthly mean field).
DAILY_FIELDS: dict[str, tuple[str, str, str, str]] = {
    "SO2_24h": ("so2_24h", "iaqi_so2", "hours_so2", "so2_mean"),
    "NO2_24h": ("no2_24h", "iaqi_no2", "hours_no2", "no2_mean"),
    "PM10_24h": ("pm10_24h", "iaqi_pm10", "hours_pm10", "pm10_mean"),
    "CO_24h": ("co_24h", "iaqi_co", "hours_co", "co_mean"),
    "O3_1h": ("o3_1h_max", "iaqi_o3_1h", "hours_o3", "o3_1h_max_mean"),
    "O3_8h": ("o3_8h_max", "iaqi_o3_8h", "o3_8h_windows", "o3_8h_max_mean"),
    "PM25_24h": ("pm2_5_24h", "iaqi_pm2_5", "hours_pm2_5", "pm2_5_mean"),
}

PERIOD = period_field(Cadence.MONTHLY)
STATION = Field("station", "监测站点", required=True, title_en="monitoring station")
DIVISION = division_code_field(
    description="站点所在街道/地区的统计用区划代码 (code of the street the station is in)")
LEVELS = tuple(lv.grade for lv in aqi.LEVELS)
CATEGORIES = tuple(lv.category for lv in aqi.LEVELS)


def _conc(name: str, title: str, unit: str, *, decimals: int, maximum: float | None = None, en: str = "",
          integer: bool = False) -> Field:
    if integer:
        return Field(name, title, type="integer", unit=unit, minimum=0, maximum=maximum, title_en=en)
    return Field(name, title, type="decimal", unit=unit, minimum=0, maximum=maximum, scale=decimals, title_en=en)


HOURLY = Dataset(
    id="aq_station_hourly",
    title_zh="朝阳区空气质量监测站点小时数据",
    title_en="Chaoyang air quality monitoring stations, hourly data",
    description=(
        "国控监测站点逐小时浓度：SO2、NO2、PM10、PM2.5、O3 (μg/m³)，CO (mg/m³)。监测时间为小时结束时刻（北京时间），"
        "当日最后一小时 24:00 记为次日 00:00，所属日期见 date 与 hour (1-24)。缺测为空值 (NA)；"
        "原始数据中的 -99 为缺测代码。Hour-ending Beijing time; the day's last hour (24:00) is stored as the next "
        "day's 00:00, date and hour (1-24) name the day it belongs to. Missing hours are null."
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("空气质量", "小时数据", "PM2.5", "air quality", "hourly"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "station", "time"),
    headline="pm2_5_1h",
    headline_agg="mean",
    fields=(
        PERIOD,
        STATION,
        division_code_field(required=False),
        Field("time", "监测时间(小时结束时刻)", type="datetime", required=True, title_en="hour ending (UTC+8)"),
        Field("date", "数据日期", type="date", title_en="day the hour belongs to"),
        Field("hour", "小时序号", type="integer", minimum=1, maximum=24, title_en="hour of the day (1-24, hour ending)"),
        *(
            _conc(field, f"{label}小时浓度", unit, decimals=decimals, maximum=maximum, en=f"{label} 1 h")
            for (field, _, unit, decimals, maximum), label in zip(
                POLLUTANTS.values(), ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3"), strict=True
            )
        ),
    ),
)

DAILY = Dataset(
    id="aq_station_daily",
    title_zh="朝阳区空气质量监测站点日报",
    title_en="Chaoyang air quality monitoring stations, daily AQI",
    description=(
        "按 HJ 633 计算的站点日空气质量指数：SO2、NO2、PM10、PM2.5 (μg/m³) 与 CO (mg/m³) 的 24 小时平均，O3 日最大 1 小时"
        "与日最大 8 小时滑动平均，各项分指数 IAQI、AQI、首要污染物（AQI>50 时，并列时以逗号分隔）、级别、类别与颜色。"
        "24 小时平均需至少 20 个有效小时值；8 小时滑动平均需至少 6 个有效小时，日最大 8 小时需至少 14 个有效窗口 (08:00-24:00)。"
        "任一项无效时当日无 AQI，但仍发布该日记录。被拒绝的小时数据按缺测处理。"
        "浓度超出分级表上限的污染物列于 above_table（分指数按 500 封顶）；无 AQI 的日期在 no_aqi_reason 中说明哪项有效小时不足。"
        " Daily AQI by HJ 633 (exact, rounded up) from the valid hourly rows; days without a valid AQI are published "
        "with null AQI and no_aqi_reason. hours_* count valid hours, o3_8h_windows valid 8 h windows; above_table "
        "lists pollutants above the table's top (IAQI capped at 500)."
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("空气质量", "AQI", "空气质量指数", "日报", "air quality", "daily"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "station", "date"),
    headline="aqi",
    headline_agg="mean",
    fields=(
        PERIOD,
        STATION,
        DIVISION,
        Field("date", "日期", type="date", required=True, title_en="date"),
        _conc("so2_24h", "SO2 24小时平均", UG, decimals=0, integer=True, en="SO2 24 h mean"),
        _conc("no2_24h", "NO2 24小时平均", UG, decimals=0, integer=True, en="NO2 24 h mean"),
        _conc("pm10_24h", "PM10 24小时平均", UG, decimals=0, integer=True, en="PM10 24 h mean"),
        _conc("pm2_5_24h", "PM2.5 24小时平均", UG, decimals=0, integer=True, en="PM2.5 24 h mean"),
        _conc("co_24h", "CO 24小时平均", MG, decimals=1, en="CO 24 h mean"),
        _conc("o3_1h_max", "O3 日最大1小时平均", UG, decimals=0, integer=True, en="O3 daily max 1 h"),
        _conc("o3_8h_max", "O3 日最大8小时滑动平均", UG, decimals=0, integer=True, en="O3 daily max 8 h"),
        *(Field(f, f"{t}分指数", type="integer", minimum=0, maximum=500, title_en=f"IAQI {t}")
          for f, t in (("iaqi_so2", "SO2"), ("iaqi_no2", "NO2"), ("iaqi_pm10", "PM10"), ("iaqi_pm2_5", "PM2.5"),
                       ("iaqi_co", "CO"), ("iaqi_o3_1h", "O3 1小时"), ("iaqi_o3_8h", "O3 8小时"))),
        Field("aqi", "空气质量指数", type="integer", minimum=0, maximum=500, title_en="AQI"),
        Field("primary_pollutant", "首要污染物", title_en="primary pollutant(s), comma-joined"),
        Field("exceeding_pollutants", "超标污染物", title_en="pollutants with IAQI > 100, comma-joined"),
        Field("level", "空气质量指数级别", enum=LEVELS, title_en="AQI level"),
        Field("category", "空气质量指数类别", enum=CATEGORIES, title_en="AQI category"),
        Field("colour", "表示颜色", pattern=r"#[0-9A-F]{6}", title_en="colour (hex RGB)"),
        Field("standard", "评价标准", required=True, title_en="standard version"),
        *(Field(f, f"{t}有效小时数", type="integer", minimum=0, maximum=24, title_en=f"valid hours {t}")
          for f, t in (("hours_so2", "SO2"), ("hours_no2", "NO2"), ("hours_pm10", "PM10"), ("hours_pm2_5", "PM2.5"),
                       ("hours_co", "CO"), ("hours_o3", "O3"))),
        Field("o3_8h_windows", "O3 有效8小时窗口数", type="integer", minimum=0, maximum=17, title_en="valid O3 8 h windows"),
        Field("above_table", "超出分级表上限的污染物", title_en="pollutants above the HJ 633 table's top, comma-joined",
              description="浓度高于 HJ 633 分级表最高浓度限值的污染物（其分指数按 500 封顶，O3 8小时改用 1小时分指数）"),
        Field("no_aqi_reason", "无AQI原因", title_en="why the day has no AQI",
              description="当日无 AQI 时，列出有效小时数（或有效 8 小时窗口数）不足的项目：实有/需要"),
    ),
)

MONTHLY = Dataset(
    id="aq_monthly_summary",
    title_zh="朝阳区空气质量月度统计",
    title_en="Chaoyang air quality monthly summary",
    description=(
        "各站点及全区的月度统计：有效天数（有 AQI 的天数）、达标天数 (AQI<=100)、达标率 (%，达标天数/有效天数)、"
        "各级别天数与各项日值的月平均（各项以其自身有效天数为分母，为日报值的算术平均，不是 GB 3095 的百分位数统计）。"
        "全区（朝阳区 110105000000）：逐日、逐项取各站点日报值的算术平均（至少 75% 的站点有效，两站即两站均有效），"
        "按与站点相同的修约与 HJ 633 规则求全区日 AQI，再按月统计。"
        " Per station and for the district: valid days (days with an AQI), compliant days (AQI <= 100), compliant "
        "ratio, days per level and means of the reported daily values. District days: mean of the stations' daily "
        "values per statistic (valid with >= 75 % of stations), then HJ 633."
    ),
    publisher=PUBLISHER,
    domain=DOMAIN,
    keywords=("空气质量", "达标天数", "达标率", "月报", "air quality", "monthly"),
    cadence=Cadence.MONTHLY,
    primary_key=("period", "station"),
    headline="compliant_ratio",
    headline_agg="mean",
    fields=(
        PERIOD,
        Field("station", "监测站点或区域", required=True, title_en="station or district"),
        DIVISION,
        Field("scope", "统计范围", required=True, enum=("站点", "全区"), title_en="station or district (全区)"),
        Field("days", "统计天数", type="integer", required=True, minimum=0, maximum=31, title_en="days in the month"),
        Field("valid_days", "有效天数", type="integer", required=True, minimum=0, maximum=31, title_en="days with a valid AQI"),
        Field("compliant_days", "达标天数", type="integer", required=True, minimum=0, maximum=31,
              title_en="days with AQI <= 100"),
        Field("compliant_ratio", "达标率", type="decimal", unit="%", minimum=0, maximum=100, scale=1, title_en="compliant ratio"),
        *(Field(f"days_level_{i}", f"{lv.grade}({lv.category})天数", type="integer", required=True, minimum=0,
                maximum=31, title_en=f"days at level {i} ({lv.name_en})")
          for i, lv in enumerate(aqi.LEVELS, start=1)),
        _conc("so2_mean", "SO2 月平均", UG, decimals=0, integer=True, en="SO2 mean of daily means"),
        _conc("no2_mean", "NO2 月平均", UG, decimals=0, integer=True, en="NO2 mean of daily means"),
        _conc("pm10_mean", "PM10 月平均", UG, decimals=0, integer=True, en="PM10 mean of daily means"),
        _conc("pm2_5_mean", "PM2.5 月平均", UG, decimals=0, integer=True, en="PM2.5 mean of daily means"),
        _conc("co_mean", "CO 月平均", MG, decimals=1, en="CO mean of daily means"),
        _conc("o3_1h_max_mean", "O3 日最大1小时月平均", UG, decimals=0, integer=True, en="O3 mean of daily max 1 h"),
        _conc("o3_8h_max_mean", "O3 日最大8小时月平均", UG, decimals=0, integer=True, en="O3 mean of daily max 8 h"),
        Field("standard", "评价标准", required=True, title_en="standard version(s)"),
    ),
)

_INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "time": ("监测时间", "时间", "日期时间", "采样时间", "数据时间", "datetime", "timestamp"),
    "station": ("站点", "站点名称", "监测站点", "监测点位", "点位名称", "站名"),
    "street": ("街道", "所在街道", "街乡", "所属街乡"),
    "so2": ("SO2", "SO₂", "二氧化硫", "SO2(μg/m³)", "SO2浓度"),
    "no2": ("NO2", "NO₂", "二氧化氮", "NO2(μg/m³)", "NO2浓度"),
    "pm10": ("PM10", "PM₁₀", "可吸入颗粒物", "PM10(μg/m³)", "PM10浓度"),
    "pm2_5": ("PM2.5", "PM₂.₅", "PM25", "细颗粒物", "PM2.5(μg/m³)", "PM2.5浓度"),
    "co": ("CO", "一氧化碳", "CO(mg/m³)", "CO浓度"),
    "o3": ("O3", "O₃", "臭氧", "O3(μg/m³)", "O3浓度"),
}


class AirQualitySource(Source):
    name = "air_quality"
    title_zh = "空气质量"
    title_en = "air quality"
    datasets = (HOURLY, DAILY, MONTHLY)
    inputs = tuple(
        InputDecl(
            name,
            columns=_INPUT_COLUMNS,
            optional_columns=("street",),
            required=name == "hourly_1",
            description=(
                "一个站点一个月的小时数据导出 (csv/xlsx)；站点名用 fixed: {station: ...} 指定 "
                "(hourly export of one station and month; name the station with fixed:)"
            ),
        )
        for name in INPUT_NAMES
    )
    options = {
        "missing_code": Option(int, -99, "监测系统的缺测代码 (the monitoring system's no-data code)"),
        "min_hours_24h": Option(int, 20, "24 小时平均所需的最少有效小时数 (valid hours a 24 h mean needs; to verify)"),
        "min_o3_8h_windows": Option(int, 14, "日最大 8 小时所需的最少有效窗口数 (valid 8 h windows the daily max needs)"),
        "district_min_station_share": Option(
            float, 0.75, "全区日值所需的最少有效站点比例 (share of stations a district daily value needs; to verify)"
        ),
        "district_name": Option(str, DISTRICT_NAME, "全区统计行的名称 (name of the district row)"),
        "district_code": Option(str, DISTRICT_CODE, "全区统计行的区划代码 (division code of the district row)"),
    }

    # --- extract -----------------------------------------------------------------------------
    def extract(self, ctx: SourceContext) -> Iterator[Batch]:
        wanted = set(ctx.dataset_ids)
        if wanted & {DAILY.id, MONTHLY.id} and HOURLY.id not in wanted:
            # Daily values leave out rejected hours; without the hourly dataset those rejects
            # would have no rejects file to land in, i.e. be dropped silently.
            raise ConfigError(
                f"{DAILY.id} 与 {MONTHLY.id} 由小时数据计算，datasets 中须同时列出 {HOURLY.id}，被拒绝的小时数据才有记录 "
                f"(the daily and monthly datasets are computed from the hourly rows; list {HOURLY.id} under "
                f"`datasets:` too, so rejected hourly rows are kept in its rejects file)"
            )
        hourly = _read_hourly(ctx)
        if HOURLY.id in wanted:
            yield Batch(HOURLY.id, hourly)
        if not wanted & {DAILY.id, MONTHLY.id}:
            return
        valid = self._valid_hours(ctx, hourly)
        stations = _stations(hourly)
        codes = {s: _division_of(valid, s) for s in stations}
        days = _days(ctx.period.start, ctx.period.end)
        opts = ctx.options
        results: dict[str, list[aqi.DailyResult]] = {}
        for station, records in _records_by_station(valid, stations).items():
            results[station] = [
                aqi.daily_aqi(
                    records, day, aqi.standard_for(day),
                    min_hours_24h=opts["min_hours_24h"], min_hours_o3_1h=opts["min_hours_24h"],
                    min_o3_8h_windows=opts["min_o3_8h_windows"],
                )
                for day in days
            ]
        if DAILY.id in wanted:
            _warn_above_table(ctx, results)
            yield Batch(DAILY.id, _daily_table(ctx.period.key, codes, results))
        if MONTHLY.id in wanted:
            district = [
                _district_day(day, [results[s][i] for s in stations], opts["district_min_station_share"])
                for i, day in enumerate(days)
            ] if stations else []
            yield Batch(MONTHLY.id, _monthly_table(ctx.period.key, codes, results, district, opts))

    def _valid_hours(self, ctx: SourceContext, hourly: pa.Table) -> pa.Table:
        """The typed hourly rows the engine will publish: the same validation, run ahead."""
        typed, rejects = normalize_and_validate(hourly, HOURLY)
        bad = {r.index for r in rejects}
        bad |= {r.index for r in check_unique(typed, HOURLY, {}, bad)}
        bad |= {r.index for r in self.check(ctx, HOURLY, typed)}
        return typed.filter(pa.array([i not in bad for i in range(typed.num_rows)], pa.bool_()))

    # --- checks ------------------------------------------------------------------------------
    def check(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> Iterable[Reject]:
        if dataset.id != HOURLY.id or table.num_rows == 0:
            return []
        rejects: list[Reject] = []
        rows = table.column(ROW_COLUMN).to_pylist()
        files = table.column(FILE_COLUMN).to_pylist() if FILE_COLUMN in table.column_names else [""] * len(rows)
        first, last = ctx.period.start, ctx.period.end
        for i, end in enumerate(table.column("time").to_pylist()):
            if end is None:
                continue  # unparseable: already rejected with its own reason
            day = _data_day(end)
            if not first <= day <= last:
                rejects.append(Reject(
                    i, rows[i], "time", end.strftime("%Y-%m-%d %H:%M"),
                    f"监测时间不属于本期 {ctx.period.key}，属于 {day.isoformat()} "
                    f"(hour belongs to {day.isoformat()}, outside period {ctx.period.key}; expected "
                    f"{first.isoformat()} 01:00 .. {last.isoformat()} 24:00)",
                    files[i],
                ))
        if "street" in table.column_names:
            codes = table.column("division_code").to_pylist()
            for i, street in enumerate(table.column("street").to_pylist()):
                if codes[i] is None and street:
                    rejects.append(Reject(
                        i, rows[i], "street", str(street),
                        "不是朝阳区的街道或地区，无法确定区划代码 (not a Chaoyang street or area; expected e.g. 麦子店街道)",
                        files[i],
                    ))
        return rejects

    def derive(self, ctx: SourceContext, dataset: Dataset, table: pa.Table) -> pa.Table:
        if dataset.id != HOURLY.id:
            return table
        ends = table.column("time").to_pylist()
        days = [None if e is None else _data_day(e) for e in ends]
        hours = [None if e is None else (e - timedelta(hours=1)).hour + 1 for e in ends]
        table = table.set_column(table.column_names.index("date"), "date", pa.array(days, pa.date32()))
        return table.set_column(table.column_names.index("hour"), "hour", pa.array(hours, pa.int64()))


# --- reading -----------------------------------------------------------------------------------


def _configured_inputs(ctx: SourceContext) -> list[str]:
    """Inputs the pipeline binds. A configured station whose file is missing is read anyway, so
    the run stops with a clear 'file not found' instead of silently publishing one station less."""
    return [n for n in INPUT_NAMES if n in ctx.input_names]


def _read_hourly(ctx: SourceContext) -> pa.Table:
    """All stations' hourly rows as text, pollutants converted to the dataset units."""
    missing_code = Decimal(ctx.options["missing_code"])
    columns: dict[str, list[Any]] = {n: [] for n in ("period", "station", "street", "division_code", "time",
                                                     *(p[0] for p in POLLUTANTS.values()), ROW_COLUMN, FILE_COLUMN)}
    codes: dict[str | None, str | None] = {}
    for name in _configured_inputs(ctx):
        raw = ctx.read(name).to_table()
        n = raw.num_rows
        columns["period"] += [ctx.period.key] * n
        columns["station"] += [_cell_text(s) for s in raw.column("station").to_pylist()]
        streets = [_cell_text(s) for s in raw.column("street").to_pylist()] if "street" in raw.column_names else [None] * n
        columns["street"] += streets
        for s in streets:
            if s not in codes:
                codes[s] = _street_code(s, ctx.options["district_code"])
        columns["division_code"] += [codes[s] for s in streets]
        columns["time"] += [_cell_text(t) for t in raw.column("time").to_pylist()]
        for column, (field, _, unit, _, _) in POLLUTANTS.items():
            source_unit = _source_unit(ctx, name, column, unit)
            columns[field] += [_hourly_value(v, source_unit, unit, missing_code) for v in raw.column(column).to_pylist()]
        columns[ROW_COLUMN] += raw.column(ROW_COLUMN).to_pylist()
        columns[FILE_COLUMN] += raw.column(FILE_COLUMN).to_pylist()
    arrays = {k: pa.array(v, pa.int64() if k == ROW_COLUMN else pa.string()) for k, v in columns.items()}
    return pa.table(arrays)


def _cell_text(value: Any) -> str | None:
    """Text of a raw cell (spreadsheet readers give datetimes and numbers); None when blank."""
    if value is None:
        return None
    text = value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)
    return text.strip() or None


def _source_unit(ctx: SourceContext, input_name: str, column: str, unit: str) -> str:
    """The unit the pipeline declares for a raw column (default: the dataset's), checked once."""
    declared = ctx.source_unit(input_name, column)
    if declared is None:
        return unit
    try:
        unit_exponent(declared, unit)
    except NormalizeError as exc:
        raise ConfigError(f"inputs.{input_name}.units.{column}: {exc} (expected a unit convertible to {unit})") from None
    return declared


def _street_code(street: str | None, district_code: str) -> str | None:
    if street is None:
        return district_code  # the pipeline does not say where the station is: the district
    try:
        return division_code(street)
    except NormalizeError:
        return None  # rejected in check() with the street named


def _hourly_value(value: Any, source_unit: str, unit: str, missing_code: Decimal) -> str | None:
    """Text of one hourly value in the dataset unit; unparseable text is passed on unchanged
    so the engine rejects it with its own reason."""
    if value is None:
        return None
    try:
        number = parse_decimal(value)
    except NormalizeError:
        return str(value)
    if number is None or number == missing_code:
        return None
    return str(convert_unit(number, source_unit, unit))


def _data_day(hour_end: datetime) -> date:
    """The day an hour-ending timestamp belongs to: 24:00 (next day's 00:00) closes the day."""
    return (hour_end - timedelta(hours=1)).date()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _stations(hourly: pa.Table) -> list[str]:
    """Stations in input order: every station named in the raw rows, even one without a valid hour."""
    seen: dict[str, None] = {}
    for s in hourly.column("station").to_pylist():
        if s:
            seen.setdefault(s, None)
    return list(seen)


def _records_by_station(valid: pa.Table, stations: Sequence[str]) -> dict[str, list[aqi.HourRecord]]:
    out: dict[str, list[aqi.HourRecord]] = {s: [] for s in stations}
    cols = {f: valid.column(f).to_pylist() for f in ("station", "time", *(p[0] for p in POLLUTANTS.values()))}
    for i, station in enumerate(cols["station"]):
        values = {attr: cols[field][i] for field, attr, *_ in POLLUTANTS.values()}
        out[station].append(aqi.HourRecord(hour_end=cols["time"][i], **values))
    return out


def _division_of(valid: pa.Table, station: str) -> str | None:
    for s, code in zip(valid.column("station").to_pylist(), valid.column("division_code").to_pylist(), strict=True):
        if s == station and code:
            return code
    return None


# --- daily and monthly tables ---------------------------------------------------------------------


def _daily_table(period: str, codes: dict[str, str | None], results: dict[str, list[aqi.DailyResult]]) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for station, code in codes.items():
        for r in results[station]:
            row: dict[str, Any] = {"period": period, "station": station, "division_code": code, "date": r.day}
            for key, (conc, sub, count, _) in DAILY_FIELDS.items():
                row[conc] = text_cell(r.reported[key])
                row[sub] = r.iaqi[key]
                row[count] = r.counts[key]
            row.update(
                aqi=r.aqi, primary_pollutant=r.primary, exceeding_pollutants=",".join(r.exceeding) or None,
                level=r.grade, category=r.category, colour=r.colour, standard=r.standard,
                above_table=",".join(r.above_table) or None, no_aqi_reason=r.no_aqi_reason,
            )
            rows.append(row)
    return _rows_table(rows, DAILY)


def _warn_above_table(ctx: SourceContext, results: dict[str, list[aqi.DailyResult]]) -> None:
    """A run-report line per station day above the HJ 633 table: its AQI is capped at 500,
    which a reader of the number alone would not know."""
    for station, days in results.items():
        for r in days:
            for name in r.above_table:
                key = next(k for k, v in aqi.DISPLAY_NAMES.items() if v == name)
                ctx.warn(
                    f"{DAILY.id} {station} {r.day.isoformat()} {name} = {r.reported[key]}：超出 HJ 633 分级表上限，"
                    f"分指数按 500 封顶 (above the HJ 633 table's top; IAQI capped at 500)"
                )


def _rows_table(rows: list[dict[str, Any]], dataset: Dataset) -> pa.Table:
    """Rows as text columns (the engine types them), numbered 1.. as their '_row'."""
    names = dataset.field_names
    data: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if dataset.field(name).type == "date":
            data[name] = pa.array(values, pa.date32())
        else:
            data[name] = pa.array([None if v is None else str(v) for v in values], pa.string())
    data[ROW_COLUMN] = pa.array(range(1, len(rows) + 1), pa.int64())
    data[FILE_COLUMN] = pa.array([f"computed:{dataset.id}"] * len(rows), pa.string())
    return pa.table(data)


def _round(value: Fraction, places: int) -> Decimal:
    # Half to even, as aqi rounds reported values (GB/T 8170; to verify).
    return Decimal(round(value * 10**places)).scaleb(-places)


def _district_day(day: date, stations: Sequence[aqi.DailyResult], min_share: float) -> aqi.DailyResult:
    """District daily result from the stations' reported daily values (method in the module doc)."""
    standard = aqi.standard_for(day)
    need = max(1, math.ceil(Fraction(str(min_share)) * len(stations)))
    counts: dict[str, int] = {}
    means: dict[str, Fraction | None] = {}
    reported: dict[str, Decimal | None] = {}
    for key in aqi.DAILY_KEYS:
        values = [Fraction(v) for r in stations if (v := r.reported[key]) is not None]
        counts[key] = len(values)  # stations with a valid value
        mean = sum(values, Fraction(0)) / len(values) if values and len(values) >= need else None
        means[key] = mean
        reported[key] = None if mean is None else _round(mean, aqi.REPORT_PLACES[key])
    # From here as aqi.daily_aqi does after its means.
    sub: dict[str, int | None] = {k: (None if v is None else aqi.iaqi(k, v, standard)) for k, v in reported.items()}
    if reported["O3_8h"] is not None and sub["O3_8h"] is None:
        sub["O3_8h"] = sub["O3_1h"]  # O3 8 h above 800: the 1 h IAQI stands in (HJ 633)
    if not standard.daily_uses_o3_1h:
        sub["O3_1h"] = None
    used = [k for k in aqi.DAILY_KEYS if k != "O3_1h" or standard.daily_uses_o3_1h]
    present = {k: v for k in used if (v := sub[k]) is not None}
    index = max(present.values()) if present and len(present) == len(used) else None
    primary = None
    if index is not None and index > 50:
        primary = ",".join(aqi.DISPLAY_NAMES[k] for k, v in present.items() if v == index)
    return aqi.DailyResult(
        day=day, standard=standard.version, counts=counts, means=means, reported=reported, iaqi=sub, aqi=index,
        primary=primary, exceeding=tuple(aqi.DISPLAY_NAMES[k] for k, v in present.items() if v > 100),
        level=None if index is None else aqi.level(index),
    )


def _summary_row(period: str, station: str, code: str | None, scope: str, daily: list[aqi.DailyResult]) -> dict[str, Any]:
    s = aqi.monthly_summary(daily)
    row: dict[str, Any] = {
        "period": period, "station": station, "division_code": code, "scope": scope, "days": s.days,
        "valid_days": s.valid_days, "compliant_days": s.compliant_days,
        "compliant_ratio": None if s.compliant_ratio is None else _round(s.compliant_ratio * 100, 1),
        "standard": ",".join(sorted({r.standard for r in daily})) or aqi.standard_for(date.fromisoformat(period + "-01")).version,
    }
    for i, lv in enumerate(aqi.LEVELS, start=1):
        row[f"days_level_{i}"] = s.days_per_level[lv.grade]
    for key, (*_, mean_field) in DAILY_FIELDS.items():
        row[mean_field] = s.reported_means[key]
    return row


def _monthly_table(
    period: str,
    codes: dict[str, str | None],
    results: dict[str, list[aqi.DailyResult]],
    district: list[aqi.DailyResult],
    opts: Any,
) -> pa.Table:
    rows = [_summary_row(period, station, code, "站点", results[station]) for station, code in codes.items()]
    if codes:
        rows.append(_summary_row(period, opts["district_name"], opts["district_code"], "全区", district))
    return _rows_table(rows, MONTHLY)


@hookimpl
def register_sources() -> list[Source]:
    return [AirQualitySource()]
