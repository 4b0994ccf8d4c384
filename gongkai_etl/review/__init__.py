"""Confidentiality review before publication (保密审查：谁公开谁审查，先审查后公开).

Plan section 六(一)2 of the 2016 Chaoyang work plan asks for a confidentiality
review of everything before it is published. A pipeline with ``review: required``
(or a dataset declared ``review="required"``, unless the pipeline says
``review: auto``) therefore stops after staging:

1. :func:`hold_for_review` (the review stage, called by the runner) moves the staged versions out
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

Modules: :mod:`.model` (statuses, hashes, finding reviews),
:mod:`.folders` (the private review folder), :mod:`.hold` (the stage),
:mod:`.checks` (what an approval re-checks), :mod:`.approve` (decisions),
:mod:`.diff` and :mod:`.details` (what a reviewer sees). The SQL is in
:mod:`gongkai_etl.ledger.reviews`.
"""

from __future__ import annotations

from gongkai_etl.review.approve import approve, reject
from gongkai_etl.review.checks import (
    changed_inputs,
    verify_base,
    verify_content,
    verify_inputs,
)
from gongkai_etl.review.details import review_details, review_summary
from gongkai_etl.review.diff import diff_summary, read_staged
from gongkai_etl.review.hold import hold_for_review
from gongkai_etl.review.model import (
    MIN_HASH_PREFIX,
    STATUS_ZH,
    STATUSES,
    Review,
    find_review,
    get_review,
    list_reviews,
    review_content_hash,
)

__all__ = [
    "MIN_HASH_PREFIX",
    "STATUSES",
    "STATUS_ZH",
    "Review",
    "approve",
    "changed_inputs",
    "diff_summary",
    "find_review",
    "get_review",
    "hold_for_review",
    "list_reviews",
    "read_staged",
    "reject",
    "review_content_hash",
    "review_details",
    "review_summary",
    "verify_base",
    "verify_content",
    "verify_inputs",
]
