"""The options of an HTTP input (``inputs.<name>.options``), checked and
defaulted, and the one way a URL is shown: without credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gongkai_etl.errors import ConfigError, did_you_mean

#: Option the engine (RunContext) sets: the output folder, whose Home says where the
#: conditional-request cache and the archive of response bodies go.
OUTPUT_DIR_OPTION = "_output_dir"


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
    "totals", "delimiter", "block_size", OUTPUT_DIR_OPTION, "timeout",
}


PAGINATION_KEYS = {
    "type", "page_param", "start", "size_param", "size", "offset_param", "limit_param", "limit", "next_path",
    "max_pages",
}


SECRET_PARAMS = ("token", "key", "secret", "password", "passwd", "pwd", "sig", "signature", "auth", "credential", "session")


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


def with_params(url: str, params: Mapping[str, Any]) -> str:
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
