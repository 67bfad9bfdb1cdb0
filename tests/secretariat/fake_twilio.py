"""A fake Twilio REST API on 127.0.0.1: records each request to create a call and answers
as told ("ok": 201 with a new CallSid as Twilio does, or an HTTP status such as "500")."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self, *, answer: str = "ok"):
        self.answer = answer
        self.requests: list[dict] = []
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet tests
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                auth = self.headers.get("Authorization", "")
                user = ""
                if auth.startswith("Basic "):
                    user = base64.b64decode(auth[6:]).decode()
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "form": {k: v[0] for k, v in parse_qs(body).items()},
                            "basic": user,
                        }
                    )
                    n = next(fake._seq)
                if fake.answer == "ok":
                    status, payload = 201, {"sid": f"CAoperator{n:024d}", "status": "queued"}
                else:
                    status, payload = int(fake.answer), {"code": 20003, "message": "refused"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
