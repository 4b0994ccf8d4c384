"""Site and catalog details people read: language tags of bilingual names, Beijing
time, types labelled by meaning, and `etl schema` aligned by display width."""

from __future__ import annotations

from support import run_etl

from gongkai_etl.datasets import Field
from gongkai_etl.portal.catalog import split_bilingual, split_domain
from gongkai_etl.portal.site import beijing_time, type_title
from gongkai_etl.report import display_width


def test_an_abbreviation_in_brackets_is_not_the_english_title() -> None:
    assert split_domain("政府和社会资本合作 public-private partnership (PPP)") == (
        "政府和社会资本合作", "public-private partnership (PPP)")
    assert split_bilingual("北京市朝阳区财政局 (Chaoyang District Finance Bureau)") == (
        "北京市朝阳区财政局", "Chaoyang District Finance Bureau")


def test_times_are_shown_in_beijing_time() -> None:
    assert beijing_time("2016-10-12T03:39:04+00:00") == "2016-10-12 11:39:04 北京时间"
    assert beijing_time("2016-10-12T23:30:00+00:00") == "2016-10-13 07:30:00 北京时间"  # the next day in Beijing
    assert beijing_time("2016-10-12T11:39:04+08:00") == "2016-10-12 11:39:04 北京时间"


def test_types_are_labelled_by_meaning() -> None:
    assert type_title(Field("investment", "投资", type="decimal", unit="亿元")) == "金额"
    assert type_title(Field("pm2_5", "PM2.5", type="decimal", unit="μg/m³")) == "小数"
    assert type_title(Field("ratio", "签约比例", type="decimal", unit="%")) == "百分比"
    assert type_title(Field("aqi", "AQI", type="integer")) == "整数"


def test_schema_columns_line_up_by_display_width() -> None:
    proc = run_etl("schema", "ppp_project")
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert len(rows) > 5
    # the type column (string/integer/...) starts at the same display column on every row
    starts = set()
    for line in rows:
        for word in ("string", "integer", "decimal", "number", "date", "boolean", "datetime"):
            idx = line.find(f"  {word} ")
            if idx >= 0:
                starts.add(display_width(line[: idx + 2]))
                break
    assert len(starts) == 1, starts
