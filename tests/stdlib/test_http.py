"""std/http against a real server on loopback (tests/stdlib/http_server.py): requests, JSON,
errors with their status, retries, the response size limit, timeouts, connection reuse,
[http] in Prism.toml, and a Prism program end to end."""
from __future__ import annotations

import asyncio
import socket

import pytest

from prism_runtime.errors import PrismError
from prism_runtime.http import Client, HttpConfig


def run(coroutine):
    return asyncio.run(coroutine)


def client(**settings) -> Client:
    settings.setdefault("retry_backoff", 0.0)
    return Client(HttpConfig(**settings))


def test_get_json_and_text(http_server):
    async def main():
        c = client()
        r = await c.request("GET", http_server.url + "/json")
        t = await c.request("GET", http_server.url + "/text")
        return r, t
    r, t = run(main())
    assert (r.status, r.ok, r.headers["content-type"]) == (200, True, "application/json")
    assert r.json() == {"name": "Prism", "n": 3} and r.json().name == "Prism"
    assert t.text == "hello" and t.headers["content-length"] == "5"


def test_post_sends_maps_as_json_and_strings_as_text(http_server):
    async def main():
        c = client()
        as_json = await c.request("POST", http_server.url + "/echo", {"name": "Prism", "n": [1, 2]})
        as_text = await c.request("POST", http_server.url + "/echo", "plain words")
        custom = await c.request("PUT", http_server.url + "/echo", "x", {"Content-Type": "text/csv"})
        return as_json.json(), as_text.json(), custom.json()
    as_json, as_text, custom = run(main())
    assert as_json["content_type"] == "application/json" and as_json["body"] == '{"name": "Prism", "n": [1, 2]}'
    assert as_text["content_type"].startswith("text/plain") and as_text["body"] == "plain words"
    assert (custom["method"], custom["content_type"]) == ("PUT", "text/csv")


def test_headers_are_sent(http_server):
    r = run(client().request("GET", http_server.url + "/headers", headers={"X-Prism": 42}))
    assert r.json()["x-prism"] == "42"


def test_an_error_status_is_an_http_error_naming_it(http_server):
    with pytest.raises(PrismError) as info:
        run(client().request("GET", http_server.url + "/status/404"))
    err = info.value
    assert err.code == "HTTP_ERROR" and err.status == 404
    assert err.message == f"HTTP 404 Not Found from GET {http_server.url}/status/404"
    assert err.response.status == 404


def test_retries_on_503_until_it_answers(http_server):
    r = run(client(retries=2).request("GET", http_server.url + "/flaky?key=a&fail=2"))
    assert r.status == 200 and r.json()["attempt"] == 3
    assert http_server.attempts["a"] == 3


def test_retries_run_out(http_server):
    with pytest.raises(PrismError) as info:
        run(client(retries=1).request("GET", http_server.url + "/flaky?key=b&fail=5&status=502"))
    assert info.value.status == 502 and http_server.attempts["b"] == 2


def test_retry_after_is_honoured_and_post_is_not_retried_on_a_status(http_server):
    r = run(client(retries=1).request("GET", http_server.url + "/flaky?key=c&fail=1&retry_after=0"))
    assert r.status == 200 and http_server.attempts["c"] == 2
    with pytest.raises(PrismError):
        run(client(retries=3).request("POST", http_server.url + "/status/503", {"x": 1}))
    assert http_server.requests == 3            # 2 GETs of key c, 1 POST


def test_a_refused_connection_is_retried_then_reported():
    with socket.socket() as s:                  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PrismError) as info:
        run(client(retries=2).request("GET", f"http://127.0.0.1:{port}/x"))
    assert info.value.code == "HTTP_ERROR" and info.value.status is None
    assert "cannot connect" in info.value.message and "tried 3 time(s)" in info.value.message


@pytest.mark.parametrize("route", ["big", "stream"])
def test_a_response_over_the_limit_is_refused(http_server, route):
    c = client(max_response_bytes=10_000)
    ok = run(c.request("GET", f"{http_server.url}/{route}?size=10000"))
    assert len(ok.text) == 10_000
    with pytest.raises(PrismError) as info:
        run(c.request("GET", f"{http_server.url}/{route}?size=200000"))
    assert "larger than [http] max_response_bytes = 10000" in info.value.message
    assert ("of 200000 bytes" in info.value.message) == (route == "big")    # refused before reading


def test_a_timeout_is_an_http_error(http_server):
    with pytest.raises(PrismError) as info:
        run(client().request("GET", http_server.url + "/hold?name=t", timeout=50))
    assert info.value.code == "HTTP_ERROR" and "timed out after 0.05 s" in info.value.message
    http_server.release("t")


def test_connections_are_reused(http_server):
    async def main():
        c = client()
        for _ in range(5):
            await c.request("GET", http_server.url + "/json")
    run(main())
    assert http_server.requests == 5 and http_server.connections == 1


def test_prism_toml_configures_http(tmp_path):
    (tmp_path / "Prism.toml").write_text("[package]\nname = \"x\"\n[http]\ntimeout = 5\nretries = 0\n"
                                         "max_response_bytes = 1024\n")
    config = HttpConfig.load(tmp_path)
    assert (config.timeout, config.retries, config.max_response_bytes) == (5.0, 0, 1024)
    (tmp_path / "Prism.toml").write_text("[http]\nretry = 3\n")
    with pytest.raises(PrismError, match=r"unknown \[http\] key\(s\): retry"):
        HttpConfig.load(tmp_path)


PROGRAM = '''
import http from "std/http"

async fn fetch_data(url: string) -> Response {
    return await http.get(url)
}

async fn main() {
    let r = await fetch_data("BASE/json")
    print(r.status, r.json().name, r.headers["content-type"])
    let echoed = await http.post("BASE/echo", {score: 0.9 ~> 0.5}, headers: {"X-A": "1"})
    print(echoed.json().body)
    in context Fetching {
        try {
            await http.get("BASE/status/500", timeout: 2000)
        } catch e {
            print(e.code, e.status, e.context)
        }
    }
}
'''


def test_a_prism_program_uses_http(http_server, run_prism, tmp_path):
    (tmp_path / "Prism.toml").write_text("[package]\nname = \"x\"\n[http]\nretries = 0\n")
    proc = run_prism(PROGRAM.replace("BASE", http_server.url))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["200 Prism application/json", '{"score": 0.9}', "HTTP_ERROR 500 Fetching"]
