"""The build cache cannot be planted or corrupted: a 0700 root, unsafe roots refused, the
SHA-256 of every module checked before it is loaded, atomic publication under concurrent
builders, and `prism cache info|clean`.

Real builds (Cython + gcc at -O0) in a cache of each test's own under tmp_path; programs
run through `python -m transpiler run` as a user would. Talks to `transpiler.toolchain.build` and
`transpiler.toolchain.build_cache` in-process for the racing builders.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from transpiler.toolchain import build_cache

REPO = Path(__file__).resolve().parents[2]
HELLO = 'fn main() {\n    print("hello from the real module")\n}\n'
OTHER = 'fn main() {\n    print("PLANTED")\n}\n'


def prism(args, cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRISM_CACHE_DIR=str(cache),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "transpiler", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def work(tmp_path):
    """(directory with hello.prism and other.prism, cache root not created yet)."""
    (tmp_path / "hello.prism").write_text(HELLO)
    (tmp_path / "other.prism").write_text(OTHER)
    return tmp_path, tmp_path / "cache"


def cached_module(cache: Path, stem: str) -> Path:
    [so] = [p for p in cache.glob(f"??/*/{stem}*.so")]
    return so


def warnings_in(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("warning: discarded the cached build")]


def test_root_is_created_private_and_tagged(work):
    cwd, cache = work
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    [entry] = cached_module(cache, "hello").parent.parent.iterdir()
    meta = build_cache.read_meta(entry)
    assert meta["sha256"] == build_cache.file_digest(cached_module(cache, "hello"))
    assert build_cache.damage(entry, cached_module(cache, "hello").name) is None


def test_planted_module_is_rebuilt_not_run_and_reported_once(work):
    cwd, cache = work
    assert prism(["run", "-O0", "other.prism"], cwd, cache).stdout == "PLANTED\n"
    assert prism(["run", "-O0", "hello.prism"], cwd, cache).stdout == "hello from the real module\n"
    shutil.copyfile(cached_module(cache, "other"), cached_module(cache, "hello"))   # the attack

    first = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "hello from the real module\n"
    [warning] = warnings_in(first.stderr)
    assert "hello.prism" in warning and "its module is not the one Prism built" in warning

    second = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert second.stdout == "hello from the real module\n" and warnings_in(second.stderr) == []


def test_same_size_module_is_caught_by_its_checksum(work):
    cwd, cache = work
    assert prism(["run", "-O0", "hello.prism"], cwd, cache).returncode == 0
    so = cached_module(cache, "hello")
    data = bytearray(so.read_bytes())
    data[len(data) // 2] ^= 0xFF                # one flipped byte, same size
    so.write_bytes(bytes(data))
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 0 and proc.stdout == "hello from the real module\n", proc.stderr
    [warning] = warnings_in(proc.stderr)
    assert "SHA-256 mismatch" in warning


def test_truncated_module_is_rebuilt_not_loaded(work):
    cwd, cache = work
    assert prism(["run", "-O0", "hello.prism"], cwd, cache).returncode == 0
    so = cached_module(cache, "hello")
    with open(so, "r+b") as f:                  # what made the next run die with SIGBUS
        f.truncate(1000)
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello from the real module\n"
    [warning] = warnings_in(proc.stderr)
    assert ": 1000 of " in warning and "truncated" in warning
    assert build_cache.damage(so.parent, so.name) is None


def test_group_or_world_writable_root_is_refused_unless_the_project_opts_out(work):
    cwd, cache = work
    cache.mkdir(mode=0o700)
    cache.chmod(0o777)
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"hello.prism: error: refusing to use the build cache {cache}" in proc.stderr
    assert "writable by group and others (mode 0777)" in proc.stderr
    assert "unsafe-shared-cache = true" in proc.stderr and "Traceback" not in proc.stderr
    assert list(cache.iterdir()) == []          # nothing was built there

    cache.chmod(0o770)
    assert "writable by its group (mode 0770)" in prism(["run", "-O0", "hello.prism"], cwd, cache).stderr
    assert "safety: refused" in prism(["cache", "info"], cwd, cache).stdout

    (cwd / "Prism.toml").write_text('[package]\nname = "shared"\n\n[build]\nunsafe-shared-cache = true\n')
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello from the real module\n"
    assert "used anyway" in prism(["cache", "info"], cwd, cache).stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="making a directory owned by another user needs root")
def test_root_owned_by_another_user_is_refused(work):
    cwd, cache = work
    cache.mkdir(mode=0o700)
    os.chown(cache, 65534, 65534)
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 1
    assert "is owned by" in proc.stderr and "uid 65534" in proc.stderr and "not by you" in proc.stderr


def test_root_inside_a_directory_anyone_can_write_is_refused(work):
    cwd, _ = work
    shared = cwd / "shared"
    shared.mkdir()
    shared.chmod(0o777)                         # no sticky bit: anyone may rename our root away
    cache = shared / "cache"
    proc = prism(["run", "-O0", "hello.prism"], cwd, cache)
    assert proc.returncode == 1
    assert f"its parent {shared} is writable by others without the sticky bit" in proc.stderr
    shared.chmod(0o777 | stat.S_ISVTX)          # like /tmp: fine
    assert prism(["run", "-O0", "hello.prism"], cwd, cache).returncode == 0


def _race(source: str, cache: str, barrier, results) -> None:
    os.environ["PRISM_CACHE_DIR"] = cache
    from transpiler.toolchain.build import BuildOptions, build_module
    barrier.wait()
    result = build_module(Path(source), "racer", BuildOptions(opt_level=0))
    import importlib.util
    spec = importlib.util.spec_from_file_location("racer", result.extension)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results.put((str(result.extension), result.cached, module.twice(21)))


def _watch(cache: str, stop, seen) -> None:
    """Look at every entry that appears while the builders run: each must be whole."""
    root = Path(cache)
    looks = 0
    while not stop.is_set():
        for entry in root.glob("??/????????????????????????????????"):
            looks += 1
            so = next((p.name for p in entry.glob("*.so")), None)
            problem = "no module" if so is None else build_cache.damage(entry, so)
            if problem is not None and entry.exists():   # not merely discarded under our feet
                seen.put(problem)
    seen.put(("looks", looks))


def test_two_processes_racing_on_one_entry(tmp_path):
    source = tmp_path / "racer.prism"
    source.write_text("fn twice(x: int) -> int {\n    return x * 2\n}\n")
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("fork")
    barrier, results, stop, seen = ctx.Barrier(2), ctx.Queue(), ctx.Event(), ctx.Queue()
    watcher = ctx.Process(target=_watch, args=(str(cache), stop, seen))
    racers = [ctx.Process(target=_race, args=(str(source), str(cache), barrier, results)) for _ in range(2)]
    watcher.start()
    for p in racers:
        p.start()
    outcomes = [results.get(timeout=300) for _ in racers]
    for p in racers:
        p.join(timeout=60)
    stop.set()
    watcher.join(timeout=60)
    assert [p.exitcode for p in racers] == [0, 0]
    assert {o[0] for o in outcomes} == {outcomes[0][0]}      # one entry, used by both
    assert [o[2] for o in outcomes] == [42, 42]
    problems = []
    while True:
        item = seen.get(timeout=10)
        if isinstance(item, tuple):
            break
        problems.append(item)
    assert problems == []
    so = Path(outcomes[0][0])
    assert build_cache.damage(so.parent, so.name) is None
    assert [p.name for p in so.parent.parent.iterdir()] == [so.parent.name]   # no work dir left


def test_cache_info_and_clean(work):
    cwd, cache = work
    proc = prism(["cache", "info"], cwd, cache)
    assert proc.returncode == 0 and "not created yet" in proc.stdout
    assert prism(["run", "-O0", "hello.prism"], cwd, cache).returncode == 0
    assert prism(["run", "-O0", "other.prism"], cwd, cache).returncode == 0
    (cache / "notes.txt").write_text("not Prism's")
    with open(cached_module(cache, "other"), "r+b") as f:
        f.truncate(10)
    info = prism(["cache", "info"], cwd, cache).stdout
    assert f"build cache: {cache}" in info and "safety: ok" in info
    assert "entries: 2 (" in info and "damaged: 1" in info
    proc = prism(["cache", "clean"], cwd, cache)
    assert proc.returncode == 0 and proc.stdout.startswith(f"removed 2 entries (")
    assert sorted(p.name for p in cache.iterdir()) == ["CACHEDIR.TAG", "notes.txt"]
    assert "entries: 0 (0 B), damaged: 0" in prism(["cache", "info"], cwd, cache).stdout


def test_opt_out_key_is_a_known_prism_toml_key(tmp_path):
    from transpiler.tools.project import ConfigError, load_project
    (tmp_path / "Prism.toml").write_text('[package]\nname = "p"\n[build]\nunsafe-shared-cache = true\n')
    load_project(tmp_path)
    (tmp_path / "Prism.toml").write_text('[package]\nname = "p"\n[build]\nunsafe-shared-cache = "yes"\n')
    with pytest.raises(ConfigError, match="must be a boolean"):
        load_project(tmp_path)
