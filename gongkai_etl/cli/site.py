"""``etl catalog``, ``etl site`` and ``etl serve``: registered through the
``register_commands`` hook like a third-party plugin's commands.

Entry point: ``site = "gongkai_etl.cli.site"`` in the
``gongkai_etl`` group.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from gongkai_etl import hookimpl

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

OutputArg = Annotated[Path, typer.Argument(help="Output folder (the pipelines' output.dir).")]
BaseUrlOpt = Annotated[
    Optional[str],
    typer.Option("--base-url", help="Base URL of download links (default: output.base_url of the pipelines; empty: relative links)."),
]
LedgerOpt = Annotated[Optional[Path], typer.Option("--ledger", help="Ledger file, when not <output>/.gongkai/state.db.")]


def _regenerate(output: Path, ledger: Path | None, base_url: str | None, *, site: bool) -> dict[str, Any]:
    from gongkai_etl.cli.app import finish_interrupted
    from gongkai_etl.portal.regenerate import regenerate
    from gongkai_etl.publish.recovery import open_output

    out = output.resolve()
    led, finished = open_output(out, ledger)
    finish_interrupted(out, ledger, finished)
    try:
        return regenerate(out, led, base_url=base_url, site=site)
    finally:
        led.close()


def catalog(output: OutputArg, base_url: BaseUrlOpt = None, ledger: LedgerOpt = None) -> None:
    """生成数据目录 Write catalog.json (DCAT, JSON-LD), changelogs and datapackage.json files."""
    result = _regenerate(output, ledger, base_url, site=False)
    _say(f"OK {result['catalog']}")


def site(output: OutputArg, base_url: BaseUrlOpt = None, ledger: LedgerOpt = None) -> None:
    """生成静态目录网页 Write the static HTML catalog (index.html and a page per dataset), and catalog.json."""
    result = _regenerate(output, ledger, base_url, site=True)
    _say(f"OK {result['index']} ({len(result['pages'])} dataset pages)")


def serve(
    output: OutputArg,
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port on 127.0.0.1 (0: any free port).")] = 8000,
) -> None:
    """本地预览 Serve the output folder on http://127.0.0.1:PORT/ until Ctrl-C."""
    from gongkai_etl.errors import ConfigError
    from gongkai_etl.portal.serve import make_server

    out = output.resolve()
    if not out.is_dir():
        raise ConfigError("输出目录不存在 (output folder not found)", file=out)
    from gongkai_etl.cli.app import finish_interrupted

    finish_interrupted(out)  # never serve a half-published period
    try:
        server: ThreadingHTTPServer = make_server(out, port)
    except OSError as exc:
        raise ConfigError(f"无法监听端口 {port} (cannot listen on 127.0.0.1:{port}): {exc.strerror or exc}") from None
    host, bound = server.server_address[:2]
    index = "" if (out / "index.html").exists() else "  (no index.html yet: run `etl site` first)"
    print(f"Serving {out} at http://{host}:{bound}/ — Ctrl-C to stop{index}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    print("stopped", file=sys.stderr)


def _say(text: str) -> None:
    from gongkai_etl.cli.app import settings

    if not settings.quiet:
        print(text)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    app.command("catalog")(catalog)
    app.command("site")(site)
    app.command("serve")(serve)
