"""`prism repl`: driven as a subprocess, through standard input (a pipe) and through a
pseudo-terminal (prompt_toolkit's line editing, multi-line input, history).

Talks to: `python -m transpiler repl` / `python -m transpiler` (no arguments), and
`transpiler.tools.repl_session.open_brackets` (unit-tested directly).
"""
from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from transpiler.tools.repl_session import open_brackets

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\r")


def _env(tmp_path: Path) -> dict:
    return dict(os.environ, PRISM_CACHE_DIR=str(tmp_path / "cache"), PRISM_HISTORY=str(tmp_path / "history"),
                PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))


def repl(tmp_path, text: str, *args):
    return subprocess.run([sys.executable, "-m", "transpiler", "repl", *args], input=text, cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=600)


SESSION = """\
let x = 0.9 ~> 0.8
x
fn sq(a: int) -> int {
    a * a
}
sq(7)
struct P {
    x: float,
    y: float,
}
let p = P.new(x: 3.0, y: 4.0)
fn norm(q: P) -> float {
    sqrt(q.x * q.x + q.y * q.y)
}
norm(p)
let count = 1
fn show() {
    count
}
count = count + 41
show()
let twice = |v| v * 2
twice(21)
async fn later(v) {
    v + 1
}
await later(1)
match count {
    42 => "forty-two",
    _ => "other"
}
print("printed", sq(3))
"""


def test_session_keeps_bindings_functions_and_structs(tmp_path):
    proc = repl(tmp_path, "import { sqrt } from \"math\"\n" + SESSION)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["0.9 (~0.8)", "49", "5.0", "42", "42", "2", "forty-two", "printed 9"]
    assert proc.stderr == ""


def test_errors_are_diagnostics_and_the_session_goes_on(tmp_path):
    proc = repl(tmp_path, "let a = 10\nlet b: int = \"text\"\na / 0\nlet = 5\na + 1\n:nope\n")
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["11"]
    assert "<input>:1:" in proc.stderr and "let b: int" in proc.stderr      # compile error, input's own line
    assert "<input>:1: error: division by zero" in proc.stderr              # runtime error
    assert "unknown command :nope" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_type_help_and_quit(tmp_path):
    proc = repl(tmp_path, ":type 1 + 2\n:type [1.5, 2.0]\nlet s = \"hi\"\n:type s\n:help\n:quit\n1 + 1\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["int", "[float]", "string (its current value)"]
    assert ":type EXPR" in proc.stdout and ":quit" in proc.stdout
    assert "2" not in lines                                              # nothing after :quit


def test_load_runs_a_program_top_level(tmp_path):
    (tmp_path / "util.prism").write_text("fn half(v: float) -> float {\n    v / 2.0\n}\n")
    (tmp_path / "prog.prism").write_text('import { half } from "./util"\nlet base = 8.0\nprint("loaded")\n'
                                         'fn main() {\n    print("main is not called")\n}\n')
    proc = repl(tmp_path, "half(base)\n", "--load", "prog.prism")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["loaded", "4.0"]


def test_open_brackets():
    assert open_brackets("fn f() {") == 1
    assert open_brackets("let s = \"{ not a brace\" // nor { this") == 0
    assert open_brackets("[1, (2,\n") == 2
    assert open_brackets("}") == -1


def _read_until(fd: int, pattern: bytes, seconds: float = 120) -> bytes:
    seen, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if b"\x1b[6n" in chunk:            # prompt_toolkit asks where the cursor is
            os.write(fd, b"\x1b[1;1R")
        seen += chunk
        if re.search(pattern, ANSI.sub(b"", seen), re.DOTALL):
            return ANSI.sub(b"", seen)
    pytest.fail(f"no {pattern!r} in {ANSI.sub(b'', seen)[-500:]!r}")


def _exit_status(proc, seconds: float = 60) -> int:
    try:
        return proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("the REPL did not leave on Ctrl-D")


def test_terminal_session_with_multiline_input_and_history(tmp_path):
    # `prism` with no arguments on a pseudo-terminal, started through subprocess rather than
    # pty.fork(), so this test process (whose xdist worker may hold thread pools and cluster
    # clients) never forks itself. The REPL warms a build up in the background as it starts:
    # this also checks that the build's capture of Cython's output never swallows the prompt.
    fd, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "transpiler"], cwd=tmp_path, env=_env(tmp_path),
                            stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True)
    os.close(terminal)
    try:
        _read_until(fd, rb"prism>")
        for line in (b"fn add(a: int, b: int) -> int {\r", b"a + b\r", b"}\r"):
            os.write(fd, line)           # Enter inside an open brace continues the input
        _read_until(fd, rb"\}.*prism>")
        os.write(fd, b"add(2, 3) ~> 0.5\r")
        _read_until(fd, rb"5 \(~0\.5\)\n.*prism>")    # Ctrl-D typed before the prompt is read as EOF
        os.write(fd, b"\x04")                           # Ctrl-D at the prompt leaves
        assert _exit_status(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(fd)
    history = (tmp_path / "history").read_text()
    assert "+fn add(a: int, b: int) -> int {" in history and "+add(2, 3) ~> 0.5" in history
