"""Review records in the ledger without a run: a new request supersedes the one
still waiting for its pipeline and period, ids are found by a unique prefix
(``%`` and ``_`` match only themselves), decisions are recorded, and the
content hash an approval names does not depend on the datasets' order."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import Ledger
from gongkai_etl.review import (
    Review,
    find_review,
    get_review,
    list_reviews,
    review_content_hash,
)


def _review(rid: str, *, pipeline: str = "p", period: str = "2016-08", created: str = "2016-09-01T10:00:00+08:00") -> Review:
    return Review(
        id=rid,
        pipeline=pipeline,
        pipeline_file="p.yaml",
        run_id="r-" + rid,
        period=period,
        datasets=["ds_b", "ds_a"],
        content_hash=review_content_hash({"ds_a": "1" * 64, "ds_b": "2" * 64}),
        content_hashes={"ds_a": "1" * 64, "ds_b": "2" * 64},
        input_hash="i" * 64,
        inputs={"raw/a.csv": "3" * 64},
        base_hashes={"ds_a": None, "ds_b": "4" * 64},
        rows={"ds_a": {"rows_in": 3, "rows_out": 2, "rejected": 1, "rejects_file": None}},
        staged_path=f"/out/.gongkai/review/{rid}",
        created=created,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "state.db")


def test_a_review_round_trips_through_the_ledger(ledger: Ledger) -> None:
    rv = _review("20160901-aaaaaa")
    assert ledger.add_review(rv) == []
    assert get_review(ledger, rv.id) == rv  # JSON columns come back as lists and dicts, datasets in order


def test_a_new_review_supersedes_the_waiting_one_of_its_pipeline_and_period(ledger: Ledger) -> None:
    ledger.add_review(_review("20160901-aaaaaa"))
    ledger.add_review(_review("20160901-cccccc", period="2016-09"))  # another period: untouched
    assert ledger.add_review(_review("20160902-bbbbbb", created="2016-09-02T10:00:00+08:00")) == ["20160901-aaaaaa"]
    old = get_review(ledger, "20160901-aaaaaa")
    assert (old.status, old.superseded_by) == ("superseded", "20160902-bbbbbb") and old.decided_at
    assert [r.id for r in list_reviews(ledger)] == ["20160902-bbbbbb", "20160901-cccccc"]  # newest first
    assert [r.id for r in list_reviews(ledger, status=None, pipeline="p")] == [
        "20160902-bbbbbb", "20160901-cccccc", "20160901-aaaaaa",
    ]
    assert list_reviews(ledger, pipeline="other") == []
    # a re-run back to the published content supersedes with nothing
    assert ledger.supersede_waiting_reviews("p", "2016-08") == ["20160902-bbbbbb"]
    assert get_review(ledger, "20160902-bbbbbb").superseded_by is None


def test_ids_are_found_by_a_unique_prefix_only(ledger: Ledger) -> None:
    ledger.add_review(_review("20160901-aaaaaa"))
    ledger.add_review(_review("20160901-abbbbb", period="2016-09"))
    assert find_review(ledger, " 20160901-ab ").id == "20160901-abbbbb"
    assert find_review(ledger, "20160901-aaaaaa").id == "20160901-aaaaaa"
    with pytest.raises(ConfigError, match="ambiguous review id; matches 20160901-a"):
        find_review(ledger, "20160901-a")
    assert find_review(ledger, "2016%") is None  # LIKE wildcards are escaped
    assert find_review(ledger, "2016090_-") is None
    assert find_review(ledger, "") is None
    with pytest.raises(ConfigError, match="no such review"):
        get_review(ledger, "nosuchid")


def test_decisions_are_recorded(ledger: Ledger) -> None:
    ledger.add_review(_review("20160901-aaaaaa"))
    ledger.approve_review("20160901-aaaaaa", by="李审查", at="2016-09-03T09:00:00+08:00", note=None, versions={"ds_a": 2, "ds_b": None})
    done = get_review(ledger, "20160901-aaaaaa")
    assert (done.status, done.decided_by, done.decided_at, done.note) == ("approved", "李审查", "2016-09-03T09:00:00+08:00", None)
    assert done.versions == {"ds_a": 2, "ds_b": None}
    ledger.add_review(_review("20160901-bbbbbb", period="2016-09"))
    ledger.reject_review("20160901-bbbbbb", by="李审查", reason="未经核实")
    no = get_review(ledger, "20160901-bbbbbb")
    assert (no.status, no.note, no.versions) == ("rejected", "未经核实", {})


def test_the_content_hash_is_over_datasets_in_any_order() -> None:
    one = review_content_hash({"ds_a": "1" * 64, "ds_b": "2" * 64})
    assert one == review_content_hash({"ds_b": "2" * 64, "ds_a": "1" * 64})
    assert one != review_content_hash({"ds_a": "2" * 64, "ds_b": "1" * 64})
    assert len(one) == 64
