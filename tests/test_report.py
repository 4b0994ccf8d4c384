from __future__ import annotations

import pytest

from gongkai_etl.report import PeriodOutcome, RunReport, worst_exit


@pytest.mark.parametrize(
    ("codes", "expected"),
    [([], 0), ([0, 0], 0), ([4], 4), ([4, 1], 1), ([1, 4, 5], 1), ([2, 3], 3), ([5, 4], 5), ([0, 2, 4], 2)],
)
def test_a_failure_outranks_waiting_and_locked(codes: list[int], expected: int) -> None:
    assert worst_exit(codes) == expected
    report = RunReport("r", "p", [PeriodOutcome("p", f"2016-0{i + 1}", exit_code=c) for i, c in enumerate(codes)])
    assert report.exit_code == expected
