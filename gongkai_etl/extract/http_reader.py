"""HTTP reader: fetch a URL robustly, archive the raw bodies, parse them.

What it does for one ``url:`` input (options under ``inputs.<name>.options``,
documented in the README section "HTTP inputs"):

* connect and read timeouts, plus a total time limit per download;
* retries with exponential backoff on connection errors, timeouts, a
  connection dropped mid-body, 429 and 5xx, honouring ``Retry-After``;
* pagination: ``page`` / ``offset`` query parameters, a next link in the JSON
  body, or a ``Link: <...>; rel="next"`` header;
* conditional requests: the ETag / Last-Modified of every URL is remembered in
  ``<out>/.gongkai/http/cache.json``; a ``304 Not Modified`` reuses the archived
  body, so an unchanged source is not downloaded again;
* authentication by a header whose value comes from an environment variable
  (``token_env``, ``header_env``): the value never reaches logs, the ledger,
  error messages or archive file names;
* a size limit (``max_bytes``);
* every raw response body is archived under ``<out>/.gongkai/archive/`` with
  its sha256, like a local input file.

Failures after the retries raise :class:`SourceUnreachable` (exit 3) naming
the URL (credentials and secret-looking query values removed) and the last
status.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from gongkai_etl.contracts import RawTable, Reader
from gongkai_etl.errors import ConfigError, GongkaiError, InputError, SourceUnreachable, did_you_mean
from gongkai_etl.extract.archive import archive_bytes, safe_name, sha256_file
from gongkai_etl.extract.json_reader import find_records, parse_json_bytes, records_to_table
from gongkai_etl.files import atomic_write_json, failpoint

#: Option the engine (RunContext) sets: the output's ``.gongkai`` folder.
STATE_DIR_OPTION = "_state_dir"

#: Seconds the module sleeps through; tests replace it to run fast.
sleep = time.sleep

#: Reader options this reader understands, with their defaults.
DEFAULTS: dict[str, Any] = {
    "connect_timeout": 5.0,
    "read_timeout": 30.0,
    "total_timeout": 600.0,
    "retries": 3,
    "backoff": 0.5,
    "max_backoff": 30.0,
    "jitter": 0.1,
    "max_retry_after": 120.0,
    "max_bytes": 256 << 20,
    "max_redirects": 5,
    "conditional": True,
    "headers": {},
    "header_env": {},
    "token_env": None,
    "token_header": "Authorization",
    "token_prefix": "Bearer ",
    "pagination": None,
    "params": {},
    "verify": True,
}
#: Options the engine or other readers pass through (not checked here).
PASS_THROUGH = {
    "format", "encoding", "sheet", "header_rows", "records_path", "batch_rows", "transport", "allow_empty",
    "totals", "delimiter", "block_size", STATE_DIR_OPTION, "timeout",
}
PAGINATION_KEYS = {
    "type", "page_param", "start", "size_param", "size", "offset_param", "limit_param", "limit", "next_path",
    "max_pages",
}
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = ("token", "key", "secret", "password", "passwd", "pwd", "sig", "signature", "auth", "credential", "session")
NEXT_PATHS = ("next", "links.next", "paging.next", "next_url", "nextPage", "_links.next.href", "meta.next")
CACHE_FILE = "cache.json"


def safe_url(url: str) -> str:
    """``url`` fit for messages and file names: no user:password, and the value of
    every query parameter whose name looks like a credential replaced by ``***``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = [
        (k, "***" if any(s in k.lower() for s in SECRET_PARAMS) else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, host, parts.path, urlencode(query, safe="*/:"), ""))


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


