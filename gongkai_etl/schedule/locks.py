"""One run per pipeline at a time: an advisory lock file per pipeline.

``<out>/.gongkai/locks/<pipeline>.lock`` is locked with ``fcntl.flock`` and
holds the holder's pid, host, start time and command line while it is held.
The kernel releases a flock when its process dies, whatever kills it (SIGKILL
included), so a lock left by a killed run is simply taken by the next one; the
file then still names the dead holder, which is reported as a stale lock taken
over. A second run waits up to ``--wait`` seconds, then stops with exit code 5
(:attr:`gongkai_etl.errors.ExitCode.LOCKED`).

flock locks are per machine: keep the output on a local file system (NFS does
not carry flock between hosts reliably).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from gongkai_etl.errors import ExitCode, GongkaiError
from gongkai_etl.files import write_error
from gongkai_etl.ledger import now_iso

DEFAULT_WAIT = 5.0


class LockBusy(GongkaiError):
    """Another run holds the pipeline's lock (exit 5)."""

    exit_code = ExitCode.LOCKED


class PipelineLock:
    """``with PipelineLock(path, name, wait=5):`` holds the lock inside the block."""

    def __init__(self, path: Path, pipeline: str, *, wait: float = DEFAULT_WAIT) -> None:
        self.path = path
        self.pipeline = pipeline
        self.wait = wait
        self.fd: int | None = None
        self.stale: dict[str, Any] | None = None  # what a killed holder left in the file

    def acquire(self) -> PipelineLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:

            raise write_error("无法创建锁文件 (cannot create the lock file)", exc, self.path) from None
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_holder(self.path)
                    os.close(fd)
                    raise LockBusy(self._busy_message(holder), file=self.path) from None
                time.sleep(0.1)
        left = _read_fd(fd)
        if left:
            self.stale = left
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": now_iso(),
            "command": " ".join(sys.argv),
        }
        data = json.dumps(info, ensure_ascii=False).encode("utf-8")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except OSError:
            pass  # a full or read-only disk: the flock holds anyway; the run reports the write failure itself
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # an empty file: released cleanly, nothing stale
        except OSError:
            pass
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def _busy_message(self, holder: dict[str, Any] | None) -> str:
        who = "另一个进程 (another process)"
        if holder:
            who = f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
        return (
            f"流水线 {self.pipeline} 正在被另一个运行处理 (pipeline {self.pipeline} is locked by {who}); "
            f"waited {self.wait:g}s; try again later or give a longer --wait"
        )

    def stale_message(self) -> str | None:
        if not self.stale:
            return None
        s = self.stale
        return (
            f"接管了被中断的运行留下的锁 (took over the lock of an interrupted run: "
            f"pid {s.get('pid')} on {s.get('host')}, started {s.get('started')})"
        )

    def __enter__(self) -> PipelineLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_fd(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, 65536, 0)
    except OSError:
        return None
    return _parse(raw)


def read_holder(path: Path) -> dict[str, Any] | None:
    """What the lock file says about its holder (or a killed holder), if anything."""
    try:
        return _parse(path.read_bytes())
    except OSError:
        return None


def _parse(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip():
        return None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"pid": "?", "host": "?", "started": "?"}
    return doc if isinstance(doc, dict) else None


def pipeline_lock(pipeline: Any, wait: float = DEFAULT_WAIT) -> PipelineLock:
    """The lock of a :class:`gongkai_etl.spec.Pipeline`."""
    return PipelineLock(pipeline.home.lock(pipeline.id), pipeline.id, wait=wait)
