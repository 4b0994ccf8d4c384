"""The ``reviews`` table: one row per run held for the confidentiality review
(先审查后公开), from ``waiting`` to ``approved``, ``rejected`` or ``superseded``.

The review stage (:mod:`gongkai_etl.review`) decides; this module only reads
and writes the rows. JSON columns: ``datasets`` (list), ``content_hashes`` /
``base_hashes`` / ``rows`` / ``versions`` ({dataset: value}), ``inputs``
({input file: sha256}).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai_etl.ledger.db import Database, now_iso


@dataclass
class Review:
    """One review request: a pipeline's staged datasets for one period."""

    id: str
    pipeline: str
    pipeline_file: str
    run_id: str | None
    period: str
    datasets: list[str]
    content_hash: str  # over every dataset's content hash: what an approval is for
    content_hashes: dict[str, str]
    input_hash: str
    inputs: dict[str, str]  # raw input (path or URL) -> sha256 when the run read it
    base_hashes: dict[str, str | None]  # published content hash when staged (None: nothing published)
    rows: dict[str, dict[str, Any]]  # dataset -> rows_in, rows_out, rejected, rejects_file
    staged_path: str
    created: str
    status: str = "waiting"
    decided_by: str | None = None
    decided_at: str | None = None
    note: str | None = None
    superseded_by: str | None = None
    versions: dict[str, int | None] = field(default_factory=dict)

    @property
    def dir(self) -> Path:
        return Path(self.staged_path)

    def dataset_dir(self, dataset: str) -> Path:
        return self.dir / dataset


_JSON_COLUMNS = ("datasets", "content_hashes", "inputs", "base_hashes", "rows", "versions")
_COLUMNS = (
    "id", "pipeline", "pipeline_file", "run_id", "period", "datasets", "content_hash", "content_hashes",
    "input_hash", "inputs", "base_hashes", "rows", "staged_path", "created", "status", "decided_by",
    "decided_at", "note", "superseded_by", "versions",
)


def _row_to_review(row: sqlite3.Row) -> Review:
    data = {k: row[k] for k in _COLUMNS}
    for k in _JSON_COLUMNS:
        data[k] = json.loads(data[k] or ("[]" if k == "datasets" else "{}"))
    return Review(**data)


def _insert(conn: sqlite3.Connection, rv: Review) -> None:
    values = []
    for k in _COLUMNS:
        v = getattr(rv, k)
        values.append(json.dumps(v, ensure_ascii=False, sort_keys=True) if k in _JSON_COLUMNS else v)
    conn.execute(f"INSERT INTO reviews ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", values)


def _supersede_waiting(conn: sqlite3.Connection, pipeline: str, period: str, by: str | None) -> list[str]:
    rows = list(conn.execute("SELECT * FROM reviews WHERE pipeline = ? AND period = ? AND status = 'waiting'", (pipeline, period)))
    done = []
    for row in rows:
        old = _row_to_review(row)
        if old.id == by:
            continue
        conn.execute(
            "UPDATE reviews SET status = 'superseded', superseded_by = ?, decided_at = ? WHERE id = ?",
            (by, now_iso(), old.id),
        )
        done.append(old.id)
    return done


class ReviewLog(Database):
    """Review requests and their decisions."""

    def reviews(self, *, status: str | None = "waiting", pipeline: str | None = None) -> list[Review]:
        """Reviews, newest first; ``status=None`` for every status."""
        q = "SELECT * FROM reviews WHERE 1 = 1"
        args: list[Any] = []
        if status:
            q += " AND status = ?"
            args.append(status)
        if pipeline:
            q += " AND pipeline = ?"
            args.append(pipeline)
        q += " ORDER BY created DESC, id DESC"
        return [_row_to_review(r) for r in self.conn.execute(q, args)]

    def review(self, review_id: str) -> Review | None:
        """The review with exactly this id."""
        row = self.conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
        return _row_to_review(row) if row else None

    def reviews_with_prefix(self, prefix: str) -> list[Review]:
        """Every review whose id starts with ``prefix`` (``%`` and ``_`` match themselves)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return [_row_to_review(r) for r in self.conn.execute("SELECT * FROM reviews WHERE id LIKE ? ESCAPE '\\'", (like,))]

    def add_review(self, rv: Review) -> list[str]:
        """Record a new waiting review; the ones still waiting for the same
        pipeline and period are superseded by it in the same transaction.
        Returns the superseded ids."""
        with self.transaction() as conn:
            old = _supersede_waiting(conn, rv.pipeline, rv.period, rv.id)
            _insert(conn, rv)
        return old

    def supersede_waiting_reviews(self, pipeline: str, period: str) -> list[str]:
        """Supersede what waits for ``pipeline`` and ``period`` with nothing (a
        re-run found nothing to review); returns the superseded ids."""
        with self.transaction() as conn:
            return _supersede_waiting(conn, pipeline, period, None)

    def approve_review(self, review_id: str, *, by: str, at: str, note: str | None, versions: dict[str, int | None]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE reviews SET status = 'approved', decided_by = ?, decided_at = ?, note = ?, versions = ? WHERE id = ?",
                (by, at, note, json.dumps(versions, sort_keys=True), review_id),
            )

    def reject_review(self, review_id: str, *, by: str, reason: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE reviews SET status = 'rejected', decided_by = ?, decided_at = ?, note = ? WHERE id = ?",
                (by, now_iso(), reason, review_id),
            )