@dataclass
class Settings:
    """Checked options of one HTTP input."""

    connect_timeout: float
    read_timeout: float
    total_timeout: float
    retries: int
    backoff: float
    max_backoff: float
    jitter: float
    max_retry_after: float
    max_bytes: int
    max_redirects: int
    conditional: bool
    headers: dict[str, str]
    secret_headers: set[str]
    secrets: list[str]
    pagination: dict[str, Any] | None
    params: dict[str, Any]
    verify: bool

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> Settings:
        for key in options:
            if key not in DEFAULTS and key not in PASS_THROUGH:
                hint = did_you_mean(key, DEFAULTS, or_list=True)
                raise ConfigError(f"inputs.*.options.{key}: 未知的 HTTP 选项 (unknown HTTP option){hint}")
        opt = {**DEFAULTS, **options}
        if "timeout" in options and "read_timeout" not in options:
            opt["read_timeout"] = options["timeout"]

        def number(key: str, minimum: float = 0.0) -> float:
            value = opt[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
                raise ConfigError(f"inputs.*.options.{key}: expected a number >= {minimum:g}, got {value!r}")
            return float(value)

        headers: dict[str, str] = {}
        secret_headers: set[str] = set()
        secrets: list[str] = []
        for k, v in (opt["headers"] or {}).items():
            headers[str(k)] = str(v)
        header_env = opt["header_env"] or {}
        if not isinstance(header_env, Mapping):
            raise ConfigError("inputs.*.options.header_env: expected a mapping of header name to environment variable")
        token_env = opt["token_env"]
        env_headers = {str(k): str(v) for k, v in header_env.items()}
        if token_env:
            env_headers[str(opt["token_header"])] = str(token_env)
        for header, env in env_headers.items():
            value = os.environ.get(env)
            if not value:
                raise ConfigError(
                    f"环境变量 {env} 未设置 (environment variable {env} for HTTP header {header} is not set)"
                )
            if token_env and env == token_env and header == str(opt["token_header"]):
                value = str(opt["token_prefix"] or "") + value
            headers[header] = value
            secret_headers.add(header.lower())
            secrets.append(os.environ[env])
        pagination = opt["pagination"]
        if isinstance(pagination, str):
            pagination = {"type": pagination}
        if pagination is not None:
            if not isinstance(pagination, Mapping):
                raise ConfigError("inputs.*.options.pagination: expected page, offset, next, link or a mapping with `type`")
            unknown = set(pagination) - PAGINATION_KEYS
            if unknown:
                raise ConfigError(
                    f"inputs.*.options.pagination.{sorted(unknown)[0]}: 未知的键 (unknown key); "
                    f"expected one of: {', '.join(sorted(PAGINATION_KEYS))}"
                )
            if pagination.get("type") not in ("page", "offset", "next", "link"):
                raise ConfigError(
                    f"inputs.*.options.pagination.type: expected page, offset, next or link, got {pagination.get('type')!r}"
                )
            pagination = dict(pagination)
        params = opt["params"] or {}
        if not isinstance(params, Mapping):
            raise ConfigError("inputs.*.options.params: expected a mapping of query parameters")
        return cls(
            connect_timeout=number("connect_timeout"),
            read_timeout=number("read_timeout"),
            total_timeout=number("total_timeout"),
            retries=int(number("retries")),
            backoff=number("backoff"),
            max_backoff=number("max_backoff"),
            jitter=number("jitter"),
            max_retry_after=number("max_retry_after"),
            max_bytes=int(number("max_bytes", 1)),
            max_redirects=int(number("max_redirects")),
            conditional=bool(opt["conditional"]),
            headers=headers,
            secret_headers=secret_headers,
            secrets=secrets,
            pagination=pagination,
            params=dict(params),
            verify=bool(opt["verify"]),
        )

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


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
    def load(cls, state_dir: Path | None) -> Cache:
        if state_dir is None:
            return cls(None)
        path = state_dir / "http" / CACHE_FILE
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

    def __init__(self, settings: Settings, state_dir: Path | None) -> None:
        self.s = settings
        self.state_dir = state_dir
        if state_dir is not None:
            self.archive_dir = state_dir / "archive"
        else:  # reader used on its own (tests, scripts): a private temporary archive
            import tempfile

            self.archive_dir = Path(tempfile.mkdtemp(prefix="gongkai-http-"))
        self.cache = Cache.load(state_dir)
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
            try:
                resp = self._request(url, cached)
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
                        body = self._body(resp, url)
                        return self._keep(url, name, resp, body)
                except _Retry as exc:
                    last = exc.reason
                finally:
                    resp.close()
            if attempt < attempts - 1:
                sleep(delay)
        raise self._fail(url, f"{attempts} 次尝试均失败 (failed after {attempts} attempts); last: {last}")

    def _request(self, url: str, cached: dict[str, Any] | None) -> requests.Response:
        s = self.s
        headers = {"User-Agent": "gongkai-etl", **s.headers}
        if cached:
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        current = url
        for _ in range(s.max_redirects + 1):
            try:
                resp = self.session.get(
                    current, headers=headers, timeout=(s.connect_timeout, s.read_timeout), stream=True,
                    allow_redirects=False, verify=s.verify,
                )
            except requests.exceptions.ConnectTimeout:
                raise _Retry(f"connect timeout ({s.connect_timeout:g}s)") from None
            except requests.exceptions.ReadTimeout:
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

    def _body(self, resp: requests.Response, url: str) -> bytes:
        s = self.s
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > s.max_bytes:
            raise InputError(
                f"响应超过大小上限 (response of {int(length):,} bytes is larger than max_bytes {s.max_bytes:,}): {safe_url(url)}"
            )
        body = bytearray()
        started = time.monotonic()
        try:
            for chunk in resp.iter_content(1 << 16):
                body.extend(chunk)
                if len(body) > s.max_bytes:
                    raise InputError(
                        f"响应超过大小上限 (response larger than max_bytes {s.max_bytes:,}): {safe_url(url)}"
                    )
                if time.monotonic() - started > s.total_timeout:
                    raise _Retry(f"download slower than total_timeout {s.total_timeout:g}s ({len(body):,} bytes so far)")
                failpoint("http:during-body")
        except requests.exceptions.ConnectionError as exc:
            if "Read timed out" in str(exc):
                raise _Retry(f"read timeout ({s.read_timeout:g}s) in the middle of the body") from None
            raise _Retry(f"connection dropped mid-body after {len(body):,} bytes") from None
        except requests.exceptions.ChunkedEncodingError:
            raise _Retry(f"connection dropped mid-body after {len(body):,} bytes") from None
        except requests.exceptions.ContentDecodingError:
            raise _Retry(f"undecodable (compressed) body after {len(body):,} bytes") from None
        except requests.RequestException as exc:
            raise _Retry(f"{type(exc).__name__} in the middle of the body after {len(body):,} bytes") from None
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


def _dotted(doc: Any, path: str) -> Any:
    node = doc
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _kind(fmt: str | None, ctype: str, url: str) -> str:
    path = urlsplit(url).path.lower()
    if fmt in ("csv", "excel", "xlsx", "xls", "json"):
        return "excel" if fmt in ("xlsx", "xls") else fmt
    ctype = ctype.lower()
    if "csv" in ctype or path.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if "spreadsheet" in ctype or "excel" in ctype or path.endswith((".xlsx", ".xls", ".xlsm")):
        return "excel"
    return "json"


def _archive_name(url: str, kind: str, page: int) -> str:
    parts = urlsplit(url)  # host and path only: a query string may carry credentials
    base = parts.path.strip("/").replace("/", "_") or "index"
    stem = safe_name(f"{parts.hostname or 'host'}_{base}")
    ext = {"csv": ".csv", "excel": Path(parts.path).suffix or ".xlsx", "json": ".json"}[kind]
    if stem.lower().endswith(ext.lower()):
        stem = stem[: -len(ext)]
    return f"{stem}_p{page}{ext}" if page > 1 else f"{stem}{ext}"


def fetch_pages(url: str, options: Mapping[str, Any]) -> list[Page]:
    """Every page of ``url`` (one without pagination), archived."""
    settings = Settings.parse(options)
    state = options.get(STATE_DIR_OPTION)
    fetcher = Fetcher(settings, Path(state) if state else None)
    fmt = options.get("format")
    try:
        pag = settings.pagination
        base = _with_params(url, settings.params)
        if pag is None:
            return [fetcher.get(base, _archive_name(url, _kind(fmt, "", url), 1))]
        if _kind(fmt, "", url) != "json":
            raise ConfigError("inputs.*.options.pagination: pagination is supported for JSON sources only")
        return _paged(fetcher, base, pag, options)
    finally:
        fetcher.close()


def _paged(fetcher: Fetcher, url: str, pag: dict[str, Any], options: Mapping[str, Any]) -> list[Page]:
    kind = pag["type"]
    max_pages = int(pag.get("max_pages", 1000))
    pages: list[Page] = []
    seen: set[str] = set()
    number = int(pag.get("start", 1 if kind == "page" else 0))
    size = pag.get("size") if kind == "page" else pag.get("limit", 100)
    current: str | None = url
    while current is not None:
        if len(pages) >= max_pages:
            raise fetcher._fail(url, f"more than max_pages {max_pages} pages; raise pagination.max_pages")
        if kind == "page":
            params = {pag.get("page_param", "page"): number}
            if size is not None:
                params[pag.get("size_param", "page_size")] = size
            target = _with_params(url, params)
        elif kind == "offset":
            target = _with_params(url, {pag.get("offset_param", "offset"): number, pag.get("limit_param", "limit"): size})
        else:
            target = current
        if target in seen:
            raise fetcher._fail(target, "pagination loops: the next link points to a page already read")
        seen.add(target)
        page = fetcher.get(target, _archive_name(url, "json", len(pages) + 1))
        pages.append(page)
        doc = _json_doc(page, options)
        records = find_records(doc, options.get("records_path"), page.url)
        if kind in ("page", "offset"):
            if not records or (size is not None and len(records) < int(size)):
                current = None
            number += 1 if kind == "page" else len(records)
        elif kind == "next":
            paths = [pag["next_path"]] if pag.get("next_path") else list(NEXT_PATHS)
            link = next((v for v in (_dotted(doc, p) for p in paths) if isinstance(v, str) and v), None)
            current = urljoin(target, link) if link and records else None
        else:  # a Link header
            current = urljoin(target, page.next_link) if page.next_link and records else None
    return pages


def _json_doc(page: Page, options: Mapping[str, Any]) -> Any:
    encoding = options.get("encoding") or "utf-8-sig"
    try:
        return json.loads(page.body.decode(encoding))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"JSON 解析失败 (invalid JSON page; truncated?): {exc}", file=page.url) from None


