"""`std/http`: an HTTP client for Prism programs, on httpx.

    import http from "std/http"
    let r = await http.get(url, headers: {"Accept": "application/json"}, timeout: 2000)
    print(r.status, r.headers["content-type"], r.json().name)
    let created = await http.post(url, {name: "Prism"})     // a map or array is sent as JSON

Requests go through one `httpx.AsyncClient` per event loop (connections are
kept alive and reused; the library is `httpx2` where installed, as the `openai`
client uses it, else `httpx`), configured by `[http]` in the nearest
Prism.toml (searched upward from the current directory) when the first
request is made:

    timeout = 30               seconds per attempt (the call's `timeout:` is in milliseconds)
    retries = 2                retries after the first attempt (see below)
    retry_backoff = 0.1        seconds before the first retry, doubling; Retry-After wins
    max_response_bytes = 10485760   a larger response is refused, never buffered
    max_connections = 100

Retries: a request that could not connect is retried (it was never sent);
GET, HEAD, PUT and DELETE are also retried on 429, 502, 503 and 504.
A response with status 400 or above, a timeout, a connection failure or a
response over the size limit is an error with code `HTTP_ERROR` whose message
names the method, the URL and the status (`e.status`; null when there was no
response). The size limit is checked against Content-Length before reading,
and while reading, so a server that lies or streams forever is cut off.

Talks to `std_utils` (JSON), `llm_config` (finding and reading Prism.toml),
`core` (maps), `confidence` and `errors`.
"""
from __future__ import annotations

import asyncio
import weakref

from prism_runtime.errors import PrismError

try:
    import httpx2 as httpx
except ImportError:               # an older openai: plain httpx
    import httpx

HTTP_KEYS = frozenset({"timeout", "retries", "retry_backoff", "max_response_bytes", "max_connections"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})


class HttpConfig:
    """The `[http]` settings (defaults where Prism.toml says nothing)."""

    def __init__(self, timeout=30.0, retries=2, retry_backoff=0.1, max_response_bytes=10 * 1024 * 1024,
                 max_connections=100):
        self.timeout = _positive("timeout", timeout)
        self.retries = int(_positive("retries", retries, zero=True))
        self.retry_backoff = _positive("retry_backoff", retry_backoff, zero=True)
        self.max_response_bytes = int(_positive("max_response_bytes", max_response_bytes))
        self.max_connections = int(_positive("max_connections", max_connections))

    @classmethod
    def load(cls, cwd=None) -> "HttpConfig":
        from prism_runtime.llm_config import find_prism_toml, read_table
        path = find_prism_toml(cwd)
        return cls(**(read_table(path, "http", HTTP_KEYS) if path else {}))

    def __repr__(self):
        return ("HttpConfig(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in sorted(HTTP_KEYS)) + ")")


def _positive(name, value, zero=False):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PrismError(f"[http] {name} must be a number, not {value!r}") from None
    if not (x >= 0 if zero else x > 0):
        raise PrismError(f"[http] {name} must be {'>= 0' if zero else '> 0'}, not {value!r}")
    return x


class Response:
    """What a request returns: `status`, `headers` (a map, lower-case names), `text`, `json()`."""
    __slots__ = ("status", "headers", "text", "url", "method")

    def __init__(self, status, headers, text, url, method):
        self.status = status
        self.headers = headers
        self.text = text
        self.url = url
        self.method = method

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self):
        from prism_runtime.std_utils import parse_json
        return parse_json(self.text)

    def __repr__(self):
        return f"<Response {self.status} from {self.method} {self.url}>"

    __str__ = __repr__


