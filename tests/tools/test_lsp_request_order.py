"""The language server answers a request that arrives while a version's index is
being finished from that version, whatever order the event loop runs the two in.

These tests drive one `PrismLanguageServer` in this process, on an event loop of
their own, and call its request handlers directly: the orderings they pin down
(a request handled between the index finishing and the analysis task resuming)
are a matter of which callback the loop runs first, which a client over stdio
cannot choose. Everything else is real: the compiler's analysis and index on
the server's analysis thread, pygls's workspace and documents.
"""
from __future__ import annotations

import asyncio
import threading

import pytest
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from transpiler.tools import lsp as server_module
from transpiler.tools import lsp_index

PROGRAM = "fn main() {\n    let p = 40 + 2\n    print(p)\n}\n"
LET_P = lsp.Position(1, 8)


def _server(tmp_path, text: str = PROGRAM):
    ls = server_module.PrismLanguageServer()
    ls.debounce = 0
    init = ls.protocol.lsp_initialize(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(tmp_path))))
    for handler, args, _ in init:       # pygls hands our INITIALIZE feature back to run
        if handler is not None:
            handler(*args)
    uri = from_fs_path(str(tmp_path / "main.prism"))
    ls.workspace.put_text_document(lsp.TextDocumentItem(uri, "prism", 1, text))
    return ls, uri


def _hover_text(result) -> str | None:
    return result.contents.value if result is not None else None


@pytest.fixture
def request_when_index_returns(monkeypatch):
    """Make the index, on the analysis thread, hand `request` to the event loop just
    before it returns: the loop then runs the request's first step before the
    analysis task learns that the index is done, as happens when a request's
    bytes and the index's completion reach the loop in the same turn."""
    original = lsp_index.Snapshot.index
    hooks = []

    def index(self):
        done = original(self)
        for loop, request in hooks:
            loop.call_soon_threadsafe(request)
        return done

    monkeypatch.setattr(lsp_index.Snapshot, "index", index)
    return hooks


def test_request_handled_as_the_index_finishes_sees_that_version(tmp_path, request_when_index_returns):
    ls, uri = _server(tmp_path)
    answers = []

    async def scenario():
        loop = asyncio.get_running_loop()
        started = []

        def request():
            started.append(asyncio.ensure_future(server_module._hover(
                ls, lsp.HoverParams(lsp.TextDocumentIdentifier(uri), LET_P))))

        request_when_index_returns.append((loop, request))
        ls.schedule(uri)
        state = ls.state(uri)
        while not started:
            await asyncio.sleep(0.001)
        answers.append(_hover_text(await started[0]))
        while state.pending is not None or state.snapshot is None:
            await asyncio.sleep(0.001)

    try:
        asyncio.run(scenario())
    finally:
        ls.analyser.shutdown(wait=True)
    assert answers[0] is not None and "let p: int" in answers[0]


def test_request_waiting_on_an_index_that_fails_is_answered(tmp_path, monkeypatch):
    """An index that raises (a compiler bug) still releases the requests waiting on it;
    they are answered from the last good snapshot (here there is none, so with
    nothing) instead of failing with the index's exception."""
    ls, uri = _server(tmp_path)
    release = threading.Event()

    def broken(self):
        release.wait(60)
        raise RuntimeError("index bug")

    monkeypatch.setattr(lsp_index.Snapshot, "index", broken)

    async def scenario():
        ls.schedule(uri)
        state = ls.state(uri)
        while state.indexed is None:
            await asyncio.sleep(0.001)
        hover = asyncio.ensure_future(server_module._hover(
            ls, lsp.HoverParams(lsp.TextDocumentIdentifier(uri), LET_P)))
        await asyncio.sleep(0.01)
        assert not hover.done()             # it waits for the index
        release.set()
        return await asyncio.wait_for(hover, 60)

    try:
        assert asyncio.run(scenario()) is None
    finally:
        release.set()
        ls.analyser.shutdown(wait=True)
