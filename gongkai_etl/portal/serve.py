"""``etl serve``: the output folder over HTTP on loopback, for a local look.

Only the published files: the private state folder ``.gongkai/`` (ledger,
archived raw inputs, rejected rows that may hold personal data) and every other
dot-path answer 404, and so does anything a symbolic link would reach outside
the output folder or inside a dot-folder (a link to ``.gongkai`` or ``/etc``).
The server takes many connections at once (a listen backlog of
:data:`BACKLOG`, a thread per request).
"""

from __future__ import annotations

import functools
import html
import io
import os
import posixpath
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit


class OutputHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".parquet": "application/vnd.apache.parquet",
        ".json": "application/json; charset=utf-8",
        ".csv": "text/csv; charset=utf-8",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".html": "text/html; charset=utf-8",
    }

    def _hidden(self) -> bool:
        path = posixpath.normpath(unquote(urlsplit(self.path).path))
        return any(part.startswith(".") for part in path.split("/") if part)

    def _outside(self) -> bool:
        """Whether the path, its links followed, leaves the output folder or enters a dot-folder."""
        return not _published(os.path.realpath(self.directory), self.translate_path(self.path))

    def send_head(self):  # noqa: ANN201
        if self._hidden() or self._outside():
            self.send_error(404, "Not Found")
            return None
        return super().send_head()

    def list_directory(self, path):  # noqa: ANN001, ANN201
        """A plain listing without the dot-entries."""
        try:
            names = sorted(n for n in os.listdir(path) if not n.startswith("."))
        except OSError:
            self.send_error(404, "Not Found")
            return None
        shown = html.escape(unquote(urlsplit(self.path).path))
        items = []
        root = os.path.realpath(self.directory)
        for name in names:
            full = os.path.join(path, name)
            if not _published(root, full):
                continue  # a link out of the output folder, or into .gongkai, is not listed either
            label = name + ("/" if os.path.isdir(full) else "")
            items.append(f'<li><a href="{quote(label)}">{html.escape(label)}</a></li>')
        body = (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{shown}</title></head><body><h1>{shown}</h1><ul>{''.join(items)}</ul></body></html>"
        ).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if getattr(self.server, "quiet", False):
            return
        super().log_message(format, *args)


def _published(root: str, path: str) -> bool:
    """Whether ``path``, its links followed, is inside ``root`` (a real path) and in no dot-folder."""
    real = os.path.realpath(path)
    if real != root and not real.startswith(root + os.sep):
        return False
    return not any(part.startswith(".") for part in os.path.relpath(real, root).split(os.sep) if part not in ("", "."))


#: Connections the kernel queues while every thread is busy (http.server's default
#: is 5: 200 browsers at once waited past a minute for a free slot).
BACKLOG = 256


class OutputServer(ThreadingHTTPServer):
    request_queue_size = BACKLOG


def make_server(out_dir: Path, port: int = 8000, *, quiet: bool = False) -> ThreadingHTTPServer:
    handler = functools.partial(OutputHandler, directory=str(out_dir))
    server = OutputServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.quiet = quiet  # type: ignore[attr-defined]
    return server
