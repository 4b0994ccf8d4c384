"""A finished staging folder of one dataset-period: its files, their hashes and
its manifest. Publishing (gongkai_etl.publish) and review take it from here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongkai_etl.files import atomic_write_json, sha256_file


@dataclass
class StagedVersion:
    """A finished staging folder of one dataset-period, not yet published."""

    dataset: str
    period: str
    dir: Path
    rows: int
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # rel path -> sha256, bytes, format
    input_hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for rel in sorted(self.files):
            h.update(rel.encode())
            h.update(self.files[rel]["sha256"].encode())
        return h.hexdigest()


def combined_input_hash(inputs: dict[str, str]) -> str:
    """One hash over a run's raw inputs (location -> sha256): ``StagedVersion.input_hash``.

    The runner records it when it stages; approval recomputes it from the review's
    inputs to see that nothing changed since, so both must use this one function."""
    h = hashlib.sha256()
    for k in sorted(inputs):
        h.update(inputs[k].encode())
    return h.hexdigest()


def finish_stage(staged: StagedVersion) -> StagedVersion:
    """Hash the staged files and write their manifest."""
    for rel, info in staged.files.items():
        path = staged.dir / rel
        if not info.get("sha256"):  # a writer that hashed as it wrote saves a read
            info["sha256"] = sha256_file(path)
        info["bytes"] = path.stat().st_size
    manifest = {
        "dataset": staged.dataset,
        "period": staged.period,
        "rows": staged.rows,
        "files": staged.files,
        "input_hash": staged.input_hash,
        "content_hash": staged.content_hash,
        "meta": staged.meta,
    }
    atomic_write_json(staged.dir / "manifest.json", manifest)
    return staged


def load_stage(path: Path) -> StagedVersion:
    doc = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return StagedVersion(doc["dataset"], doc["period"], path, doc["rows"], doc["files"], doc.get("input_hash", ""), doc.get("meta", {}))
