"""`etl serve`: only the published files, never through a symbolic link out of the
output folder or into `.gongkai`, and many connections at once (issue 17 cases 9, 10)."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gongkai_etl.portal.serve import BACKLOG, make_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = tmp_path / "output"
    (out / "ds" / "csv").mkdir(parents=True)
    (out / "ds" / "csv" / "ds_2016-08.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (out / ".gongkai").mkdir()
    (out / ".gongkai" / "salt").write_text("secret-salt", encoding="utf-8")
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0", encoding="utf-8")
    os.symlink(out / ".gongkai", out / "state")  # a link into the private folder
    os.symlink(secret, out / "etc")  # a link out of the output folder
    os.symlink(secret / "passwd", out / "ds" / "passwd.csv")
    os.symlink(out / "ds" / "csv", out / "latest")  # a link inside the output: fine
    srv = make_server(out, 0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/", out
    finally:
        srv.shutdown()
        srv.server_close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_links_out_of_the_output_or_into_the_state_folder_are_not_served(served: tuple[str, Path]) -> None:
    base, _ = served
    assert _get(base + "ds/csv/ds_2016-08.csv") == (200, b"a,b\n1,2\n")
    assert _get(base + "latest/ds_2016-08.csv")[0] == 200
    for path in ("state/salt", "etc/passwd", "ds/passwd.csv", ".gongkai/salt", "%2Egongkai/salt", "state/", "etc/"):
        status, body = _get(base + path)
        assert status == 404, path
        assert b"secret" not in body and b"root:" not in body
    status, listing = _get(base)
    assert status == 200 and b"latest/" in listing and b"etc" not in listing and b"state" not in listing


def test_two_hundred_concurrent_requests_are_all_answered(served: tuple[str, Path]) -> None:
    base, _ = served
    assert BACKLOG >= 200
    with ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(lambda _: _get(base + "ds/csv/ds_2016-08.csv")[0], range(200)))
    assert results == [200] * 200
