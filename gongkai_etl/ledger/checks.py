"""The ``record_timeliness`` and ``input_checks`` tables: what scheduling keeps
per version (its per-record deadline check) and per period (the fingerprint of
its inputs at the last run, for ``etl run --due``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gongkai_etl.ledger.db import Database, now_iso


@dataclass(frozen=True)
class InputCheck:
    pipeline: str
    period: str
    fingerprint: str
    outcome: str
    run_id: str | None
    checked_at: str


class CheckLog(Database):
    """Per-record timeliness of versions and input fingerprints of periods."""

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
