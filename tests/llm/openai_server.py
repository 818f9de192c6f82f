"""A small OpenAI-compatible chat-completions server for testing `prism_runtime.llm`.

`FakeOpenAIServer()` binds 127.0.0.1 on a free port and serves
`POST /v1/chat/completions` (plain and `stream: true` SSE, chunked transfer)
and `POST /v1/embeddings` from a `ThreadingHTTPServer` on a background
thread, so real HTTP goes over loopback. The answer to a prompt is
`"echo: <prompt>"`, one token per word, each token with logprob
`server.token_logprob` (or none when `logprobs` is off). A request with
`top_logprobs: n` (classification) gets, for its first token, the
alternatives of a `[top=..]` directive (else the first token alone), and its
answer is the most likely of them. The embedding of a text is
`embedding_of(text)`: `dim` floats derived from its SHA-256 (float lists, or
base64 float32 when the client asks for `encoding_format: "base64"`).

Behaviour is chosen by server attributes (`latency`, `token_logprob`,
`send_logprobs`) or per prompt with directives in the prompt text, which keeps
tests independent when they share a server:

    [latency=0.2]          sleep before answering (streams: per chunk too, /10)
    [status=500]           answer with that HTTP status ...
    [times=2]              ... only for the first 2 attempts at this prompt
    [retry_after=0.05]     add Retry-After (seconds) to the error response
    [retry_after_ms=20]    add retry-after-ms instead
    [cut=3]                stream: drop the connection after 3 chunks (no
                           chunked terminator); plain: send half the body
    [cut_clean=3]          stream: end cleanly after 3 chunks with no
                           finish_reason and no [DONE]
    [malformed]            200 with a body that is not JSON (stream: bad event)
    [nologprobs]           omit logprobs
    [logprob=-0.5]         per-token logprob for this prompt
    [echo_auth]            401 whose body repeats the Authorization header
    [top=pos:0.7,neg:0.2]  classification: the first token's alternatives
                           (token:probability) when `top_logprobs` is asked
    [hold=name]            wait before answering until the test calls
                           `server.release(name)` (gives up after 60 s); while
                           waiting it counts in `server.holding(name)`

Counters (thread-safe): `requests` (total), `in_flight`, `max_in_flight`,
`attempts[prompt]`, and `received` (the JSON bodies, in arrival order).
`reset_counters()` zeroes them (except the live `in_flight`). Used only by tests and `bench/bench_llm.py`;
talks to nothing else.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_DIRECTIVE = re.compile(r"\[(\w+)(?:=([^\]]*))?\]")


def parse_directives(prompt: str) -> dict:
    return {m.group(1): (m.group(2) if m.group(2) is not None else True) for m in _DIRECTIVE.finditer(prompt)}


def embedding_of(text: str, dim: int = 8) -> list:
    """The server's embedding of `text`: deterministic floats in [-1, 1) from its SHA-256."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(digest[i % len(digest)] - 128) / 128.0 for i in range(dim)]


