"""HTTP reader: fetch a URL with timeouts and retries, then parse it as JSON or CSV.

The response body is written to a temporary file first, so it is archived with
its sha256 like any other input.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from gongkai_etl.contracts import RawTable, Reader
from gongkai_etl.errors import ConfigError, SourceUnreachable
from gongkai_etl.extract.csv_reader import CsvReader
from gongkai_etl.extract.json_reader import parse_json_bytes

RETRY_STATUS = {429, 500, 502, 503, 504}


def safe_url(url: str) -> str:
    """The URL without user:password and query string (tokens often travel there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def fetch(url: str, options: Mapping[str, Any]) -> tuple[bytes, str]:
    """GET ``url`` with retries; return (body, content type)."""
    headers = dict(options.get("headers") or {})
    token_env = options.get("token_env")
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise ConfigError(f"环境变量 {token_env} 未设置 (token environment variable is not set)")
        headers[options.get("token_header", "Authorization")] = options.get("token_prefix", "Bearer ") + token
    timeout = (float(options.get("connect_timeout", 5)), float(options.get("read_timeout", options.get("timeout", 30))))
    retries = int(options.get("retries", 3))
    backoff = float(options.get("backoff", 0.5))
    max_bytes = int(options.get("max_bytes", 512 << 20))
    last = "no response"
    for attempt in range(retries + 1):
        try:
            with requests.get(url, headers=headers, timeout=timeout, stream=True) as resp:
                if resp.status_code in RETRY_STATUS and attempt < retries:
                    last = f"HTTP {resp.status_code}"
                    time.sleep(_retry_after(resp, backoff * 2**attempt))
                    continue
                if resp.status_code >= 400:
                    last = f"HTTP {resp.status_code}"
                    break
                body = bytearray()
                for chunk in resp.iter_content(1 << 16):
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise SourceUnreachable(f"响应超过大小上限 (response larger than {max_bytes} bytes): {safe_url(url)}")
                return bytes(body), resp.headers.get("Content-Type", "")
        except requests.RequestException as exc:
            last = type(exc).__name__
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
                continue
    raise SourceUnreachable(f"数据源不可达 (source unreachable after {retries + 1} attempts): {safe_url(url)}; last: {last}")


def _retry_after(resp: requests.Response, default: float) -> float:
    value = resp.headers.get("Retry-After")
    try:
        return min(float(value), 60.0) if value else default
    except ValueError:
        return default


class HttpReader(Reader):
    name = "http"

    def can_read(self, location: str, options: Mapping[str, Any]) -> bool:
        return location.startswith(("http://", "https://"))

    def read(self, location: str, options: Mapping[str, Any], *, expected: Iterable[str] = ()) -> RawTable:
        body, ctype = fetch(location, options)
        fmt = options.get("format")
        path = urlsplit(location).path.lower()
        if fmt == "csv" or (not fmt and ("csv" in ctype or path.endswith(".csv"))):
            fd, tmp = tempfile.mkstemp(suffix=".csv")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            table = CsvReader().read(tmp, options, expected=expected)
            table.location = safe_url(location)
            table.meta["local_copy"] = tmp
            return table
        table = parse_json_bytes(body, safe_url(location), options, lines=path.endswith((".jsonl", ".ndjson")))
        fd, tmp = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        table.meta["local_copy"] = tmp
        return table


def local_copy(table: RawTable) -> Path | None:
    p = table.meta.get("local_copy")
    return Path(p) if p else None
