"""HTTP sources against a real server on 127.0.0.1: paging, retries (500, 429 with
Retry-After), a server slower than the read timeout, a connection dropped mid-body,
conditional requests (304), credentials that never leak, a size limit; and one
pipeline with a ``url:`` input end to end through ``etl run``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from gongkai_etl.errors import ConfigError, InputError, SourceUnreachable
from gongkai_etl.extract import http_fetch, http_reader
from gongkai_etl.extract.http_reader import HttpReader, safe_url
from reliability_helpers import count, etl_env, published_files, run_etl

SECRET = "s3cr3t-token-value-7f2a"
RECORDS = [{"项目编号": f"CY-PG-2016-{i:03d}", "累计回迁安置户数": 100 + i, "备注": "配套道路施工中"} for i in range(1, 8)]


@dataclass
class Script:
    """What the server does, and what it saw."""

    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bodies_sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    headers: list[dict[str, str]] = field(default_factory=list)
    followup: bytes = b"[]"


class Handler(BaseHTTPRequestHandler):
    script: Script
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if not (headers or {}).get("Content-Type"):
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.end_headers()
        if body:
            self.wfile.write(body)
            self.script.bodies_sent[urlsplit(self.path).path] += 1

    def _trickle(self, size: int, every: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.flush()
        try:
            for _ in range(size):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(every)
        except OSError:  # the client gave up: what the test wants
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: C901, N802
        s = self.script
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        s.hits[path] += 1
        s.headers.append({"path": path, **{k.lower(): v for k, v in self.headers.items()}})
        n = s.hits[path]
        doc = lambda obj: json.dumps(obj, ensure_ascii=False).encode("utf-8")  # noqa: E731
        if path == "/paged":  # ?page=1..&page_size=3
            page, size = int(query.get("page", 1)), int(query.get("page_size", 3))
            self._send(200, doc({"code": 0, "data": RECORDS[(page - 1) * size : page * size]}))
        elif path == "/offset":
            off, lim = int(query["offset"]), int(query["limit"])
            self._send(200, doc({"rows": RECORDS[off : off + lim], "total": len(RECORDS)}))
        elif path == "/next":
            page = int(query.get("p", 1))
            nxt = f"/next?p={page + 1}" if page * 3 < len(RECORDS) else None
            self._send(200, doc({"data": RECORDS[(page - 1) * 3 : page * 3], "links": {"next": nxt}}))
        elif path == "/link":
            page = int(query.get("p", 1))
            link = {"Link": f'</link?p={page + 1}>; rel="next"'} if page * 3 < len(RECORDS) else {}
            self._send(200, doc(RECORDS[(page - 1) * 3 : page * 3]), link)
        elif path == "/flaky":  # 500, 500, 429 (Retry-After: 1), then the data
            if n <= 2:
                self._send(500, b"oops")
            elif n == 3:
                self._send(429, b"slow down", {"Retry-After": "1"})
            else:
                self._send(200, doc(RECORDS))
        elif path == "/down":
            self._send(503, b"maintenance")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, doc(RECORDS))
        elif path in ("/drop", "/drop-always"):
            if path == "/drop-always" or n == 1:
                body = doc(RECORDS)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 3])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
            else:
                self._send(200, doc(RECORDS))
        elif path == "/trickle":  # issue 17 case 5: headers at once, then one byte every 0.5 s
            self._trickle(100, float(query.get("every", 0.5)))
        elif path.startswith("/etag"):
            etag = '"v1"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", {"ETag": etag})
            else:
                self._send(200, doc(RECORDS), {"ETag": etag, "Last-Modified": "Sat, 01 Oct 2016 00:00:00 GMT"})
        elif path == "/auth":
            if self.headers.get("X-Api-Key") != SECRET:
                self._send(401, b"no")
            else:
                self._send(200, doc(RECORDS))
        elif path == "/redirect-away":  # to the same server under another host name
            self._send(302, b"", {"Location": f"http://localhost:{self.server.server_port}/auth"})
        elif path == "/big":
            self._send(200, b"[" + b" " * 5000 + b"]")
        elif path == "/missing":
            self._send(404, b"not here")
        elif path.startswith("/followup/"):
            page, size = int(query.get("page", 1)), int(query.get("page_size", 1))
            if self.headers.get("Authorization") != f"Bearer {SECRET}":
                self._send(401, b"no")
                return
            records = json.loads(s.followup)
            etag = '"' + hashlib.sha256(s.followup).hexdigest()[:16] + f'-{page}"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", {"ETag": etag})
            else:
                self._send(200, doc({"data": records[(page - 1) * size : page * size]}), {"ETag": etag})
        else:
            self._send(404, b"")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("H", (Handler,), {"script": script})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", script
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits are recorded, not slept."""
    waited: list[float] = []
    monkeypatch.setattr(http_fetch, "sleep", waited.append)
    return waited


