"""Fixtures for the standard-library tests: loopback HTTP and LLM servers, and a runner of
Prism programs (`prism run` / `prism test` as subprocesses with this checkout's code)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from .http_server import LoopbackHTTPServer

TESTS = Path(__file__).resolve().parent.parent


def _openai_server_module():
    """tests/llm/openai_server.py, loaded by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("stdlib_openai_server", TESTS / "llm" / "openai_server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


openai_server = _openai_server_module()
FakeOpenAIServer = openai_server.FakeOpenAIServer


@pytest.fixture
def http_server():
    with LoopbackHTTPServer() as server:
        yield server


@pytest.fixture
def llm_server():
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def run_prism(prism_env, tmp_path):
    """run_prism(source, command="run", llm=None, files={}) -> CompletedProcess: writes the
    program to tmp_path/main.prism and runs it there (against `llm`, a FakeOpenAIServer)."""
    def run(source: str, command: str = "run", llm=None, name: str = "main.prism", extra_env=None):
        path = tmp_path / name
        path.write_text(source)
        env = {k: v for k, v in prism_env.items() if not k.startswith(("PRISM_LLM_", "OPENAI_"))}
        if llm is not None:
            env.update(PRISM_LLM_BASE_URL=llm.base_url, PRISM_LLM_API_KEY="test-key")
        env.update(extra_env or {})
        args = [sys.executable, "-m", "transpiler", command] + (["-O0"] if command == "run" else []) + [str(path)]
        return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    return run
