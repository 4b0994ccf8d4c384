"""The ``publications`` table: every published version of a dataset-period,
with its hashes and review; one of them current."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gongkai_etl.ledger.db import Database


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


class PublicationLog(Database):
    """Published versions: record one, find the current one, list versions."""

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

    def current_index(self) -> list[tuple[str, str, int, str, str, int]]:
        """(dataset, period, version, published_at, content_hash, rows) of every current
        publication, by dataset and period: what identifies them, without parsing
        their file lists (the catalog checks which datasets changed with it)."""
        q = ("SELECT dataset, period, version, published_at, content_hash, rows FROM publications"
             " WHERE current = 1 ORDER BY dataset, period")
        return [tuple(r) for r in self.conn.execute(q)]  # type: ignore[misc]

    def first_published(self) -> dict[str, str]:
        """Each dataset's earliest ``published_at`` over all its versions (its catalog "issued")."""
        rows = self.conn.execute("SELECT dataset, MIN(published_at) FROM publications GROUP BY dataset")
        return {r[0]: r[1] for r in rows}

    def next_version(self, dataset: str, period: str) -> int:
        row = self.conn.execute(
            "SELECT MAX(version) FROM publications WHERE dataset = ? AND period = ?", (dataset, period)
        ).fetchone()
        return int(row[0] or 0) + 1


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
