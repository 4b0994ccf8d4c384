"""Time-keyed datasets (hourly readings) get no record changelog, which would say
"all added, all removed" every period; the site says why; a chart notes the
periods whose figure leaves rejected rows out."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support import run_etl

from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import ConfigError
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Cadence
from gongkai_etl.plugins import load_plugins
from gongkai_etl.portal.changelog import (
    TIME_SERIES_NOTE,
    has_changelog,
    is_time_keyed,
    refresh_changelog,
)

READINGS = Dataset(
    id="readings",
    title_zh="小时读数",
    title_en="hourly readings",
    cadence=Cadence.MONTHLY,
    primary_key=("period", "station", "time"),
    fields=(
        Field("period", "期间", required=True),
        Field("station", "站点", required=True),
        Field("time", "时间", type="datetime", required=True),
        Field("value", "读数", type="number"),
    ),
)


def test_a_date_or_time_in_the_key_means_no_changelog_unless_asked() -> None:
    assert is_time_keyed(READINGS) and not has_changelog(READINGS)
    assert has_changelog(dataclasses.replace(READINGS, changelog="records"))
    by_station = dataclasses.replace(READINGS, primary_key=("period", "station"))
    assert has_changelog(by_station) and not has_changelog(dataclasses.replace(by_station, changelog="off"))
    with pytest.raises(ConfigError, match="changelog"):
        dataclasses.replace(READINGS, changelog="daily")


def test_air_quality_publishes_changelogs_only_for_the_station_summary(project: Path) -> None:
    proc = run_etl("run", str(project / "pipelines/air_quality.yaml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = project / "output"
    assert not (out / "aq_station_hourly/changes").exists()
    assert not (out / "aq_station_daily/changes").exists()
    assert sorted(p.name for p in (out / "aq_monthly_summary/changes").glob("*.csv")) == [
        "changes_2016-09.csv", "changes_2016-10.csv"]
    assert run_etl("site", str(out)).returncode == 0
    page = (out / "aq_station_hourly/index.html").read_text(encoding="utf-8")
    assert TIME_SERIES_NOTE in page and "首期，无对比" not in page
    assert "时间序列 time series" in (out / "index.html").read_text(encoding="utf-8")


def test_stale_changelog_files_go_when_a_dataset_stops_having_one(project: Path) -> None:
    assert run_etl("run", str(project / "pipelines/shantytown.yaml")).returncode == 0
    out = project / "output"
    changes = out / "shantytown_progress/changes"
    assert any(changes.glob("*.csv"))
    _, shipped = load_plugins().datasets()["shantytown_progress"]  # declared in YAML, shipped with the plugin
    progress = dataclasses.replace(shipped, changelog="off")
    ledger = Ledger(Home(out).ledger)
    try:
        assert refresh_changelog(out, ledger, progress) is True
    finally:
        ledger.close()
    assert not changes.exists()
    assert not Home(out).changes_manifest("shantytown_progress").exists()


def test_chart_notes_the_periods_with_rejected_rows(project: Path) -> None:
    assert run_etl("run", str(project / "pipelines/shantytown.yaml")).returncode == 0
    out = project / "output"
    assert run_etl("site", str(out)).returncode == 0
    page = (out / "shantytown_progress/index.html").read_text(encoding="utf-8")
    assert 'id="reject-notes"' in page
    assert "2016-10：2 行被拒绝，未计入本期数字" in page  # the sample plants two bad progress rows in 2016-10
    assert "2016-09：" not in page.split('id="reject-notes"')[1].split("</ul>")[0]
