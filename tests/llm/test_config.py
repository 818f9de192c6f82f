"""LLM configuration: Prism.toml [llm], PRISM_LLM_* / OPENAI_* env, errors, lazy loading, key hiding."""
import asyncio
import os
import subprocess
import sys

import pytest

from prism_runtime.errors import PrismError
from prism_runtime.llm import LLM
from prism_runtime.llm_config import LLMConfig, find_prism_toml, load_config

KEY = "sk-config-SECRET-99"


def write_toml(dir_, body):
    (dir_ / "Prism.toml").write_text(body)


def test_nothing_configured_is_a_clear_error(tmp_path):
    with pytest.raises(PrismError) as info:
        load_config(environ={}, cwd=tmp_path)
    msg = info.value.message
    assert "no LLM provider is configured" in msg
    assert "PRISM_LLM_BASE_URL" in msg and "Prism.toml" in msg and "OPENAI_API_KEY" in msg


def test_env_only():
    c = load_config(environ={"PRISM_LLM_BASE_URL": "http://h:1/v1", "PRISM_LLM_MODEL": "m",
                             "PRISM_LLM_API_KEY": KEY}, cwd="/")
    assert (c.provider, c.base_url, c.model, c.api_key) == ("openai", "http://h:1/v1", "m", KEY)
    assert (c.timeout, c.max_retries, c.default_confidence) == (60.0, 2, 1.0)


def test_openai_fallbacks():
    c = load_config(environ={"OPENAI_API_KEY": KEY}, cwd="/")
    assert c.provider == "openai" and c.base_url is None and c.api_key == KEY
    c = load_config(environ={"OPENAI_BASE_URL": "http://o/v1", "OPENAI_API_KEY": "a",
                             "PRISM_LLM_API_KEY": "b"}, cwd="/")
    assert c.base_url == "http://o/v1" and c.api_key == "b"


def test_toml_is_found_upward_and_env_wins(tmp_path):
    write_toml(tmp_path, '[llm]\nprovider = "openai"\nbase_url = "http://file/v1"\nmodel = "file-model"\n'
                         'api_key_env = "MY_KEY"\ntimeout = 5\nmax_retries = 4\ndefault_confidence = 0.8\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_prism_toml(sub) == tmp_path / "Prism.toml"
    c = load_config(environ={"MY_KEY": KEY}, cwd=sub)
    assert (c.base_url, c.model, c.api_key) == ("http://file/v1", "file-model", KEY)
    assert (c.timeout, c.max_retries, c.default_confidence) == (5.0, 4, 0.8)
    c = load_config(environ={"MY_KEY": KEY, "PRISM_LLM_BASE_URL": "http://env/v1", "PRISM_LLM_MODEL": "env-model",
                             "OPENAI_BASE_URL": "http://openai/v1"}, cwd=sub)
    assert (c.base_url, c.model) == ("http://env/v1", "env-model")
    # the file's explicit base_url beats the generic OPENAI_BASE_URL fallback
    c = load_config(environ={"MY_KEY": KEY, "OPENAI_BASE_URL": "http://openai/v1"}, cwd=sub)
    assert c.base_url == "http://file/v1"


def test_local_provider_from_toml(tmp_path):
    write_toml(tmp_path, '[llm]\nprovider = "local"\nmodel_path = "/models/x.gguf"\n')
    c = load_config(environ={}, cwd=tmp_path)
    assert (c.provider, c.model_path) == ("local", "/models/x.gguf")
    c = load_config(environ={"PRISM_LLM_PROVIDER": "local"}, cwd="/")
    assert c.provider == "local" and c.model_path is None


@pytest.mark.parametrize("body,match", [
    ('[llm]\nprovider = "magic"\n', "provider must be one of"),
    ('[llm]\nbase_url = "http://x"\ntimeout = 0\n', "timeout must be > 0"),
    ('[llm]\nbase_url = "http://x"\ndefault_confidence = 1.5\n', "default_confidence"),
    ('[llm]\nbase_url = "http://x"\nmax_retries = "many"\n', "max_retries must be a number"),
    ('[llm]\nbase_url = "http://x"\napi_key = "inline"\n', "unknown \\[llm\\] key"),
    ('[llm\n', "cannot read"),
])
def test_bad_toml(tmp_path, body, match):
    write_toml(tmp_path, body)
    with pytest.raises(PrismError, match=match):
        load_config(environ={}, cwd=tmp_path)


def test_key_hidden_in_reprs():
    c = LLMConfig(base_url="http://h/v1", api_key=KEY)
    assert KEY not in repr(c) and "api_key=<set>" in repr(c)
    assert c.scrub(f"Bearer {KEY}!") == "Bearer ***!"
    llm = LLM(config=c)
    assert KEY not in repr(llm)


def test_lazy_config_error_at_first_call(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("PRISM_LLM_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    llm = LLM()
    assert "not configured" in repr(llm)
    with pytest.raises(PrismError, match="no LLM provider is configured"):
        asyncio.run(llm.generate("x"))
    with pytest.raises(PrismError, match="no LLM provider is configured"):
        llm.generate_stream("x")
    llm.configure(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    assert llm.config.base_url == "http://127.0.0.1:9/v1"
    llm.reset()
    assert "not configured" in repr(llm)


def test_import_is_cheap_and_never_fails(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_LLM_", "OPENAI_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    write_toml(tmp_path, '[llm]\nprovider = "nonsense"\n')      # a bad file must not break the import
    code = "import sys, prism_runtime.llm as m; print(m.llm, 'openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "LLM(<not configured yet>) False"
