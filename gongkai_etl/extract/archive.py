"""Raw inputs are archived with their sha256 before anything reads them."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def archive_input(path: str | Path, archive_dir: Path) -> tuple[str, Path]:
    """Copy a raw input into the archive under its hash; return (sha256, copy).

    The archive holds personal data (raw lists), so it is private to the owner.
    """
    digest = sha256_file(path)
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(archive_dir, 0o700)
    target = archive_dir / f"{digest[:16]}_{Path(path).name}"
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    return digest, target
