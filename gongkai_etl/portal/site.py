"""A static HTML catalog of an output folder: no server, no network.

``<out>/index.html`` lists the published datasets grouped by domain with their
cadence, latest period, publication status and download links;
``<out>/<dataset>/index.html`` shows one dataset: description, schema (Chinese
titles, units), every period with its files, bytes, sha256 and changelog
counts, a preview of the first rows and an inline SVG trend chart of the
dataset's ``headline`` figure per period.

Every link is relative, so the pages work from ``file://`` and from any static
web server; every page is written atomically; every value is HTML-escaped
(Jinja2 autoescape, and :func:`html.escape` inside the SVG).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

from gongkai_etl import __version__
from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError
from gongkai_etl.files import atomic_write_bytes, atomic_write_json
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication, now_iso
from gongkai_etl.periods import Period
from gongkai_etl.portal.catalog import (
    CATALOG_TITLE_EN,
    CATALOG_TITLE_ZH,
    split_bilingual,
    split_domain,
)
from gongkai_etl.portal.changelog import (
    CHANGE_TITLES,
    TIME_SERIES_NOTE,
    has_changelog,
    is_time_keyed,
    load_manifest,
    publication_file,
    read_csv,
)
from gongkai_etl.portal.chart import (
    AGG_TITLES,
    Point,
    format_value,
    headline_points,
    trend_svg,
)
from gongkai_etl.portal.output import output_pipelines
from gongkai_etl.portal.site_templates import TEMPLATES
from gongkai_etl.schedule.record_status import record_timeliness
from gongkai_etl.schedule.status import pipeline_status

if TYPE_CHECKING:
    from jinja2 import Environment

GENERATOR = f"gongkai-etl {__version__}"
PREVIEW_ROWS = 10
FORMAT_LABELS = {"csv": "CSV", "parquet": "Parquet", "xlsx": "Excel 表格 (XLSX)"}
TYPE_TITLES = {
    "string": "文本", "integer": "整数", "number": "数值", "decimal": "小数",
    "date": "日期", "datetime": "日期时间", "boolean": "是/否",
}
#: Units that make a number money: only then is it labelled 金额 (a concentration
#: in μg/m³ or a share in % is a decimal too, and is not money).
MONEY_UNITS = ("元", "万元", "亿元", "千元")
#: The audience reads Beijing time (China has kept UTC+8 without summer time since 1991).
BEIJING = timezone(timedelta(hours=8))


def type_title(field: Any) -> str:
    """The type of a field by what it means: 金额 for money, 百分比 for a share."""
    if field.type in ("decimal", "number", "integer") and field.unit in MONEY_UNITS:
        return "金额"
    if field.type in ("decimal", "number") and field.unit == "%":
        return "百分比"
    return TYPE_TITLES.get(field.type, field.type)


def beijing_time(stamp: str | None) -> str:
    """``2016-10-12T03:39:04+00:00`` -> ``2016-10-12 11:39:04 北京时间`` (any offset in)."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the ledger's local time, as written
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"


# data for the pages -----------------------------------------------------------------
def _period_sort(key: str) -> Any:
    try:
        return (0, Period.parse(key))
    except ConfigError:
        return (1, key)


