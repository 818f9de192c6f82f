"""Shipping compiled modules to workers that do not share the driver's disk or platform.

Each case runs the worker side (`parallel_worker.run_chunk`) in a fresh
interpreter with its own build cache, given a bundle whose extension paths
do not exist there: it must load the shipped bytes, or, when the bundle says
another platform built them, compile the shipped source.
"""
import pickle
import subprocess
import sys
import uuid
from dataclasses import replace

import pytest

from prism_runtime import parallel_modules
from prism_runtime.parallel_worker import ChunkResult, Job

SOURCE = """
struct Box { n: int }
fn boxed(n: int) -> Box { return Box.new(n * 7) }
fn bad(n: int) -> float { return n / 0 }
"""

WORKER = """
import pickle, sys
from prism_runtime.parallel_worker import run_chunk
bundle, job, items = pickle.loads(sys.stdin.buffer.read())
sys.stdout.buffer.write(run_chunk(bundle, job, items))
"""

pytestmark = pytest.mark.xdist_group("cluster")  # shares the session environment (conftest)


@pytest.fixture(scope="module")
def shipped(prism_module):
    module = prism_module("par_shipped", SOURCE)
    bundle = parallel_modules.collect().portable()
    entry = next(e for e in bundle.entries if e.name == module.__name__)
    return module, bundle, entry


def run_remote(bundle, function, items, cache_dir, env, worker=WORKER):
    job = Job(uuid.uuid4().hex, pickle.dumps(function), function.__name__, False, 1, None)
    payload = pickle.dumps((bundle, job, pickle.dumps(items)))
    worker_env = dict(env, PRISM_CACHE_DIR=str(cache_dir))
    proc = subprocess.run([sys.executable, "-c", worker], input=payload, capture_output=True,
                          env=worker_env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return pickle.loads(proc.stdout)


def elsewhere(bundle, name, **changes):
    """The bundle as a worker on another machine sees it: the driver's files are not there."""
    return replace(bundle, entries=tuple(
        replace(e, extension=f"/nonexistent/{e.name}.so", source_path=e.source_path, **changes)
        if e.name == name else e for e in bundle.entries))


def test_a_worker_without_the_files_loads_the_shipped_extension(shipped, tmp_path, prism_env):
    module, bundle, entry = shipped
    result = run_remote(elsewhere(bundle, entry.name), module.boxed, [1, 2], tmp_path, prism_env)
    assert isinstance(result, ChunkResult) and result.chunk_error is None
    assert result.results == [module.boxed(1), module.boxed(2)]
    written = list((tmp_path / "parallel").rglob("par_shipped*"))
    assert written and not list((tmp_path / "parallel").rglob("src"))       # loaded, not rebuilt


def test_a_worker_on_another_platform_compiles_the_shipped_source(shipped, tmp_path, prism_env):
    module, bundle, entry = shipped
    other = elsewhere(bundle, entry.name, suffix=".cpython-99-other.so")
    result = run_remote(other, module.bad, [3], tmp_path, prism_env)
    assert list((tmp_path / "parallel" / "src").rglob("par_shipped.prism"))   # rebuilt from source
    err = result.results[0]
    # The error names the driver's file and line, not the worker's copy.
    assert (err.message, err.prism_file, err.prism_line) == ("division by zero", entry.source_path, 4)


def test_a_worker_that_cannot_load_the_program_fails_every_item_with_the_reason(shipped, tmp_path, prism_env):
    module, bundle, entry = shipped
    broken = elsewhere(bundle, entry.name, suffix=".cpython-99-other.so", source=None)
    broken = replace(broken, entries=tuple(replace(e, source_path="/nonexistent/par_shipped.prism")
                                           if e.name == entry.name else e for e in broken.entries))
    result = run_remote(broken, module.boxed, [1, 2, 3], tmp_path, prism_env)
    assert result.results is None
    assert "could not load boxed" in result.chunk_error.message
    assert "built for another platform or compiler and its source was not shipped" in result.chunk_error.message


WORKER_WITHOUT_COMPILER = """
import importlib.abc, pickle, sys

class NoCompiler(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "transpiler":
            raise ModuleNotFoundError(f"No module named {name!r}", name="transpiler")

sys.meta_path.insert(0, NoCompiler())
from prism_runtime.parallel_worker import run_chunk
bundle, job, items = pickle.loads(sys.stdin.buffer.read())
sys.stdout.buffer.write(run_chunk(bundle, job, items))
"""


def test_a_worker_without_the_compiler_says_what_it_needs(shipped, tmp_path, prism_env):
    module, bundle, entry = shipped
    result = run_remote(elsewhere(bundle, entry.name), module.boxed, [1], tmp_path, prism_env,
                        worker=WORKER_WITHOUT_COMPILER)
    assert "parallel workers need the Prism compiler installed (pip install prism-lang" in result.chunk_error.message
