"""Shared fixtures: a private copy of the shipped pipelines and sample data, and
a way to call the real ``etl`` command in a subprocess (see support.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ARTIFACTS, REPO, copy_project, run_etl  # noqa: F401  (re-exported for old imports)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of pipelines/ and sample_data/ whose outputs land in tmp_path/output."""
    return copy_project(tmp_path)


Etl = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def etl() -> Etl:
    return run_etl
