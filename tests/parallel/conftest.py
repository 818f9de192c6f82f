"""Fixtures for the `parallel` tests: Prism programs compiled in-process, and the engines.

Each engine starts once per session, in the xdist worker that runs the
tests marked `xdist_group("cluster")` (pyproject's `--dist loadgroup` keeps
them together): a process pool of 2 workers, a `dask.distributed`
`LocalCluster(processes=True)` of 2 single-threaded workers, and a local Ray
(`ray.init(num_cpus=2)`). A loopback OpenAI-compatible server starts first and
its address is in the environment the engines' workers inherit, so async
maps that call `llm.generate` reach it from every worker.

`prism_module(name, source)` writes `name.prism` (and any sibling files) to a
session directory and imports it through the import hook, as `prism run`
does; module names are unique per session because extension modules cannot
be unloaded.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from llm.openai_server import FakeOpenAIServer

ENGINES = ("local", "dask", "ray")


@pytest.fixture(scope="session")
def session_env(prism_cache_dir):
    """os.environ for the engines' workers: the build cache and the loopback LLM server."""
    saved = dict(os.environ)
    server = FakeOpenAIServer(latency=0.0).start()
    for name in list(os.environ):
        if name.startswith(("PRISM_LLM_", "OPENAI_", "PRISM_CLUSTER")):
            del os.environ[name]
    os.environ.update(PRISM_CACHE_DIR=str(prism_cache_dir), PRISM_LLM_BASE_URL=server.base_url,
                      PRISM_LLM_API_KEY="test")
    from prism_runtime.llm import llm
    llm.reset()
    yield server
    server.stop()
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def programs_dir(tmp_path_factory, session_env) -> Path:
    path = tmp_path_factory.mktemp("parallel-programs")
    sys.path.insert(0, str(path))
    import prism_runtime.install  # noqa: F401 - .prism files import through the hook
    yield path
    sys.path.remove(str(path))


@pytest.fixture(scope="session")
def prism_module(programs_dir):
    def load(name: str, source: str, **siblings):
        for sibling, text in siblings.items():
            (programs_dir / f"{sibling}.prism").write_text(text)
        (programs_dir / f"{name}.prism").write_text(source)
        return importlib.import_module(name)
    return load


@pytest.fixture(scope="session")
def dask_cluster(session_env):
    distributed = pytest.importorskip("distributed", reason="the dask backend needs '.[cluster]'")
    # ":0": the scheduler's HTTP server on a free port (8787 may be taken by another run).
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def ray_address(session_env):
    ray = pytest.importorskip("ray", reason="the ray backend needs '.[cluster]'")
    import logging
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="session")
def engines(request, session_env):
    """engine name -> a Parallel on it (each started on first use, closed at the end)."""
    from prism_runtime.parallel import Parallel
    made = {}

    def get(name):
        if name not in made:
            if name == "local":
                made[name] = Parallel(backend="local", workers=2)
            elif name == "dask":
                made[name] = Parallel(backend="dask", address=request.getfixturevalue("dask_cluster").scheduler_address)
            else:
                request.getfixturevalue("ray_address")
                made[name] = Parallel(backend="ray")       # the session's Ray, already initialised
            request.addfinalizer(made[name].close)         # runs before its cluster's teardown
        return made[name]
    return get


@pytest.fixture(params=ENGINES)
def engine(request, engines):
    """Each test using this runs once per engine."""
    return engines(request.param)
