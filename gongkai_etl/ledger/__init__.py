"""The ledger: embedded SQLite holding every run and every publication.

WAL mode and one transaction per change, so a killed run leaves a consistent
database. The schema is migrated by numbered steps recorded in ``user_version``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gongkai_etl.errors import ConfigError

#: Each entry migrates the schema from version i to i + 1. Never edit a shipped
#: step; append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL,
        pipeline_file TEXT NOT NULL,
        periods TEXT NOT NULL,
        started TEXT NOT NULL,
        ended TEXT,
        outcome TEXT NOT NULL DEFAULT 'running',
        rows_in INTEGER NOT NULL DEFAULT 0,
        rows_out INTEGER NOT NULL DEFAULT 0,
        rows_rejected INTEGER NOT NULL DEFAULT 0,
        input_hashes TEXT NOT NULL DEFAULT '{}',
        error TEXT
    );
    CREATE TABLE publications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dataset TEXT NOT NULL,
        period TEXT NOT NULL,
        version INTEGER NOT NULL,
        run_id TEXT,
        pipeline TEXT,
        published_at TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        input_hash TEXT NOT NULL DEFAULT '',
        files TEXT NOT NULL,
        rows INTEGER NOT NULL,
        current INTEGER NOT NULL DEFAULT 1,
        reviewed_by TEXT,
        reviewed_at TEXT,
        review_note TEXT,
        UNIQUE (dataset, period, version)
    );
    CREATE INDEX publications_current ON publications (dataset, period, current);
    """,
    # 2: scheduling. ``published_on`` is the day a publication counts as made
    # for timeliness (the run's --as-of, else its local date; NULL for rows
    # from before this step: the date of ``published_at`` is used then).
    # ``record_timeliness``: per-record deadline check of each version of an
    # event-driven dataset. ``input_checks``: fingerprint of a period's input
    # files at its last run, so ``etl run --due`` can tell changed inputs.
    """
    ALTER TABLE publications ADD COLUMN published_on TEXT;
    CREATE TABLE record_timeliness (
        dataset TEXT NOT NULL,
        period TEXT NOT NULL,
        version INTEGER NOT NULL,
        run_id TEXT,
        rule TEXT NOT NULL,
        published_on TEXT NOT NULL,
        records INTEGER NOT NULL,
        late INTEGER NOT NULL,
        undated INTEGER NOT NULL DEFAULT 0,
        carried INTEGER NOT NULL DEFAULT 0,
        max_days_late INTEGER NOT NULL DEFAULT 0,
        worst TEXT NOT NULL DEFAULT '[]',
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (dataset, period, version)
    );
    CREATE TABLE input_checks (
        pipeline TEXT NOT NULL,
        period TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        outcome TEXT NOT NULL,
        run_id TEXT,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (pipeline, period)
    );
    """,
    # 3: confidentiality review before publication (先审查后公开): one row per
    # run held for review (pipeline + period), see gongkai_etl.review. JSON
    # columns: datasets (list), content_hashes / base_hashes / rows / versions
    # ({dataset: value}), inputs ({input file: sha256}).
    """
    CREATE TABLE reviews (
        id TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL,
        pipeline_file TEXT NOT NULL DEFAULT '',
        run_id TEXT,
        period TEXT NOT NULL,
        datasets TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        content_hashes TEXT NOT NULL,
        input_hash TEXT NOT NULL DEFAULT '',
        inputs TEXT NOT NULL DEFAULT '{}',
        base_hashes TEXT NOT NULL DEFAULT '{}',
        rows TEXT NOT NULL DEFAULT '{}',
        staged_path TEXT NOT NULL,
        created TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'waiting',
        decided_by TEXT,
        decided_at TEXT,
        note TEXT,
        superseded_by TEXT,
        versions TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX reviews_waiting ON reviews (pipeline, period, status);
    """,
]


