"""Reliability tests: bad-input corpus, fault injection, HTTP sources, property tests.

Shared helpers live in ``reliability_helpers``; this file adds the terminal
summary that prints how many corpus cases and kill points the session ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reliability_helpers import SUMMARY, ForkServer


@pytest.fixture(scope="session")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    """Runs ``etl`` in forked children of a warm interpreter (see forkserver.py)."""
    server = ForkServer(tmp_path_factory.mktemp("forkserver"))
    yield server
    server.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if not SUMMARY:
        return
    terminalreporter.section("reliability")
    for key, value in SUMMARY.items():
        terminalreporter.write_line(f"{key}: {value}")
