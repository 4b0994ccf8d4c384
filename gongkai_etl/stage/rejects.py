"""The rejects file of a dataset-period: every rejected value with its reason."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from gongkai_etl.contracts import Reject
from gongkai_etl.rejectset import RejectLog, Rejects


def write_rejects(path: Path, rejects: RejectLog | Iterable[Reject]) -> Path:
    """Write the rejected rows, with reasons, outside the published folder and
    private (0600 in a 0700 folder): they may hold the raw personal data that was
    about to be published. Sorted by raw row, then field, a batch at a time: a
    :class:`RejectLog` is read back from its spill files, never all in Python objects."""
    if not isinstance(rejects, RejectLog):
        log = rejects
        rejects = RejectLog(path.with_name(path.name + ".spill"))
        rejects.add(log if isinstance(log, Rejects) else Rejects.of(log))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "row", "field", "value", "reason"])
            for batch in rejects.sorted_batches():
                w.writerows(zip(*(batch.column(n).to_pylist() for n in _COLUMNS), strict=True))
    finally:
        rejects.discard()
    return path


_COLUMNS = ("file", "row", "field", "value", "reason")
