"""Small file operations every publishing step relies on: hashes and atomic writes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import orjson

from gongkai_etl.errors import PublishError
from gongkai_etl.home import Home

_failpoint_hits: dict[str, int] = {}


def failpoint(name: str) -> None:
    """Crash here when ``GONGKAI_FAILPOINT`` names this point (fault-injection tests).

    ``GONGKAI_FAILPOINT=name`` kills the process with SIGKILL the first time the
    point is reached, ``name@N`` the N-th time. ``GONGKAI_FAILPOINT_TRACE=file``
    appends ``name@N`` for every point reached, so a test can list every kill
    point of a run and then kill at each one. Both are unset in production and
    then this is one dictionary lookup.
    """
    wanted = os.environ.get("GONGKAI_FAILPOINT")
    trace = os.environ.get("GONGKAI_FAILPOINT_TRACE")
    if not wanted and not trace:
        return
    count = _failpoint_hits[name] = _failpoint_hits.get(name, 0) + 1
    if trace:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(f"{name}@{count}\n")
    if wanted and (wanted == name or wanted == f"{name}@{count}"):
        os.kill(os.getpid(), signal.SIGKILL)


def file_signature(path: Path) -> tuple[int, int, int]:
    """(modification time in ns, size, inode) of ``path``: what a per-process cache of
    something read from the file compares to tell it unchanged (OSError if it is gone)."""
    st = path.stat()
    return st.st_mtime_ns, st.st_size, st.st_ino


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def state_tmp_dir(path: Path) -> Path | None:
    """``<out>/.gongkai/tmp`` when ``path`` lies in an output tree, else None.

    Temporary files then never appear beside published files, not even as hidden
    names, whatever kills the writer half way.
    """
    home = Home.find(path.parent)
    return home.tmp if home is not None else None


def atomic_write_bytes(path: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part.

    The temporary file lives in the output's ``.gongkai/tmp`` (same file system)
    when there is one, else beside the target. ``sync_dir=False``: the caller
    fsyncs the folder itself, once after several files it writes there, before
    anything that names them is written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = state_tmp_dir(path)
        if tmp_dir is not None:
            tmp_dir.mkdir(parents=True, exist_ok=True)
        try:
            _write_and_replace(path, data, tmp_dir or path.parent)
        except OSError as exc:
            if exc.errno != errno.EXDEV or tmp_dir is None:
                raise
            _write_and_replace(path, data, path.parent)  # tmp dir on another file system
        if sync_dir:
            fsync_dir(path.parent)
    except OSError as exc:
        raise write_error("写入失败 (write failed)", exc, path) from None


#: errno values that mean the output's file system itself refuses writes (full,
#: read-only, no permission, broken): a run stops at the first one instead of
#: trying every remaining period.
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


def write_error(message: str, exc: OSError, file: str | Path | None = None, **where: Any) -> PublishError:
    """A PublishError for a failed write, remembering the OS error number."""
    err = PublishError(f"{message}: {exc.strerror or exc}", file=file if file is not None else exc.filename, **where)
    err.os_errno = exc.errno  # type: ignore[attr-defined]
    return err


def is_environment_failure(exc: BaseException) -> bool:
    """True for a write failure caused by the output's file system (see ENVIRONMENT_ERRNOS)."""
    code = getattr(exc, "os_errno", None) if isinstance(exc, PublishError) else getattr(exc, "errno", None)
    return code in ENVIRONMENT_ERRNOS


def _write_and_replace(path: Path, data: bytes, tmp_dir: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data[: len(data) // 2])
            failpoint("files:atomic-write-half")  # half a temporary file on disk
            fh.write(data[len(data) // 2 :])
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        failpoint("files:atomic-write-before-rename")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, doc: Any) -> None:
    atomic_write_bytes(path, (json_text(doc) + "\n").encode("utf-8"))


_ORJSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(doc: Any) -> str:
    """``json.dumps(doc, ensure_ascii=False, indent=2)``, encoded by orjson.

    CPython encodes indented JSON in pure Python: a publish spent most of its CPU
    there (datapackage.json, the catalog's nodes, changelogs); this takes ~1/8 of its time.
    The text is the standard library's, byte for byte (tests/test_files_json.py):
    documents orjson would write otherwise (very small or large floats, NaN, int
    keys, big integers, anything it cannot encode) go to the standard library.
    """
    if not _floats_written_otherwise(doc):
        try:
            return orjson.dumps(doc, option=_ORJSON_OPTIONS).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _floats_written_otherwise(doc: Any) -> bool:
    """A float the two may write differently: Python's repr turns to exponents below
    1e-4 and from 1e16, orjson at other bounds; between (and 0), both write the same
    shortest round-trip digits. A walk costs ~1/10 of the standard library's encoding
    (scanning orjson's text for such numbers with ``re`` cost more than the encoding)."""
    stack = [doc]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list or kind is tuple:
            stack.extend(value)
        elif kind is float and value and not 1e-3 <= abs(value) < 1e15:
            return True
    return False


def place_file(source: Path, target: Path, tmp_dir: Path) -> None:
    """Put ``source`` at ``target`` in one atomic step (hard link, else copy, then rename).

    The temporary name lives in ``tmp_dir`` (same file system), never beside
    the target, so readers globbing the published folder never see it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="place.", dir=tmp_dir)
    os.close(fd)
    os.unlink(tmp)
    try:
        try:
            os.link(source, tmp)
        except OSError:
            import shutil

            shutil.copyfile(source, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        failpoint("files:place-before-rename")
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def environment_error(exc: OSError | sqlite3.Error, message: str, file: Path | None = None, **where: Any) -> PublishError:
    """A write failure of the output's file system (full, read-only, ...) as a
    PublishError that stops the run; sqlite's own errors count as such."""
    if isinstance(exc, OSError):
        return write_error(message, exc, file, **where)
    hint = _fs_hint(file) if file is not None else ""
    err = PublishError(f"{message}: 台账 ledger: {exc}{hint}", file=file, **where)
    err.os_errno = errno.EIO  # type: ignore[attr-defined]
    return err


def _fs_hint(path: Path) -> str:
    """Why sqlite's terse 'disk I/O error' / 'unable to open database file' probably happened."""
    for probe in (path, *path.parents):
        if probe.exists():
            break
    else:
        return ""
    try:
        st = os.statvfs(probe)
    except OSError:
        return ""
    if st.f_flag & os.ST_RDONLY:
        return " (Read-only file system)"
    if st.f_bavail * st.f_frsize < (1 << 20):
        return f" (No space left on device: {st.f_bavail * st.f_frsize // 1024} KiB free)"
    return ""
