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
    home: Home, contexts: dict[str, StageContext], *, max_reject_ratio: float, input_hash: str
) -> dict[str, StagedVersion]:
    """Close and finish the period's staged datasets.

    Raises :class:`DataError` (nothing is published) when the privacy scan found
    personal data, or when more rows were rejected than ``max_reject_ratio``
    allows. The rejects files are written either way.
    """
    runs = list(contexts.values())
    findings = [f for r in runs for f in r.findings]
    rows_in = sum(r.outcome.rows_in for r in runs)
    rejected = sum(r.outcome.rejected for r in runs)
    for r in runs:
        if r.rejects:
            r.outcome.rejects_file = str(write_rejects(home.rejects(r.dataset.id, r.period.key), r.rejects))
    for r in runs:
        if not r.sessions:  # no rows at all: still publish an empty, typed file
            write(r, r.schema.empty_table())
        for session, _ in r.sessions.values():
            session.close()
            failpoint("stage:after-close")
    if findings:
        raise findings_error(findings)
    if rows_in and rejected / rows_in > max_reject_ratio:
        files = ", ".join(r.outcome.rejects_file for r in runs if r.outcome.rejects_file)
        raise DataError(
            f"{rejected} 行被拒绝，超过上限 (rows rejected: {rejected} of {rows_in}, above max_reject_ratio "
            f"{max_reject_ratio:g}); nothing was published; see {files}",
            stage="stage",
        )
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
