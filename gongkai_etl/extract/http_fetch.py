"""Fetching one URL robustly: timeouts and a total time limit, retries with
backoff (honouring ``Retry-After``), conditional requests remembered in
``<out>/.gongkai/http/``, a size limit, and every response body archived with
its sha256. :mod:`gongkai_etl.extract.http_reader` pages through a source and
parses what this fetches.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from gongkai_etl.errors import ConfigError, GongkaiError, InputError, SourceUnreachable
from gongkai_etl.extract.archive import archive_bytes, safe_name, sha256_file
from gongkai_etl.extract.http_options import Settings, safe_url
from gongkai_etl.files import atomic_write_json, failpoint
from gongkai_etl.home import Home

#: Seconds the module sleeps through; tests replace it to run fast.
sleep = time.sleep


RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


CACHE_FILE = "cache.json"


@dataclass
class Page:
    """One response body, archived."""

    url: str  # safe form
    body: bytes
    content_type: str
    sha256: str
    archive: Path
    not_modified: bool = False
    status: int = 200
    next_link: str | None = None  # from a ``Link: <...>; rel="next"`` header


@dataclass
class Cache:
    """ETag / Last-Modified per URL, in ``<state>/http/cache.json``.

    Keys are sha256 of the full URL (a token in a query string is never
    stored in clear); entries name the archived body a 304 lets us reuse.
    """

    path: Path | None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def load(cls, home: Home | None) -> Cache:
        if home is None:
            return cls(None)
        path = home.http_cache / CACHE_FILE
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(entries, dict):
                entries = {}
        except (OSError, ValueError):
            entries = {}  # missing or damaged: every request is unconditional once
        return cls(path, entries)

    @staticmethod
    def key(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()

    def lookup(self, url: str, archive_dir: Path) -> dict[str, Any] | None:
        entry = self.entries.get(self.key(url))
        if not entry:
            return None
        body = archive_dir / str(entry.get("archive", ""))
        try:
            if body.is_file() and sha256_file(body) == entry.get("sha256"):
                return entry
        except OSError:
            pass
        return None  # the archived body is gone or altered: ask without condition

    def store(self, url: str, entry: dict[str, Any]) -> None:
        self.entries[self.key(url)] = entry
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_json(self.path, self.entries)
        except GongkaiError:
            pass  # a cache that cannot be written only costs a download next time
        self.dirty = False


class Fetcher:
    """GET with retries, redirects handled by hand (secret headers never follow
    a redirect to another host), conditional requests and archiving."""

    def __init__(self, settings: Settings, home: Home | None) -> None:
        self.s = settings
        if home is not None:
            self.archive_dir = home.archive
        else:  # reader used on its own (tests, scripts): a private temporary archive
            import tempfile

            self.archive_dir = Path(tempfile.mkdtemp(prefix="gongkai-http-"))
        self.cache = Cache.load(home)
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()
        self.cache.save()

    def _fail(self, url: str, message: str) -> SourceUnreachable:
        return SourceUnreachable(self.s.redact(f"数据源不可达 (source unreachable): {safe_url(url)}; {message}"))

    def get(self, url: str, name: str) -> Page:
        """One URL, with retries; ``name`` is the archive file name."""
        s = self.s
        cached = self.cache.lookup(url, self.archive_dir) if s.conditional else None
        last = "no response"
        attempts = s.retries + 1
        for attempt in range(attempts):
            delay = min(s.max_backoff, s.backoff * 2**attempt)
            delay *= 1 + random.uniform(0, s.jitter)
            # One wall-clock limit per attempt, connect and first byte included:
            # per-read timeouts alone let a trickling server hold an attempt for ever.
            deadline = time.monotonic() + s.total_timeout
            try:
                resp = self._request(url, cached, deadline)
            except _Retry as exc:
                last = exc.reason
            else:
                try:
                    status = resp.status_code
                    if status == 304:
                        if cached is None:
                            raise self._fail(url, "HTTP 304 to a request without a condition")
                        body = (self.archive_dir / cached["archive"]).read_bytes()
                        link = resp.links.get("next", {}).get("url") or cached.get("next_link")
                        return Page(safe_url(url), body, cached.get("content_type", ""), cached["sha256"],
                                    self.archive_dir / cached["archive"], not_modified=True, status=304, next_link=link)
                    if status in RETRY_STATUS or 500 <= status < 600:
                        last = f"HTTP {status}"
                        wait = _retry_after(resp)
                        if wait is not None:
                            if wait > s.max_retry_after:
                                raise self._fail(
                                    url, f"last: HTTP {status}, server asks to retry after {wait:g}s "
                                    f"(more than max_retry_after {s.max_retry_after:g}s)"
                                )
                            delay = wait
                    elif status >= 400:
                        hint = "; check the credentials (token_env / header_env)" if status in (401, 403) else ""
                        raise self._fail(url, f"HTTP {status} {resp.reason or ''}".rstrip() + hint + " (not retried)")
                    else:
                        body = self._body(resp, url, deadline)
                        return self._keep(url, name, resp, body)
                except _Retry as exc:
                    last = exc.reason
                finally:
                    resp.close()
            if attempt < attempts - 1:
                sleep(delay)
        raise self._fail(url, f"{attempts} 次尝试均失败 (failed after {attempts} attempts); last: {last}")

    def _request(self, url: str, cached: dict[str, Any] | None, deadline: float) -> requests.Response:
        s = self.s
        headers = {"User-Agent": "gongkai-etl", **s.headers}
        if cached:
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        current = url
        for _ in range(s.max_redirects + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Retry(f"no response within total_timeout {s.total_timeout:g}s")
            connect, wait = min(s.connect_timeout, left), min(s.read_timeout, left)
            try:
                resp = self.session.get(
                    current, headers=headers, timeout=(connect, wait), stream=True,
                    allow_redirects=False, verify=s.verify,
                )
            except requests.exceptions.ConnectTimeout:
                if connect < s.connect_timeout:
                    raise _Retry(f"no connection within total_timeout {s.total_timeout:g}s") from None
                raise _Retry(f"connect timeout ({s.connect_timeout:g}s)") from None
            except requests.exceptions.ReadTimeout:
                if wait < s.read_timeout:
                    raise _Retry(f"no response within total_timeout {s.total_timeout:g}s") from None
                raise _Retry(f"read timeout ({s.read_timeout:g}s) waiting for the response") from None
            except requests.exceptions.SSLError:
                raise self._fail(current, "TLS/SSL error (certificate or protocol; not retried)") from None
            except requests.exceptions.InvalidURL:
                raise ConfigError(f"无效的 URL (invalid URL): {safe_url(url)}") from None
            except requests.exceptions.ConnectionError as exc:
                raise _Retry(_connection_reason(exc)) from None
            except requests.RequestException as exc:
                raise _Retry(type(exc).__name__) from None
            if resp.is_redirect and "Location" in resp.headers:
                target = urljoin(current, resp.headers["Location"])
                resp.close()
                if urlsplit(target).netloc != urlsplit(current).netloc:
                    # like browsers and requests with Authorization: credentials stay with their host
                    headers = {k: v for k, v in headers.items() if k.lower() not in s.secret_headers}
                current = target
                continue
            return resp
        raise self._fail(url, f"too many redirects (more than {s.max_redirects})")

    def _body(self, resp: requests.Response, url: str, deadline: float) -> bytes:
        s = self.s
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > s.max_bytes:
            raise InputError(
                f"响应超过大小上限 (response of {int(length):,} bytes is larger than max_bytes {s.max_bytes:,}): {safe_url(url)}"
            )
        body = bytearray()
        slow = f"download slower than total_timeout {s.total_timeout:g}s"
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Retry(f"{slow} ({len(body):,} bytes so far)")
                # read1 returns what one read brings (iter_content waits for a full
                # chunk, one trickled byte at a time), and no read outlasts the deadline.
                _socket_timeout(resp, min(s.read_timeout, left))
                chunk = resp.raw.read1(1 << 16, decode_content=True)
                if not chunk:
                    break
                body.extend(chunk)
                if len(body) > s.max_bytes:
                    raise InputError(
                        f"响应超过大小上限 (response larger than max_bytes {s.max_bytes:,}): {safe_url(url)}"
                    )
                failpoint("http:during-body")
        except urllib3.exceptions.ReadTimeoutError:
            if deadline - time.monotonic() <= 0:
                raise _Retry(f"{slow} ({len(body):,} bytes so far)") from None
            raise _Retry(f"read timeout ({s.read_timeout:g}s) in the middle of the body") from None
        except urllib3.exceptions.DecodeError:
            raise _Retry(f"undecodable (compressed) body after {len(body):,} bytes") from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, OSError):
            raise _Retry(f"connection dropped mid-body after {len(body):,} bytes") from None
        return bytes(body)

    def _keep(self, url: str, name: str, resp: requests.Response, body: bytes) -> Page:
        digest, path = archive_bytes(body, self.archive_dir, name)
        ctype = resp.headers.get("Content-Type", "")
        etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        link = resp.links.get("next", {}).get("url")
        if self.s.conditional and (etag or modified):
            self.cache.store(url, {
                "url": safe_url(url), "etag": etag, "last_modified": modified, "sha256": digest,
                "archive": path.name, "content_type": ctype, "next_link": link,
                "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            })
        return Page(safe_url(url), body, ctype, digest, path, status=resp.status_code, next_link=link)


class _Retry(Exception):
    """A failure worth another attempt; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _socket_timeout(resp: requests.Response, seconds: float) -> None:
    """Bound the next socket read of ``resp`` to ``seconds``.

    requests sets the read timeout once per request; the deadline shrinks it
    read by read. Reached through urllib3's private attributes, so a change
    there only loses the shrinking (the per-chunk deadline check still holds).
    """
    fp = getattr(resp.raw, "_fp", None)
    sock = getattr(getattr(getattr(fp, "fp", None), "raw", None), "_sock", None)
    if sock is None:
        sock = getattr(getattr(resp.raw, "_connection", None), "sock", None)
    if sock is not None:
        try:
            sock.settimeout(max(seconds, 0.001))
        except OSError:  # already closed: the read that follows reports it
            pass


