"""Finishing the publishes a killed run left half done: the one place every
command that opens an output folder goes through (``etl run``, ``review``,
``restore``, ``history``, ``status``, ``catalog``, ``site``, ``serve``).

A publish writes a journal (``.gongkai/journal/<dataset>__<period>.json``)
before it puts the first file in place and removes it after the ledger and
``datapackage.json`` are written. A journal that is still there is either the
trace of a killed run or the intent of a run publishing right now. The journal
belongs to its pipeline's lock: it is replayed only by a process that holds that
lock (``held``) or can take it at once; a live publisher holds its lock, so
another pipeline sharing the output never replays under it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.portal.output import open_output as open_ledger
from gongkai_etl.portal.output import registry_datasets
from gongkai_etl.publish.publish import replay_journal
from gongkai_etl.schedule.locks import LockBusy, PipelineLock

#: A pipeline id as spec.py accepts it; a journal naming anything else is not ours to lock.
_PIPELINE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def recover(home: Home, ledger: Ledger, datasets: dict[str, Dataset], *, held: Collection[str] = ()) -> list[str]:
    """Finish the interrupted publishes of ``home``; return what was finished.

    ``held``: the pipelines whose lock the caller holds. Journals of other
    pipelines are replayed only when their lock can be taken without waiting;
    a busy lock means that pipeline is publishing now, so its journal is left alone.
    """
    done: list[str] = []
    if not home.journal_dir.exists():
        return done
    for journal in sorted(home.journal_dir.glob("*.json")):
        entry = _read(journal)
        if entry is None:
            continue
        pipeline = entry["publication"].get("pipeline")
        with _owner(home, pipeline, held) as owned:
            if not owned:
                continue
            entry = _read(journal)  # again under the lock: its owner may have finished meanwhile
            if entry is None:
                continue
            ds = datasets.get(entry["publication"]["dataset"])
            if ds is None or not Path(entry["version_dir"]).exists():
                continue
            replay_journal(home, ledger, ds, entry)
            journal.unlink(missing_ok=True)
            done.append(f"{ds.id} {entry['publication']['period']}")
    return done


def open_output(out_dir: Path, ledger_path: Path | None = None, *, held: Collection[str] = ()) -> tuple[Ledger, list[str]]:
    """The ledger of an existing output folder, with its interrupted publishes
    finished first; return it and what was finished."""
    ledger = open_ledger(out_dir, ledger_path)
    try:
        home = Home(out_dir, ledger_path)
        finished = recover(home, ledger, registry_datasets(ledger), held=held) if _journals(home) else []
    except BaseException:
        ledger.close()
        raise
    return ledger, finished


def recover_output(out_dir: Path, ledger_path: Path | None = None, *, held: Collection[str] = ()) -> list[str]:
    """:func:`open_output` for a command that reads the folder in its own way
    (``status``, ``history``, ``serve``); nothing when it is no output yet."""
    home = Home(out_dir, ledger_path)
    if not _journals(home) or not home.ledger.exists():
        return []  # no journal: nothing was interrupted (and nothing to open)
    ledger, finished = open_output(out_dir, ledger_path, held=held)
    ledger.close()
    return finished


def _journals(home: Home) -> bool:
    """Whether any journal waits (the folder stays after a publish; the datasets
    are only looked up, which loads the output's pipelines, when one does)."""
    return home.journal_dir.is_dir() and any(home.journal_dir.glob("*.json"))


def _read(journal: Path) -> dict[str, Any] | None:
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        journal.unlink(missing_ok=True)  # written atomically, so this is not ours
        return None
    ok = isinstance(entry, dict) and isinstance(entry.get("publication"), dict) and "version_dir" in entry
    return entry if ok else None


@contextmanager
def _owner(home: Home, pipeline: Any, held: Collection[str]) -> Iterator[bool]:
    """Whether this process may replay a journal of ``pipeline`` (inside the block)."""
    if pipeline is None or pipeline in held:  # a journal of no pipeline predates owners
        yield True
        return
    if not isinstance(pipeline, str) or not _PIPELINE_ID.fullmatch(pipeline) or ".." in pipeline:
        yield False
        return
    lock = PipelineLock(home.lock(pipeline), pipeline, wait=0)
    try:
        lock.acquire()
    except LockBusy:
        yield False  # publishing now: the journal is its live intent
        return
    try:
        yield True
    finally:
        lock.release()
