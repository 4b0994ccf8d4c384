"""The ``runs`` table: one row per ``etl run`` of a pipeline, from start to end."""

from __future__ import annotations

import json
import sqlite3

from gongkai_etl.ledger.db import Database, now_iso


class RunLog(Database):
    """Runs: started, finished with their outcome and counts, or interrupted."""

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

    def current_pipeline_files(self) -> list[str]:
        """Pipeline files whose runs made the current publications, the most
        recently run first (what an output's catalog settings come from)."""
        rows = self.conn.execute(
            "SELECT pipeline_file, MAX(started) AS started FROM runs"
            " WHERE id IN (SELECT run_id FROM publications WHERE current = 1)"
            " GROUP BY pipeline_file ORDER BY started DESC"
        ).fetchall()
        return [row["pipeline_file"] for row in rows]
