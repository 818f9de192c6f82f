"""A small HTTP server on loopback for the `std/http` tests and `bench/bench_http.py`.

`LoopbackHTTPServer()` binds 127.0.0.1 on a free port (a `ThreadingHTTPServer`
on a background thread; HTTP/1.1 with keep-alive, so connection reuse shows in
`connections`). Routes:

    GET  /json                 {"name": "Prism", "n": 3}
    GET  /text                 hello (text/plain)
    GET  /status/N             an empty response with status N
    GET  /flaky?key=K&fail=F&status=S[&retry_after=R]
                               status S (default 503) for the first F requests of key K, then 200
    GET  /big?size=N           N bytes with a Content-Length
    GET  /stream?size=N        N bytes, chunked (no Content-Length)
    GET  /hold?name=X          waits until the test calls `release(X)` (60 s at most), then 200
    GET  /headers              the request's headers as JSON
    POST /echo (also PUT)      {"method", "content_type", "body"} as JSON
    DELETE                     as GET

Counters: `requests` (total), `attempts[key]` for /flaky, `connections` (TCP
connections accepted). Used only by tests and the benchmark; its start, stop and release
events are `LoopbackServer`'s (tests/llm/openai_server.py).
"""
from __future__ import annotations

import importlib.util
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


def _loopback_server_class():
    """The shared base (tests/llm/openai_server.py), loaded by path: tests/ is not a package and
    this file also runs as a script (the benchmark's server)."""
    path = Path(__file__).resolve().parents[1] / "llm" / "openai_server.py"
    spec = importlib.util.spec_from_file_location("loopback_openai_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LoopbackServer


LoopbackServer = _loopback_server_class()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.owner._lock:
            self.server.owner.connections += 1

    def _send(self, status, body=b"", content_type="application/json", headers=None, chunked=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 4096):
                piece = body[start:start + 4096]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        owner = self.server.owner
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with owner._lock:
            owner.requests += 1
        if url.path == "/json":
            self._send(200, json.dumps({"name": "Prism", "n": 3}).encode())
        elif url.path == "/text":
            self._send(200, b"hello", "text/plain; charset=utf-8")
        elif url.path.startswith("/status/"):
            self._send(int(url.path.rsplit("/", 1)[1]), b"")
        elif url.path == "/flaky":
            key = query.get("key", "")
            with owner._lock:
                owner.attempts[key] = n = owner.attempts.get(key, 0) + 1
            if n <= int(query.get("fail", 1)):
                headers = {"Retry-After": query["retry_after"]} if "retry_after" in query else {}
                self._send(int(query.get("status", 503)), b"", headers=headers)
            else:
                self._send(200, json.dumps({"attempt": n}).encode())
        elif url.path in ("/big", "/stream"):
            body = b"x" * int(query.get("size", 0))
            self._send(200, body, "application/octet-stream", chunked=url.path == "/stream")
        elif url.path == "/hold":
            owner._release_event(query.get("name", "")).wait(60)
            self._send(200, b"released", "text/plain")
        elif url.path == "/headers":
            self._send(200, json.dumps({k.lower(): v for k, v in self.headers.items()}).encode())
        else:
            self._send(404, b'{"error": "no route"}')

    def do_POST(self):
        with self.server.owner._lock:
            self.server.owner.requests += 1
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if urlparse(self.path).path != "/echo":
            self._send(404, b"")
            return
        self._send(200, json.dumps({"method": self.command, "content_type": self.headers.get("Content-Type"),
                                    "body": body.decode("utf-8", "replace")}).encode())

    do_PUT = do_POST
    do_DELETE = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        import sys
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)   # a client that gave up is not news


class LoopbackHTTPServer(LoopbackServer):
    handler_class = _Handler
    server_class = _Server
    thread_name = "loopback-http"

    def __init__(self):
        super().__init__()
        self.requests = 0
        self.connections = 0
        self.attempts: dict[str, int] = {}

    @property
    def url(self) -> str:
        return self.address


if __name__ == "__main__":        # manual use and the benchmark's server process
    import sys
    server = LoopbackHTTPServer().start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()           # until the parent closes our stdin
    finally:
        server.stop()
