"""Writing ``<out>/catalog.json`` at a cost in proportion to what changed.

The catalog is rewritten after every publish (the kill-point invariant: it never
names a checksum that is no longer current for longer than one publish), but
only the nodes of datasets whose inputs changed are built and encoded again.
Each dataset's node is kept, already encoded at its depth in the file, in
``.gongkai/catalog/<dataset>.json`` and in memory, under a key made of what the
node is built from: the dataset's declaration, its current publications, its
first publication time, its changelog manifest (size and time), the base URL,
whether the site is linked, and the source of the catalog modules. The file is
then spliced from those texts: byte for byte what
``json.dumps(build_catalog(...), ensure_ascii=False, indent=2)`` gives, without
encoding every dataset's node each time.
A missing, torn or stale node file is rebuilt; nothing is trusted without its key.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from gongkai_etl.datasets import Dataset
from gongkai_etl.files import atomic_write_bytes, file_signature, json_text
from gongkai_etl.home import Home
from gongkai_etl.ledger import Ledger, now_iso
from gongkai_etl.portal import catalog as _catalog
from gongkai_etl.portal.catalog import catalog_document, dataset_node

_NODES = "\x00gk-dataset-nodes\x00"  # stands in for the list of nodes while the head is encoded
_NODES_JSON = json.dumps(_NODES)
#: in-process copies of node files: (output, dataset) -> (key, modified, text)
_memo: dict[tuple[str, str], tuple[str, str, str]] = {}
#: id(dataset) -> (dataset, fingerprint): a declaration's repr costs ~0.2 ms, the registry keeps the objects
_fingerprints: dict[int, tuple[Dataset, str]] = {}
_source_hash: str | None = None


def _code_hash() -> str:
    """What the node text also depends on: this module's and catalog.py's code."""
    global _source_hash
    if _source_hash is None:
        h = hashlib.sha256()
        for path in (Path(_catalog.__file__), Path(__file__)):
            h.update(path.read_bytes())
        _source_hash = h.hexdigest()
    return _source_hash


def _fingerprint(dataset: Dataset) -> str:
    hit = _fingerprints.get(id(dataset))
    if hit is not None and hit[0] is dataset:
        return hit[1]
    fp = hashlib.sha256(repr(dataset).encode("utf-8")).hexdigest()
    if len(_fingerprints) > 4096:  # declarations loaded from YAML anew each time would pile up
        _fingerprints.clear()
    _fingerprints[id(dataset)] = (dataset, fp)
    return fp


def node_key(
    home: Home, dataset: Dataset, pubs: list[tuple[Any, ...]], first_issued: str | None, base: str, site: bool
) -> str:
    """Everything :func:`~gongkai_etl.portal.catalog.dataset_node` reads, hashed;
    ``pubs``: the dataset's rows of :meth:`Ledger.current_index`. A publication
    (dataset, period, version) never changes once recorded, so its identity and
    time stand for its files, rows and hashes."""
    parts = [
        _code_hash(),
        _fingerprint(dataset),
        base,
        site,
        first_issued,
        _signature(home.changes_manifest(dataset.id)),
        pubs,
    ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        return file_signature(path)
    except OSError:
        return None  # no changelog yet


def _node_path(home: Home, ds_id: str) -> Path:
    return home.state / "catalog" / f"{ds_id}.json"


def _cached(home: Home, ds_id: str, key: str) -> tuple[str, str] | None:
    memo_key = (str(home.out), ds_id)
    hit = _memo.get(memo_key)
    if hit is not None and hit[0] == key:
        return hit[1], hit[2]
    try:
        doc = json.loads(_node_path(home, ds_id).read_text(encoding="utf-8"))
        if doc["key"] != key or not isinstance(doc["text"], str) or not isinstance(doc["modified"], str):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or torn: built again
    _memo[memo_key] = (key, doc["modified"], doc["text"])
    return doc["modified"], doc["text"]


def _store(home: Home, ds_id: str, key: str, modified: str, text: str) -> None:
    """Keep a node for the next publish. Not fsynced: it is a cache, checked by key
    and rebuilt when missing or torn, never a source of truth."""
    _memo[(str(home.out), ds_id)] = (key, modified, text)
    path = _node_path(home, ds_id)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": key, "modified": modified, "text": text}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # the in-memory copy still serves this process


def encode_node(node: dict[str, Any]) -> str:
    """A dataset node as ``json.dumps(catalog, indent=2)`` writes it inside the
    ``dcat:dataset`` list (two levels deep). JSON strings hold no raw newline, so
    indenting after every newline is exact."""
    return "    " + json_text(node).replace("\n", "\n    ")


def render_catalog(
    out_dir: Path,
    ledger: Ledger,
    datasets: dict[str, Dataset],
    *,
    base_url: str = "",
    site: bool | None = None,
    rebuild: bool = False,
) -> str:
    """The text of catalog.json; ``rebuild``: build every node afresh (``etl catalog``)."""
    home = Home(out_dir)
    if site is None:
        site = (out_dir / "index.html").exists()
    by_dataset: dict[str, list[tuple[Any, ...]]] = {}
    for row in ledger.current_index():  # not current_all(): parsing every file list grew with the output
        by_dataset.setdefault(row[0], []).append(row[1:])
    first = ledger.first_published()
    texts: list[str] = []
    modified: list[str] = []
    for ds_id, pubs in sorted(by_dataset.items()):
        dataset = datasets.get(ds_id)
        if dataset is None:
            continue
        key = node_key(home, dataset, pubs, first.get(ds_id), base_url, site)
        hit = None if rebuild else _cached(home, ds_id, key)
        if hit is None:
            pubs_now = ledger.current_all(ds_id)
            node = dataset_node(dataset, pubs_now, ledger, out_dir, base_url, site)
            hit = (node["dct:modified"]["@value"], encode_node(node))
            if [(p.period, p.version, p.published_at, p.content_hash, p.rows) for p in pubs_now] == pubs:
                _store(home, ds_id, key, *hit)  # else another process published in between: not kept under this key
        modified.append(hit[0])
        texts.append(hit[1])
    head = catalog_document(base_url, site, max(modified, default=None) or now_iso(), _NODES)
    nodes = "[\n" + ",\n".join(texts) + "\n  ]" if texts else "[]"
    return json_text(head).replace(_NODES_JSON, nodes, 1) + "\n"


def write_catalog(out_dir: Path, text: str) -> Path:
    """Write ``text`` (:func:`render_catalog`'s) as ``<out>/catalog.json``, atomically."""
    path = out_dir / "catalog.json"
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
