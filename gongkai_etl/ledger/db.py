"""The ledger's database: the connection, schema migrations, transactions.

WAL mode and one transaction per change, so a killed run leaves a consistent
database. The schema is migrated by numbered steps (:mod:`.schema`) recorded in
``user_version``. The tables' queries live beside it, one module per table
(:mod:`.runs`, :mod:`.publications`, :mod:`.checks`, :mod:`.reviews`);
:class:`gongkai_etl.ledger.Ledger` puts them together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import schema


def now_iso() -> str:
    """The local time with its UTC offset, to the second: how the ledger stamps events."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Database:
    """Open (and migrate) the ledger database at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A streaming source's extract runs in a thread of the run (run/read_ahead.py)
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
        # schema.MIGRATIONS looked up on each open (not imported by name), so a
        # test can append a step
        migrations = schema.MIGRATIONS
        with self.transaction():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise ConfigError(
                    f"台账版本 {version} 比本程序新 (ledger schema {version} is newer than this gongkai-etl knows: "
                    f"{len(migrations)}); a newer gongkai-etl wrote it: upgrade gongkai-etl, nothing was changed",
                    file=self.path,
                )
            for step in range(version, len(migrations)):
                for statement in migrations[step].split(";"):
                    if statement.strip():
                        self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception."""
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
