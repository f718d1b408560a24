"""A local webhook receiver for the demo and for trying routes: prints every alert it receives, checks
signed webhooks against the key (docs/alerting.md, "Verifying a webhook") and appends each delivery
as one JSON line to --out, so a script can wait for it.

    python -m controlroom.examples.alert_receiver --port 9999 --key "$ONCALL_SIGNING_KEY" --out alerts.jsonl
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPLAY_WINDOW_SECONDS = 300


def signature_ok(key: str, timestamp: str, raw_body: bytes, signature: str) -> bool:
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    expected = "sha256=" + hmac.new(key.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def serve(port: int, key: str | None, out: Path | None) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            signature = self.headers.get("X-Controlroom-Signature")
            verified: bool | None = None
            if signature is not None and key:
                verified = signature_ok(key, self.headers.get("X-Controlroom-Timestamp", ""), raw, signature)
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"unparsed": raw.decode(errors="replace")}
            record = {
                "path": self.path,
                "delivery": self.headers.get("X-Controlroom-Delivery"),
                "signature": "valid" if verified else "INVALID" if verified is False else "unsigned",
                "body": body,
            }
            summary = body.get("summary") or body.get("text") or json.dumps(body)[:120]
            print(f"received {self.path} [{record['signature']}] {summary}", flush=True)
            if out is not None:
                with lock, out.open("a") as fh:
                    fh.write(json.dumps(record) + "\n")
            self.send_response(401 if verified is False else 200)
            self.end_headers()

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m controlroom.examples.alert_receiver")
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--key", default=None, help="signing key of the webhook targets (checks signatures)")
    parser.add_argument("--out", type=Path, default=None, help="append each delivery as a JSON line")
    args = parser.parse_args(argv)
    server = serve(args.port, args.key, args.out)
    print(f"alert receiver on http://127.0.0.1:{args.port}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
