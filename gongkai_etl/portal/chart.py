"""The headline figure of a dataset over its periods, as a small SVG line chart
(no JavaScript: the site must work from a file:// folder and in old browsers)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError
from gongkai_etl.ledger import Publication
from gongkai_etl.portal.changelog import read_publication


def aggregate(column: pa.ChunkedArray, how: str) -> Any:
    """One figure from a period's values: sum, mean, last (non-null), min, max, count."""
    valid = pc.drop_null(column)
    if how == "count":
        return len(valid)
    if len(valid) == 0:
        return None
    if how == "sum":
        return pc.sum(valid).as_py()
    if how == "mean":
        values = valid.cast(pa.float64()) if pa.types.is_decimal(valid.type) else valid
        return pc.mean(values).as_py()
    if how == "last":
        return valid[len(valid) - 1].as_py()
    if how in ("min", "max"):
        return pc.min_max(valid)[how].as_py()
    raise ConfigError(f"headline_agg {how!r}: expected one of {', '.join(AGG_TITLES)}")


@dataclass
class Point:
    period: str
    value: Any  # Decimal, int or float

    @property
    def number(self) -> float:
        return float(self.value)

    @property
    def text(self) -> str:
        return format_value(self.value)


def headline_points(out_dir: Path, dataset: Dataset, pubs: list[Publication], cache: dict[str, Any]) -> list[Point]:
    """The headline figure per published period (cached by content hash)."""
    if not dataset.headline:
        return []
    points: list[Point] = []
    for pub in pubs:
        key = f"{dataset.id}/{pub.period}"
        hit = cache.get(key)
        if hit and hit.get("content_hash") == pub.content_hash and hit.get("agg") == dataset.headline_agg and hit.get("field") == dataset.headline:
            value = _decode(hit.get("value"))
        else:
            table = read_publication(out_dir, dataset, pub, [dataset.headline])
            value = None
            if table is not None and dataset.headline in table.column_names:
                value = aggregate(table.column(dataset.headline), dataset.headline_agg)
            cache[key] = {"content_hash": pub.content_hash, "agg": dataset.headline_agg, "field": dataset.headline, "value": _encode(value)}
        if value is not None:
            points.append(Point(pub.period, value))
    return points


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "decimal" in value:
        return Decimal(value["decimal"])
    return value


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def trend_svg(points: list[Point], y_title: str, *, width: int = 720, height: int = 300) -> Markup:
    """A line chart with one ``<circle>`` per period (``data-period``, ``data-value``)."""
    from markupsafe import Markup

    left, right, top, bottom = 78, 24, 28, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    nums = [p.number for p in points]
    lo, hi = min(0.0, min(nums)), max(0.0, max(nums))
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    def y(v: float) -> float:
        return top + plot_h - (v - lo) / (hi - lo) * plot_h

    e = lambda s: escape(str(s), quote=True)  # noqa: E731
    out = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{e(y_title)}">',
        f'<text class="axis-title" x="{left}" y="16">{e(y_title)}</text>',
    ]
    for t in ticks:
        ty = y(t)
        out.append(f'<line class="grid" x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}"/>')
        out.append(f'<text class="tick y-tick" x="{left - 8}" y="{ty + 4:.1f}" text-anchor="end">{e(format_value(t))}</text>')
    out.append(f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}"/>')
    out.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>')
    step = max(1, math.ceil(len(points) / 12))  # at most ~12 period labels
    for i, p in enumerate(points):
        if i % step == 0 or i == len(points) - 1:
            out.append(f'<text class="tick x-tick" x="{x(i):.1f}" y="{top + plot_h + 20}" text-anchor="middle">{e(p.period)}</text>')
    out.append(f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">期间 period</text>')
    if len(points) > 1:
        coords = " ".join(f"{x(i):.1f},{y(p.number):.1f}" for i, p in enumerate(points))
        out.append(f'<polyline class="line" points="{coords}"/>')
    for i, p in enumerate(points):
        out.append(
            f'<circle class="point" cx="{x(i):.1f}" cy="{y(p.number):.1f}" r="4.5" '
            f'data-period="{e(p.period)}" data-value="{e(p.text)}"><title>{e(p.period)}: {e(p.text)}</title></circle>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))


AGG_TITLES = {"sum": "合计", "mean": "平均", "last": "末行", "min": "最小", "max": "最大", "count": "行数"}


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        if math.isnan(value):
            return "NA"
        return f"{value:.6f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
