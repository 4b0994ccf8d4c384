"""Issue 17, folder modes: the private folders README documents as 0700 are 0700,
the top-level ``.gongkai/rejects/`` included (it was 0755)."""

from __future__ import annotations

import stat
from pathlib import Path

from reliability_helpers import count, run_etl


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_folders_are_0700(project: Path) -> None:
    proc = run_etl("run", str(project / "pipelines/shantytown.yaml"), "--period", "2016-10")
    assert proc.returncode == 0, proc.stderr
    state = project / "output/.gongkai"
    rejects = state / "rejects"
    assert _mode(rejects) == 0o700, oct(_mode(rejects))
    for folder in rejects.iterdir():
        assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))
        for f in folder.iterdir():
            assert _mode(f) == 0o600, (f, oct(_mode(f)))
    assert _mode(state / "archive") == 0o700
    count("folder mode checks")
