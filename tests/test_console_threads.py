"""The plain reporter under --executor: the pipelines' threads report at once, and
every line and every period's block must come out whole (bench/many_districts.py
counts units and stage seconds from these lines)."""

from __future__ import annotations

import io
import re
import threading
import time

from gongkai_etl.cli.console import PlainReporter
from gongkai_etl.report import DatasetOutcome, PeriodOutcome, StageInfo


class SlowStream(io.StringIO):
    """Writes that give the other threads every chance to cut in."""

    def write(self, s: str) -> int:
        n = 0
        for ch in s:
            n += super().write(ch)
            time.sleep(0)  # let another thread run
        return n


def test_lines_and_period_blocks_stay_whole_across_threads() -> None:
    stream = SlowStream()
    rep = PlainReporter(stream)
    datasets = ["ds_a", "ds_b", "ds_c"]

    def work(pipe: str) -> None:
        for month in range(1, 7):
            period = f"2016-{month:02d}"
            for ds in datasets:
                rep.stage(StageInfo("validate", ds, period, 10, 9, 1, 0.01))
            rep.period_done(PeriodOutcome(pipe, period, [DatasetOutcome(ds, period, 10, 9, 1, 1, "published")
                                                         for ds in datasets]))

    threads = [threading.Thread(target=work, args=(f"p{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = stream.getvalue().splitlines()
    stage = re.compile(r"^  2016-\d\d ds_[abc] +validate +in +10  out +9  rejected +1 +0\.01s$")
    head = re.compile(r"^p\d 2016-\d\d:$")
    status = re.compile(r"^  ds_[abc] +已发布 published v1  rows 9/10  rejected 1$")
    assert len(lines) == 6 * 6 * (3 + 1 + 3)
    for i, line in enumerate(lines):
        assert stage.match(line) or head.match(line) or status.match(line), line
        if head.match(line):  # the period's three dataset lines follow its header
            assert all(status.match(x) for x in lines[i + 1:i + 4]), lines[i:i + 4]
