"""Where staged versions wait for a decision: ``home.reviews / <id> / <dataset>``
(``<out>/.gongkai/review/``), private (mode 0700) and outside the staging
folder, so ``clean_staging`` never removes them and no other account reads them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger
from gongkai_etl.review.model import Review, find_review, new_review_id
from gongkai_etl.stage.staged import StagedVersion


def private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask, and an existing folder keeps its own


def hold_staged(home: Home, staged: dict[str, StagedVersion]) -> tuple[str, Path]:
    """Move the staged versions into a new review folder; return its id and path.

    Each ``StagedVersion.dir`` then points into the review folder."""
    root = home.reviews
    private_dir(root)
    review_id = new_review_id()
    rdir = root / review_id
    while rdir.exists():  # 24 random bits a day: a clash is unlikely, never fatal
        review_id = new_review_id()
        rdir = root / review_id
    private_dir(rdir)
    for ds_id, sv in staged.items():
        target = rdir / ds_id
        os.rename(sv.dir, target)
        sv.dir = target
    return review_id, rdir


def private_copy(home: Home, rv: Review, ds: str) -> Path:
    """Copy the staged version of ``ds`` into a new folder only this approval
    knows (``.gongkai/approving/<review>-<dataset>-<random>/``, 0700): the
    approval hashes and publishes this copy, so a staged file swapped under the
    review folder meanwhile (by anyone with the same OS user) never gets published."""
    root = home.approving
    private_dir(root)
    dest = Path(tempfile.mkdtemp(prefix=f"{rv.id}-{ds}-", dir=root))  # 0700, a name nobody else knows
    src = rv.dataset_dir(ds)
    for path in sorted(src.rglob("*")):
        if path.is_symlink():
            continue  # the writers make none: never follow one out of the folder
        target = dest / path.relative_to(src)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.is_file():
            shutil.copyfile(path, target)
    return dest


def remove_private_copies(home: Home, rv: Review) -> None:
    """Copies of ``rv``'s approval: those of a killed one too (callers hold the pipeline's lock)."""
    for left in (home.approving).glob(f"{rv.id}-*"):
        shutil.rmtree(left, ignore_errors=True)


def remove_staged(home: Home, rv: Review) -> None:
    path = rv.dir
    root = home.reviews.resolve()
    # only ever delete inside the review folder, whatever the ledger says
    if path.resolve().parent == root:
        shutil.rmtree(path, ignore_errors=True)


def drop_superseded(home: Home, ledger: Ledger, ids: list[str]) -> None:
    """Delete the staged versions of superseded reviews."""
    for rid in ids:
        rv = find_review(ledger, rid)
        if rv is not None:
            remove_staged(home, rv)
