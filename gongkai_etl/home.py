"""The one owner of every path under an output folder.

Published files (portals link to them, so the layout is stable)::

    <out>/<dataset>/data/<dataset>_<key>.parquet         (the writers name these)
    <out>/<dataset>/csv/<dataset>_<key>.csv
    <out>/<dataset>/datapackage.json
    <out>/catalog.json  <out>/index.html

Private state, never published, under ``<out>/.gongkai/``::

    state.db          the ledger (unless the pipeline names another ``ledger:``)
    salt              the local salt for hashed keys (0600)
    archive/          raw inputs by sha256        http/       conditional-request cache
    staging/<run>/<dataset>/<period>/              versions/<dataset>/<period>/v<N>/
    journal/          publish intents             tmp/        temporary files
    rejects/<dataset>/<period>.csv                review/     staged periods awaiting review
    approving/<review>-<dataset>-<random>/         an approval's private copy (0700)
    changes/<dataset>.json                         locks/<pipeline>.lock
    logs/<pipeline>.jsonl                          catalog.lock  site-cache.json  objectstore-synced.json

Every module asks a :class:`Home` for a path instead of joining names itself,
so the layout is written down once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR_NAME = ".gongkai"


class Home:
    """Paths of one output folder ``out`` and its private state folder."""

    def __init__(self, out_dir: str | Path, ledger_path: Path | None = None) -> None:
        self.out = Path(out_dir)
        self.state = self.out / STATE_DIR_NAME
        self._ledger_path = ledger_path

    @classmethod
    def find(cls, path: Path, depth: int = 6) -> Home | None:
        """The output folder ``path`` lies in (``path`` itself or a parent), if any."""
        for parent in [path, *list(path.parents)[:depth]]:
            if (parent / STATE_DIR_NAME).is_dir():
                return cls(parent)
        return None

    def is_output(self) -> bool:
        """Whether the folder already holds gongkai-etl state."""
        return self.state.is_dir()

    # published ----------------------------------------------------------------
    def dataset_dir(self, dataset: str) -> Path:
        return self.out / dataset

    # private state --------------------------------------------------------------
    @property
    def ledger(self) -> Path:
        return self._ledger_path or self.state / "state.db"

    @property
    def salt(self) -> Path:
        return self.state / "salt"

    @property
    def archive(self) -> Path:
        return self.state / "archive"

    @property
    def http_cache(self) -> Path:
        return self.state / "http"

    @property
    def staging_root(self) -> Path:
        return self.state / "staging"

    def staging(self, run_id: str, dataset: str, period: str) -> Path:
        return self.staging_root / run_id / dataset / period

    def version_dir(self, dataset: str, period: str, version: int) -> Path:
        return self.state / "versions" / dataset / period / f"v{version}"

    @property
    def journal_dir(self) -> Path:
        return self.state / "journal"

    @property
    def tmp(self) -> Path:
        return self.state / "tmp"

    def rejects(self, dataset: str, period: str) -> Path:
        return self.state / "rejects" / dataset / f"{period}.csv"

    @property
    def reviews(self) -> Path:
        return self.state / "review"

    @property
    def approving(self) -> Path:
        """Private copies an approval hashes and publishes (gongkai_etl.review.folders)."""
        return self.state / "approving"

    def changes_manifest(self, dataset: str) -> Path:
        return self.state / "changes" / f"{dataset}.json"

    def lock(self, pipeline: str) -> Path:
        return self.state / "locks" / f"{pipeline}.lock"

    def cron_log(self, pipeline: str) -> Path:
        return self.state / "logs" / f"{pipeline}.jsonl"

    @property
    def catalog_lock(self) -> Path:
        return self.state / "catalog.lock"

    @property
    def site_cache(self) -> Path:
        return self.state / "site-cache.json"

    @property
    def synced(self) -> Path:
        """What an object-store output last uploaded (gongkai_etl.publish.objectstore)."""
        return self.state / "objectstore-synced.json"

    def __repr__(self) -> str:
        return f"Home({str(self.out)!r})"


# Object-store outputs -----------------------------------------------------------------
# A pipeline whose output.dir is s3://... publishes into a local state folder that is
# mirrored to the store after each publish (gongkai_etl.publish.objectstore).


@dataclass
class Target:
    """The object store an output folder is mirrored to."""

    uri: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def bucket(self) -> str:
        return self.uri[len("s3://") :].partition("/")[0]

    @property
    def prefix(self) -> str:
        return self.uri[len("s3://") :].partition("/")[2].strip("/")

    def key(self, *parts: str) -> str:
        """``bucket/prefix/parts...`` as pyarrow.fs names objects."""
        return "/".join(p.strip("/") for p in (self.bucket, self.prefix, *parts) if p)


_targets: dict[Path, Target] = {}


def register_target(local_out: Path, uri: str, options: dict[str, Any] | None = None) -> None:
    """The local output folder ``local_out`` is mirrored to ``uri`` (spec calls this
    when it loads a pipeline with an s3:// output)."""
    _targets[Path(local_out)] = Target(uri, dict(options or {}))


def target_for(local_out: Path) -> Target | None:
    return _targets.get(Path(local_out))
