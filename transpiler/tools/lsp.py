"""`prism lsp`: the Prism language server (LSP over stdio, on pygls and lsprotocol).

Documents are analysed by the compiler's own front end (`lsp_index.Snapshot`,
which runs `pipeline.analyse`) on one worker thread, never on the thread that
reads requests: an open, change or save schedules an analysis after a short
debounce (`debounce_ms` in the client's initializationOptions, default 50),
a newer edit replaces a scheduled one, and the result is published as
diagnostics only while it still matches the document. A version that analyses
cleanly becomes the document's snapshot; hover, definition, references,
completion and symbols answer from it, mapping positions through
`lsp_index.LineMap` while newer text does not analyse. The thread switch
interval is 1 ms, so requests are answered promptly while an analysis runs.

Diagnostics carry the messages `prismc` prints (the message, then its help),
with ranges from the compiler's spans, plus the checker's warnings.

Talks to: `lsp_index` (snapshots, positions), `lsp_features` (the answers),
`fmt` (formatting), `diagnostics.CompileError`; pygls for the protocol.
"""
from __future__ import annotations

import asyncio
import re
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from transpiler.front.diagnostics import CompileError
from transpiler.passes.resolve import Symbol
from transpiler.front.tokenizer import KEYWORDS
from transpiler.tools import lsp_features as features
from transpiler.tools.fmt import FormatterError, format_source
from transpiler.tools.lsp_index import LineMap, Occurrence, Snapshot

DEFAULT_DEBOUNCE_MS = 50
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MEMBER_CHAIN = re.compile(r"([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\.\s*([A-Za-z_]\w*)?\Z")

_SYMBOL_KINDS = {"function": lsp.SymbolKind.Function, "struct": lsp.SymbolKind.Struct,
                 "field": lsp.SymbolKind.Field, "method": lsp.SymbolKind.Method,
                 "variable": lsp.SymbolKind.Variable, "constant": lsp.SymbolKind.Constant,
                 "module": lsp.SymbolKind.Module, "interface": lsp.SymbolKind.Interface,
                 "impl": lsp.SymbolKind.Object, "operator": lsp.SymbolKind.Operator,
                 "macro": lsp.SymbolKind.Function}
_COMPLETION_KINDS = {"keyword": lsp.CompletionItemKind.Keyword, "function": lsp.CompletionItemKind.Function,
                     "struct": lsp.CompletionItemKind.Struct, "field": lsp.CompletionItemKind.Field,
                     "method": lsp.CompletionItemKind.Method, "variable": lsp.CompletionItemKind.Variable,
                     "constant": lsp.CompletionItemKind.Constant, "module": lsp.CompletionItemKind.Module}


@dataclass
class DocState:
    snapshot: Optional[Snapshot] = None     # last version that analysed cleanly
    pending: Optional[asyncio.Task] = None
    # Resolved once a newer clean version, whose diagnostics are out, is the snapshot
    # (or its index failed): requests wait on it (see `ready`).
    indexed: Optional[asyncio.Future] = None
    line_maps: dict = field(default_factory=dict)   # (snapshot version, doc version) -> LineMap


class PrismLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("prism-lsp", "0.1.0")
        self.states: dict = {}
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        # One analysis at a time: the passes are CPU-bound, and pipeline.analyse
        # switches the process's garbage collector off while it runs.
        self.analyser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prism-analysis")
        self.disk_snapshots: dict = {}          # path -> (mtime, Snapshot) of imported files

    # ------------------------------------------------------------ analysis
    def state(self, uri: str) -> DocState:
        return self.states.setdefault(uri, DocState())

    def schedule(self, uri: str) -> None:
        state = self.state(uri)
        if state.pending is not None:
            state.pending.cancel()                  # still in its debounce wait
        state.pending = asyncio.get_running_loop().create_task(self._analyse_later(uri, state))

    async def _analyse_later(self, uri: str, state: DocState) -> None:
        await asyncio.sleep(self.debounce)
        # From here on a newer edit queues its own analysis instead of cancelling this one,
        # so that typing faster than the analysis still refreshes the snapshot.
        state.pending = None
        doc = self.workspace.get_text_document(uri)
        version, text = doc.version, doc.source
        loop = asyncio.get_running_loop()
        snapshot, problems = await loop.run_in_executor(self.analyser, _analyse, text, _path_of(uri), version)
        if self.states.get(uri) is not state:
            return                                  # closed meanwhile
        current = self.workspace.get_text_document(uri).version == version
        if current:
            diagnostics = [self._diagnostic(err, severity, doc) for err, severity in problems]
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics))
        if snapshot is None or (state.snapshot is not None and state.snapshot.version is not None
                                and state.snapshot.version > version):
            return
        # Indexed after the diagnostics are out; requests wait for it (see `ready`).
        indexed = loop.create_future()
        if current:
            state.indexed = indexed
        try:
            await loop.run_in_executor(self.analyser, snapshot.index)
        except Exception as exc:  # noqa: BLE001 - a compiler bug: say so, keep the last good snapshot
            self.window_log_message(lsp.LogMessageParams(
                lsp.MessageType.Error, f"prism: indexing {_path_of(uri)}: {_internal_error(exc)}"))
            return
        else:
            if state.snapshot is None or state.snapshot.version is None or state.snapshot.version <= version:
                state.snapshot, state.line_maps = snapshot, {}
        finally:
            # Only now, with the snapshot in place: a request handled in the same turn of the
            # loop as the index's completion must not find the index done but the snapshot old.
            if state.indexed is indexed:
                state.indexed = None
            indexed.set_result(None)
        # The .prism files it imports, analysed now so that requests find them ready.
        await self.imports_loaded(snapshot)

    async def ready(self, uri: str) -> None:
        """Wait until a clean version whose diagnostics are out is indexed, so that a
        request sent after them is answered from that version."""
        state = self.states.get(uri)
        if state is not None and state.indexed is not None:
            await asyncio.shield(state.indexed)

    def _diagnostic(self, err: CompileError, severity, doc) -> lsp.Diagnostic:
        span = err.span
        if span is None:
            rng = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        else:
            end_line, end_col = span.end_line - 1, span.end_col - 1
            if (end_line, end_col) <= (span.line - 1, span.col - 1):
                end_line, end_col = span.line - 1, span.col
            rng = self._range(doc, span.line - 1, span.col - 1, end_line, end_col)
        message = err.message + (f"\nhelp: {err.help}" if err.help else "")
        return lsp.Diagnostic(range=rng, message=message, severity=severity, source="prism")

    def _range(self, doc, line, col, end_line, end_col) -> lsp.Range:
        codec, lines = doc.position_codec, doc.lines
        return lsp.Range(codec.position_to_client_units(lines, lsp.Position(line, col)),
                         codec.position_to_client_units(lines, lsp.Position(end_line, end_col)))

    # ------------------------------------------------------------ positions
    def at(self, uri: str, position: lsp.Position, exact: bool = True):
        """(snapshot, line, col in the snapshot's text) for a client position, or None."""
        state = self.states.get(uri)
        if state is None or state.snapshot is None:
            return None
        doc = self.workspace.get_text_document(uri)
        snap = state.snapshot
        pos = doc.position_codec.position_from_client_units(doc.lines, position)
        line, col = pos.line, pos.character
        if snap.text != doc.source:
            line = self.line_map(state, doc).to_old(line, exact)
            if line is None:
                return None
            if not exact:
                col = 0
        return snap, line, col

    def line_map(self, state: DocState, doc) -> LineMap:
        key = (state.snapshot.version, doc.version)
        if key not in state.line_maps:
            state.line_maps = {key: LineMap(state.snapshot.lines, doc.source.split("\n"))}
        return state.line_maps[key]

    def location(self, snap: Snapshot, occ: Occurrence, uri: Optional[str] = None) -> Optional[lsp.Location]:
        """A snapshot position as a location in the client's current text of that file."""
        uri = uri or from_fs_path(snap.path)
        line = occ.line
        doc = self.workspace.text_documents.get(uri)
        state = self.states.get(uri)
        if doc is not None and state is not None and state.snapshot is snap and snap.text != doc.source:
            line = self.line_map(state, doc).to_new(line)
            if line is None:
                return None
        if doc is not None:
            return lsp.Location(uri, self._range(doc, line, occ.col, line, occ.end_col))
        return lsp.Location(uri, lsp.Range(lsp.Position(line, occ.col), lsp.Position(line, occ.end_col)))

    # ------------------------------------------------------------ other files
    def imported(self, snap: Snapshot, spec: str) -> Optional[Snapshot]:
        """The snapshot of the .prism file that `import ... from spec` names in `snap`: the
        editor's when the file is open, else the file on disk as last analysed, if it has not
        changed since. Never analyses (requests call it on the loop's thread): `imports_loaded`
        does that first, on the analysis thread."""
        path = _import_path(snap, spec)
        if path is None:
            return None
        found, snapshot = self._known(path)
        return snapshot if found else None

    def _known(self, path: Path):
        """(True, snapshot or None) when `path` needs no analysis, else (False, None)."""
        state = self.states.get(from_fs_path(str(path)))
        if state is not None and state.snapshot is not None:
            return True, state.snapshot
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return True, None
        cached = self.disk_snapshots.get(path)
        if cached is not None and cached[0] == mtime:
            return True, cached[1]
        return False, None

    def _load(self, path: Path) -> Optional[Snapshot]:
        """Analyse and index the file on disk (on the analysis thread), unless a request
        queued earlier for the same file has done so meanwhile."""
        found, snapshot = self._known(path)
        if found:
            return snapshot
        try:
            mtime = path.stat().st_mtime_ns
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        snapshot, _ = _analyse(text, str(path), None)
        if snapshot is not None:
            snapshot.index()
        self.disk_snapshots[path] = (mtime, snapshot)
        return snapshot

    async def imports_loaded(self, snap: Snapshot) -> None:
        """Make the .prism files `snap` imports, and the files they import, known to
        `imported`, analysing on the analysis thread those that are new or changed."""
        loop = asyncio.get_running_loop()
        seen, todo = set(), [snap]
        while todo:
            current = todo.pop()
            for stmt in current.resolution.prism_imports:
                path = _import_path(current, stmt.source)
                if path is None or path in seen:
                    continue
                seen.add(path)
                found, other = self._known(path)
                if not found:
                    other = await loop.run_in_executor(self.analyser, self._load, path)
                if other is not None:
                    todo.append(other)


