"""The ledger's schema: numbered migration steps.

The step a database is at is recorded in SQLite's ``user_version``; opening a
ledger (:class:`gongkai_etl.ledger.Ledger`) applies the steps it lacks in one
transaction.
"""

from __future__ import annotations

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
