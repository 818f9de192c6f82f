"""A synchronous wrapper around pygls's language client, driving `prism lsp` as a
subprocess over stdio (used by tests/tools/test_lsp.py and bench/bench_lsp.py).

The client's event loop runs on a thread of its own; each method sends one
request or notification and waits for its answer. Published diagnostics are
collected per document URI and version. What the server writes to stderr is
drained as it comes and logged (logger `prism-lsp-server`), so pytest shows it
beside the test that was running, and a chatty server never fills the pipe.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

WAIT = 120      # seconds: only a guard against a hung server, never a measurement
SERVER_LOG = logging.getLogger("prism-lsp-server")


class LspClient:
    def __init__(self, env: dict | None = None, cwd: str | None = None, debounce_ms: int | None = None):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lsp-client", daemon=True)
        self.thread.start()
        self.client = BaseLanguageClient("prism-tests", "1")
        self.published: dict = {}           # uri -> [PublishDiagnosticsParams] in arrival order
        self.arrival: dict = {}             # uri -> perf_counter() of the last publication
        self.changed = threading.Condition()
        self.versions: dict = {}
        self.messages: list = []            # window/showMessage and window/logMessage

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _published(params: lsp.PublishDiagnosticsParams):
            with self.changed:
                self.published.setdefault(params.uri, []).append(params)
                self.arrival[params.uri] = time.perf_counter()
                self.changed.notify_all()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def _message(params):
            self.messages.append(params)

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def _log(params):
            self.messages.append(params)

        self.run(self.client.start_io(sys.executable, "-m", "transpiler", "lsp",
                                      env=env or dict(os.environ), cwd=cwd))
        self.stderr_lines: list = []
        # pygls pipes the server's stderr but never reads it (its process is `_server`).
        self.call(self.loop.create_task, self._drain(self.client._server.stderr))
        options = {"debounce_ms": debounce_ms} if debounce_ms is not None else None
        capabilities = lsp.ClientCapabilities(
            text_document=lsp.TextDocumentClientCapabilities(
                document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
                rename=lsp.RenameClientCapabilities(prepare_support=True)))
        self.run(self.client.initialize_async(lsp.InitializeParams(
            capabilities=capabilities, process_id=os.getpid(), initialization_options=options)))
        self.client.initialized(lsp.InitializedParams())

    async def _drain(self, stream) -> None:
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip("\n")
            self.stderr_lines.append(text)
            SERVER_LOG.warning("%s", text)

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(WAIT)

    def call(self, fn, *args):
        """Call a client method on the client's loop thread (pygls is not thread-safe)."""
        async def on_loop():
            return fn(*args)
        return self.run(on_loop())

    # ------------------------------------------------------------ documents
    @staticmethod
    def uri(path) -> str:
        return from_fs_path(str(Path(path).resolve()))

    def open(self, path, text: str) -> str:
        uri = self.uri(path)
        self.versions[uri] = 1
        self.call(self.client.text_document_did_open,
                  lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "prism", 1, text)))
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text; returns the new version."""
        self.versions[uri] += 1
        version = self.versions[uri]
        self.call(self.client.text_document_did_change, lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return version

    def edit(self, uri: str, line: int, col: int, end_line: int, end_col: int, text: str) -> int:
        """An incremental change, as editors send while typing; returns the new version."""
        self.versions[uri] += 1
        version = self.versions[uri]
        rng = lsp.Range(lsp.Position(line, col), lsp.Position(end_line, end_col))
        self.call(self.client.text_document_did_change, lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [lsp.TextDocumentContentChangePartial(range=rng, text=text)]))
        return version

    def close(self, uri: str) -> None:
        self.call(self.client.text_document_did_close,
                  lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))

    def diagnostics(self, uri: str, version: int | None = None) -> list:
        """The diagnostics published for `version` (default: the latest sent), waiting for them."""
        version = version if version is not None else self.versions.get(uri)
        deadline = time.monotonic() + WAIT
        with self.changed:
            while True:
                for params in reversed(self.published.get(uri, [])):
                    if version is None or params.version == version:
                        return list(params.diagnostics)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no diagnostics for {uri} version {version}")
                self.changed.wait(left)

    def publication(self, uri: str, index: int):
        """The index-th diagnostics publication for `uri` (0-based), waiting for it."""
        deadline = time.monotonic() + WAIT
        with self.changed:
            while len(self.published.get(uri, [])) <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no publication {index} for {uri}")
                self.changed.wait(left)
            return self.published[uri][index]

    # ------------------------------------------------------------ requests
    def _doc(self, uri, line, col):
        return lsp.TextDocumentIdentifier(uri), lsp.Position(line, col)

    def hover(self, uri: str, line: int, col: int) -> str | None:
        doc, pos = self._doc(uri, line, col)
        result = self.run(self.client.text_document_hover_async(lsp.HoverParams(doc, pos)))
        return result.contents.value if result is not None else None

    def definition(self, uri: str, line: int, col: int):
        doc, pos = self._doc(uri, line, col)
        return self.run(self.client.text_document_definition_async(lsp.DefinitionParams(doc, pos)))

    def references(self, uri: str, line: int, col: int, include_declaration: bool = True) -> list:
        doc, pos = self._doc(uri, line, col)
        return self.run(self.client.text_document_references_async(lsp.ReferenceParams(
            text_document=doc, position=pos, context=lsp.ReferenceContext(include_declaration)))) or []

    def completion(self, uri: str, line: int, col: int) -> list:
        doc, pos = self._doc(uri, line, col)
        result = self.run(self.client.text_document_completion_async(lsp.CompletionParams(doc, pos)))
        items = result.items if isinstance(result, lsp.CompletionList) else (result or [])
        return items

    def symbols(self, uri: str) -> list:
        return self.run(self.client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri)))) or []

    def formatting(self, uri: str) -> list:
        return self.run(self.client.text_document_formatting_async(lsp.DocumentFormattingParams(
            lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(tab_size=4, insert_spaces=True)))) or []

    def prepare_rename(self, uri: str, line: int, col: int):
        doc, pos = self._doc(uri, line, col)
        return self.run(self.client.text_document_prepare_rename_async(lsp.PrepareRenameParams(doc, pos)))

    def rename(self, uri: str, line: int, col: int, new_name: str):
        doc, pos = self._doc(uri, line, col)
        return self.run(self.client.text_document_rename_async(lsp.RenameParams(doc, pos, new_name)))

    def stop(self) -> None:
        try:
            self.run(self.client.shutdown_async(None))
            self.client.exit(None)
            self.run(self.client.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(WAIT)