def _import_path(snap: Snapshot, spec: str) -> Optional[Path]:
    if not spec.startswith(("./", "../")):
        return None
    return (Path(snap.path).parent / (spec + ".prism")).resolve()


def _path_of(uri: str) -> str:
    return to_fs_path(uri) or uri


def _analyse(text: str, path: str, version):
    """(snapshot or None, [(CompileError, severity)]) for one version of a document."""
    try:
        snap = Snapshot.analyse(text, path, version)
    except CompileError as err:
        return None, [(err, lsp.DiagnosticSeverity.Error)]
    except Exception as exc:  # noqa: BLE001 - a compiler bug: say so in the editor, keep serving
        return None, [(CompileError(_internal_error(exc), None), lsp.DiagnosticSeverity.Error)]
    return snap, [(w, lsp.DiagnosticSeverity.Warning) for w in snap.warnings]


def _internal_error(exc: Exception) -> str:
    """What the editor is told about a compiler bug: the exception and where it was raised."""
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return (f"internal compiler error: {type(exc).__name__}: {exc} "
            f"(at {Path(where.filename).name}:{where.lineno}); please report it")


server = PrismLanguageServer()


# ---------------------------------------------------------------- lifecycle

@server.feature(lsp.INITIALIZE)
def _initialize(ls: PrismLanguageServer, params: lsp.InitializeParams):
    options = params.initialization_options or {}
    if isinstance(options, dict) and isinstance(options.get("debounce_ms"), (int, float)):
        ls.debounce = max(0.0, options["debounce_ms"] / 1000)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: PrismLanguageServer, params: lsp.DidOpenTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: PrismLanguageServer, params: lsp.DidChangeTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: PrismLanguageServer, params: lsp.DidSaveTextDocumentParams):
    ls.schedule(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: PrismLanguageServer, params: lsp.DidCloseTextDocumentParams):
    uri = params.text_document.uri
    state = ls.states.pop(uri, None)
    if state is not None and state.pending is not None:
        state.pending.cancel()
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# ---------------------------------------------------------------- features