def top_alternatives(directive: str) -> list:
    """`pos:0.7,neg:0.2` -> [("pos", log 0.7), ("neg", log 0.2)], most likely first."""
    pairs = [item.rsplit(":", 1) for item in directive.split(",") if item]
    return sorted(((token, math.log(float(p))) for token, p in pairs), key=lambda tp: -tp[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True     # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    server_version = "FakeOpenAI/1.0"

    def log_message(self, format, *args):      # keep test output clean
        pass

    # -- helpers --
    def _send_json(self, status, obj, extra_headers=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _abort(self):
        """Drop the connection without finishing the response."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_POST(self):
        fake: FakeOpenAIServer = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") in ("/v1/embeddings", "/embeddings"):
            self._embeddings(fake, raw)
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send_json(400, {"error": {"message": "request body is not JSON"}})
            return
        prompt = next((m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
        d = parse_directives(prompt)
        attempt = fake._begin(prompt, body)
        try:
            self._answer(fake, body, prompt, d, attempt)
        finally:
            fake._end()

    def _embeddings(self, fake, raw):
        body = json.loads(raw)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        attempt = fake._begin(inputs[0] if inputs else "", body)
        try:
            d = parse_directives(inputs[0] if inputs else "")
            if "status" in d and attempt <= int(d.get("times", 10**9)):
                self._send_json(int(d["status"]), {"error": {"message": f"injected status {d['status']}"}})
                return
            data = []
            for i, text in enumerate(inputs):
                vector = embedding_of(text, fake.embedding_dim)
                if body.get("encoding_format") == "base64":
                    vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                data.append({"object": "embedding", "index": i, "embedding": vector})
            self._send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake"),
                                  "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        finally:
            fake._end()

    def _answer(self, fake, body, prompt, d, attempt):
        if "hold" in d:
            fake._hold(d["hold"])
        latency = float(d.get("latency", fake.latency))
        stream = bool(body.get("stream"))
        if latency and not stream:
            time.sleep(latency)
        if "echo_auth" in d:
            self._send_json(401, {"error": {"message": f"bad key in header: {self.headers.get('Authorization')}",
                                            "type": "invalid_request_error"}})
            return
        if "status" in d and attempt <= int(d.get("times", 10**9)):
            headers = {}
            if "retry_after" in d:
                headers["Retry-After"] = d["retry_after"]
            if "retry_after_ms" in d:
                headers["retry-after-ms"] = d["retry_after_ms"]
            self._send_json(int(d["status"]), {"error": {"message": f"injected status {d['status']}",
                                                         "type": "server_error"}}, headers)
            return
        words = ("echo: " + prompt).split(" ")
        tokens = [w if i == 0 else " " + w for i, w in enumerate(words)]
        lp = float(d.get("logprob", fake.token_logprob))
        want_lp = body.get("logprobs") and fake.send_logprobs and "nologprobs" not in d
        alternatives = []
        if body.get("top_logprobs"):
            alternatives = top_alternatives(d["top"]) if "top" in d else [(tokens[0], lp)]
            tokens, lp = [alternatives[0][0]], alternatives[0][1]
        model = body.get("model", "fake")
        if not stream:
            if "malformed" in d:
                self._send_json(200, b'{"id": "x", "choices": [{"message": ')
                return
            content = [{"token": t, "logprob": lp, "bytes": None, "top_logprobs": []} for t in tokens]
            if alternatives:
                content[0]["top_logprobs"] = [{"token": t, "logprob": p, "bytes": None}
                                              for t, p in alternatives[:int(body["top_logprobs"])]]
            resp = {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "".join(tokens)},
                                 "logprobs": {"content": content} if want_lp else None}],
                    "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(tokens),
                              "total_tokens": len(prompt.split()) + len(tokens)}}
            if "cut" in d:
                data = json.dumps(resp).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self._abort()
                return
            self._send_json(200, resp)
            return
        # streaming
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(obj):
            self._chunk(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n")

        def chunk(delta, finish=None, lps=None):
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                 "logprobs": {"content": lps} if lps is not None else None}]}

        cut = int(d["cut"]) if "cut" in d else None
        cut_clean = int(d["cut_clean"]) if "cut_clean" in d else None
        event(chunk({"role": "assistant", "content": ""}))
        for i, t in enumerate(tokens):
            if cut is not None and i == cut:
                self._abort()
                return
            if cut_clean is not None and i == cut_clean:
                self._chunk(b"")
                return
            if "malformed" in d and i == 1:
                event(b'{"choices": [{"delta": ')
                self._chunk(b"")
                return
            if latency:
                time.sleep(latency / 10)
            lps = [{"token": t, "logprob": lp, "bytes": None, "top_logprobs": []}] if want_lp else None
            event(chunk({"content": t}, lps=lps))
        event(chunk({}, finish="stop"))
        event(b"[DONE]")
        self._chunk(b"")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256        # listen() backlog: bursts of concurrent connects


class LoopbackServer:
    """A `ThreadingHTTPServer` on 127.0.0.1 (a free port) on a daemon thread, with named
    release events for handlers that wait on the test. Subclasses name their handler and
    server classes; handlers reach the owner as `self.server.owner`. Also the base of
    tests/stdlib/http_server.py."""
    handler_class = None
    server_class = None
    thread_name = "loopback"

    def __init__(self):
        self._lock = threading.Lock()
        self._releases: dict[str, threading.Event] = {}
        self._httpd = None
        self._thread = None

    def _release_event(self, name: str) -> threading.Event:
        with self._lock:
            return self._releases.setdefault(name, threading.Event())

    def release(self, name: str) -> None:
        """Let every request waiting on `name` (now and later) answer."""
        self._release_event(name).set()

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._httpd = self.server_class(("127.0.0.1", 0), self.handler_class)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        with self._lock:
            held = list(self._releases.values())
        for event in held:
            event.set()                          # no handler thread is left waiting
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class FakeOpenAIServer(LoopbackServer):
    """The server; use as a context manager or call `start()` / `stop()`."""
    handler_class = _Handler
    server_class = _Server
    thread_name = "fake-openai"

    def __init__(self, latency: float = 0.0, token_logprob: float = -0.1, send_logprobs: bool = True,
                 embedding_dim: int = 8):
        self.latency = latency
        self.embedding_dim = embedding_dim
        self.token_logprob = token_logprob
        self.send_logprobs = send_logprobs
        super().__init__()
        self._holding: dict[str, int] = {}
        self.reset_counters()

    def reset_counters(self):
        """Zero the counters; `in_flight` is a live gauge and is kept (a handler may still be finishing)."""
        with self._lock:
            self.requests = 0
            self.in_flight = getattr(self, "in_flight", 0)
            self.max_in_flight = self.in_flight
            self.attempts: dict[str, int] = {}
            self.received: list[dict] = []
            self.times: list[float] = []

    def _begin(self, prompt, body) -> int:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.attempts[prompt] = self.attempts.get(prompt, 0) + 1
            self.received.append(body)
            self.times.append(time.monotonic())
            return self.attempts[prompt]

    def _end(self):
        with self._lock:
            self.in_flight -= 1

    def _hold(self, name: str) -> None:
        released = self._release_event(name)
        with self._lock:
            self._holding[name] = self._holding.get(name, 0) + 1
        try:
            released.wait(60)
        finally:
            with self._lock:
                self._holding[name] -= 1

    def holding(self, name: str) -> int:
        """How many requests wait at `[hold=name]` now."""
        with self._lock:
            return self._holding.get(name, 0)

    @property
    def base_url(self) -> str:
        return self.address + "/v1"


if __name__ == "__main__":       # manual use: python tests/llm/openai_server.py [latency]
    import sys
    srv = FakeOpenAIServer(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0).start()
    print(srv.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()
