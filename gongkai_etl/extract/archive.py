"""Raw inputs are archived with their sha256 (in a thread of the run, while they are read)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gongkai_etl.errors import InputError
from gongkai_etl.files import write_error

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^\w.\-]+")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_hash_cache: dict[tuple[str, int, int], str] = {}


def input_sha256(path: str | Path) -> str:
    """sha256 of a raw input, hashed once per process while its size and mtime stay.

    A run needs it twice (the ``--due`` fingerprint, then the archive); a 5M-row
    list is about 0.9 GB, half a second of hashing each time.
    """
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    digest = _hash_cache.get(key)
    if digest is None:
        digest = _hash_cache[key] = sha256_file(path)
    return digest


def _private_dir(archive_dir: Path) -> None:
    archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(archive_dir, 0o700)


def _store(archive_dir: Path, target: Path, fill: Callable[[str], object]) -> None:
    """Make the archive entry ``target`` unless it is there: ``fill`` writes a private
    temporary file, which is then renamed, so the archive never holds a partial
    file under a final name, whatever kills the run."""
    _private_dir(archive_dir)
    if target.exists():
        return
    fd, tmp = tempfile.mkstemp(prefix=".archive.", suffix=".tmp", dir=archive_dir)
    os.close(fd)
    try:
        fill(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def archive_input(path: str | Path, archive_dir: Path) -> tuple[str, Path]:
    """Copy a raw input into the archive under its hash; return (sha256, copy).

    The archive holds personal data (raw lists), so it is private to the owner
    (see :func:`_store`).
    """
    try:
        digest = input_sha256(path)
    except OSError as exc:
        raise InputError(f"无法读取输入文件 (cannot read the input): {exc.strerror or exc}", file=path) from None
    target = archive_dir / f"{digest[:16]}_{Path(path).name}"
    try:
        _store(archive_dir, target, lambda tmp: shutil.copyfile(path, tmp))
    except OSError as exc:
        raise write_error("无法归档输入文件 (cannot archive the raw input)", exc, target) from None
    return digest, target


def safe_name(name: str, default: str = "input") -> str:
    """A file-name-safe form of ``name`` (no separators, no query strings)."""
    cleaned = _UNSAFE.sub("_", name).strip("._")
    return cleaned[:80] or default


def archive_bytes(data: bytes, archive_dir: Path, name: str) -> tuple[str, Path]:
    """Archive a body that never was a local file (an HTTP response) under its hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = archive_dir / f"{digest[:16]}_{safe_name(name)}"

    def fill(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    try:
        _store(archive_dir, target, fill)
    except OSError as exc:
        raise write_error("无法归档下载内容 (cannot archive the downloaded body)", exc, target) from None
    return digest, target
