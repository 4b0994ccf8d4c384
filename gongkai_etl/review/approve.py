"""The reviewer's decisions: ``etl review approve`` publishes exactly the
content that was reviewed, ``etl review reject`` records why not and discards
it. Both hold the pipeline's lock, so a run and a decision never interleave."""

from __future__ import annotations

import shutil
from datetime import date

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, DataError, GongkaiError
from gongkai_etl.files import failpoint
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, now_iso
from gongkai_etl.publish.publish import publish_period
from gongkai_etl.publish.recovery import recover
from gongkai_etl.review.checks import (
    already_published,
    verify_base,
    verify_content,
    verify_inputs,
)
from gongkai_etl.review.folders import private_copy, remove_private_copies, remove_staged
from gongkai_etl.review.model import MIN_HASH_PREFIX, Review, get_review
from gongkai_etl.schedule.locks import PipelineLock
from gongkai_etl.schedule.timeliness import assess_version
from gongkai_etl.spec import load_pipeline
from gongkai_etl.stage.staged import StagedVersion


def _require_waiting(rv: Review) -> None:
    if rv.status != "waiting":
        extra = f" by {rv.superseded_by}" if rv.superseded_by else ""
        who = f" by {rv.decided_by}" if rv.decided_by else ""
        raise ConfigError(
            f"审查 {rv.id} 不在等待状态 (review {rv.id} is {rv.status}{extra or who}"
            f"{' at ' + rv.decided_at if rv.decided_at else ''}); nothing to decide"
        )


def _reviewer(by: str) -> str:
    by = (by or "").strip()
    if not by:
        raise ConfigError("--by: 请填写审查人 (name the reviewer)")
    return by


def _check_hash_prefix(rv: Review, hash_prefix: str) -> None:
    prefix = hash_prefix.strip().lower()
    if len(prefix) < MIN_HASH_PREFIX:
        raise ConfigError(f"--hash: 至少 {MIN_HASH_PREFIX} 位 (give at least {MIN_HASH_PREFIX} hex digits)")
    if not rv.content_hash.startswith(prefix):
        raise DataError(
            f"内容哈希不符，拒绝批准 (content hash {rv.content_hash[:12]} of review {rv.id} does not start "
            f"with {prefix}); 审查的不是这一版本 (you reviewed another version); see `etl review show {rv.id}`",
            period=rv.period,
        )


def approve(
    home: Home,
    ledger: Ledger,
    review_id: str,
    *,
    by: str,
    datasets: dict[str, Dataset],
    note: str | None = None,
    hash_prefix: str | None = None,
    today: date | None = None,
) -> Review:
    """Publish a waiting review after checking it is exactly what was reviewed."""
    by = _reviewer(by)
    rv = get_review(ledger, review_id)
    with PipelineLock(home.lock(rv.pipeline), rv.pipeline):
        rv = get_review(ledger, rv.id)  # decided meanwhile?
        _require_waiting(rv)
        if hash_prefix is not None:
            _check_hash_prefix(rv, hash_prefix)
        missing = [ds for ds in rv.datasets if ds not in datasets]
        if missing:
            raise ConfigError(f"未知的数据集 (dataset no longer declared by any installed source): {', '.join(missing)}")
        recover(home, ledger, datasets, held={rv.pipeline})
        todo: dict[str, StagedVersion] = {}
        remove_private_copies(home, rv)
        try:
            for ds in rv.datasets:
                if already_published(ledger, rv, ds):
                    continue
                verify_base(ledger, rv, ds)
                # hashed where it is published from: a check of the review folder
                # followed by a publish from it let a swap in between through
                todo[ds] = verify_content(rv, ds, private_copy(home, rv, ds))
                failpoint("review:after-private-copy")
            verify_inputs(rv)
        except BaseException:
            remove_private_copies(home, rv)
            raise
        at = now_iso()
        meta = {"by": by, "at": at, "note": note or ""}
        versions = dict(rv.versions)
        day = today or date.today()
        for ds, sv in todo.items():
            # published_on: the day the approval published it (timeliness)
            versions[ds] = publish_period(
                home, ledger, datasets[ds], sv, run_id=rv.run_id, pipeline=rv.pipeline, review=meta, published_on=day.isoformat()
            )
            shutil.rmtree(rv.dataset_dir(ds), ignore_errors=True)  # published: the waiting copy goes
            failpoint("review:after-dataset")
            if versions[ds]:
                _assess_timeliness(home, ledger, rv, datasets[ds], versions[ds], day)
        for ds in rv.datasets:
            if ds not in versions:
                cur = ledger.current(ds, rv.period)
                versions[ds] = cur.version if cur else None
        ledger.approve_review(rv.id, by=by, at=at, note=note, versions=versions)
        remove_staged(home, rv)
        remove_private_copies(home, rv)
        return get_review(ledger, rv.id)


def _assess_timeliness(home: Home, ledger: Ledger, rv: Review, dataset: Dataset, version: int, day: date) -> None:
    """Per-record deadline check of the version, as a run does after publishing."""

    try:
        pipeline = load_pipeline(rv.pipeline_file)
    except GongkaiError:  # the pipeline file is gone or broken since the run
        return
    try:
        summary = assess_version(home, ledger, pipeline, dataset, rv.period, version, day, rv.run_id)
        if summary and "error" not in summary:  # the site shows the records' timeliness, known only now
            show_record_timeliness(home, ledger, dataset.id)
    except GongkaiError:  # the publication stands; `etl status` reports timeliness
        pass


def show_record_timeliness(home: Home, ledger: Ledger, dataset: str | None = None) -> None:
    """Regenerate the site once more after a per-record deadline check of
    ``dataset``: the after_publish hook ran before the records were judged (only the
    site shows them; without one nothing is rewritten). ``dataset`` None: every
    dataset is looked at again. Loaded only then (Jinja templates among it); an
    object-store output is synced again."""
    from gongkai_etl.portal.regenerate import after_publish, after_record_timeliness
    from gongkai_etl.publish.objectstore import sync_output

    if dataset is None:
        after_publish(home.out, ledger)
    else:
        after_record_timeliness(home.out, ledger, dataset)
    sync_output(home.out, ledger)


def reject(home: Home, ledger: Ledger, review_id: str, *, by: str, reason: str) -> Review:
    """Record the rejection and delete the staged version; nothing is published."""
    by = _reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ConfigError("--reason: 请填写驳回理由 (give the reason for the rejection)")
    rv = get_review(ledger, review_id)
    with PipelineLock(home.lock(rv.pipeline), rv.pipeline):
        rv = get_review(ledger, rv.id)
        _require_waiting(rv)
        ledger.reject_review(rv.id, by=by, reason=reason)
        remove_staged(home, rv)
        return get_review(ledger, rv.id)