def _connection_reason(exc: requests.exceptions.ConnectionError) -> str:
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("RemoteDisconnected", "server closed the connection without a response"),
        ("Connection reset", "connection reset by the server"),
        ("Connection aborted", "connection aborted"),
        ("timed out", "connect timeout"),
    ):
        if needle in text:
            return reason
    return "connection failed"


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds the server asks to wait (``Retry-After``: seconds or an HTTP date)."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def body_kind(fmt: str | None, ctype: str, url: str) -> str:
    path = urlsplit(url).path.lower()
    if fmt in ("csv", "excel", "xlsx", "xls", "json"):
        return "excel" if fmt in ("xlsx", "xls") else fmt
    ctype = ctype.lower()
    if "csv" in ctype or path.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if "spreadsheet" in ctype or "excel" in ctype or path.endswith((".xlsx", ".xls", ".xlsm")):
        return "excel"
    return "json"


def archive_name(url: str, kind: str, page: int) -> str:
    parts = urlsplit(url)  # host and path only: a query string may carry credentials
    base = parts.path.strip("/").replace("/", "_") or "index"
    stem = safe_name(f"{parts.hostname or 'host'}_{base}")
    ext = {"csv": ".csv", "excel": Path(parts.path).suffix or ".xlsx", "json": ".json"}[kind]
    if stem.lower().endswith(ext.lower()):
        stem = stem[: -len(ext)]
    return f"{stem}_p{page}{ext}" if page > 1 else f"{stem}{ext}"
