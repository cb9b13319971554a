"""A throwaway HTTP server on the loopback interface, for tests that need a real peer (webhooks, platforms, pagers).

Several test suites receive what Trustline sends over HTTP; each had its own
copy of starting a ``ThreadingHTTPServer`` on a free port in a thread and
shutting it down. This is that copy, once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on ``127.0.0.1`` at a free port in a daemon thread; yield the base URL, then stop."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
