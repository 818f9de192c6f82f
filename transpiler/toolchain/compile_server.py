"""Compile server: a background process that keeps the compiler and Cython loaded between builds.

A build in a fresh process spends most of its time getting ready: importing
the compiler's passes and Jinja (~0.3 s), and importing Cython, building its
scanner tables and builtin scope (~1 s), before it looks at the program. The
first cache miss of a `prism run`, `prism test` or `prism bench` session therefore
starts this server in the background, the way Gradle and the Kotlin compiler
keep a daemon (a Python program's `import` of a .prism file uses a running
server but never starts one); later misses send the server a request and only
wait for the work itself: the passes, Cython and the C compiler
(docs/toolchain.md, "Fast paths of `prism run`"; bench/bench_latency.py).

- One server per (cache root, compiler fingerprint, Python): its socket's name
  is a hash of the three, so a changed compiler gets a new server and the old
  one goes away when idle. It exits after PRISM_COMPILE_SERVER_IDLE seconds
  without a request (default 900).
- The socket lives in `$TMPDIR/prism-UID/` (mode 0700, ours, or the server is
  not used); the server accepts only connections from our own user.
- PRISM_COMPILE_SERVER=0 turns it off (so does CI=true); builds then happen in
  the calling process, as they always may: no server, a server that died, or
  any protocol trouble falls back to building in-process.

Protocol: one JSON line per request, one JSON line per reply, one request per
connection. The reply carries the built module's path and the warnings, or a
compile error as a `diagnostics.record`, or an internal compiler error's text.

Talks to: `build` (the server calls `build_module`), `cache_lookup` (the
fingerprint and options), `diagnostics` (errors cross the socket as records),
`prism_runtime.install` (the hook calls `build` here on a miss).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import sys
import tempfile
from pathlib import Path
from typing import Optional

from transpiler.toolchain.cache_lookup import BuildOptions, CachedBuild, cache_root, compiler_fingerprint

DEFAULT_IDLE_SECONDS = 900

def enabled() -> bool:
    setting = os.environ.get("PRISM_COMPILE_SERVER")
    if setting is not None:
        return setting != "0"
    return os.environ.get("CI", "").lower() not in ("1", "true", "yes")


def _socket_dir() -> Optional[Path]:
    """$TMPDIR/prism-UID, created 0700; None when it exists but another user could use it."""
    directory = Path(tempfile.gettempdir()) / f"prism-{os.getuid()}"
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        st = directory.lstat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & 0o077 or not os.path.isdir(directory) \
            or directory.is_symlink():
        return None
    return directory


def socket_path() -> Optional[Path]:
    directory = _socket_dir()
    if directory is None:
        return None
    identity = "\0".join((str(cache_root().resolve()), compiler_fingerprint(), sys.executable,
                          str(Path(__file__).resolve().parent.parent)))
    return directory / f"server-{hashlib.sha256(identity.encode()).hexdigest()[:20]}.sock"


# ---------------------------------------------------------------- client

def build(source_path: Path, module_name: str, options: BuildOptions) -> CachedBuild:
    """The build of source_path, by the server when one runs, else in this process (starting a
    server for the next build); its warnings as records. Raises what `build.build_module`
    raises: CompileError or InternalCompilerError."""
    if enabled() and not options.annotate and not options.verbose:
        reply = _ask(source_path, module_name, options)
        if reply is not None:
            return _result(reply, source_path)
    from transpiler.toolchain.build import build_module
    from transpiler.front.diagnostics import record
    result = build_module(source_path, module_name, options)
    from prism_runtime.install import may_start_compile_server
    if enabled() and may_start_compile_server():   # only the `prism` commands, never a plain `import`
        start_in_background()
    return CachedBuild(result.extension, result.pyx, [record(w) for w in result.warnings], result.shared_utility)


def _ask(source_path: Path, module_name: str, options: BuildOptions) -> Optional[dict]:
    path = socket_path()
    if path is None or not path.exists():
        return None
    request = {"source": str(Path(source_path).resolve()), "module": module_name,
               "options": options.key_fields(), "cc": os.environ.get("CC")}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = _read_line(conn)
        return json.loads(reply) if reply else None
    except (OSError, ValueError):
        return None


def _read_line(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


def _result(reply: dict, source_path: Path):
    status = reply.get("status")
    if status == "ok":
        return CachedBuild(Path(reply["extension"]), Path(reply["pyx"]), reply.get("warnings", []),
                           reply.get("shared_utility"))
    from transpiler.toolchain.build import InternalCompilerError
    if status == "compile_error":
        from transpiler.front.diagnostics import from_record
        error = from_record(reply["error"])
        error.path = reply.get("path")
        raise error
    raise InternalCompilerError(reply.get("message", "the compile server failed"))


def start_in_background() -> None:
    """Start a server for this cache root and compiler unless one is listening already."""
    import subprocess
    path = socket_path()
    if path is None or _listening(path):
        return
    idle = os.environ.get("PRISM_COMPILE_SERVER_IDLE", str(DEFAULT_IDLE_SECONDS))
    subprocess.Popen([sys.executable, "-m", "transpiler.toolchain.compile_server", str(path), idle],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)


def _listening(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(str(path))
        return True
    except OSError:
        return False


# ---------------------------------------------------------------- server

def _warm_up() -> None:
    """Import the compiler and Cython and build one small module, so the first real request
    finds everything loaded (Cython's scanner tables and the runtime's .pxd scopes included)."""
    from transpiler import pipeline
    from transpiler.toolchain import build
    with tempfile.TemporaryDirectory(prefix="prism-warm-") as tmp:
        result = pipeline.transpile(b"fn warm(x: int) -> int {\n    return x + 1\n}\nprint(warm(1) ~> 0.5)\n",
                                    str(Path(tmp) / "warm.prism"), "warm")
        pyx = Path(tmp) / "warm.pyx"
        pyx.write_text(result.pyx, encoding="utf-8")
        build.cythonize_file(pyx, "warm")


def _serve_one(conn: socket.socket) -> None:
    from transpiler.toolchain.build import InternalCompilerError, build_module
    from transpiler.front.diagnostics import CompileError, record
    request = json.loads(_read_line(conn))
    options = BuildOptions(**{**request["options"], "extra_cflags": tuple(request["options"]["extra_cflags"])})
    if request.get("cc") is not None:
        os.environ["CC"] = request["cc"]
    else:
        os.environ.pop("CC", None)
    try:
        result = build_module(Path(request["source"]), request["module"], options)
        reply = {"status": "ok", "extension": str(result.extension), "pyx": str(result.pyx),
                 "warnings": [record(w) for w in result.warnings], "shared_utility": result.shared_utility}
    except CompileError as exc:
        reply = {"status": "compile_error", "error": record(exc), "path": exc.path}
    except InternalCompilerError as exc:
        reply = {"status": "internal_error", "message": str(exc)}
    except Exception as exc:  # a compiler bug: the client reports it as an internal error
        reply = {"status": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
    conn.sendall(json.dumps(reply).encode() + b"\n")


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def serve(path: Path, idle_seconds: float) -> None:
    if _listening(path):
        return                              # another server won the race
    path.unlink(missing_ok=True)            # a stale socket of a server that died
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)
    try:
        listener.bind(str(path))
    except OSError:
        return
    finally:
        os.umask(old_umask)
    listener.listen(16)           # a client arriving during the warm-up waits in the backlog
    _warm_up()
    listener.settimeout(idle_seconds)
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                break
            with conn:
                conn.settimeout(None)
                try:
                    if _same_user(conn):
                        _serve_one(conn)
                except (OSError, ValueError, KeyError, TypeError):
                    pass                    # a client that went away or spoke nonsense
    finally:
        listener.close()
        try:
            if path.exists() and not _listening(path):
                path.unlink()
        except OSError:
            pass


if __name__ == "__main__":
    serve(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_IDLE_SECONDS)