def read(url: str, state: Path | None = None, **options: Any):  # noqa: ANN201
    opts = {"jitter": 0, **options}
    if state is not None:
        opts[http_reader.OUTPUT_DIR_OPTION] = str(state)
    return HttpReader().read(url, opts)


def ids(table) -> list[str]:  # noqa: ANN001
    return table.to_table().column("项目编号").to_pylist()


ALL_IDS = [r["项目编号"] for r in RECORDS]


# --- paging ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "pagination"),
    [
        ("/paged", {"type": "page", "size": 3}),
        ("/offset", {"type": "offset", "limit": 3}),
        ("/next", "next"),
        ("/link", "link"),
    ],
)
def test_pages_are_joined(server, tmp_path: Path, path: str, pagination: Any) -> None:
    base, _ = server
    table = read(base + path, tmp_path, pagination=pagination)
    assert ids(table) == ALL_IDS
    assert table.meta["pages"] == 3
    assert table.to_table().column("_row").to_pylist() == list(range(1, 8))
    archived = sorted(p.name for p in (tmp_path / ".gongkai" / "archive").iterdir())
    assert len(archived) == 3 and all(len(n.split("_")[0]) == 16 for n in archived)
    # the input hash covers every page, in order
    digests = [hashlib.sha256((tmp_path / ".gongkai" / "archive" / n).read_bytes()).hexdigest() for n in table.meta["archived"]]
    assert table.sha256 == hashlib.sha256("".join(digests).encode()).hexdigest()
    count("http cases")


# --- retries ------------------------------------------------------------------------------