class HttpReader(Reader):
    name = "http"

    def can_read(self, location: str, options: Mapping[str, Any]) -> bool:
        return location.startswith(("http://", "https://"))

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        pages = fetch_pages(location, options)
        first = pages[0]
        kind = _kind(options.get("format"), first.content_type, location)
        if kind == "json":
            if len(pages) == 1:
                path = urlsplit(location).path.lower()
                table = parse_json_bytes(first.body, first.url, options, lines=path.endswith((".jsonl", ".ndjson")))
            else:
                records: list[Any] = []
                for page in pages:
                    records += find_records(_json_doc(page, options), options.get("records_path"), page.url)
                table = records_to_table(records, safe_url(location))
        else:
            from gongkai_etl.extract.csv_reader import CsvReader
            from gongkai_etl.extract.excel_reader import ExcelReader

            reader = CsvReader() if kind == "csv" else ExcelReader()
            table = reader.read(str(first.archive), options, expected=expected)
        table.location = safe_url(location)
        if len(pages) == 1:
            table.sha256 = first.sha256
        else:
            h = hashlib.sha256()
            for page in pages:
                h.update(page.sha256.encode())
            table.sha256 = h.hexdigest()
        table.meta.update(
            pages=len(pages),
            not_modified=all(p.not_modified for p in pages),
            archived=[p.archive.name for p in pages],
            statuses=[p.status for p in pages],
        )
        return table
