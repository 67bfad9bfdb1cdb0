"""A live WSGI server on 127.0.0.1 for many parallel clients (tests and bench): Django's
threaded development server with a listen backlog large enough for 200 simultaneous
connections (its default, 10, resets connections beyond that)."""

from __future__ import annotations

import logging
import threading

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application


class _Server(ThreadedWSGIServer):
    request_queue_size = 1024
    daemon_threads = True


class _Handler(WSGIRequestHandler):
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002
        pass


class LiveServer:
    """`with LiveServer() as server:` serves the project on server.url (127.0.0.1 only)."""

    def __init__(self) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Handler, ipv6=False, connections_override=None)
        self.httpd.set_app(get_wsgi_application())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        logging.getLogger("django.server").setLevel(logging.WARNING)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
