"""The ledger's schema migrations: an old database is migrated in place, a
database from a newer gongkai-etl is refused with a clear error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import MIGRATIONS, Ledger, Publication


def _old_db(path: Path) -> None:
    """A ledger as the first release wrote it: schema step 1 only, one publication."""
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO publications (dataset, period, version, run_id, pipeline, published_at, content_hash, input_hash,"
        " files, rows, current) VALUES ('ds', '2016-09', 1, 'r1', 'p', '2016-10-12T09:30:00+08:00', 'c1', 'i1', '{}', 3, 1)"
    )
    conn.commit()
    conn.close()


def test_old_schema_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    _old_db(db)
    ledger = Ledger(db)
    assert ledger.schema_version == len(MIGRATIONS) >= 2
    pub = ledger.current("ds", "2016-09")
    assert pub is not None and pub.rows == 3 and pub.published_on is None
    assert pub.effective_date.isoformat() == "2016-10-12"  # falls back to the date of published_at
    # the new tables work
    ledger.record_input_check("p", "2016-09", "f" * 64, "ok", "r2")
    assert ledger.input_check("p", "2016-09").fingerprint == "f" * 64
    ledger.record_timeliness("ds", "2016-09", 1, {"rule": "7 days after d", "published_on": "2016-10-12", "records": 2, "late": 1}, "r1")
    assert ledger.timeliness("ds", "2016-09")[0]["late"] == 1
    ledger.record_publication(
        Publication("ds", "2016-09", 2, "r3", "p", "2016-10-20T10:00:00+08:00", "c2", "i2", {}, 4, True, published_on="2016-10-19")
    )
    assert ledger.current("ds", "2016-09").effective_date.isoformat() == "2016-10-19"
    ledger.close()
    assert Ledger(db).schema_version == len(MIGRATIONS)  # opening again is a no-op


def test_migration_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "state.db"
    _old_db(db)
    monkeypatch.setattr("gongkai_etl.ledger.schema.MIGRATIONS", [*MIGRATIONS, "CREATE TABLE x (a); CREATE TABLE runs (b)"])
    with pytest.raises(sqlite3.OperationalError):
        Ledger(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name IN ('x', 'record_timeliness')").fetchall() == []
    conn.close()


def test_a_newer_ledger_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Ledger(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(ConfigError) as info:
        Ledger(db)
    text = str(info.value)
    assert str(db) in text and f"ledger schema {len(MIGRATIONS) + 5} is newer" in text and "upgrade gongkai-etl" in text
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 5  # untouched
    conn.close()


def test_a_newer_ledger_through_the_cli(project: Path, etl) -> None:
    state = project / "output/.gongkai"
    state.mkdir(parents=True)
    conn = sqlite3.connect(state / "state.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    result = etl("status", str(project / "pipelines/shantytown.yaml"), "--as-of", "2016-11-20")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and "ledger schema 99 is newer" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_killed_run_is_marked_interrupted_by_the_next_run(project, etl) -> None:
    """The killed run cannot record its end; the next run (holding the lock) does."""
    import signal
    import sqlite3

    pipeline = str(project / "pipelines/shantytown.yaml")
    killed = etl("run", pipeline, "--period", "2016-08", env={"GONGKAI_FAILPOINT": "run:after-extract"})
    assert killed.returncode == -signal.SIGKILL
    db = project / "output/.gongkai/state.db"
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT outcome FROM runs")] == ["running"]
    assert etl("run", pipeline, "--period", "2016-08").returncode == 0
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT outcome, ended IS NOT NULL, error FROM runs ORDER BY started").fetchall()
    assert rows[0][0] == "interrupted" and rows[0][1] == 1 and "killed" in rows[0][2]
    assert rows[1][0] == "ok"


def test_the_ledger_can_be_read_from_the_extract_thread(tmp_path: Path) -> None:
    # A streaming source's extract runs in a thread of the run and may look up
    # publications (ctx.published) through the run's ledger.
    import threading

    ledger = Ledger(tmp_path / "state.db")
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(ledger.conn.execute("SELECT 1").fetchone()[0]))
    worker.start()
    worker.join()
    assert seen == [1]
