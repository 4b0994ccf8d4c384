"""Checks before an approval publishes: the staged files, the raw inputs and
the published period must all still be what the reviewer was shown. Any
mismatch refuses the approval (exit 1) and says to re-run."""

from __future__ import annotations

from pathlib import Path

from gongkai_etl.errors import DataError
from gongkai_etl.files import sha256_file
from gongkai_etl.ledger import Ledger
from gongkai_etl.review.model import Review
from gongkai_etl.stage.staged import StagedVersion, combined_input_hash, load_stage


def _stage_of(rv: Review, ds: str, folder: Path | None = None) -> StagedVersion:
    d = folder or rv.dataset_dir(ds)
    try:
        return load_stage(d)
    except (OSError, ValueError, KeyError):
        raise DataError(
            f"审查 {rv.id} 的暂存版本缺失或损坏 (the staged version of {ds} is missing or damaged: {d}); "
            f"请重新运行 (re-run `etl run` for {rv.period}) and review again",
            dataset=ds,
            period=rv.period,
        ) from None


def verify_content(rv: Review, ds: str, folder: Path | None = None) -> StagedVersion:
    """Re-hash the staged files of one dataset (in ``folder``, default the review
    folder) against the content hash the ledger recorded for the review."""
    sv = _stage_of(rv, ds, folder)
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
    """The raw inputs must hash as when the run read them."""
    # the runner stamped the staged versions with combined_input_hash of the
    # same inputs: a mismatch means the review's record was altered
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


def already_published(ledger: Ledger, rv: Review, ds: str) -> bool:
    """An approval killed half way published this dataset already: its content,
    by the review's run (only this approval publishes under that run id), or its
    staged folder gone."""
    cur = ledger.current(ds, rv.period)
    if cur is None or cur.content_hash != rv.content_hashes.get(ds):
        return False
    return cur.run_id == rv.run_id or not rv.dataset_dir(ds).exists()
