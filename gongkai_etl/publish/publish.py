"""Staging and all-or-nothing publishing of one dataset-period.

A run writes into ``.gongkai/staging/<run>/<dataset>/<period>/``. A finished
stage becomes an immutable version folder ``.gongkai/versions/<dataset>/<period>/v<N>/``
by one directory rename. Publishing then records an intent journal, puts each
file of the version in place with one atomic rename, records the publication in
the ledger, rewrites ``datapackage.json`` atomically and removes the journal.

A run killed while publishing leaves every published file whole (old or new);
the next command that opens the output replays the journal (under the lock of
the journal's pipeline, :mod:`gongkai_etl.publish.recovery`), so the period ends
fully on the new version. Replaced versions stay in ``versions/`` for
``etl restore``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.files import (
    atomic_write_bytes,
    failpoint,
    fsync_dir,
    place_file,
    write_error,
)
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication, now_iso
from gongkai_etl.plugins import load_plugins
from gongkai_etl.portal.datapackage import write_datapackage
from gongkai_etl.publish.objectstore import sync_output
from gongkai_etl.stage.staged import StagedVersion


def is_unchanged(ledger: Ledger, staged: StagedVersion) -> bool:
    current = ledger.current(staged.dataset, staged.period)
    return current is not None and current.content_hash == staged.content_hash


def publish_period(
    home: Home,
    ledger: Ledger,
    dataset: Dataset,
    staged: StagedVersion,
    *,
    run_id: str | None,
    pipeline: str | None,
    review: dict[str, str] | None = None,
    published_on: str | None = None,
) -> int | None:
    """Publish a staged dataset-period; return its version, or None when the
    content equals what is already published (nothing is written then)."""
    if is_unchanged(ledger, staged):
        shutil.rmtree(staged.dir, ignore_errors=True)
        return None
    version = ledger.next_version(staged.dataset, staged.period)
    vdir = home.version_dir(staged.dataset, staged.period, version)
    try:
        vdir.parent.mkdir(parents=True, exist_ok=True)
        if vdir.exists():  # left by a run killed between rename and ledger: an orphan
            shutil.rmtree(vdir)
        os.rename(staged.dir, vdir)
        fsync_dir(vdir.parent)
        failpoint("publish:after-version-rename")
    except OSError as exc:
        raise write_error("无法保存版本 (cannot keep the staged version)", exc, dataset=staged.dataset, period=staged.period) from None
    staged.dir = vdir
    pub = Publication(
        dataset=staged.dataset,
        period=staged.period,
        version=version,
        run_id=run_id,
        pipeline=pipeline,
        published_at=now_iso(),
        content_hash=staged.content_hash,
        input_hash=staged.input_hash,
        files=staged.files,
        rows=staged.rows,
        current=True,
        reviewed_by=(review or {}).get("by"),
        reviewed_at=(review or {}).get("at"),
        review_note=(review or {}).get("note"),
        published_on=published_on,
    )
    install_version(home, ledger, dataset, pub, vdir)
    return version


def install_version(home: Home, ledger: Ledger, dataset: Dataset, pub: Publication, vdir: Path) -> None:
    """Journal, place files, record, rewrite datapackage.json, drop the journal."""
    journal = home.journal_dir / f"{pub.dataset}__{pub.period}.json"
    previous = ledger.current(pub.dataset, pub.period)
    # Files the version replaced under another name (a format dropped, or the Parquet
    # layout before one file per period): left in place, readers of the folder would
    # count the period twice. Kept in the journal so a replay still removes them.
    stale = sorted(set(previous.files) - set(pub.files)) if previous else []
    entry = {"version_dir": str(vdir), "publication": pub.__dict__, "stale": stale}
    # compact: the C encoder (json.dumps with indent is CPython's pure-Python one); only recovery reads it
    atomic_write_bytes(journal, json.dumps(entry, ensure_ascii=False).encode("utf-8"))
    failpoint("publish:after-journal")
    replay_journal(home, ledger, dataset, entry)
    journal.unlink(missing_ok=True)


def replay_journal(home: Home, ledger: Ledger, dataset: Dataset, entry: dict[str, Any]) -> None:
    """Put a journaled version in place (again): every step is idempotent, so a
    publish interrupted anywhere is finished by replaying it (see recovery.py)."""
    pub = Publication(**entry["publication"])
    vdir = Path(entry["version_dir"])
    ddir = home.dataset_dir(pub.dataset)
    try:
        for i, rel in enumerate(sorted(pub.files)):
            place_file(vdir / rel, ddir / rel, home.tmp)
            if i < len(pub.files) - 1:
                failpoint("publish:between-files")
    except OSError as exc:
        raise write_error(
            "发布写入失败；已写入日志，下次运行将完成此次发布 (publishing failed part way; the journal is kept and "
            "the next command finishes this publish, every file is whole meanwhile)",
            exc,
            dataset=pub.dataset,
            period=pub.period,
        ) from None
    _remove_stale(ddir, entry.get("stale", []))
    failpoint("publish:before-ledger")
    ledger.record_publication(pub)
    failpoint("publish:after-ledger")
    write_datapackage(home, ledger, dataset)
    failpoint("publish:after-datapackage")
    load_plugins().manager.hook.after_publish(home=home, ledger=ledger, publication=pub)
    sync_output(home.out, ledger)  # an s3:// output: upload the version, then move its pointer
    failpoint("publish:after-hooks")


def _remove_stale(ddir: Path, stale: list[str]) -> None:
    for rel in stale:
        path = ddir / rel
        path.unlink(missing_ok=True)
        # the emptied folder of an old layout (data/period=<key>/) goes too
        if path.parent != ddir and path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()


def clean_staging(home: Home, max_age_seconds: float = 86400) -> None:
    """Remove staging folders that killed runs left behind.

    Only old ones: a folder of a run still going in another process (another
    pipeline publishing to the same output) must not vanish under it.
    """
    import time

    root = home.staging_root
    if not root.exists():
        return
    limit = time.time() - max_age_seconds
    for run_dir in root.iterdir():
        try:
            if run_dir.stat().st_mtime < limit:
                shutil.rmtree(run_dir, ignore_errors=True)
        except OSError:
            continue
