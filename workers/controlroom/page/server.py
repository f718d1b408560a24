"""A static file server for the control room page (`python -m controlroom.page`).

Serves `web/` of the project, `/vendor/supabase.js` (supabase-js's browser bundle from
node_modules, pinned in package-lock.json) and `/config.json` (the API URL and the anon key, both
public by design: the anon key identifies the project, RLS protects the data). No build step.

Environment: CONTROLROOM_PAGE_PORT (54323), CONTROLROOM_PAGE_HOST (127.0.0.1), SUPABASE_URL,
SUPABASE_ANON_KEY, CONTROLROOM_PROJECT_DIR (the checkout; default: found from this file).
"""

from __future__ import annotations

import json
import mimetypes
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from controlroom.settings import project_root

VENDOR = {"/vendor/supabase.js": Path("node_modules/@supabase/supabase-js/dist/umd/supabase.js")}
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


class PageHandler(BaseHTTPRequestHandler):
    server_version = "controlroom-page"
    root: Path
    web: Path
    config: bytes

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, *, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == "/config.json":
            return self._send(HTTPStatus.OK, self.config, "application/json", body=body)
        if path in VENDOR:
            return self._file(self.root / VENDOR[path], body=body)
        if path == "/":
            path = "/index.html"
        target = (self.web / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.web) or not target.is_file():
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", body=body)
        return self._file(target, body=body)

    def _file(self, target: Path, *, body: bool) -> None:
        try:
            data = target.read_bytes()
        except OSError:
            hint = b"not found (run `npm ci` for the vendored supabase-js)\n"
            return self._send(HTTPStatus.NOT_FOUND, hint, "text/plain; charset=utf-8", body=body)
        kind = TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, data, kind, body=body)

    def _send(self, status: HTTPStatus, data: bytes, kind: str, *, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        # The page runs only its own scripts and talks only to the Data API.
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'self'; connect-src 'self' {self.server_api_origin()}; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        self.end_headers()
        if body:
            self.wfile.write(data)

    def server_api_origin(self) -> str:
        url = urlsplit(os.environ.get("SUPABASE_URL", ""))
        return f"{url.scheme}://{url.netloc}" if url.netloc else ""

    def log_message(self, format: str, *args: object) -> None:
        return None  # requests are not logged: the page polls


def make_server(host: str, port: int, root: Path, api_url: str, anon_key: str) -> ThreadingHTTPServer:
    handler = type(
        "Handler",
        (PageHandler,),
        {
            "root": root,
            "web": (root / "web").resolve(),
            "config": json.dumps({"supabaseUrl": api_url, "anonKey": anon_key}).encode(),
        },
    )
    return ThreadingHTTPServer((host, port), handler)


def main() -> None:
    host = os.environ.get("CONTROLROOM_PAGE_HOST", "127.0.0.1")
    port = int(os.environ.get("CONTROLROOM_PAGE_PORT", "54323"))
    server = make_server(
        host, port, project_root(), os.environ.get("SUPABASE_URL", ""), os.environ.get("SUPABASE_ANON_KEY", "")
    )
    server.serve_forever()
