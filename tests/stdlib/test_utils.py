"""std/utils: files in temporary directories (atomic writes, a kill in the middle of one),
JSON edge cases, delay and timeout."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from prism_runtime import std_utils
from prism_runtime.errors import PrismError


def run(coroutine):
    return asyncio.run(coroutine)


def test_write_then_read_round_trips_unicode(tmp_path):
    path = tmp_path / "note.txt"
    run(std_utils.write_file(str(path), "héllo ✓\nline 2"))
    assert path.read_bytes() == "héllo ✓\nline 2".encode()
    assert run(std_utils.read_file(str(path))) == "héllo ✓\nline 2"
    assert [p.name for p in tmp_path.iterdir()] == ["note.txt"]        # no temp file left behind


def test_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "script.sh"
    path.write_text("old")
    path.chmod(0o751)
    run(std_utils.write_file(str(path), "new"))
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o751


def test_io_errors_name_the_path(tmp_path):
    with pytest.raises(PrismError) as info:
        run(std_utils.read_file(str(tmp_path / "missing.txt")))
    assert info.value.code == "IO_ERROR" and "missing.txt" in info.value.message
    with pytest.raises(PrismError) as info:
        run(std_utils.write_file(str(tmp_path / "no" / "dir.txt"), "x"))
    assert info.value.code == "IO_ERROR" and "dir.txt" in info.value.message


# The child pauses inside write_file after its first chunk reached the temporary file and
# says so; the test then kills it with SIGKILL. The pause is a synchronisation point only:
# the write, the kill and the file system are real.
KILL_DRIVER = r'''
import os, runpy, sys, threading
real_write = os.write
def write(fd, data):
    n = real_write(fd, data)
    if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp"):
        sys.stderr.write("HALF-WRITTEN\n")
        sys.stderr.flush()
        threading.Event().wait()        # held here until the test kills the process
    return n
os.write = write
sys.argv = ["prism", "run", "-O0", sys.argv[1]]
runpy.run_module("transpiler", run_name="__main__")
'''

WRITER = '''
import { write_file } from "std/utils"
let big = "new line of text\\n".repeat(200000)
await write_file("data.txt", big)
print("written")
'''


def test_a_kill_during_write_file_leaves_the_old_file(tmp_path, prism_env):
    target = tmp_path / "data.txt"
    target.write_text("the old contents\n")
    program = tmp_path / "writer.prism"
    program.write_text(WRITER)
    child = subprocess.Popen([sys.executable, "-c", KILL_DRIVER, str(program)], cwd=tmp_path, env=prism_env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stderr.readline()
        assert line == "HALF-WRITTEN\n", line + child.stderr.read()
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temps) == 1 and 0 < temps[0].stat().st_size < len("new line of text\n") * 200000
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert target.read_text() == "the old contents\n"


def test_the_same_program_unpaused_replaces_the_file(tmp_path, run_prism):
    (tmp_path / "data.txt").write_text("the old contents\n")
    proc = run_prism(WRITER)
    assert proc.returncode == 0 and proc.stdout == "written\n", proc.stderr
    assert (tmp_path / "data.txt").read_text() == "new line of text\n" * 200000


def test_timeout_accepts_an_awaitable_or_a_function():
    async def main():
        quick = await std_utils.timeout(asyncio.sleep(0, result="done"), 1000)
        from_function = await std_utils.timeout(lambda: asyncio.sleep(0, result="called"), 1000)
        return quick, from_function
    assert run(main()) == ("done", "called")


def test_timeout_cancels_the_work_and_throws_timeout():
    async def main():
        never = asyncio.get_running_loop().create_future()
        with pytest.raises(PrismError) as info:
            await std_utils.timeout(never, 10)
        return info.value, never.cancelled()
    err, cancelled = run(main())
    assert err.code == "TIMEOUT" and err.message == "timed out after 10 ms" and cancelled


def test_delay_and_bad_arguments():
    assert run(std_utils.delay(1)) is None
    with pytest.raises(PrismError, match="milliseconds"):
        run(std_utils.timeout(asyncio.sleep(0), -1))
    with pytest.raises(PrismError) as info:
        std_utils.stringify(float("nan"))
    assert info.value.code == "VALUE_ERROR"
    with pytest.raises(PrismError) as info:
        std_utils.parse_json(3)
    assert info.value.code == "TYPE_ERROR"
