"""Confidentiality review before publication (保密审查：谁公开谁审查，先审查后公开).

Plan section 六(一)2 of the 2016 Chaoyang work plan asks for a confidentiality
review of everything before it is published. A pipeline with ``review: required``
(or a dataset declared ``review="required"``, unless the pipeline says
``review: auto``) therefore stops after staging:

1. :func:`hold_for_review` (called by the runner) moves the staged versions out
   of the run's staging folder into ``<out>/.gongkai/review/<id>/<dataset>/``
   (mode 0700, so ``clean_staging`` never removes them and no other account
   reads them), records a review request in the ledger's ``reviews`` table and
   ends the period with :class:`~gongkai_etl.errors.WaitingForReview` (exit 4).
   Datasets whose staged content equals the published one are not held: an
   unchanged re-run publishes nothing and waits for nothing. A newer run of the
   same pipeline and period supersedes a request still waiting.
2. ``etl review show ID`` (:func:`review_details`) shows row counts, the diff
   against the published period and a sample of the staged (already masked)
   rows, and the review's content hash.
3. ``etl review approve ID --by NAME`` (:func:`approve`) publishes exactly the
   content that was reviewed: it re-hashes the staged files against the
   recorded content hashes, re-hashes the raw input files against the hashes
   recorded by the run, checks that the published period did not change since
   the run, and with ``--hash PREFIX`` that the content is the one the reviewer
   saw. Any mismatch refuses the approval (exit 1) and says to re-run. The
   decision goes into the ledger (``reviews``) and, through
   :func:`~gongkai_etl.publish.publish.publish_period`, into the publication
   (``reviewed_by``/``reviewed_at``/``review_note``) and ``datapackage.json``.
4. ``etl review reject ID --by NAME --reason TEXT`` (:func:`reject`) records the
   decision and deletes the staged version; the published period is untouched.

Review statuses: ``waiting``, ``approved``, ``rejected``, ``superseded``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, DataError, GongkaiError, WaitingForReview
from gongkai_etl.ledger import Ledger, now_iso
from gongkai_etl.files import sha256_file
from gongkai_etl.publish.publish import is_unchanged, publish_period, recover
from gongkai_etl.stage.staged import StagedVersion, combined_input_hash, load_stage
from gongkai_etl.home import Home
from gongkai_etl.periods import Period
from gongkai_etl.report import DatasetOutcome, Reporter, StageInfo

if TYPE_CHECKING:
    from gongkai_etl.spec import Pipeline

STATUSES = ("waiting", "approved", "rejected", "superseded")
STATUS_ZH = {
    "waiting": "待审查 waiting",
    "approved": "已批准 approved",
    "rejected": "已驳回 rejected",
    "superseded": "已被新运行取代 superseded",
}
#: Shortest ``--hash`` prefix accepted: shorter ones would approve almost anything.
MIN_HASH_PREFIX = 8


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


def review_root(home: Home) -> Path:
    """``<out>/.gongkai/review``: staged versions waiting for a decision."""
    return home.reviews


def review_content_hash(content_hashes: dict[str, str]) -> str:
    """One hash over the datasets of a review: what ``approve --hash`` names."""
    h = hashlib.sha256()
    for ds in sorted(content_hashes):
        h.update(ds.encode())
        h.update(b"\0")
        h.update(content_hashes[ds].encode())
        h.update(b"\n")
    return h.hexdigest()


def _new_id() -> str:
    return datetime.now().strftime("%Y%m%d") + "-" + secrets.token_hex(3)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


# --- ledger rows ----------------------------------------------------------------

_JSON_COLUMNS = ("datasets", "content_hashes", "inputs", "base_hashes", "rows", "versions")
_COLUMNS = (
    "id", "pipeline", "pipeline_file", "run_id", "period", "datasets", "content_hash", "content_hashes",
    "input_hash", "inputs", "base_hashes", "rows", "staged_path", "created", "status", "decided_by",
    "decided_at", "note", "superseded_by", "versions",
)


def _row_to_review(row: Any) -> Review:
    data = {k: row[k] for k in _COLUMNS}
    for k in _JSON_COLUMNS:
        data[k] = json.loads(data[k] or ("[]" if k == "datasets" else "{}"))
    return Review(**data)


def _insert(conn: Any, rv: Review) -> None:
    values = []
    for k in _COLUMNS:
        v = getattr(rv, k)
        values.append(json.dumps(v, ensure_ascii=False, sort_keys=True) if k in _JSON_COLUMNS else v)
    conn.execute(f"INSERT INTO reviews ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})", values)


def list_reviews(ledger: Ledger, *, status: str | None = "waiting", pipeline: str | None = None) -> list[Review]:
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
    return [_row_to_review(r) for r in ledger.conn.execute(q, args)]


def find_review(ledger: Ledger, review_id: str) -> Review | None:
    """The review with this id, or the only one whose id starts with it."""
    review_id = review_id.strip()
    if not review_id:
        return None
    row = ledger.conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
    if row:
        return _row_to_review(row)
    like = review_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = list(ledger.conn.execute("SELECT * FROM reviews WHERE id LIKE ? ESCAPE '\\'", (like,)))
    if len(rows) > 1:
        ids = ", ".join(r["id"] for r in rows)
        raise ConfigError(f"审查编号 {review_id!r} 不唯一 (ambiguous review id; matches {ids})")
    return _row_to_review(rows[0]) if rows else None


def get_review(ledger: Ledger, review_id: str) -> Review:
    rv = find_review(ledger, review_id)
    if rv is None:
        raise ConfigError(f"未找到审查 {review_id!r} (no such review; see `etl review list --all`)")
    return rv


def _supersede_waiting(conn: Any, home: Home, pipeline: str, period: str, by: str | None) -> list[str]:
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


def _remove_staged(home: Home, rv: Review) -> None:
    path = rv.dir
    root = review_root(home).resolve()
    # only ever delete inside the review folder, whatever the ledger says
    if path.resolve().parent == root:
        shutil.rmtree(path, ignore_errors=True)


# --- the runner's hook ------------------------------------------------------------


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
    review_id = _new_id() if changed else None
    if not changed:
        with ledger.transaction() as conn:
            old = _supersede_waiting(conn, home, pipeline.id, period.key, None)
        _drop_superseded(home, ledger, old)
        return None
    root = review_root(home)
    _private_dir(root)
    rdir = root / review_id
    while rdir.exists():  # 24 random bits a day: a clash is unlikely, never fatal
        review_id = _new_id()
        rdir = root / review_id
    _private_dir(rdir)
    for ds_id, sv in changed.items():
        target = rdir / ds_id
        os.rename(sv.dir, target)
        sv.dir = target
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
        }
        for ds in changed
    }
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
    with ledger.transaction() as conn:
        old = _supersede_waiting(conn, home, pipeline.id, period.key, review_id)
        _insert(conn, rv)
    _drop_superseded(home, ledger, old)
    for ds in changed:
        out = outcomes[ds]
        out.status = "waiting-review"
        out.review_id = review_id
        info = StageInfo("review", ds, period.key, out.rows_out, 0, 0, time.perf_counter() - started)
        out.stages.append(info)
        reporter.stage(info)
    if old:
        reporter.note(
            f"已取代仍在等待的审查 (superseded the waiting review {', '.join(old)})", period=period.key, review_id=review_id
        )
    reporter.note(
        f"{pipeline.id} {period.key}: 等待保密审查 (waiting for review {review_id}); "
        f"etl review show {review_id}; etl review approve {review_id} --by NAME --hash {rv.content_hash[:12]}",
        period=period.key,
        review_id=review_id,
    )
    raise WaitingForReview(
        f"等待保密审查 (waiting for review {review_id}): "
        f"etl review show {review_id}; etl review approve {review_id} --by NAME",
        period=period.key,
    )


def _drop_superseded(home: Home, ledger: Ledger, ids: list[str]) -> None:
    for rid in ids:
        rv = find_review(ledger, rid)
        if rv is not None:
            _remove_staged(home, rv)


# --- checks before approval ---------------------------------------------------------


def _stage_of(rv: Review, ds: str) -> StagedVersion:
    d = rv.dataset_dir(ds)
    try:
        return load_stage(d)
    except (OSError, ValueError, KeyError):
        raise DataError(
            f"审查 {rv.id} 的暂存版本缺失或损坏 (the staged version of {ds} is missing or damaged: {d}); "
            f"请重新运行 (re-run `etl run` for {rv.period}) and review again",
            dataset=ds,
            period=rv.period,
        ) from None


def verify_content(rv: Review, ds: str) -> StagedVersion:
    """Re-hash the staged files of one dataset against the reviewed content hash."""
    sv = _stage_of(rv, ds)
    for rel, info in sv.files.items():
        path = sv.dir / rel
        if not path.is_file() or sha256_file(path) != info.get("sha256"):
            raise DataError(
                f"暂存文件在审查后被改动 (staged file changed after the run: {rel}); 拒绝批准 (approval refused); "
                f"请重新运行 (re-run `etl run` for {rv.period}) and review again",
                dataset=ds,
                period=rv.period,
            )
    if sv.content_hash != rv.content_hashes.get(ds):
        raise DataError(
            f"暂存内容与审查记录的内容哈希不符 (staged content {sv.content_hash[:12]} is not the recorded "
            f"{str(rv.content_hashes.get(ds))[:12]}); 拒绝批准 (approval refused); re-run and review again",
            dataset=ds,
            period=rv.period,
        )
    return sv


def changed_inputs(rv: Review) -> list[str]:
    """Raw inputs that differ now from what the run read (missing ones included).

    Remote inputs (URLs) are not fetched again; their archived copy was hashed
    when the run read them and they are not listed here.
    """
    out = []
    for loc, digest in sorted(rv.inputs.items()):
        if "://" in loc:
            continue
        p = Path(loc)
        try:
            now = sha256_file(p)
        except OSError:
            out.append(f"{loc} (已不存在 missing)")
            continue
        if now != digest:
            out.append(loc)
    return out


def verify_inputs(rv: Review) -> None:
    if rv.inputs and combined_input_hash(rv.inputs) != rv.input_hash:
        raise DataError(f"审查 {rv.id} 的输入记录不一致 (the recorded input hashes do not add up); re-run", period=rv.period)
    changed = changed_inputs(rv)
    if changed:
        raise DataError(
            f"原始输入在运行后已改变，拒绝批准 (input changed since the run, approval refused): {', '.join(changed)}; "
            f"请重新运行 (re-run `etl run --period {rv.period}`) and review the new version",
            period=rv.period,
        )


def verify_base(ledger: Ledger, rv: Review, ds: str) -> None:
    """The published period must still be the one the diff was shown against."""
    cur = ledger.current(ds, rv.period)
    now = cur.content_hash if cur else None
    if now != rv.base_hashes.get(ds):
        what = f"v{cur.version} published {cur.published_at}" if cur else "withdrawn"
        raise DataError(
            f"审查后已发布期间有变化 (the published period changed since this review was made: {what}); "
            f"拒绝批准 (approval refused); re-run and review again",
            dataset=ds,
            period=rv.period,
        )


def _already_published(ledger: Ledger, rv: Review, ds: str) -> bool:
    """An approval killed half way published this dataset already."""
    cur = ledger.current(ds, rv.period)
    return cur is not None and cur.content_hash == rv.content_hashes.get(ds) and not rv.dataset_dir(ds).exists()


def _lock(home: Home, pipeline: str) -> contextlib.AbstractContextManager[Any]:
    try:
        from gongkai_etl.schedule.locks import PipelineLock
    except ImportError:  # pragma: no cover - scheduling not installed
        return contextlib.nullcontext()
    return PipelineLock(home.lock(pipeline), pipeline)


# --- decisions -------------------------------------------------------------------------


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
    with _lock(home, rv.pipeline):
        rv = get_review(ledger, rv.id)  # decided meanwhile?
        _require_waiting(rv)
        if hash_prefix is not None:
            prefix = hash_prefix.strip().lower()
            if len(prefix) < MIN_HASH_PREFIX:
                raise ConfigError(f"--hash: 至少 {MIN_HASH_PREFIX} 位 (give at least {MIN_HASH_PREFIX} hex digits)")
            if not rv.content_hash.startswith(prefix):
                raise DataError(
                    f"内容哈希不符，拒绝批准 (content hash {rv.content_hash[:12]} of review {rv.id} does not start "
                    f"with {prefix}); 审查的不是这一版本 (you reviewed another version); see `etl review show {rv.id}`",
                    period=rv.period,
                )
        missing = [ds for ds in rv.datasets if ds not in datasets]
        if missing:
            raise ConfigError(f"未知的数据集 (dataset no longer declared by any installed source): {', '.join(missing)}")
        # Whatever a run hangs after each publish (changelog, catalog.json, site)
        # must follow an approval too: importing the runner registers it.
        import gongkai_etl.run.runner  # noqa: F401

        recover(home, ledger, datasets)
        todo: dict[str, StagedVersion] = {}
        for ds in rv.datasets:
            if _already_published(ledger, rv, ds):
                continue
            verify_base(ledger, rv, ds)
            todo[ds] = verify_content(rv, ds)
        verify_inputs(rv)
        at = now_iso()
        meta = {"by": by, "at": at, "note": note or ""}
        versions = dict(rv.versions)
        published_on = (today or date.today()).isoformat()
        for ds, sv in todo.items():
            versions[ds] = _publish(home, ledger, datasets[ds], sv, rv, meta, published_on)
            if versions[ds]:
                _assess_timeliness(home, ledger, rv, datasets[ds], versions[ds], today or date.today())
        for ds in rv.datasets:
            if ds not in versions:
                cur = ledger.current(ds, rv.period)
                versions[ds] = cur.version if cur else None
        with ledger.transaction() as conn:
            conn.execute(
                "UPDATE reviews SET status = 'approved', decided_by = ?, decided_at = ?, note = ?, versions = ? WHERE id = ?",
                (by, at, note, json.dumps(versions, sort_keys=True), rv.id),
            )
        _remove_staged(home, rv)
        return get_review(ledger, rv.id)


def _publish(
    home: Home, ledger: Ledger, dataset: Dataset, sv: StagedVersion, rv: Review, meta: dict[str, str], published_on: str
) -> int | None:
    kwargs: dict[str, Any] = {"run_id": rv.run_id, "pipeline": rv.pipeline, "review": meta}
    import inspect

    if "published_on" in inspect.signature(publish_period).parameters:
        kwargs["published_on"] = published_on  # the day the approval published it (timeliness)
    return publish_period(home, ledger, dataset, sv, **kwargs)


def _assess_timeliness(home: Home, ledger: Ledger, rv: Review, dataset: Dataset, version: int, day: date) -> None:
    """Per-record deadline check of the version, as a run does after publishing."""
    try:
        from gongkai_etl.schedule.timeliness import assess_version
        from gongkai_etl.spec import load_pipeline

        pipeline = load_pipeline(rv.pipeline_file)
    except (ImportError, GongkaiError):  # no scheduling installed, or the pipeline file is gone
        return
    try:
        assess_version(home, ledger, pipeline, dataset, rv.period, version, day, rv.run_id)
    except GongkaiError:  # the publication stands; `etl status` reports timeliness
        pass


def reject(home: Home, ledger: Ledger, review_id: str, *, by: str, reason: str) -> Review:
    """Record the rejection and delete the staged version; nothing is published."""
    by = _reviewer(by)
    reason = (reason or "").strip()
    if not reason:
        raise ConfigError("--reason: 请填写驳回理由 (give the reason for the rejection)")
    rv = get_review(ledger, review_id)
    with _lock(home, rv.pipeline):
        rv = get_review(ledger, rv.id)
        _require_waiting(rv)
        with ledger.transaction() as conn:
            conn.execute(
                "UPDATE reviews SET status = 'rejected', decided_by = ?, decided_at = ?, note = ? WHERE id = ?",
                (by, now_iso(), reason, rv.id),
            )
        _remove_staged(home, rv)
        return get_review(ledger, rv.id)


# --- what a reviewer sees ---------------------------------------------------------------


def read_staged(rv: Review, ds: str, dataset: Dataset | None) -> pa.Table | None:
    """The staged rows of one dataset (Parquet, else CSV); None when not readable."""
    import pyarrow.parquet as pq

    try:
        sv = load_stage(rv.dataset_dir(ds))
    except (OSError, ValueError, KeyError):
        return None
    rels = sorted(sv.files)
    for rel in rels:
        if rel.endswith(".parquet"):
            return pq.read_table(sv.dir / rel)
    if dataset is not None:
        from gongkai_etl.portal.changelog import read_csv

        for rel in rels:
            if rel.endswith(".csv"):
                return read_csv(sv.dir / rel, dataset)
    return None


def _published_before(ledger: Ledger, ds: str, period: str) -> Any:
    """The latest current publication of an earlier period, if any."""
    try:
        this = Period.parse(period)
    except ConfigError:
        return None
    best = None
    for pub in ledger.current_all(ds):
        try:
            p = Period.parse(pub.period)
        except ConfigError:
            continue
        if p.cadence is this.cadence and p < this and (best is None or p > best[0]):
            best = (p, pub)
    return best[1] if best else None


def diff_summary(home: Home, ledger: Ledger, rv: Review, ds: str, dataset: Dataset | None, examples: int = 5) -> dict[str, Any]:
    """Rows added, removed, changed against the published period (by the
    primary key minus ``period``); against the previous published period when
    this period was never published."""
    from gongkai_etl.portal.changelog import compute_changes, count_changes, identity_columns, read_publication

    out: dict[str, Any] = {"against": None}
    if dataset is None:
        out["note"] = "数据集未安装，无法比较 (dataset not installed: no diff)"
        return out
    cur = ledger.current(ds, rv.period)
    against, label = (cur, f"已发布 {rv.period} v{cur.version} (published)") if cur else (None, None)
    if against is None:
        prev = _published_before(ledger, ds, rv.period)
        if prev is not None:
            against, label = prev, f"上一期 {prev.period} v{prev.version} (previous period; {rv.period} not yet published)"
    if against is None:
        out["note"] = "首次发布，无可比较 (first publication: nothing to compare with)"
        return out
    out["against"] = label
    staged = read_staged(rv, ds, dataset)
    before = read_publication(home.out, dataset, against)
    if staged is None or before is None:
        out["note"] = "无法读取数据文件 (data file not readable)"
        return out
    out["rows_before"] = before.num_rows
    out["rows_after"] = staged.num_rows
    keys = identity_columns(dataset)
    if not keys:
        out["note"] = "主键只有期间，只比较行数 (key is only the period: row counts only)"
        return out
    changes = compute_changes(before, staged, dataset, period=rv.period, previous_period=against.period)
    out.update(count_changes(changes))
    rows = changes.to_pylist()
    out["examples"] = {
        kind: [
            {"key": {k: _plain(r[k]) for k in keys}, "fields": r["changed_fields"]}
            for r in rows if r["change"] == kind
        ][:examples]
        for kind in ("added", "removed", "changed")
    }
    return out


def _plain(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


def review_details(home: Home, ledger: Ledger, rv: Review, datasets: dict[str, Dataset], sample: int = 5) -> dict[str, Any]:
    """Everything ``etl review show`` prints, as plain data (masked rows only:
    the staged output passed the protect stage)."""
    doc: dict[str, Any] = {
        "id": rv.id,
        "status": rv.status,
        "pipeline": rv.pipeline,
        "pipeline_file": rv.pipeline_file,
        "period": rv.period,
        "run_id": rv.run_id,
        "created": rv.created,
        "content_hash": rv.content_hash,
        "decided_by": rv.decided_by,
        "decided_at": rv.decided_at,
        "note": rv.note,
        "superseded_by": rv.superseded_by,
        "inputs": [{"path": k, "sha256": v} for k, v in sorted(rv.inputs.items())],
        "datasets": [],
    }
    if rv.status == "waiting":
        doc["changed_inputs"] = changed_inputs(rv)
    for ds in rv.datasets:
        dataset = datasets.get(ds)
        entry: dict[str, Any] = {
            "dataset": ds,
            "content_hash": rv.content_hashes.get(ds),
            **rv.rows.get(ds, {}),
        }
        if rv.status == "approved":
            entry["version"] = rv.versions.get(ds)
        if rv.status == "waiting":
            entry["diff"] = diff_summary(home, ledger, rv, ds, dataset)
            table = read_staged(rv, ds, dataset)
            if table is not None:
                head = table.slice(0, sample)
                entry["columns"] = head.column_names
                entry["sample"] = [[_plain(v) for v in row.values()] for row in head.to_pylist()]
        doc["datasets"].append(entry)
    return doc

