"""The edit-run loop's fast paths: a cached `prism run` imports no compiler module, the
development and release profiles, the compile server, and the precompiled header.

Everything runs as real subprocesses (`python -m transpiler`) with a build cache of the
test's own; what a process imported is read from `python -X importtime`. Speed itself is
measured by bench/bench_latency.py, not here.

Talks to: `transpiler.tools.launcher`, `transpiler.toolchain.cache_lookup`, `transpiler.toolchain.compile_server`,
`transpiler.toolchain.build` / `transpiler.toolchain.pch` (the C compiler command).
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transpiler.toolchain.build import BuildOptions, c_compiler_command
from transpiler.tools.launcher import parse_run_args, run_opt_level

REPO = Path(__file__).resolve().parents[2]
PROGRAM = """fn square(x: int) -> int {
    return x * x
}

print("square:", square(7))
let guess = 0.9 ~> 0.8
guess
"""
COMPILER_MODULES = ("transpiler.pipeline", "transpiler.front.ast", "transpiler.toolchain.build", "Cython", "click", "jinja2")


def _env(cache: Path, **extra) -> dict:
    env = dict(os.environ, PRISM_CACHE_DIR=str(cache),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def prism(args, cwd, env, importtime=False):
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "transpiler", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def imported(stderr: str) -> set:
    return {m.group(1).strip() for m in re.finditer(r"^import time:.*\|\s*(\S+)\s*$", stderr, re.M)}


def test_cached_run_imports_no_compiler_module(tmp_path):
    (tmp_path / "hello.prism").write_text(PROGRAM)
    env = _env(tmp_path / "cache")
    first = prism(["run", "hello.prism"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    again = prism(["run", "hello.prism"], tmp_path, env, importtime=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout == "square: 49\n0.9\n"
    modules = imported(again.stderr)
    assert "transpiler.toolchain.cache_lookup" in modules
    loaded = sorted(m for m in modules if m.startswith(COMPILER_MODULES))
    assert loaded == [], f"a cached run imported {loaded}"


def test_cached_run_still_prints_warnings_and_runtime_errors(tmp_path):
    (tmp_path / "warn.prism").write_text("let unused = 1\nprint(missing_name)\n")
    env = _env(tmp_path / "cache")
    runs = [prism(["run", "warn.prism"], tmp_path, env) for _ in range(2)]
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stderr == runs[1].stderr                 # the cached run reports exactly the same
    assert "warn.prism:2: error:" in runs[1].stderr and "warning" in runs[1].stderr


def test_run_profiles():
    assert run_opt_level(False, None) == 0                  # development: quickest to compile
    assert run_opt_level(True, None) == 3                   # --release: as prism build and prism bench
    assert run_opt_level(True, 1) == 1                      # -O wins
    file = REPO / "samples" / "tour.prism"
    assert parse_run_args([str(file)])[1].opt_level == 0
    assert parse_run_args(["--release", str(file)])[1].opt_level == 3
    assert parse_run_args(["-O", "2", "--untyped", str(file)])[1] == BuildOptions(opt_level=2, typed=False)
    assert parse_run_args(["-O2", str(file)])[1].opt_level == 2
    assert parse_run_args(["--help"]) is None               # click answers everything else
    assert parse_run_args([str(file), "extra"]) is None


def test_run_help_names_the_profiles(tmp_path):
    proc = prism(["run", "--help"], tmp_path, _env(tmp_path / "cache"))
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "development profile" in text and "--release" in text and "-O3" in text


def test_release_and_development_builds_are_separate_entries(tmp_path):
    (tmp_path / "hello.prism").write_text(PROGRAM)
    cache = tmp_path / "cache"
    env = _env(cache)
    dev = prism(["run", "hello.prism"], tmp_path, env)
    release = prism(["run", "--release", "hello.prism"], tmp_path, env)
    assert dev.stdout == release.stdout == "square: 49\n0.9\n"
    entries = [p for p in cache.glob("*/*") if p.is_dir() and len(p.name) == 32]
    assert len(entries) == 2
    # The development build imports Cython's helpers from the shared module; the release one is whole.
    shared = sorted(json.loads((e / "meta.json").read_text()).get("shared_utility") is not None for e in entries)
    assert shared == [False, True]
    dev_c, release_c = sorted((next(e.glob("*.c")) for e in entries), key=lambda c: c.stat().st_size)
    assert "prism_cyutility_" in dev_c.read_text() and "prism_cyutility_" not in release_c.read_text()


def test_precompiled_header_only_for_plain_development_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_CACHE_DIR", str(tmp_path / "cache"))
    c_file, so_file = tmp_path / "m.c", tmp_path / "m.so"
    dev = c_compiler_command(c_file, so_file, BuildOptions(opt_level=0))
    assert "-include" in dev
    header = Path(dev[dev.index("-include") + 1])
    assert header.with_name(header.name + ".gch").is_file()
    for options in (BuildOptions(opt_level=2), BuildOptions(opt_level=3), BuildOptions(opt_level=0, debug=True)):
        assert "-include" not in c_compiler_command(c_file, so_file, options)
    # GCC really uses it: `-H` marks a precompiled header it loaded with '!'.
    c_file.write_text('#include "Python.h"\nint prism_probe(void) { return Py_IsInitialized(); }\n')
    proc = subprocess.run(dev + ["-H"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"! {header}.gch" in proc.stderr


# ---------------------------------------------------------------- the compile server

def _server_pid(path: Path) -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(path))
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[0]


def _socket_for(env: dict) -> Path:
    probe = subprocess.run([sys.executable, "-c", "from transpiler.toolchain.compile_server import socket_path; "
                            "print(socket_path())"], env=env, capture_output=True, text=True, check=True)
    return Path(probe.stdout.strip())


def _wait_listening(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _server_pid(path)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no compile server listening on {path}")


@pytest.fixture
def server_env(tmp_path):
    env = _env(tmp_path / "cache", PRISM_COMPILE_SERVER="1", PRISM_COMPILE_SERVER_IDLE="120")
    yield env
    path = _socket_for(env)
    try:
        os.kill(_server_pid(path), signal.SIGTERM)
    except OSError:
        pass


def test_compile_server_builds_after_the_first_miss(tmp_path, server_env):
    source = tmp_path / "hello.prism"
    source.write_text(PROGRAM)
    first = prism(["run", "hello.prism"], tmp_path, server_env)
    assert first.returncode == 0, first.stderr
    _wait_listening(_socket_for(server_env))
    source.write_text(PROGRAM.replace("square(7)", "square(8)"))
    edited = prism(["run", "hello.prism"], tmp_path, server_env, importtime=True)
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout == "square: 64\n0.9\n"
    assert "transpiler.toolchain.compile_server" in imported(edited.stderr)
    loaded = sorted(m for m in imported(edited.stderr) if m.startswith(COMPILER_MODULES))
    assert loaded == [], f"the server built the module, yet the client imported {loaded}"

    # A compile error from the server reads exactly like one from an in-process build.
    source.write_text("let x = 1\nlet y: int = \"text\"\n")
    served = prism(["run", "hello.prism"], tmp_path, server_env)
    local = prism(["run", "hello.prism"], tmp_path, dict(server_env, PRISM_COMPILE_SERVER="0"))
    assert served.returncode == local.returncode == 1
    assert served.stderr == local.stderr and "hello.prism:2:" in served.stderr


def test_compile_server_refuses_other_users_socket_dir(tmp_path, monkeypatch):
    from transpiler.toolchain import compile_server
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    shared = tmp_path / f"prism-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    assert compile_server.socket_path() is None             # others could plant a socket there
    shared.chmod(0o700)
    assert compile_server.socket_path().parent == shared
