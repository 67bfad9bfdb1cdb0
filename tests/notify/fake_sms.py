"""A fake SMS provider on 127.0.0.1 for tests and the reminders benchmark.

A real HTTP server (http.server, one thread per request) that answers each POST as told:
"ok" (200 with an id), "500", "400", "hang" (no answer until the client gives up), or
"slow" (answers after `slow_seconds`). Answers are taken from a script (a list consumed in
order), then `default`. With `dedupe`, a second request with an `Idempotency-Key` already
delivered gets the first answer and is not delivered again, as a provider that honours
idempotency keys does. It counts deliveries per key, to check "exactly once".
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsProvider:
    def __init__(self, *, dedupe: bool = False, default: str = "ok", slow_seconds: float = 0.3):
        self.dedupe = dedupe
        self.default = default
        self.slow_seconds = slow_seconds
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.deliveries: Counter[str] = Counter()
        self._ids: dict[str, str] = {}
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSmsProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hanging requests
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSmsProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def delivered(self) -> int:
        return sum(self.deliveries.values())

    def _next_mode(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict]:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        key = handler.headers.get("Idempotency-Key") or ""
        with self._lock:
            self.requests.append(
                {"path": handler.path, "headers": dict(handler.headers), "json": body, "raw": raw}
            )
            if self.dedupe and key and key in self._ids:
                return 200, {"id": self._ids[key], "duplicate": True}
        mode = self._next_mode()
        if mode == "hang":
            self._stopping.wait(30)
            return 503, {"error": "hung"}
        if mode == "slow":
            self._stopping.wait(self.slow_seconds)
        if mode == "500":
            return 500, {"error": "internal"}
        if mode == "400":
            return 400, {"error": "bad request"}
        with self._lock:
            provider_id = f"fake-{next(self._seq)}"
            self.deliveries[key or provider_id] += 1
            if key:
                self._ids[key] = provider_id
        return 200, {"id": provider_id, "messageId": provider_id, "ids": [provider_id]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real providers
            disable_nagle_algorithm = True  # headers and body leave in two writes

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                status, answer = fake._answer(self)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, format, *args) -> None:  # quiet
                pass

        return Handler
