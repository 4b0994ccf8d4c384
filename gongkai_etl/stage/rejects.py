"""The rejects file of a dataset-period: every rejected value with its reason."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from gongkai_etl.contracts import Reject


def write_rejects(path: Path, rejects: Iterable[Reject]) -> Path:
    """Write the rejected rows, with reasons, outside the published folder and
    private (0600 in a 0700 folder): they may hold the raw personal data that was
    about to be published."""
    # Both the top-level rejects/ folder and the dataset's: mkdir(parents=True)
    # gives the parents the umask's mode (0755), and mode= is masked anyway.
    for folder in (path.parent.parent, path.parent):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "field", "value", "reason"])
        for rej in sorted(rejects, key=lambda r: (r.row or 0, r.field)):
            w.writerow([rej.file, rej.row, rej.field, rej.value, rej.reason])
    return path