def test_500_then_429_with_retry_after_then_ok(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, script = server
    table = read(base + "/flaky", tmp_path, retries=4, backoff=0.25)
    assert ids(table) == ALL_IDS
    assert script.hits["/flaky"] == 4
    assert sleeps == [0.25, 0.5, 1.0]  # exponential backoff, then the server's Retry-After: 1
    count("http cases")


def test_retry_after_beyond_the_limit_fails_at_once(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, script = server
    script.hits["/flaky"] = 2  # next answer is the 429
    with pytest.raises(SourceUnreachable, match=r"HTTP 429.*retry after 1s.*max_retry_after 0.5s"):
        read(base + "/flaky", tmp_path, max_retry_after=0.5)
    count("http cases")


def test_always_503_is_source_unreachable(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, _ = server
    with pytest.raises(SourceUnreachable) as err:
        read(base + "/down?month=2016-09&token=" + SECRET, tmp_path, retries=2)
    msg = str(err.value)
    assert err.value.exit_code == 3
    assert "/down?month=2016-09&token=***" in msg and "last: HTTP 503" in msg and "3 次尝试" in msg
    assert SECRET not in msg
    assert len(sleeps) == 2
    count("http cases")


def test_slower_than_the_read_timeout(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, script = server
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match=r"last: read timeout \(0.3s\)"):
        read(base + "/slow", tmp_path, read_timeout=0.3, retries=1)
    assert script.hits["/slow"] == 2
    assert time.monotonic() - started < 1.5  # gave up waiting, did not wait for the answer
    count("http cases")


def test_case5_trickling_body_gives_up_at_total_timeout(server, tmp_path: Path, sleeps: list[float]) -> None:
    """Issue 17 case 5: one byte every 0.5 s never trips the per-read timeout;
    the attempt still ends at total_timeout (2 s) by the wall clock, not after the
    50 s the 100-byte body would take, and the retry gets its own 2 s."""
    base, script = server
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match=r"last: download slower than total_timeout 2s"):
        read(base + "/trickle", tmp_path, total_timeout=2, read_timeout=5, retries=1)
    elapsed = time.monotonic() - started
    assert script.hits["/trickle"] == 2 and len(sleeps) == 1
    assert 3.5 < elapsed < 8, elapsed  # two attempts of ~2 s each, bounded
    count("http cases")


def test_case5_waiting_for_the_response_counts_toward_total_timeout(server, tmp_path: Path, sleeps: list[float]) -> None:
    """The connect and first-byte phase is inside the attempt's limit: a server
    that answers after 1.5 s, with read_timeout 5, is given up at total_timeout 0.5 s."""
    base, _ = server
    started = time.monotonic()
    with pytest.raises(SourceUnreachable, match=r"last: no response within total_timeout 0.5s"):
        read(base + "/slow", tmp_path, total_timeout=0.5, read_timeout=5, retries=0)
    assert time.monotonic() - started < 1.4
    count("http cases")


def test_connection_dropped_mid_body_is_retried(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, script = server
    assert ids(read(base + "/drop", tmp_path)) == ALL_IDS
    assert script.hits["/drop"] == 2 and len(sleeps) == 1
    with pytest.raises(SourceUnreachable, match="connection dropped mid-body"):
        read(base + "/drop-always", tmp_path, retries=1)
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / ".gongkai" / "archive").iterdir())  # no partial body kept
    count("http cases", 2)


def test_4xx_is_not_retried(server, tmp_path: Path, sleeps: list[float]) -> None:
    base, script = server
    with pytest.raises(SourceUnreachable, match="HTTP 404.*not retried"):
        read(base + "/missing", tmp_path)
    assert script.hits["/missing"] == 1 and not sleeps
    count("http cases")


def test_nothing_listening(tmp_path: Path, sleeps: list[float]) -> None:
    with pytest.raises(SourceUnreachable, match="connection refused"):
        read("http://127.0.0.1:9/x.json", tmp_path, retries=1)
    count("http cases")


# --- conditional requests -----------------------------------------------------------------

def test_304_reuses_the_archived_body(server, tmp_path: Path) -> None:
    base, script = server
    first = read(base + "/etag", tmp_path)
    assert script.bodies_sent["/etag"] == 1 and not first.meta["not_modified"]
    cache = json.loads((tmp_path / ".gongkai" / "http" / "cache.json").read_text())
    assert [e["etag"] for e in cache.values()] == ['"v1"']
    second = read(base + "/etag", tmp_path)
    assert script.hits["/etag"] == 2 and script.bodies_sent["/etag"] == 1  # 304: no body sent
    assert second.meta["not_modified"] and second.sha256 == first.sha256
    assert ids(second) == ALL_IDS
    sent = [h for h in script.headers if h["path"] == "/etag"]
    assert "if-none-match" not in sent[0] and sent[1]["if-none-match"] == '"v1"'
    assert sent[1]["if-modified-since"] == "Sat, 01 Oct 2016 00:00:00 GMT"
    # the archived body gone: ask without a condition, download again
    for p in (tmp_path / ".gongkai" / "archive").iterdir():
        p.unlink()
    third = read(base + "/etag", tmp_path)
    assert script.bodies_sent["/etag"] == 2 and not third.meta["not_modified"]
    count("http cases")


# --- credentials --------------------------------------------------------------------------

def test_header_from_environment_and_never_shown(server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps) -> None:
    base, script = server
    monkeypatch.setenv("TEST_API_KEY", SECRET)
    table = read(base + "/auth", tmp_path, header_env={"X-Api-Key": "TEST_API_KEY"})
    assert ids(table) == ALL_IDS
    # a redirect to another host name does not take the key along
    with pytest.raises(SourceUnreachable) as err:
        read(base + "/redirect-away", tmp_path, header_env={"X-Api-Key": "TEST_API_KEY"})
    assert "HTTP 401" in str(err.value) and SECRET not in str(err.value)
    assert script.headers[-1]["path"] == "/auth" and "x-api-key" not in script.headers[-1]
    monkeypatch.delenv("TEST_API_KEY")
    with pytest.raises(ConfigError, match="TEST_API_KEY"):
        read(base + "/auth", tmp_path, header_env={"X-Api-Key": "TEST_API_KEY"})
    for path in tmp_path.rglob("*"):
        assert SECRET not in path.name and (not path.is_file() or SECRET.encode() not in path.read_bytes())
    count("http cases", 2)


def test_safe_url() -> None:
    assert safe_url("https://user:pw@example.org:8443/a/b.json?month=2016-09&access_token=xyz&apiKey=k") == (
        "https://example.org:8443/a/b.json?month=2016-09&access_token=***&apiKey=***"
    )


# --- limits and options -------------------------------------------------------------------

def test_size_limit(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(InputError, match="max_bytes 1,000"):
        read(base + "/big", tmp_path, max_bytes=1000)
    count("http cases")


def test_unknown_option_is_named(server) -> None:
    base, _ = server
    with pytest.raises(ConfigError, match="retrys.*did you mean 'retries'"):
        read(base + "/paged", None, retrys=3)


# --- end to end: shantytown's follow-up table from an HTTP API ------------------------------

def _followup_json(project: Path, period: str) -> bytes:
    text = (project / f"sample_data/shantytown/棚改后期管理_{period}.csv").read_bytes().decode("gbk")
    rows = list(csv.DictReader(io.StringIO(text)))
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def test_pipeline_with_an_http_input_end_to_end(server, project: Path) -> None:
    base, script = server
    script.followup = _followup_json(project, "2016-09")
    pfile = project / "pipelines/shantytown.yaml"
    doc = yaml.safe_load(pfile.read_text(encoding="utf-8"))
    doc["periods"] = "2016-09"
    doc["inputs"]["followup"] = {
        "url": base + "/followup/{period}.json?district=chaoyang",
        "options": {"token_env": "FOLLOWUP_TOKEN", "pagination": {"type": "page", "size": 1}, "backoff": 0.01},
    }
    http_file = project / "pipelines/shantytown_http.yaml"
    http_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    local = doc | {"inputs": {**doc["inputs"], "followup": {"path": "../sample_data/shantytown/棚改后期管理_{period}.csv"}},
                   "output": {"dir": "../output_local"}}
    (project / "pipelines/local.yaml").write_text(yaml.safe_dump(local, allow_unicode=True), encoding="utf-8")
    env = etl_env(FOLLOWUP_TOKEN=SECRET)

    first = run_etl("run", str(http_file), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    out = project / "output"
    assert run_etl("run", str(project / "pipelines/local.yaml"), env=env).returncode == 0
    # the same table as from the local CSV, byte for byte
    name = "shantytown_followup/csv/shantytown_followup_2016-09.csv"
    assert (out / name).read_bytes() == (project / "output_local" / name).read_bytes()
    pages = script.hits["/followup/2016-09.json"]
    assert pages == 3  # two one-record pages and an empty one
    archived = [p for p in (out / ".gongkai/archive").iterdir() if "followup" in p.name]
    assert len(archived) == 3 and all(p.name.startswith(hashlib.sha256(p.read_bytes()).hexdigest()[:16]) for p in archived)

    # unchanged source: every page answers 304, nothing is downloaded, nothing published
    sent_before = script.bodies_sent["/followup/2016-09.json"]
    before = published_files(out)
    second = run_etl("run", str(http_file), env=env)
    assert second.returncode == 0, second.stderr
    assert script.bodies_sent["/followup/2016-09.json"] == sent_before
    assert script.hits["/followup/2016-09.json"] == pages * 2
    assert "unchanged" in second.stdout and published_files(out) == before

    # the source goes down: exit 3, one line naming the URL and the last status, nothing changes
    doc["inputs"]["followup"]["url"] = base + "/down?period={period}"
    doc["inputs"]["followup"]["options"] = {"token_env": "FOLLOWUP_TOKEN", "retries": 1, "backoff": 0.01}
    down = project / "pipelines/shantytown_down.yaml"
    down.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    third = run_etl("run", str(down), env=env)
    assert third.returncode == 3, third.stdout + third.stderr
    assert f"{base}/down?period=2016-09" in third.stderr and "last: HTTP 503" in third.stderr
    assert "Traceback" not in third.stderr and published_files(out) == before

    # the token is nowhere: output, state (ledger, cache, archive names), messages
    assert SECRET not in first.stdout + first.stderr + second.stdout + second.stderr + third.stdout + third.stderr
    for path in out.rglob("*"):
        assert SECRET not in str(path)
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    conn = sqlite3.connect(out / ".gongkai/state.db")
    hashes = [json.loads(r[0]) for r in conn.execute("SELECT input_hashes FROM runs ORDER BY started")]
    conn.close()
    assert any(f"{base}/followup/2016-09.json?district=chaoyang" in h for h in hashes)
    auth = [h["authorization"] for h in script.headers if h["path"] == "/followup/2016-09.json"]
    assert set(auth) == {f"Bearer {SECRET}"}
    count("http cases", 3)
    shutil.rmtree(project / "output_local")
