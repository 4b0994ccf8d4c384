"""Helpers shared by the test modules: the repository root and a way to call
the real ``etl`` command in a subprocess. (Imported as ``support``: several
folders have their own conftest.py, so ``from conftest import ...`` is ambiguous.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"


def run_etl(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m gongkai_etl ARGS`` and capture its output."""
    full_env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gongkai_etl", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