@dataclass(frozen=True)
class Publication:
    dataset: str
    period: str
    version: int
    run_id: str | None
    pipeline: str | None
    published_at: str
    content_hash: str
    input_hash: str
    files: dict[str, dict[str, Any]]
    rows: int
    current: bool
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None
    published_on: str | None = None  # ISO date the publication counts as made (timeliness)

    @property
    def effective_date(self) -> date:
        """The day this version counts as published: ``published_on``, else the local date of ``published_at``."""
        if self.published_on:
            return date.fromisoformat(self.published_on)
        return datetime.fromisoformat(self.published_at).date()


@dataclass(frozen=True)
class InputCheck:
    pipeline: str
    period: str
    fingerprint: str
    outcome: str
    run_id: str | None
    checked_at: str


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Ledger:
    """Open (and migrate) the ledger at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A streaming source's extract runs in a thread of the run (runner._read_ahead)
            # and may read publications; Python's sqlite3 serializes calls on one
            # connection (threadsafety 3), so the connection may cross threads.
            self.conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"无法打开台账数据库 (cannot open the ledger): {exc}", file=path) from None
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        with self.transaction():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise ConfigError(
                    f"台账版本 {version} 比本程序新 (ledger schema {version} is newer than this gongkai-etl knows: "
                    f"{len(MIGRATIONS)}); a newer gongkai-etl wrote it: upgrade gongkai-etl, nothing was changed",
                    file=self.path,
                )
            for step in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # runs -----------------------------------------------------------------
    def start_run(self, run_id: str, pipeline: str, pipeline_file: str, periods: list[str]) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO runs (id, pipeline, pipeline_file, periods, started) VALUES (?, ?, ?, ?, ?)",
                (run_id, pipeline, pipeline_file, json.dumps(periods), now_iso()),
            )

    def close_interrupted_runs(self, pipeline: str) -> int:
        """Mark runs of ``pipeline`` still ``running`` as ``interrupted``.

        Called by a run that holds the pipeline's lock: any other run of the
        pipeline still marked running was killed before it could finish.
        """
        with self.transaction() as c:
            cur = c.execute(
                "UPDATE runs SET outcome = 'interrupted', ended = ?, error = COALESCE(error, ?)"
                " WHERE pipeline = ? AND outcome = 'running'",
                (now_iso(), "进程被中止 (the process was killed before the run finished)", pipeline),
            )
            return cur.rowcount

    def finish_run(
        self,
        run_id: str,
        outcome: str,
        *,
        rows_in: int = 0,
        rows_out: int = 0,
        rows_rejected: int = 0,
        input_hashes: dict[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET ended = ?, outcome = ?, rows_in = ?, rows_out = ?, rows_rejected = ?,"
                " input_hashes = ?, error = ? WHERE id = ?",
                (now_iso(), outcome, rows_in, rows_out, rows_rejected, json.dumps(input_hashes or {}), error, run_id),
            )

    def runs(self, pipeline: str | None = None, limit: int = 50) -> list[sqlite3.Row]:
        if pipeline:
            q = "SELECT * FROM runs WHERE pipeline = ? ORDER BY started DESC LIMIT ?"
            return list(self.conn.execute(q, (pipeline, limit)))
        return list(self.conn.execute("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,)))

    # publications ---------------------------------------------------------
    def record_publication(self, pub: Publication) -> None:
        """Make ``pub`` the current version of its dataset-period (idempotent)."""
        with self.transaction() as c:
            exists = c.execute(
                "SELECT 1 FROM publications WHERE dataset = ? AND period = ? AND version = ?",
                (pub.dataset, pub.period, pub.version),
            ).fetchone()
            c.execute("UPDATE publications SET current = 0 WHERE dataset = ? AND period = ?", (pub.dataset, pub.period))
            if exists:
                c.execute(
                    "UPDATE publications SET current = 1 WHERE dataset = ? AND period = ? AND version = ?",
                    (pub.dataset, pub.period, pub.version),
                )
                return
            c.execute(
                "INSERT INTO publications (dataset, period, version, run_id, pipeline, published_at, content_hash,"
                " input_hash, files, rows, current, reviewed_by, reviewed_at, review_note, published_on)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (
                    pub.dataset,
                    pub.period,
                    pub.version,
                    pub.run_id,
                    pub.pipeline,
                    pub.published_at,
                    pub.content_hash,
                    pub.input_hash,
                    json.dumps(pub.files, sort_keys=True),
                    pub.rows,
                    pub.reviewed_by,
                    pub.reviewed_at,
                    pub.review_note,
                    pub.published_on,
                ),
            )

    def current(self, dataset: str, period: str) -> Publication | None:
        row = self.conn.execute(
            "SELECT * FROM publications WHERE dataset = ? AND period = ? AND current = 1", (dataset, period)
        ).fetchone()
        return _pub(row) if row else None

    def current_all(self, dataset: str | None = None) -> list[Publication]:
        if dataset:
            rows = self.conn.execute(
                "SELECT * FROM publications WHERE current = 1 AND dataset = ? ORDER BY period", (dataset,)
            )
        else:
            rows = self.conn.execute("SELECT * FROM publications WHERE current = 1 ORDER BY dataset, period")
        return [_pub(r) for r in rows]

    def versions(self, dataset: str, period: str | None = None) -> list[Publication]:
        if period:
            rows = self.conn.execute(
                "SELECT * FROM publications WHERE dataset = ? AND period = ? ORDER BY version", (dataset, period)
            )
        else:
            rows = self.conn.execute("SELECT * FROM publications WHERE dataset = ? ORDER BY period, version", (dataset,))
        return [_pub(r) for r in rows]

    def next_version(self, dataset: str, period: str) -> int:
        row = self.conn.execute(
            "SELECT MAX(version) FROM publications WHERE dataset = ? AND period = ?", (dataset, period)
        ).fetchone()
        return int(row[0] or 0) + 1

    # per-record timeliness ------------------------------------------------
    def record_timeliness(self, dataset: str, period: str, version: int, summary: dict[str, Any], run_id: str | None) -> None:
        """Keep the per-record deadline check of one version (replaces an earlier one)."""
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO record_timeliness (dataset, period, version, run_id, rule, published_on, records,"
                " late, undated, carried, max_days_late, worst, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dataset,
                    period,
                    version,
                    run_id,
                    summary["rule"],
                    summary["published_on"],
                    summary["records"],
                    summary["late"],
                    summary.get("undated", 0),
                    summary.get("carried", 0),
                    summary.get("max_days_late", 0),
                    json.dumps(summary.get("worst", []), ensure_ascii=False),
                    now_iso(),
                ),
            )

    def timeliness(self, dataset: str, period: str) -> list[dict[str, Any]]:
        """Per-record checks of every version of a dataset-period, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM record_timeliness WHERE dataset = ? AND period = ? ORDER BY version", (dataset, period)
        )
        out = []
        for r in rows:
            d = dict(r)
            d["worst"] = json.loads(d["worst"])
            out.append(d)
        return out

    # input fingerprints ---------------------------------------------------
    def record_input_check(self, pipeline: str, period: str, fingerprint: str, outcome: str, run_id: str | None) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO input_checks (pipeline, period, fingerprint, outcome, run_id, checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (pipeline, period, fingerprint, outcome, run_id, now_iso()),
            )

    def input_check(self, pipeline: str, period: str) -> InputCheck | None:
        row = self.conn.execute(
            "SELECT * FROM input_checks WHERE pipeline = ? AND period = ?", (pipeline, period)
        ).fetchone()
        return InputCheck(**dict(row)) if row else None


def _pub(row: sqlite3.Row) -> Publication:
    return Publication(
        dataset=row["dataset"],
        period=row["period"],
        version=row["version"],
        run_id=row["run_id"],
        pipeline=row["pipeline"],
        published_at=row["published_at"],
        content_hash=row["content_hash"],
        input_hash=row["input_hash"],
        files=json.loads(row["files"]),
        rows=row["rows"],
        current=bool(row["current"]),
        reviewed_by=row["reviewed_by"],
        reviewed_at=row["reviewed_at"],
        review_note=row["review_note"],
        published_on=row["published_on"],
    )
