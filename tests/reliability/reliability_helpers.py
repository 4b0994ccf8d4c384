"""Helpers of the reliability tests: running ``etl``, snapshots of a publication,
and the counters printed in the terminal summary (see conftest.py)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: What the session ran, printed by ``pytest_terminal_summary``.
SUMMARY: dict[str, str] = {}


def count(key: str, n: int = 1) -> None:
    SUMMARY[key] = str(int(SUMMARY.get(key, "0")) + n)


def etl_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "GONGKAI_SALT": "test-salt-not-secret", "NO_PROXY": "127.0.0.1,localhost", **extra}
    for key in ("GONGKAI_FAILPOINT", "GONGKAI_FAILPOINT_TRACE"):
        if key not in extra:
            env.pop(key, None)
    return env


def run_etl(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gongkai_etl", *args],
        env=env or etl_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def published_files(out: Path) -> dict[str, bytes]:
    """Every file a consumer can see under ``out`` (the private ``.gongkai`` state left out)."""
    files: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if rel.parts[0] == ".gongkai" or not path.is_file():
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_consistent(out: Path) -> None:
    """The ledger is sound and agrees with the files: every current publication's
    files exist with the recorded sha256; every datapackage.json (and catalog.json,
    when there is one) names checksums that match the files."""
    db = out / ".gongkai" / "state.db"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT dataset, period, version, files FROM publications WHERE current = 1").fetchall()
        per_period = conn.execute(
            "SELECT dataset, period, COUNT(*) FROM publications WHERE current = 1 GROUP BY dataset, period HAVING COUNT(*) > 1"
        ).fetchall()
    finally:
        conn.close()
    assert not per_period, f"more than one current version: {per_period}"
    for dataset, period, version, files in rows:
        for rel, info in json.loads(files).items():
            path = out / dataset / rel
            assert path.is_file(), f"{dataset} {period} v{version}: {rel} missing"
            assert sha256(path.read_bytes()) == info["sha256"], f"{dataset} {period} v{version}: {rel} differs from the ledger"
    for dp in out.glob("*/datapackage.json"):
        doc = json.loads(dp.read_text(encoding="utf-8"))
        for res in doc.get("resources", []):
            path = dp.parent / res["path"]
            assert path.is_file(), f"{dp}: {res['path']} missing"
            assert res["hash"] == f"sha256:{sha256(path.read_bytes())}", f"{dp}: {res['path']} checksum"
            assert res.get("bytes", res.get("file_bytes")) == path.stat().st_size
    catalog = out / "catalog.json"
    if catalog.exists():
        _check_catalog(out, json.loads(catalog.read_text(encoding="utf-8")))


def _check_catalog(out: Path, doc: dict) -> None:
    """Every DCAT distribution's spdx checksum matches the file it downloads."""
    for ds in doc.get("dcat:dataset", []):
        for dist in ds.get("dcat:distribution", []):
            url = (dist.get("dcat:downloadURL") or {}).get("@id", "")
            value = ((dist.get("spdx:checksum") or {}).get("spdx:checksumValue") or {})
            digest = value.get("@value") if isinstance(value, dict) else value
            path = out / url
            if not digest or "://" in url:
                continue
            assert path.is_file(), f"catalog.json: {url} missing"
            assert sha256(path.read_bytes()) == digest, f"catalog.json: {url} checksum"


class ForkServer:
    """Client of forkserver.py: ``run(*args)`` behaves like :func:`run_etl`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        env = etl_env(OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("forkserver.py"))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        ready = json.loads(self._line())
        assert "ready" in ready, ready
        self.n = 0

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fork server died")
        return line

    def run(self, *args: str, env: dict[str, str] | None = None, kill_after: float | None = None) -> subprocess.CompletedProcess:
        self.n += 1
        out, err = self.workdir / f"{self.n}.out", self.workdir / f"{self.n}.err"
        req = {"args": list(args), "env": env or etl_env(), "stdout": str(out), "stderr": str(err), "kill_after": kill_after}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        rc = json.loads(self._line())["rc"]
        result = subprocess.CompletedProcess(["etl", *args], rc, out.read_text(encoding="utf-8", errors="replace"),
                                             err.read_text(encoding="utf-8", errors="replace"))
        out.unlink()
        err.unlink()
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
