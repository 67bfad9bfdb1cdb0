"""The Django WSGI application served in a background thread, on 127.0.0.1 only."""

from __future__ import annotations

import logging
import threading

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application


class QuietHandler(WSGIRequestHandler):
    """Django's development request handler (HTTP/1.1 keep-alive), without access logs.

    TCP_NODELAY as production servers set it: the handler writes headers and body in two
    sends, and with Nagle's algorithm the body waits for the client's delayed ACK (about
    40 ms on Linux), which would be measured as application time.
    """

    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        pass


class BackgroundServer:
    """`with BackgroundServer() as server:` serves on http://127.0.0.1:{server.port}/."""

    def __init__(self):
        self.httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, ipv6=False)
        self.httpd.daemon_threads = True
        self.httpd.set_app(get_wsgi_application())
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> BackgroundServer:
        logging.getLogger("django.server").setLevel(logging.WARNING)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
