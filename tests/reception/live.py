"""A live WSGI server on 127.0.0.1 for many parallel clients (tests and benchmarks).

Django's development server, with a listen backlog large enough for 200 simultaneous
connections (its default, 10, resets connections beyond that) and, optionally, a fixed pool
of worker threads as a production server has (a few workers per core, each with its own
database connection): requests beyond the pool wait in the queue instead of opening one
thread and one database connection each.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application
from django.db import connections


class _ThreadPerRequest(ThreadedWSGIServer):
    request_queue_size = 1024
    daemon_threads = True


class _Pooled(WSGIServer):
    request_queue_size = 1024

    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="accueil-worker")

    def process_request(self, request, client_address):
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            connections.close_all()

    def server_close(self):
        super().server_close()
        self.pool.shutdown(wait=True, cancel_futures=True)


class _Handler(WSGIRequestHandler):
    """Django's development request handler (HTTP/1.1 keep-alive), without access logs.

    TCP_NODELAY as production servers set it: the handler writes headers and body in two
    sends, and with Nagle's algorithm the body waits for the client's delayed ACK (about
    40 ms on Linux), which would be measured as application time.
    """

    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002
        pass


class LiveServer:
    """`with LiveServer(workers=16) as server:` serves the project on server.url."""

    def __init__(self, workers: int | None = None) -> None:
        address = ("127.0.0.1", 0)
        if workers:
            self.httpd = _Pooled(address, _Handler, ipv6=False, workers=workers)
        else:
            self.httpd = _ThreadPerRequest(address, _Handler, ipv6=False)
        self.httpd.set_app(get_wsgi_application())
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        logging.getLogger("django.server").setLevel(logging.WARNING)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
