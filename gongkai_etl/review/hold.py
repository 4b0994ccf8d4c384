"""The review stage of a run: keep what changed for the confidentiality review
instead of publishing it, and end the period waiting (exit 4)."""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING

from gongkai_etl.errors import WaitingForReview
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, now_iso
from gongkai_etl.periods import Period
from gongkai_etl.publish.publish import is_unchanged
from gongkai_etl.report import DatasetOutcome, Reporter, StageInfo
from gongkai_etl.review.folders import drop_superseded, hold_staged
from gongkai_etl.review.model import Review, review_content_hash
from gongkai_etl.stage.staged import StagedVersion

if TYPE_CHECKING:
    from gongkai_etl.spec import Pipeline


def hold_for_review(
    home: Home,
    ledger: Ledger,
    pipeline: Pipeline,
    run_id: str,
    period: Period,
    staged: dict[str, StagedVersion],
    outcomes: dict[str, DatasetOutcome],
    reporter: Reporter,
    inputs: dict[str, str] | None = None,
) -> Review | None:
    """Keep the staged versions for review and record the request.

    Raises :class:`WaitingForReview` (exit 4) when something waits; returns
    None, publishing nothing, when every staged dataset equals its published
    version. ``inputs``: the run's raw inputs and their sha256
    (``RunContext.input_hashes``), re-checked at approval.
    """
    started = time.perf_counter()
    changed: dict[str, StagedVersion] = {}
    for ds_id, sv in staged.items():
        if is_unchanged(ledger, sv):
            shutil.rmtree(sv.dir, ignore_errors=True)
            outcomes[ds_id].status = "unchanged"
        else:
            changed[ds_id] = sv
    inputs = dict(inputs or {})
    if not changed:
        drop_superseded(home, ledger, ledger.supersede_waiting_reviews(pipeline.id, period.key))
        return None
    review_id, rdir = hold_staged(home, changed)
    content_hashes = {ds: sv.content_hash for ds, sv in changed.items()}
    base: dict[str, str | None] = {}
    for ds in changed:
        cur = ledger.current(ds, period.key)
        base[ds] = cur.content_hash if cur else None
    rows = {
        ds: {
            "rows_in": outcomes[ds].rows_in,
            "rows_out": outcomes[ds].rows_out,
            "rejected": outcomes[ds].rejected,
            "rejects_file": outcomes[ds].rejects_file,
            # why a unit_jumps: warn run held the period, for `etl review show`
            **({"unit_jumps": outcomes[ds].unit_jumps} if outcomes[ds].unit_jumps else {}),
        }
        for ds in changed
    }
    # every staged version of a run carries the run's combined_input_hash
    input_hash = next(iter(changed.values())).input_hash
    rv = Review(
        id=review_id,
        pipeline=pipeline.id,
        pipeline_file=str(pipeline.file),
        run_id=run_id,
        period=period.key,
        datasets=list(changed),
        content_hash=review_content_hash(content_hashes),
        content_hashes=content_hashes,
        input_hash=input_hash,
        inputs=inputs,
        base_hashes=base,
        rows=rows,
        staged_path=str(rdir),
        created=now_iso(),
    )
    old = ledger.add_review(rv)
    drop_superseded(home, ledger, old)
    _report_waiting(pipeline, period, rv, changed, outcomes, reporter, old, started)
    raise WaitingForReview(
        f"等待保密审查 (waiting for review {review_id}): "
        f"etl review show {review_id}; etl review approve {review_id} --by NAME",
        period=period.key,
    )


def _report_waiting(
    pipeline: Pipeline,
    period: Period,
    rv: Review,
    changed: dict[str, StagedVersion],
    outcomes: dict[str, DatasetOutcome],
    reporter: Reporter,
    superseded: list[str],
    started: float,
) -> None:
    """The review stage's info per dataset and the notes saying what to do; ``started``: ``perf_counter()`` at the stage's start."""
    review_id = rv.id
    for ds in changed:
        out = outcomes[ds]
        out.status = "waiting-review"
        out.review_id = review_id
        info = StageInfo("review", ds, period.key, out.rows_out, 0, 0, time.perf_counter() - started)
        out.stages.append(info)
        reporter.stage(info)
    if superseded:
        reporter.note(
            f"已取代仍在等待的审查 (superseded the waiting review {', '.join(superseded)})", period=period.key, review_id=review_id
        )
    reporter.note(
        f"{pipeline.id} {period.key}: 等待保密审查 (waiting for review {review_id}); "
        f"etl review show {review_id}; etl review approve {review_id} --by NAME --hash {rv.content_hash[:12]}",
        period=period.key,
        review_id=review_id,
    )
