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

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from gongkai_etl.contracts import RawTable, Reader
from gongkai_etl.errors import ConfigError, InputError
from gongkai_etl.extract.csv_reader import CsvReader
from gongkai_etl.extract.excel_reader import ExcelReader
from gongkai_etl.extract.http_fetch import Fetcher, Page, archive_name, body_kind
from gongkai_etl.extract.http_options import (
    OUTPUT_DIR_OPTION,
    Settings,
    safe_url,
    with_params,
)
from gongkai_etl.extract.json_reader import (
    find_records,
    parse_json_bytes,
    records_to_table,
)
from gongkai_etl.home import Home

NEXT_PATHS = ("next", "links.next", "paging.next", "next_url", "nextPage", "_links.next.href", "meta.next")


def _dotted(doc: Any, path: str) -> Any:
    node = doc
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def fetch_pages(url: str, options: Mapping[str, Any]) -> list[Page]:
    """Every page of ``url`` (one without pagination), archived."""
    settings = Settings.parse(options)
    out = options.get(OUTPUT_DIR_OPTION)
    fetcher = Fetcher(settings, Home(out) if out else None)
    fmt = options.get("format")
    try:
        pag = settings.pagination
        base = with_params(url, settings.params)
        if pag is None:
            return [fetcher.get(base, archive_name(url, body_kind(fmt, "", url), 1))]
        if body_kind(fmt, "", url) != "json":
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
            target = with_params(url, params)
        elif kind == "offset":
            target = with_params(url, {pag.get("offset_param", "offset"): number, pag.get("limit_param", "limit"): size})
        else:
            target = current
        if target in seen:
            raise fetcher._fail(target, "pagination loops: the next link points to a page already read")
        seen.add(target)
        page = fetcher.get(target, archive_name(url, "json", len(pages) + 1))
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
        kind = body_kind(options.get("format"), first.content_type, location)
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