def href(path: str) -> str:
    """A relative URL for a relative file path (``=`` and ``/`` stay)."""
    return quote(path, safe="/=-_.~")


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _schema_rows(dataset: Dataset, provenance: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``provenance``: of the latest period (datapackage.json's marks), shown beside each field."""
    prov = provenance or {}
    rows = []
    for f in dataset.fields:
        notes = []
        if f.name in prov.get("not_provided", ()):
            notes.append("来源未提供 / not provided by the source")
        if f.name in prov.get("constants", {}):
            notes.append(f"固定值 / constant: {prov['constants'][f.name]}")
        if f.enum:
            notes.append("取值 " + " / ".join(f.enum))
        if f.minimum is not None:
            notes.append(f"≥ {format_value(f.minimum)}")
        if f.maximum is not None:
            notes.append(f"≤ {format_value(f.maximum)}")
        if f.pattern:
            notes.append(f"格式 {f.pattern}")
        if f.description:
            notes.append(f.description)
        rows.append(
            {
                "name": f.name,
                "title_zh": f.title_zh,
                "title_en": f.title_en,
                "type": f.type,
                "type_zh": type_title(f),
                "unit": f.unit or "",
                "required": f.required,
                "key": f.name in dataset.primary_key,
                "notes": "；".join(notes),
            }
        )
    return rows


def _preview(out_dir: Path, dataset: Dataset, pub: Publication) -> tuple[list[str], list[list[str]]]:
    path = publication_file(out_dir, pub, "parquet")
    table: pa.Table | None = None
    if path is not None:
        pf = pq.ParquetFile(path)
        batch = next(pf.iter_batches(batch_size=PREVIEW_ROWS), None)
        table = pa.Table.from_batches([batch]) if batch is not None else pf.schema_arrow.empty_table()
    else:
        csv_path = publication_file(out_dir, pub, "csv")
        if csv_path is not None:
            table = read_csv(csv_path, dataset, max_rows=PREVIEW_ROWS)
    if table is None:
        return [], []
    names = table.column_names
    cols = [table.column(n).to_pylist() for n in names]
    rows = [[format_value(c[i]) for c in cols] for i in range(min(table.num_rows, PREVIEW_ROWS))]
    return names, rows


def _status(dataset: Dataset, pubs: list[Publication], items: list[Any] | None = None) -> dict[str, str]:
    """On-time status of the latest period, from the deadline rules of
    :mod:`gongkai_etl.schedule.status` when they know the dataset; otherwise
    "最近发布" and the publication date."""
    latest = max(pubs, key=lambda p: _period_sort(p.period))
    fallback = {"key": "published", "label": "最近发布", "date": beijing_time(latest.published_at)[:10],
                "title": beijing_time(latest.published_at), "overdue": "", "records": ""}
    if not items:
        return fallback
    item = next((i for i in items if i.period == latest.period), None)
    overdue = [i for i in items if i.status.value == "overdue"]
    out = dict(fallback)
    if item is not None:
        out.update(
            key=item.status.value,
            label=item.status.title_zh,
            date=(item.published_on.isoformat() if item.published_on else out["date"]),
            title=f"{latest.period} 期限 due {item.due.isoformat()}"
            + (f"，逾期 {item.days} 个{'工作日' if item.days_unit == 'working days' else '自然日'}" if item.days else ""),
        )
    if overdue:
        out["overdue"] = f"另有 {len(overdue)} 期逾期未公开（最早 {min(i.period for i in overdue)}）"
    # a dataset due record by record: how many of its records were published in time
    out["records"] = next((r.summary_zh() for r in record_timeliness(items)), "")
    return out


def schedule_items(ledger: Ledger) -> dict[str, list[Any]]:
    """Status items per dataset from :mod:`gongkai_etl.schedule.status`, as of
    today, for the pipelines that published into this output. Empty when the
    schedule cannot say (a pipeline file moved, no deadline rule): the pages
    then show the publication date only."""
    out: dict[str, list[Any]] = {}
    for pipeline in output_pipelines(ledger):
        try:
            items, _ = pipeline_status(pipeline, date.today())
        except Exception:  # noqa: BLE001 - status is an extra on a page; never fail the publish over it
            continue
        for item in items:
            out.setdefault(item.dataset, []).append(item)
    return out


@dataclass
class DatasetView:
    dataset: Dataset
    pubs: list[Publication]
    points: list[Point] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # period -> rows rejected in its current version

    @property
    def latest(self) -> Publication:
        return self.pubs[-1]


def _views(out_dir: Path, ledger: Ledger, datasets: dict[str, Dataset], cache: dict[str, Any]) -> list[DatasetView]:
    statuses = schedule_items(ledger)
    by_dataset: dict[str, list[Publication]] = {}
    for pub in ledger.current_all():
        by_dataset.setdefault(pub.dataset, []).append(pub)
    views = []
    for ds_id, pubs in sorted(by_dataset.items()):
        ds = datasets.get(ds_id)
        if ds is None:
            continue
        pubs = sorted(pubs, key=lambda p: _period_sort(p.period))
        views.append(
            DatasetView(
                ds, pubs, headline_points(out_dir, ds, pubs, cache), load_manifest(out_dir, ds_id),
                _status(ds, pubs, statuses.get(ds_id)), _rejected(out_dir, pubs),
            )
        )
    return views


def _rejected(out_dir: Path, pubs: list[Publication]) -> dict[str, int]:
    """Rows rejected in each period's current version, from the version's own
    manifest (kept in the private state folder; versions older than this record
    have none)."""
    home = Home(out_dir)
    out: dict[str, int] = {}
    for pub in pubs:
        try:
            doc = json.loads((home.version_dir(pub.dataset, pub.period, pub.version) / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rejected = int((doc.get("meta") or {}).get("rejected") or 0)
        if rejected:
            out[pub.period] = rejected
    return out


def changes_note(ds: Dataset) -> str:
    """What the changelog column says where a period has no changelog."""
    if not has_changelog(ds) and is_time_keyed(ds) and ds.changelog != "off":
        return TIME_SERIES_NOTE
    return "首期，无对比" if has_changelog(ds) else "不生成变更记录 (no changelog)"


# rendering -------------------------------------------------------------------------
_env: Environment | None = None


def env() -> Environment:
    global _env
    if _env is None:
        from jinja2 import DictLoader, Environment, StrictUndefined


        _env = Environment(loader=DictLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        _env.filters["href"] = href
        _env.filters["human_bytes"] = human_bytes
        _env.filters["thousands"] = lambda n: f"{int(n):,}"
    return _env


def _files(pub: Publication) -> list[dict[str, Any]]:
    out = []
    for rel in sorted(pub.files, key=lambda r: (0 if r.endswith(".csv") else 1, r)):
        info = pub.files[rel]
        fmt = str(info.get("format") or rel.rsplit(".", 1)[-1])
        out.append({"rel": rel, "format": fmt, "label": FORMAT_LABELS.get(fmt, fmt.upper()), "bytes": int(info["bytes"]), "sha256": info["sha256"]})
    return out


def _change_row(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    if not entry:
        return None
    files = sorted(entry.get("files", {}), key=lambda r: (0 if r.endswith(".csv") else 1, r))
    return {
        "previous_period": entry["previous_period"],
        "counts": [(CHANGE_TITLES[k], k, entry[k]) for k in ("added", "removed", "changed")],
        "files": [{"rel": r, "label": FORMAT_LABELS.get(r.rsplit(".", 1)[-1], r)} for r in files],
    }


def render_dataset(out_dir: Path, view: DatasetView, *, base_url: str = "") -> str:
    ds = view.dataset
    periods = []
    for pub in reversed(view.pubs):  # newest first
        periods.append(
            {
                "period": pub.period,
                "version": pub.version,
                "published": beijing_time(pub.published_at),
                "rows": pub.rows,
                "files": _files(pub),
                "changes": _change_row(view.changes.get(pub.period)),
                "reviewed_by": pub.reviewed_by,
            }
        )
    chart = None
    y_title = ""
    if ds.headline:
        f = ds.field(ds.headline)
        y_title = f"{f.title_zh}（{AGG_TITLES.get(ds.headline_agg, ds.headline_agg)}{'，' + f.unit if f.unit else ''}）"
        if view.points:
            chart = trend_svg(view.points, y_title)
    columns, rows = _preview(out_dir, ds, view.latest)
    titles = {f.name: f for f in ds.fields}

    return env().get_template("dataset.html").render(
        generator=GENERATOR,
        generated=beijing_time(now_iso()),
        ds=ds,
        publisher_zh=split_bilingual(ds.publisher)[0],
        publisher_en=split_bilingual(ds.publisher)[1],
        domain=split_domain(ds.domain),
        cadence_zh=ds.cadence.title_zh,
        periods=periods,
        latest=view.latest,
        status=view.status,
        schema=_schema_rows(ds, next((i["provenance"] for i in view.latest.files.values() if i.get("provenance")), None)),
        chart=chart,
        y_title=y_title,
        points=view.points,
        reject_notes=[
            f"{pt.period}：{view.rejected[pt.period]:,} 行被拒绝，未计入本期数字 ({view.rejected[pt.period]:,} rows rejected, not in this figure)"
            for pt in view.points if pt.period in view.rejected
        ],
        changes_note=changes_note(ds),
        preview_columns=[
            {"name": c, "title": titles[c].title_zh if c in titles else c, "unit": (titles[c].unit or "") if c in titles else ""}
            for c in columns
        ],
        preview_rows=rows,
        preview_period=view.latest.period,
        preview_total=view.latest.rows,
    )


def render_index(views: list[DatasetView], *, catalog_name: str = "catalog.json") -> str:

    groups: dict[str, dict[str, Any]] = {}
    for v in views:
        zh, en = split_domain(v.dataset.domain or "其他 other")
        g = groups.setdefault(zh, {"zh": zh, "en": en, "datasets": []})
        latest = v.latest
        downloads = [{"href": f"{v.dataset.id}/{f['rel']}", "label": f["label"]} for f in _files(latest)]
        downloads.append({"href": f"{v.dataset.id}/datapackage.json", "label": "datapackage.json"})
        g["datasets"].append(
            {
                "id": v.dataset.id,
                "title_zh": v.dataset.title_zh,
                "title_en": v.dataset.title_en,
                "cadence_zh": v.dataset.cadence.title_zh,
                "latest": latest.period,
                "periods": len(v.pubs),
                "status": v.status,
                "downloads": downloads,
                "changes": _change_row(v.changes.get(latest.period)),
                "changes_note": "首期" if has_changelog(v.dataset) else ("时间序列 time series" if is_time_keyed(v.dataset) else "—"),
            }
        )
    return env().get_template("index.html").render(
        generator=GENERATOR,
        generated=beijing_time(now_iso()),
        title_zh=CATALOG_TITLE_ZH,
        title_en=CATALOG_TITLE_EN,
        groups=sorted(groups.values(), key=lambda g: g["zh"]),
        count=len(views),
        catalog=catalog_name,
    )


# writing ---------------------------------------------------------------------------
def _cache_path(out_dir: Path) -> Path:
    return Home(out_dir).site_cache


def _load_cache(out_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(_cache_path(out_dir).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def write_site(
    out_dir: Path,
    ledger: Ledger,
    datasets: dict[str, Dataset],
    *,
    base_url: str = "",
    catalog_name: str = "catalog.json",
    only: set[str] | None = None,
) -> tuple[list[Path], Path]:
    """Write the dataset pages (``<out>/<dataset>/index.html``: of ``only``, and any
    missing, when given), then ``<out>/index.html``; each atomically. (pages, index)."""
    cache = _load_cache(out_dir)
    views = _views(out_dir, ledger, datasets, cache)
    pages = []
    for v in views:
        path = out_dir / v.dataset.id / "index.html"
        if only is not None and v.dataset.id not in only and path.exists():
            continue
        atomic_write_bytes(path, render_dataset(out_dir, v, base_url=base_url).encode("utf-8"))
        pages.append(path)
    atomic_write_json(_cache_path(out_dir), cache)
    index = out_dir / "index.html"
    atomic_write_bytes(index, render_index(views, catalog_name=catalog_name).encode("utf-8"))
    return pages, index


def is_generated_site(out_dir: Path) -> bool:
    """Whether ``<out>/index.html`` is a page this module wrote."""
    try:
        with open(out_dir / "index.html", encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return 'name="generator" content="gongkai-etl' in head
