"""Publishing to an S3-compatible object store (``output.dir: s3://bucket/prefix``).

The local machinery stays as it is: ledger, staging, versions and a local mirror
of the published tree live in the pipeline's local state folder
(``output.state_dir``, default ``.gongkai-state/<bucket>/<prefix>`` beside the
pipeline), and a dataset-period is published there first, all or nothing. Then
:func:`sync_output` brings the bucket to the ledger's state:

1. every file of the version goes to a new, never reused prefix
   ``<prefix>/<dataset>/versions/<period>/v<N>/<file>`` (an object that is
   already there is never written again);
2. only when the version is complete, the pointer object
   ``<prefix>/<dataset>/current/<period>.json`` is written (one PUT: readers see
   the old pointer or the new one);
3. last, ``<prefix>/<dataset>/datapackage.json`` and ``<prefix>/catalog.json``,
   their file paths rewritten to the versioned prefixes.

Readers follow the pointer (:func:`read_published`), never list the bucket. A
run killed between 1 and 2 leaves readers on the old version; the next command
on the pipeline (``etl run``, also an unchanged one) finishes the sync, since the
ledger, not the bucket, is the truth. Replaced versions stay in the bucket.

Endpoint: ``output.s3.endpoint_url``, else env ``AWS_ENDPOINT_URL``; region:
``output.s3.region``, else ``AWS_REGION``/``AWS_DEFAULT_REGION``; credentials:
the usual AWS environment variables (or the SDK's other sources).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gongkai_etl.errors import PublishError
from gongkai_etl.files import atomic_write_json, failpoint, json_text
from gongkai_etl.home import Home, Target, target_for


def filesystem(options: dict[str, Any] | None = None) -> Any:
    """A pyarrow S3FileSystem from the settings and the usual AWS environment."""
    from pyarrow import fs

    options = options or {}
    kwargs: dict[str, Any] = {}
    endpoint = options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        scheme, sep, rest = endpoint.partition("://")
        if sep:
            kwargs["scheme"] = scheme
            kwargs["endpoint_override"] = rest.rstrip("/")
        else:
            kwargs["endpoint_override"] = endpoint
    region = options.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region"] = region
    return fs.S3FileSystem(**kwargs)


def _put(filesys: Any, key: str, data: bytes) -> None:
    with filesys.open_output_stream(key) as out:
        out.write(data)


def _exists(filesys: Any, key: str) -> bool:
    from pyarrow import fs

    return filesys.get_file_info(key).type == fs.FileType.File


def _upload(filesys: Any, local: Path, key: str) -> None:
    with open(local, "rb") as src, filesys.open_output_stream(key) as out:
        while chunk := src.read(8 << 20):
            out.write(chunk)


def pointer_doc(pub: Any, target: Target) -> dict[str, Any]:
    base = f"versions/{pub.period}/v{pub.version}"
    return {
        "dataset": pub.dataset,
        "period": pub.period,
        "version": pub.version,
        "path": f"{pub.dataset}/{base}/",
        "files": {rel: {**info, "path": f"{pub.dataset}/{base}/{rel}"} for rel, info in sorted(pub.files.items())},
        "rows": pub.rows,
        "content_hash": pub.content_hash,
        "published_at": pub.published_at,
        "published_on": pub.published_on,
    }


def sync_output(local_out: Path, ledger: Any) -> list[str]:
    """Bring the object store of ``local_out`` (if it has one) to the ledger's
    current versions; return the dataset-periods whose pointer moved."""
    target = target_for(local_out)
    if target is None:
        return []
    home = Home(Path(local_out))
    synced_path = home.synced
    try:
        synced: dict[str, int] = json.loads(synced_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        synced = {}
    current = ledger.current_all()
    todo = [p for p in current if synced.get(f"{p.dataset}/{p.period}") != p.version]
    if not todo:
        return []
    try:
        filesys = filesystem(target.options)
        moved: list[str] = []
        for pub in sorted(todo, key=lambda p: (p.dataset, p.period)):
            vdir = home.version_dir(pub.dataset, pub.period, pub.version)
            base = f"{pub.dataset}/versions/{pub.period}/v{pub.version}"
            for i, rel in enumerate(sorted(pub.files)):
                if i:
                    failpoint("s3:between-files")
                key = target.key(base, rel)
                if not _exists(filesys, key):  # an uploaded version is never overwritten
                    local = vdir / rel if (vdir / rel).exists() else home.dataset_dir(pub.dataset) / rel
                    _upload(filesys, local, key)
            failpoint("s3:before-pointer")
            doc = pointer_doc(pub, target)
            _put(filesys, target.key(pub.dataset, "current", f"{pub.period}.json"), _json(doc))
            failpoint("s3:after-pointer")
            synced[f"{pub.dataset}/{pub.period}"] = pub.version
            moved.append(f"{pub.dataset} {pub.period} v{pub.version}")
        _put_metadata(filesys, target, home, current, {p.dataset for p in todo})
    except OSError as exc:
        raise PublishError(f"对象存储写入失败 (writing to the object store {target.uri} failed): {exc}") from None

    atomic_write_json(synced_path, synced)
    return moved


def _put_metadata(filesys: Any, target: Target, home: Any, current: list[Any], datasets: set[str]) -> None:
    """datapackage.json of the touched datasets, then catalog.json: file paths point
    at the versioned prefixes the pointers name."""
    mapping: dict[str, str] = {}  # "<dataset>/<rel>" -> "<dataset>/versions/<period>/v<N>/<rel>"
    for p in current:
        for rel in p.files:
            mapping[f"{p.dataset}/{rel}"] = f"{p.dataset}/versions/{p.period}/v{p.version}/{rel}"
    for ds in sorted(datasets):
        local = home.dataset_dir(ds) / "datapackage.json"
        if local.exists():
            inner = {k[len(ds) + 1 :]: v[len(ds) + 1 :] for k, v in mapping.items() if k.startswith(ds + "/")}
            doc = _rewrite(json.loads(local.read_text(encoding="utf-8")), inner)
            _put(filesys, target.key(ds, "datapackage.json"), _json(doc))
    catalog = home.out / "catalog.json"
    if catalog.exists():
        doc = _rewrite(json.loads(catalog.read_text(encoding="utf-8")), mapping)
        _put(filesys, target.key("catalog.json"), _json(doc))


def _rewrite(doc: Any, mapping: dict[str, str]) -> Any:
    """Every string value ending in a mapped path (whole path segment) gets the versioned path."""
    if isinstance(doc, dict):
        return {k: _rewrite(v, mapping) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_rewrite(v, mapping) for v in doc]
    if isinstance(doc, str):
        for old in sorted(mapping, key=len, reverse=True):
            if doc == old or doc.endswith("/" + old):
                return doc[: len(doc) - len(old)] + mapping[old]
    return doc


def _json(doc: Any) -> bytes:
    return (json_text(doc) + "\n").encode("utf-8")


def _split(uri: str) -> Target:
    if not uri.startswith("s3://"):
        raise ValueError(f"expected an s3:// URI, got {uri!r}")
    return Target(uri.rstrip("/"))


def read_pointer(uri: str, dataset: str, period: str, *, filesystem_: Any = None, **options: Any) -> dict[str, Any] | None:
    """The current pointer of a dataset-period under ``uri``, or None."""
    from pyarrow import fs

    target = _split(uri)
    filesys = filesystem_ or filesystem(options)
    key = target.key(dataset, "current", f"{period}.json")
    if filesys.get_file_info(key).type != fs.FileType.File:
        return None
    with filesys.open_input_stream(key) as fh:
        return json.loads(fh.read().decode("utf-8"))


def read_published(uri: str, dataset: str, period: str, *, filesystem_: Any = None, **options: Any) -> Any:
    """The current published table of a dataset-period in the store at ``uri``
    (``s3://bucket/prefix``), following the pointer; None when nothing is published.
    ``options``: endpoint_url, region (else the AWS environment)."""
    import pyarrow.parquet as pq

    target = _split(uri)
    filesys = filesystem_ or filesystem(options)
    doc = read_pointer(uri, dataset, period, filesystem_=filesys)
    if doc is None:
        return None
    for rel, info in doc["files"].items():
        if rel.endswith(".parquet"):
            return pq.read_table(target.key(info["path"]), filesystem=filesys)
    raise PublishError(f"{dataset} {period}: 指针没有 Parquet 文件 (the pointer names no Parquet file)")