class Client:
    """The module's state: configuration (read at the first request) and one client per loop."""

    def __init__(self, config=None):
        self._config = config
        self._clients = weakref.WeakKeyDictionary()

    @property
    def config(self) -> HttpConfig:
        if self._config is None:
            self._config = HttpConfig.load()
        return self._config

    def configure(self, config=None, **settings):
        """Replace the configuration (`HttpConfig` or its keyword settings); new clients use it."""
        self._config = config if config is not None else (HttpConfig(**settings) if settings else None)
        self._clients = weakref.WeakKeyDictionary()

    def _client(self):
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            c = self.config
            limits = httpx.Limits(max_connections=c.max_connections, max_keepalive_connections=c.max_connections)
            client = httpx.AsyncClient(timeout=c.timeout, limits=limits, follow_redirects=True)
            self._clients[loop] = client
        return client

    async def request(self, method, url, data=None, headers=None, timeout=None):
        from prism_runtime.confidence import value_of
        method, url = str(value_of(method)).upper(), str(value_of(url))
        kwargs = {"headers": _headers(headers)}
        if timeout is not None:
            kwargs["timeout"] = float(value_of(timeout)) / 1000.0
        if data is not None:
            kwargs["content"], content_type = _body(data)
            if not any(k.lower() == "content-type" for k in kwargs["headers"]):
                kwargs["headers"]["Content-Type"] = content_type
        config = self.config
        attempt = 0
        while True:
            try:
                response = await self._send(method, url, kwargs, config.max_response_bytes)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt < config.retries:        # never sent: safe to retry any method
                    await asyncio.sleep(config.retry_backoff * 2 ** attempt)
                    attempt += 1
                    continue
                raise _error(f"{method} {url} failed: cannot connect ({_reason(exc)}; "
                             f"tried {attempt + 1} time(s))") from None
            except httpx.TimeoutException:
                raise _error(f"{method} {url} timed out after {kwargs.get('timeout', config.timeout):g} s") from None
            except httpx.HTTPError as exc:
                raise _error(f"{method} {url} failed: {_reason(exc)}") from None
            if response.status in RETRY_STATUSES and method in IDEMPOTENT and attempt < config.retries:
                await asyncio.sleep(_retry_after(response) or config.retry_backoff * 2 ** attempt)
                attempt += 1
                continue
            if response.status >= 400:
                err = _error(f"HTTP {response.status} {_phrase(response.status)} from {method} {url}",
                             status=response.status)
                err.response = response
                raise err
            return response

    async def _send(self, method, url, kwargs, limit: int) -> Response:
        async with self._client().stream(method, url, **kwargs) as raw:
            declared = raw.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise _too_large(method, url, f"of {int(declared)} bytes", limit)
            chunks, size = [], 0
            async for chunk in raw.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _too_large(method, url, "still arriving", limit)
                chunks.append(chunk)
            from prism_runtime.core import Obj
            body = b"".join(chunks)
            text = body.decode(raw.encoding or "utf-8", errors="replace")
            return Response(raw.status_code, Obj({k.lower(): v for k, v in raw.headers.items()}), text,
                            str(raw.url), method)

    async def aclose(self):
        """Close the client of the running event loop (optional; for a tidy shutdown)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _headers(headers) -> dict:
    from prism_runtime.confidence import value_of
    from prism_runtime.core import to_str
    headers = value_of(headers)
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise PrismError("headers: is a map of header names to values", code="TYPE_ERROR")
    return {str(value_of(k)): to_str(v) for k, v in headers.items()}


def _body(data) -> tuple:
    """(bytes, content type): a string is sent as text, bytes as they are, anything else as JSON."""
    from prism_runtime.confidence import value_of
    value = value_of(data)
    if isinstance(value, str):
        return value.encode("utf-8"), "text/plain; charset=utf-8"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), "application/octet-stream"
    from prism_runtime.std_utils import stringify
    return stringify(value).encode("utf-8"), "application/json"


def _error(message, status=None) -> PrismError:
    err = PrismError(message, code="HTTP_ERROR")
    err.status = status
    return err


def _too_large(method, url, what, limit) -> PrismError:
    return _error(f"{method} {url}: the response ({what}) is larger than [http] max_response_bytes = {limit}")


def _reason(exc) -> str:
    return str(exc) or type(exc).__name__


def _phrase(status: int) -> str:
    try:
        return httpx.codes(status).phrase
    except ValueError:
        return ""


def _retry_after(response):
    value = response.headers.get("retry-after")
    try:
        return min(float(value), 60.0) if value is not None else None
    except ValueError:
        return None                 # an HTTP date: use the backoff


client = Client()


async def request(method, url, data=None, headers=None, timeout=None):
    return await client.request(method, url, data, headers, timeout)


async def get(url, headers=None, timeout=None):
    return await client.request("GET", url, None, headers, timeout)


async def post(url, data=None, headers=None, timeout=None):
    return await client.request("POST", url, data, headers, timeout)


async def put(url, data=None, headers=None, timeout=None):
    return await client.request("PUT", url, data, headers, timeout)


async def delete(url, headers=None, timeout=None):
    return await client.request("DELETE", url, None, headers, timeout)


__all__ = ["get", "post", "put", "delete", "request", "Response", "HttpConfig", "Client", "client"]
