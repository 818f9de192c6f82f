"""Hover and definition on a name imported from another .prism file analyse that
file on the server's analysis thread, never on the event loop's thread that
answers requests, also when the file changed on disk after the importing file
was analysed (and through a second level of imports).

Like test_lsp_request_order.py, these tests drive one `PrismLanguageServer` in
this process and call its handlers directly, so that they can see which thread
each analysis runs on; the compiler, the files and pygls's workspace are real.
"""
from __future__ import annotations

import asyncio
import threading

import pytest
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from transpiler.tools import lsp as server_module

MAIN = 'import { helper } from "./util"\n\nfn main() {\n    print(helper(1))\n}\n'
HELPER_USE = lsp.Position(3, 10)
UTIL_V1 = '/// Adds one.\nfn helper(n: int) -> int {\n    return n + 1\n}\n'
UTIL_V2 = ('import { base } from "./deeper"\n\n/// Adds the base.\n'
           'fn helper(n: int) -> int {\n    return n + base(0)\n}\n')
DEEPER = '/// The base.\nfn base(n: int) -> int {\n    return n + 10\n}\n'


@pytest.fixture
def analyses(monkeypatch):
    """(thread name, path) of every analysis the server runs."""
    seen = []
    original = server_module._analyse

    def recording(text, path, version):
        seen.append((threading.current_thread().name, path))
        return original(text, path, version)

    monkeypatch.setattr(server_module, "_analyse", recording)
    return seen


def _serve(root, requests):
    """Run `await requests(ls, ident)` against a server on `root`/main.prism, once that file
    is analysed and its snapshot indexed; return what it returns."""
    ls = server_module.PrismLanguageServer()
    ls.debounce = 0
    init = ls.protocol.lsp_initialize(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(root))))
    for handler, args, _ in init:
        if handler is not None:
            handler(*args)
    uri = from_fs_path(str(root / "main.prism"))
    ls.workspace.put_text_document(lsp.TextDocumentItem(uri, "prism", 1, MAIN))

    async def scenario():
        ls.schedule(uri)
        state = ls.state(uri)
        while state.pending is not None or state.snapshot is None:
            await asyncio.sleep(0.001)
        await ls.ready(uri)
        return await requests(ls, lsp.TextDocumentIdentifier(uri))

    try:
        return asyncio.run(scenario())
    finally:
        ls.analyser.shutdown(wait=True)


def test_a_file_changed_on_disk_is_analysed_off_the_loop_thread(tmp_path, analyses):
    (tmp_path / "util.prism").write_text(UTIL_V1)

    async def requests(ls, ident):
        loop_thread = threading.current_thread().name
        first = await server_module._hover(ls, lsp.HoverParams(ident, HELPER_USE))
        # Changed after main.prism was analysed: the server has not seen this version.
        (tmp_path / "deeper.prism").write_text(DEEPER)
        (tmp_path / "util.prism").write_text(UTIL_V2)
        before = len(analyses)
        second = await server_module._hover(ls, lsp.HoverParams(ident, HELPER_USE))
        definition = await server_module._definition(ls, lsp.DefinitionParams(ident, HELPER_USE))
        return loop_thread, first, second, definition, analyses[before:]

    loop_thread, first, second, definition, later = _serve(tmp_path, requests)
    assert "Adds one." in first.contents.value
    assert "Adds the base." in second.contents.value            # the new version was read
    assert definition.uri == from_fs_path(str(tmp_path / "util.prism"))
    assert definition.range.start.line == 3                      # `fn helper` in the new version
    assert sorted(path.rsplit("/", 1)[-1] for _, path in later) == ["deeper.prism", "util.prism"]
    threads = {name for name, _ in analyses}
    assert loop_thread not in threads
    assert all(name.startswith("prism-analysis") for name in threads), threads


def test_an_unchanged_imported_file_is_analysed_once(tmp_path, analyses):
    (tmp_path / "util.prism").write_text(UTIL_V1)

    async def requests(ls, ident):
        for _ in range(3):
            await server_module._hover(ls, lsp.HoverParams(ident, HELPER_USE))
            await server_module._definition(ls, lsp.DefinitionParams(ident, HELPER_USE))

    _serve(tmp_path, requests)
    assert sorted(path.rsplit("/", 1)[-1] for _, path in analyses) == ["main.prism", "util.prism"]
