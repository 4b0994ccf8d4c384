"""Shared fixtures: a private copy of the shipped pipelines and sample data, and
a way to call the real ``etl`` command in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of pipelines/ and sample_data/ whose outputs land in tmp_path/output."""
    shutil.copytree(REPO / "pipelines", tmp_path / "pipelines")
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


Etl = Callable[..., subprocess.CompletedProcess]


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


@pytest.fixture
def etl() -> Etl:
    return run_etl