@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def _hover(ls: PrismLanguageServer, params: lsp.HoverParams):
    await ls.ready(params.text_document.uri)
    found = ls.at(params.text_document.uri, params.position)
    if found is None:
        return None
    snap, line, col = found
    if _names_an_import(snap.occurrence_at(line, col)):
        await ls.imports_loaded(snap)       # only then does hover read another file
    text = features.hover(*found, ls.imported)
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


def _names_an_import(occ: Optional[Occurrence]) -> bool:
    """Whether answering for `occ` reads an imported file (through `ls.imported`)."""
    return occ is not None and isinstance(occ.key, Symbol) and occ.key.kind == "import"


def _target(ls: PrismLanguageServer, uri: str, position: lsp.Position):
    """(snapshot, occurrence under the cursor) or (None, None)."""
    found = ls.at(uri, position)
    if found is None:
        return None, None
    snap, line, col = found
    return snap, snap.occurrence_at(line, col)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
async def _definition(ls: PrismLanguageServer, params: lsp.DefinitionParams):
    await ls.ready(params.text_document.uri)
    snap, occ = _target(ls, params.text_document.uri, params.position)
    if occ is None:
        return None
    key = occ.key
    if _names_an_import(occ):
        await ls.imports_loaded(snap)
        other, target = features.imported_declaration(snap, key, ls.imported)
        if other is not None and target is not None:
            decl = other.declaration_of(target)
            return ls.location(other, decl) if decl is not None else None
        stmt = features.import_of(snap, key)
        other = ls.imported(snap, stmt.source) if stmt is not None else None
        if other is not None:               # `import m from "./x"`: the file itself
            return lsp.Location(from_fs_path(other.path), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
    decl = snap.declaration_of(key)
    return ls.location(snap, decl, params.text_document.uri) if decl is not None else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def _references(ls: PrismLanguageServer, params: lsp.ReferenceParams):
    await ls.ready(params.text_document.uri)
    snap, occ = _target(ls, params.text_document.uri, params.position)
    if occ is None or occ.key is None:
        return None
    include = params.context.include_declaration
    found = [ls.location(snap, o, params.text_document.uri) for o in snap.occurrences_of(occ.key)
             if include or not o.is_decl]
    return [loc for loc in found if loc is not None]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
async def _prepare_rename(ls: PrismLanguageServer, params: lsp.PrepareRenameParams):
    await ls.ready(params.text_document.uri)
    snap, occ = _target(ls, params.text_document.uri, params.position)
    if occ is None or not _renamable(ls, params.text_document.uri, snap, occ):
        return None
    loc = ls.location(snap, occ, params.text_document.uri)
    return lsp.PrepareRenamePlaceholder(range=loc.range, placeholder=snap.lines[occ.line][occ.col:occ.end_col])


def _renamable(ls, uri: str, snap: Snapshot, occ: Occurrence) -> bool:
    key = occ.key
    if isinstance(key, Symbol):
        return key.kind in ("local", "global", "fn", "struct") and snap.text == ls.workspace.get_text_document(uri).source
    return False


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
async def _rename(ls: PrismLanguageServer, params: lsp.RenameParams):
    await ls.ready(params.text_document.uri)
    uri = params.text_document.uri
    snap, occ = _target(ls, uri, params.position)
    new = params.new_name
    if occ is None or not _renamable(ls, uri, snap, occ):
        raise ValueError("only a variable, parameter, function or struct declared in this file can be "
                         "renamed, and only while the file compiles")
    if not _IDENT.match(new) or new in KEYWORDS:
        raise ValueError(f"'{new}' is not a valid Prism name")
    occurrences = snap.occurrences_of(occ.key)
    if any(new in snap.visible(o.line, o.col) for o in occurrences):
        raise ValueError(f"'{new}' is already declared where '{occ.key.name}' is used")
    edits = [lsp.TextEdit(range=ls.location(snap, o, uri).range, new_text=new) for o in occurrences]
    return lsp.WorkspaceEdit(changes={uri: edits})


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["."]))
async def _completion(ls: PrismLanguageServer, params: lsp.CompletionParams):
    await ls.ready(params.text_document.uri)
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    pos = doc.position_codec.position_from_client_units(doc.lines, params.position)
    before = doc.lines[pos.line][:pos.character] if pos.line < len(doc.lines) else ""
    found = ls.at(uri, params.position, exact=False)
    snap, line, col = found if found is not None else (None, pos.line, pos.character)
    chain = _MEMBER_CHAIN.search(before)
    if chain is not None:
        names = [part.strip() for part in chain.group(1).split(".")]
        candidates = features.complete_members(snap, line, col, names)
    else:
        candidates = features.complete_names(snap, line, col)
    items = [lsp.CompletionItem(label=c.label, kind=_COMPLETION_KINDS.get(c.kind), detail=c.detail or None)
             for c in candidates]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def _document_symbol(ls: PrismLanguageServer, params: lsp.DocumentSymbolParams):
    await ls.ready(params.text_document.uri)
    uri = params.text_document.uri
    state = ls.states.get(uri)
    if state is None or state.snapshot is None:
        return []
    snap = state.snapshot

    def convert(item: features.Outline) -> Optional[lsp.DocumentSymbol]:
        span = item.node.span
        start = lsp.Position(span.line - 1, span.col - 1)
        full = ls.location(snap, Occurrence(start.line, start.character, start.character, None, True, None), uri)
        end = ls.location(snap, Occurrence(span.end_line - 1, span.end_col - 1, span.end_col - 1,
                                           None, True, None), uri)
        if full is None or end is None:
            return None
        sel = ls.location(snap, item.selection, uri) if item.selection is not None else None
        rng = lsp.Range(full.range.start, end.range.end)
        kids = [k for k in (convert(c) for c in item.children) if k is not None]
        return lsp.DocumentSymbol(name=item.name, kind=_SYMBOL_KINDS[item.kind], range=rng,
                                  selection_range=sel.range if sel is not None else rng,
                                  detail=item.detail or None, children=kids)

    return [s for s in (convert(item) for item in features.outline(snap)) if s is not None]


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
async def _formatting(ls: PrismLanguageServer, params: lsp.DocumentFormattingParams):
    uri = params.text_document.uri
    doc = ls.workspace.get_text_document(uri)
    text = doc.source
    loop = asyncio.get_running_loop()
    try:
        formatted = await loop.run_in_executor(ls.analyser, format_source, text, _path_of(uri))
    except CompileError:
        return None                 # the diagnostics already say why it does not parse
    except FormatterError as exc:
        ls.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, f"prism fmt: {exc}"))
        return None
    if formatted == text:
        return []
    last = len(doc.lines) - 1
    end = doc.position_codec.position_to_client_units(
        doc.lines, lsp.Position(last, len(doc.lines[last]))) if last >= 0 else lsp.Position(0, 0)
    return [lsp.TextEdit(range=lsp.Range(lsp.Position(0, 0), end), new_text=formatted)]


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    # The analysis thread is CPU-bound Python: hand the interpreter to the thread that
    # answers requests every 1 ms instead of every 5 (a hover needs several turns).
    sys.setswitchinterval(0.001)
    server.start_io()
