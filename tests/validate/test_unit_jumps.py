"""Unit jumps (issue 16 item 2): a column about 10,000 times the published
previous period, key by key, is held for review with a message naming the likely
unit mistake (`unit_jumps: warn`, the default), fails with `reject`, passes with `off`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from support import forget_declared, grants_project

from gongkai_etl.datasets import Dataset, Field
from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import Ledger
from gongkai_etl.periods import Cadence, parse_periods
from gongkai_etl.run.runner import run_pipeline
from gongkai_etl.spec import load_pipeline
from gongkai_etl.validate.jumps import find_unit_jumps


@pytest.fixture(autouse=True)
def _forget_declared():  # noqa: ANN202 - a fixture
    """These tests declare datasets in-process: leave the registry as found."""
    yield
    forget_declared("grants", "subsidies")

UNITS = ["101", "102", "103", "104", "105"]


class Collect:
    """A reporter that keeps the warnings."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def stage(self, info: object) -> None:
        pass

    def note(self, message: str, **fields: object) -> None:
        pass

    def warn(self, message: str, **fields: object) -> None:
        self.warnings.append(message)

    def period_done(self, outcome: object) -> None:
        pass


def _publish_two_years(root: Path, top_extra: str = "") -> tuple[int, Collect]:
    """2015 in 万元 (the header says so); 2016's file in 元 under a header without a unit."""
    first = grants_project(root, ["单位编码", "金额（万元）"], [[u, 10 + i] for i, u in enumerate(UNITS)],
                           period="2015", top_extra=top_extra)
    assert run_pipeline(load_pipeline(first), parse_periods("2015")).exit_code == 0
    second = grants_project(root, ["单位编码", "金额"], [[u, (10 + i) * 10000 + 300] for i, u in enumerate(UNITS)],
                            period="2016", top_extra=top_extra)
    reporter = Collect()
    return run_pipeline(load_pipeline(second), parse_periods("2016"), reporter).exit_code, reporter


def test_a_ten_thousandfold_jump_is_held_for_review(tmp_path: Path) -> None:
    code, reporter = _publish_two_years(tmp_path)
    assert code == 4  # waiting for review: nothing published
    held = [w for w in reporter.warnings if "amount" in w]
    assert held and "10,000" in held[0] and "元 read as 万元" in held[0] and "held for review" in held[0]
    ledger = Ledger(tmp_path / "out" / ".gongkai" / "state.db")
    assert ledger.current("grants", "2016") is None and ledger.current("grants", "2015") is not None
    waiting = ledger.reviews()  # the usual review: `etl review show` says why it waits
    assert len(waiting) == 1 and "10,000" in waiting[0].rows["grants"]["unit_jumps"][0]


def test_unit_jumps_reject_fails_the_period(tmp_path: Path) -> None:
    code, reporter = _publish_two_years(tmp_path, top_extra="unit_jumps: reject\n")
    assert code == 1
    assert any("10,000" in w and "unit_jumps: reject" in w for w in reporter.warnings)


def test_unit_jumps_off_publishes(tmp_path: Path) -> None:
    code, _ = _publish_two_years(tmp_path, top_extra="unit_jumps: off\n")
    assert code == 0


def test_a_bad_unit_jumps_value_is_refused(tmp_path: Path) -> None:
    pipeline = grants_project(tmp_path, ["单位编码", "金额"], [["101", 1]], top_extra="unit_jumps: hold\n")
    with pytest.raises(ConfigError, match="unit_jumps: expected one of warn, reject, off"):
        load_pipeline(pipeline)


DS = Dataset(
    id="d", title_zh="d", title_en="d", cadence=Cadence.YEARLY,
    fields=(Field("period", "期"), Field("k", "键"), Field("v", "值", type="decimal", unit="万元")),
    primary_key=("period", "k"),
)


def _table(period: str, values: list[float]) -> pa.Table:
    return pa.table({"period": [period] * len(values), "k": [str(i) for i in range(len(values))],
                     "v": pa.array([Decimal(str(v)) for v in values], pa.decimal128(14, 2))})


def test_one_key_moving_tenfold_is_no_unit_jump() -> None:
    before = _table("2015", [10, 20, 30, 40, 50])
    assert find_unit_jumps(DS, _table("2016", [100, 21, 29, 41, 50]), before, "2015") == []
    assert find_unit_jumps(DS, _table("2016", [0.1, 0.2, 0.3, 0.4, 0.5]), before, "2015")  # 1/100: 亿元 as 万元? flagged
    assert find_unit_jumps(DS, _table("2016", [10, 20]), before.slice(0, 2), "2015") == []  # too few keys
