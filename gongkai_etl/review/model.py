"""What a review is: its record, its statuses, the hash an approval names, how
a new one is numbered, and how one is found in the ledger (by status, by id or
by a unique id prefix). The record itself is a ledger row
(:class:`gongkai_etl.ledger.Review`)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import Ledger, Review

__all__ = [
    "MIN_HASH_PREFIX", "STATUSES", "STATUS_ZH", "Review",
    "find_review", "get_review", "list_reviews", "new_review_id", "review_content_hash",
]

STATUSES = ("waiting", "approved", "rejected", "superseded")
STATUS_ZH = {
    "waiting": "待审查 waiting",
    "approved": "已批准 approved",
    "rejected": "已驳回 rejected",
    "superseded": "已被新运行取代 superseded",
}
#: Shortest ``--hash`` prefix accepted: shorter ones would approve almost anything.
MIN_HASH_PREFIX = 8


def review_content_hash(content_hashes: dict[str, str]) -> str:
    """One hash over the datasets of a review: what ``approve --hash`` names."""
    h = hashlib.sha256()
    for ds in sorted(content_hashes):
        h.update(ds.encode())
        h.update(b"\0")
        h.update(content_hashes[ds].encode())
        h.update(b"\n")
    return h.hexdigest()


def new_review_id() -> str:
    """``YYYYMMDD-xxxxxx``: the day, then 24 random bits."""
    return datetime.now().strftime("%Y%m%d") + "-" + secrets.token_hex(3)


def list_reviews(ledger: Ledger, *, status: str | None = "waiting", pipeline: str | None = None) -> list[Review]:
    """Reviews, newest first; ``status=None`` for every status."""
    return ledger.reviews(status=status, pipeline=pipeline)


def find_review(ledger: Ledger, review_id: str) -> Review | None:
    """The review with this id, or the only one whose id starts with it."""
    review_id = review_id.strip()
    if not review_id:
        return None
    rv = ledger.review(review_id)
    if rv is not None:
        return rv
    matches = ledger.reviews_with_prefix(review_id)
    if len(matches) > 1:
        ids = ", ".join(m.id for m in matches)
        raise ConfigError(f"审查编号 {review_id!r} 不唯一 (ambiguous review id; matches {ids})")
    return matches[0] if matches else None


def get_review(ledger: Ledger, review_id: str) -> Review:
    """:func:`find_review`, or a usage error naming the id."""
    rv = find_review(ledger, review_id)
    if rv is None:
        raise ConfigError(f"未找到审查 {review_id!r} (no such review; see `etl review list --all`)")
    return rv
