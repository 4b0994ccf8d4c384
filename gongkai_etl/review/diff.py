"""What changed in a review: the staged rows read back, and the rows added,
removed and changed against the published period (or the previous one)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication
from gongkai_etl.periods import Period
from gongkai_etl.portal.changelog import (
    compute_changes,
    count_changes,
    identity_columns,
    read_csv,
    read_publication,
)
from gongkai_etl.review.model import Review
from gongkai_etl.stage.staged import load_stage


def read_staged(rv: Review, ds: str, dataset: Dataset | None) -> pa.Table | None:
    """The staged rows of one dataset (Parquet, else CSV); None when not readable."""
    try:
        sv = load_stage(rv.dataset_dir(ds))
    except (OSError, ValueError, KeyError):
        return None
    rels = sorted(sv.files)
    for rel in rels:
        if rel.endswith(".parquet"):
            return pq.read_table(sv.dir / rel)
    if dataset is not None:
        for rel in rels:
            if rel.endswith(".csv"):
                return read_csv(sv.dir / rel, dataset)
    return None


def _published_before(ledger: Ledger, ds: str, period: str) -> Publication | None:
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
            {"key": {k: plain(r[k]) for k in keys}, "fields": r["changed_fields"]}
            for r in rows if r["change"] == kind
        ][:examples]
        for kind in ("added", "removed", "changed")
    }
    return out


def plain(v: Any) -> Any:
    """A cell as JSON can hold it: dates, decimals and the like as text."""
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)
