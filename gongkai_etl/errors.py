"""Error tree and exit codes.

Library code raises these typed errors with their context as attributes; only
``gongkai_etl.cli`` turns them into an ``Error: ...`` line and an exit code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path


def did_you_mean(name: str, known: Iterable[str], *, or_list: bool = False) -> str:
    """``; did you mean 'x'?`` for the known name nearest to ``name``, else ``""``
    (or, with ``or_list``, ``; expected one of: a, b``): the one spelling of the hint
    every "unknown name" message uses."""
    known = list(known)
    near = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    if near:
        return f"; did you mean {near[0]!r}?"
    return f"; expected one of: {', '.join(known)}" if or_list else ""


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """``未知的<what> 'name'; did you mean ...? (expected one of: ...)``."""
    known = list(known)
    return f"未知的{what} {name!r}{did_you_mean(name, known)} (expected one of: {', '.join(known) or 'none'})"


class ExitCode(IntEnum):
    """Documented process exit codes of ``etl``."""

    OK = 0
    DATA_FAILURE = 1  # validation, PII hit, rejects over limit, something overdue
    USAGE = 2  # usage or configuration error
    SOURCE_UNREACHABLE = 3  # HTTP source failed after retries
    WAITING_FOR_REVIEW = 4  # staged, waiting for `etl review approve`
    LOCKED = 5  # another run holds the pipeline's lock (waited --wait seconds); try later


class GongkaiError(Exception):
    """Base of every error gongkai-etl reports to the user.

    ``message`` is the human text (Chinese first, English alongside where it
    helps); the optional context attributes are prepended by :meth:`__str__` so
    that every message names where the problem is.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        stage: str | None = None,
        dataset: str | None = None,
        period: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.field = field
        self.stage = stage
        self.dataset = dataset
        self.period = period

    def where(self) -> str:
        parts: list[str] = []
        if self.stage:
            parts.append(f"stage {self.stage}")
        if self.dataset:
            parts.append(f"dataset {self.dataset}")
        if self.period:
            parts.append(f"period {self.period}")
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ConfigError(GongkaiError):
    """A pipeline file, option or command line that is wrong (exit 2)."""

    exit_code = ExitCode.USAGE


class InputError(GongkaiError):
    """An input file that is missing, unreadable or of the wrong shape (exit 2).

    A missing input is a configuration matter for the person running the job:
    the data itself was never seen.
    """

    exit_code = ExitCode.USAGE


class DataError(GongkaiError):
    """The data broke the rules: rejects over the limit, a failed check (exit 1)."""

    exit_code = ExitCode.DATA_FAILURE


class PluginError(GongkaiError):
    """A plugin failed to import or broke the hook contract (exit 2)."""

    exit_code = ExitCode.USAGE

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


class SourceUnreachable(GongkaiError):
    """A remote source still failing after the retries (exit 3)."""

    exit_code = ExitCode.SOURCE_UNREACHABLE


class PublishError(GongkaiError):
    """Writing or moving output failed; the previous publication is intact (exit 1)."""

    exit_code = ExitCode.DATA_FAILURE


class WaitingForReview(GongkaiError):
    """A run staged its output and waits for `etl review approve` (exit 4)."""

    exit_code = ExitCode.WAITING_FOR_REVIEW


class NormalizeError(ValueError):
    """One raw value could not be normalized.

    Raised by the value-level normalizers; validation catches it and turns the
    row into a reject with this message as the reason, so it carries no
    location of its own.
    """
