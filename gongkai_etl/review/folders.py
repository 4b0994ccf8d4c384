"""Where staged versions wait for a decision: ``home.reviews / <id> / <dataset>``
(``<out>/.gongkai/review/``), private (mode 0700) and outside the staging
folder, so ``clean_staging`` never removes them and no other account reads them."""

from __future__ import annotations

import os
import shutil
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
