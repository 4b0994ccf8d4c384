"""The end of staging a period: writers closed, rejects written, the period's
gates (privacy findings, the reject limit) checked, and each dataset's staging
folder finished into a :class:`StagedVersion` with its manifest.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gongkai_etl.errors import DataError
from gongkai_etl.files import failpoint
from gongkai_etl.home import Home
from gongkai_etl.protect.protect import findings_error
from gongkai_etl.report import DatasetOutcome
from gongkai_etl.stage.rejects import write_rejects
from gongkai_etl.stage.staged import StagedVersion, finish_stage
from gongkai_etl.stage.write import write
from gongkai_etl.stages import StageContext


def finish_period(
    home: Home,
    contexts: dict[str, StageContext],
    *,
    max_reject_ratio: float,
    input_hash: str,
    reject_ratios: dict[str, float] | None = None,
) -> dict[str, StagedVersion]:
    """Close and finish the period's staged datasets.

    Raises :class:`DataError` (nothing of the period is published) when the
    privacy scan found personal data, when any one dataset rejected more of its
    rows than its limit (``reject_ratios`` per dataset, else ``max_reject_ratio``)
    allows, or when a dataset would publish 0 rows from a non-empty input. The
    rejects files are written either way.
    """
    runs = list(contexts.values())
    findings = [f for r in runs for f in r.findings]
    try:
        # The writers first: their last buffered rows leave memory before the
        # rejects are read back, so the two never add up to a peak.
        for r in runs:
            if not r.sessions:  # no rows at all: still publish an empty, typed file
                write(r, r.schema.empty_table())
            for session, _ in r.sessions.values():
                session.close()
                failpoint("stage:after-close")
    finally:
        for r in runs:
            if r.rejects:
                r.outcome.rejects_file = str(write_rejects(home.rejects(r.dataset.id, r.period.key), r.rejects))
    if findings:
        raise findings_error(findings)
    for r in runs:
        # Per dataset: counted over the whole period, a small dataset whose every
        # row failed hid behind a big one that passed, and published 0 rows.
        limit = (reject_ratios or {}).get(r.dataset.id, max_reject_ratio)
        check_rejects(r, limit)
    staged: dict[str, StagedVersion] = {}
    for ds_id, r in contexts.items():
        files_info: dict[str, dict[str, Any]] = {}
        for fmt, (session, rel) in r.sessions.items():
            files_info[rel] = {"format": fmt}
            digest = getattr(session, "sha256", None)
            if digest:
                files_info[rel]["sha256"] = digest
            if r.provenance:
                files_info[rel]["provenance"] = r.provenance
        sv = StagedVersion(ds_id, r.period.key, r.stage_dir, r.outcome.rows_out, files_info, input_hash,
                           {"rows_in": r.outcome.rows_in, "rejected": r.outcome.rejected})
        staged[ds_id] = finish_stage(sv)
    return staged


def discard(contexts: Iterable[StageContext], outcomes: dict[str, DatasetOutcome], stage_dirs: dict[str, Path]) -> None:
    """Throw away the staging of a period that failed: close the writers still
    open, and remove the folder of every dataset that was not handed on."""
    for sc in contexts:
        for session, _ in sc.sessions.values():
            try:
                session.close()
            except Exception:  # the stage is being thrown away anyway
                pass
    for ds_id, outcome in outcomes.items():
        if outcome.status == "pending":
            outcome.status = "failed"
            shutil.rmtree(stage_dirs[ds_id], ignore_errors=True)


def check_rejects(r: StageContext, limit: float) -> None:
    """Raise :class:`DataError` when this dataset rejected more than ``limit``
    of its rows, or would publish 0 rows from a non-empty input."""
    rows_in, rejected, rows_out = r.outcome.rows_in, r.outcome.rejected, r.outcome.rows_out
    ds, key = r.dataset.id, r.period.key
    see = f"; see {r.outcome.rejects_file}" if r.outcome.rejects_file else ""
    if rows_in and rejected / rows_in > limit:
        raise DataError(
            f"数据集 {ds} 有 {rejected}/{rows_in} 行被拒绝，超过上限 {limit:g}，本期未发布任何数据 "
            f"(dataset {ds}: {rejected} of {rows_in} rows rejected, above its limit {limit:g} "
            f"(max_reject_ratio, or reject_ratios.{ds} for this dataset); "
            f"nothing of period {key} was published{see})",
            stage="stage", dataset=ds, period=key,
        )
    if rows_in and not rows_out:
        # Even when the limit allows it: an empty new version would replace real data.
        raise DataError(
            f"数据集 {ds} 输入 {rows_in} 行，可发布 0 行，本期未发布任何数据 "
            f"(dataset {ds} would publish 0 rows from {rows_in} input rows ({rejected} rejected); "
            f"nothing of period {key} was published{see})",
            stage="stage", dataset=ds, period=key,
        )
