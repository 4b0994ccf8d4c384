"""Changelog per dataset and period: which records were added, removed or
changed against the previous published period.

A record is identified across periods by the dataset's primary key minus the
``period`` column (``project_id`` for ``shantytown_progress``, ``record_key``
for ``sa_dibao_public_list``: the 新增/停保 picture). Datasets whose key is only
``period`` (or empty) get no changelog, nor does a dataset's first published
period: it has nothing to compare with. A time series (a date or time in the
key: hourly readings) gets none either unless it says ``changelog: records``:
each of its periods holds new observations.

Files, beside the data::

    <out>/<dataset>/changes/changes_<period>.parquet
    <out>/<dataset>/changes/changes_<period>.csv

columns ``period``, ``previous_period``, the identifying key fields, ``change``
(``added``/``removed``/``changed``) and ``changed_fields`` (list in Parquet,
``;``-joined in CSV). Each file is written atomically.

What the files were computed from is kept in ``.gongkai/changes/<dataset>.json``
(the content hashes of both periods). :func:`refresh_changelog` recomputes a
period's changelog exactly when that pair no longer matches the ledger, so
republishing an earlier period also brings the next period's changelog up to
date, and a run killed half-way is repaired by the next publish.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from gongkai_etl.datasets import Dataset
from gongkai_etl.errors import ConfigError, PublishError
from gongkai_etl.files import atomic_write_bytes, atomic_write_json, fsync_dir
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, Publication
from gongkai_etl.periods import Period

PERIOD_COLUMN = "period"
CHANGE_KINDS = ("added", "removed", "changed")
#: Chinese labels of the change kinds (site, catalog).
CHANGE_TITLES = {"added": "新增", "removed": "减少", "changed": "变更"}
MANIFEST_VERSION = 1


def identity_columns(dataset: Dataset) -> list[str]:
    """Columns that identify a record across periods: the key minus ``period``."""
    return [k for k in dataset.primary_key if k != PERIOD_COLUMN]


def compared_columns(dataset: Dataset) -> list[str]:
    keys = set(dataset.primary_key) | {PERIOD_COLUMN}
    return [f.name for f in dataset.fields if f.name not in keys]


#: What the site says where a time series has no record changelog.
TIME_SERIES_NOTE = "时间序列：每期均为新的观测，不作逐条对比 (time series: each period holds new observations; no record changelog)"


def is_time_keyed(dataset: Dataset) -> bool:
    """A date or time identifies the records: every period's records are new
    (hourly readings), so a record changelog would say "all added, all removed"."""
    return any(dataset.field(k).type in ("date", "datetime") for k in identity_columns(dataset))


def has_changelog(dataset: Dataset) -> bool:
    if dataset.changelog == "off" or not identity_columns(dataset):
        return False
    return dataset.changelog == "records" or not is_time_keyed(dataset)


def changes_schema(dataset: Dataset) -> pa.Schema:
    keys = [dataset.field(k).arrow_field() for k in identity_columns(dataset)]
    return pa.schema(
        [
            pa.field("period", pa.string(), nullable=False),
            pa.field("previous_period", pa.string(), nullable=False),
            *keys,
            pa.field("change", pa.string(), nullable=False),
            pa.field("changed_fields", pa.list_(pa.string()), nullable=False),
        ],
        metadata={"dataset": dataset.id, "primary_key": json.dumps(identity_columns(dataset))},
    )


# computing -----------------------------------------------------------------
def _differs(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> list[bool]:
    """Element-wise "not the same value", null equal to null only."""
    a_null, b_null = pc.is_null(a), pc.is_null(b)
    if pa.types.is_floating(a.type) and pa.types.is_floating(b.type):
        a_null = pc.or_(a_null, pc.is_nan(a))
        b_null = pc.or_(b_null, pc.is_nan(b))
    if a.type != b.type:
        b = pc.cast(b, a.type)
    neq = pc.fill_null(pc.not_equal(a, b), False)
    both_values = pc.and_(pc.invert(a_null), pc.invert(b_null))
    out = pc.or_(pc.not_equal(a_null, b_null), pc.and_(both_values, neq))
    return out.to_pylist()


def compute_changes(
    previous: pa.Table,
    current: pa.Table,
    dataset: Dataset,
    *,
    period: str,
    previous_period: str,
) -> pa.Table:
    """Rows added, removed and changed from ``previous`` to ``current``.

    Both tables carry the dataset's columns (missing ones count as null). The
    result follows :func:`changes_schema`, sorted by change kind then key.
    """
    keys = identity_columns(dataset)
    if not keys:
        raise ConfigError(f"dataset {dataset.id!r} has no key besides period: no changelog")
    fields = compared_columns(dataset)
    prev = _conform(previous, dataset, keys + fields)
    cur = _conform(current, dataset, keys + fields)
    left = prev.select(keys).append_column("__pi", pa.array(range(prev.num_rows), pa.int64()))
    right = cur.select(keys).append_column("__ci", pa.array(range(cur.num_rows), pa.int64()))
    joined = left.join(right, keys=keys, join_type="full outer", coalesce_keys=True)
    pi = joined.column("__pi").to_pylist()
    ci = joined.column("__ci").to_pylist()
    added = sorted(c for p, c in zip(pi, ci, strict=True) if p is None)
    removed = sorted(p for p, c in zip(pi, ci, strict=True) if c is None)
    both = sorted(((p, c) for p, c in zip(pi, ci, strict=True) if p is not None and c is not None), key=lambda x: x[1])
    changed_rows: list[int] = []
    changed_fields: list[list[str]] = []
    if both and fields:
        p_idx = pa.array([p for p, _ in both], pa.int64())
        c_idx = pa.array([c for _, c in both], pa.int64())
        diffs = {f: _differs(prev.column(f).take(p_idx), cur.column(f).take(c_idx)) for f in fields}
        for i, (_, c) in enumerate(both):
            names = [f for f in fields if diffs[f][i]]
            if names:
                changed_rows.append(c)
                changed_fields.append(names)
    parts: list[pa.Table] = []
    schema = changes_schema(dataset)

    def part(source: pa.Table, rows: list[int], kind: str, lists: list[list[str]]) -> None:
        if not rows:
            return
        key_table = source.select(keys).take(pa.array(rows, pa.int64()))
        n = len(rows)
        cols = [pa.array([period] * n, pa.string()), pa.array([previous_period] * n, pa.string())]
        cols += [key_table.column(k).combine_chunks() for k in keys]
        cols += [pa.array([kind] * n, pa.string()), pa.array(lists, pa.list_(pa.string()))]
        parts.append(pa.Table.from_arrays(cols, schema=schema))

    part(cur, added, "added", [[] for _ in added])
    part(prev, removed, "removed", [[] for _ in removed])
    part(cur, changed_rows, "changed", changed_fields)
    if not parts:
        return schema.empty_table()
    table = pa.concat_tables(parts)
    rank = pc.index_in(table.column("change"), value_set=pa.array(list(CHANGE_KINDS)))
    table = table.append_column("__rank", rank)
    table = table.sort_by([("__rank", "ascending")] + [(k, "ascending") for k in keys])
    return table.drop_columns(["__rank"])


def _conform(table: pa.Table, dataset: Dataset, columns: list[str]) -> pa.Table:
    arrays = []
    fields = []
    for name in columns:
        f = dataset.field(name).arrow_field()
        if name in table.column_names:
            col = table.column(name)
            arrays.append(col if col.type == f.type else pc.cast(col, f.type))
        else:
            arrays.append(pa.nulls(table.num_rows, f.type))
        fields.append(f.with_nullable(True))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def count_changes(changes: pa.Table) -> dict[str, int]:
    kinds = changes.column("change").to_pylist()
    return {k: kinds.count(k) for k in CHANGE_KINDS}


# reading published data ---------------------------------------------------------
def publication_file(out_dir: Path, pub: Publication, fmt: str) -> Path | None:
    """The file of ``pub`` in format ``fmt``: its immutable version copy if
    kept, else the published file."""
    home = Home(out_dir)
    for rel, info in sorted(pub.files.items()):
        if info.get("format", rel.rsplit(".", 1)[-1]) != fmt and not rel.endswith("." + fmt):
            continue
        for path in (home.version_dir(pub.dataset, pub.period, pub.version) / rel, home.dataset_dir(pub.dataset) / rel):
            if path.exists():
                return path
    return None


def read_publication(out_dir: Path, dataset: Dataset, pub: Publication, columns: list[str] | None = None) -> pa.Table | None:
    """The rows of a publication (Parquet, else its CSV read with the schema)."""
    path = publication_file(out_dir, pub, "parquet")
    if path is not None:
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        return pf.read(columns=[c for c in columns if c in names] if columns else None)
    path = publication_file(out_dir, pub, "csv")
    if path is None:
        return None
    return read_csv(path, dataset, columns)


def read_csv(path: Path, dataset: Dataset, columns: list[str] | None = None, max_rows: int | None = None) -> pa.Table:
    schema = dataset.arrow_schema()
    types = {f.name: f.type for f in schema}
    convert = pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, include_columns=columns, include_missing_columns=True,
        timestamp_parsers=["%Y-%m-%d %H:%M:%S", pacsv.ISO8601],
    )
    with pacsv.open_csv(path, read_options=pacsv.ReadOptions(encoding="utf-8"), convert_options=convert) as reader:
        batches = []
        rows = 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if max_rows is not None and rows >= max_rows:
                break
        table = pa.Table.from_batches(batches, schema=reader.schema)
    return table.slice(0, max_rows) if max_rows is not None else table


# files and manifest -----------------------------------------------------------------
def changes_dir(out_dir: Path, dataset_id: str) -> Path:
    return out_dir / dataset_id / "changes"


def changes_rel(period: str, fmt: str) -> str:
    """Path of a changes file relative to the dataset folder."""
    return f"changes/changes_{period}.{fmt}"


def manifest_path(out_dir: Path, dataset_id: str) -> Path:
    return Home(out_dir).changes_manifest(dataset_id)


def load_manifest(out_dir: Path, dataset_id: str) -> dict[str, Any]:
    """``{period: {previous_period, added, removed, changed, files, ...}}``."""
    path = manifest_path(out_dir, dataset_id)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if doc.get("version") != MANIFEST_VERSION:
        return {}
    return dict(doc.get("periods") or {})


def csv_bytes(changes: pa.Table) -> bytes:
    flat = changes.set_column(
        changes.column_names.index("changed_fields"),
        "changed_fields",
        pa.array([";".join(x) for x in changes.column("changed_fields").to_pylist()], pa.string()),
    )
    buf = io.BytesIO()
    buf.write("\ufeff".encode())  # like the data CSVs: Excel opens Chinese text correctly
    pacsv.write_csv(flat, buf, write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return buf.getvalue()


def parquet_bytes(changes: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(changes, buf, compression="zstd")
    return buf.getvalue()


def _sorted_publications(ledger: Ledger, dataset_id: str) -> list[Publication]:
    pubs = ledger.current_all(dataset_id)

    def order(p: Publication) -> Any:
        try:
            return (0, Period.parse(p.period))
        except ConfigError:
            return (1, p.period)

    return sorted(pubs, key=order)


def refresh_changelog(out_dir: Path, ledger: Ledger, dataset: Dataset) -> bool:
    """Bring the dataset's changelogs in line with its current publications.

    A period is (re)computed when it or its previous published period was
    (re)published since its changelog was written; stale files of periods
    without a previous one are removed. Returns whether anything changed.
    """
    if not has_changelog(dataset):
        return _remove_changelog(out_dir, dataset.id)
    manifest = load_manifest(out_dir, dataset.id)
    pubs = _sorted_publications(ledger, dataset.id)
    new: dict[str, Any] = {}
    touched = False
    cdir = changes_dir(out_dir, dataset.id)
    ddir = out_dir / dataset.id
    for i, pub in enumerate(pubs):
        if i == 0:
            continue
        prev = pubs[i - 1]
        old = manifest.get(pub.period)
        if (
            old
            and old.get("content_hash") == pub.content_hash
            and old.get("previous_hash") == prev.content_hash
            and old.get("previous_period") == prev.period
            and all((ddir / rel).exists() for rel in old.get("files", {}))
        ):
            new[pub.period] = old
            continue
        columns = identity_columns(dataset) + compared_columns(dataset)
        before = read_publication(out_dir, dataset, prev, columns)
        after = read_publication(out_dir, dataset, pub, columns)
        if before is None or after is None:
            raise PublishError(
                "找不到已发布的数据文件，无法生成变更记录 (published data file missing: cannot compute the changelog)",
                dataset=dataset.id,
                period=pub.period if after is None else prev.period,
            )
        changes = compute_changes(before, after, dataset, period=pub.period, previous_period=prev.period)
        files: dict[str, dict[str, Any]] = {}
        for fmt, data in (("parquet", parquet_bytes(changes)), ("csv", csv_bytes(changes))):
            rel = changes_rel(pub.period, fmt)
            atomic_write_bytes(ddir / rel, data, sync_dir=False)  # the folder is synced once, before the manifest
            files[rel] = {"format": fmt, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        new[pub.period] = {
            "period": pub.period,
            "previous_period": prev.period,
            "content_hash": pub.content_hash,
            "previous_hash": prev.content_hash,
            **count_changes(changes),
            "files": files,
        }
        touched = True
    # periods that no longer have a changelog (now the first period): drop their files
    keep = {rel for entry in new.values() for rel in entry["files"]}
    for period, entry in manifest.items():
        if period not in new:
            touched = True
        for rel in entry.get("files", {}):
            if rel not in keep:
                (ddir / rel).unlink(missing_ok=True)
    if touched:
        fsync_dir(cdir)  # the changes files' renames are durable before the manifest names them
    if touched or set(new) != set(manifest):
        atomic_write_json(manifest_path(out_dir, dataset.id), {"version": MANIFEST_VERSION, "dataset": dataset.id, "periods": new})
        touched = True
    if not new and cdir.exists() and not any(cdir.iterdir()):
        cdir.rmdir()
    return touched


def _remove_changelog(out_dir: Path, dataset_id: str) -> bool:
    """A dataset that no longer has a changelog (now time-keyed, or ``changelog: off``):
    its old files and manifest go, so nothing stale stays published."""
    manifest = load_manifest(out_dir, dataset_id)
    path = manifest_path(out_dir, dataset_id)
    if not manifest and not path.exists():
        return False
    for entry in manifest.values():
        for rel in entry.get("files", {}):
            (out_dir / dataset_id / rel).unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    cdir = changes_dir(out_dir, dataset_id)
    if cdir.exists() and not any(cdir.iterdir()):
        cdir.rmdir()
    return True


def warn(message: str) -> None:
    """A problem of derived metadata during a publish: said, not raised (the
    data is published; the next publish or ``etl catalog`` retries)."""
    print(f"Warning: {message}", file=sys.stderr)


def summary(entry: dict[str, Any]) -> dict[str, Any]:
    """The public part of a manifest entry (datapackage.json, catalog)."""
    return {
        "previous_period": entry["previous_period"],
        "added": entry["added"],
        "removed": entry["removed"],
        "changed": entry["changed"],
        "files": {rel: {k: v for k, v in info.items()} for rel, info in entry.get("files", {}).items()},
    }
