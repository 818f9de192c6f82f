"""Configuration of Prism's LLM providers (`[llm]` in Prism.toml and PRISM_LLM_* env vars).

`load_config()` builds an `LLMConfig` from, highest priority first:

1. the environment: PRISM_LLM_PROVIDER, PRISM_LLM_BASE_URL, PRISM_LLM_MODEL,
   PRISM_LLM_EMBEDDING_MODEL, PRISM_LLM_MODEL_PATH, PRISM_LLM_API_KEY;
2. the `[llm]` table of the nearest `Prism.toml` (searched upward from the
   current directory): provider, base_url, model, embedding_model, model_path,
   api_key_env, timeout, max_retries, default_confidence;
3. the generic OpenAI variables OPENAI_BASE_URL / OPENAI_API_KEY.

The API key itself never lives in Prism.toml: `api_key_env` names the
variable that holds it. `LLMConfig` never shows the key in its repr, and
`scrub(text)` removes it from any text (used on every error message).

Used by `prism_runtime.llm` (lazily, at the first request) and, for
`find_prism_toml` / `read_table`, by `parallel_config`; talks to
`prism_runtime.errors` only.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from prism_runtime.errors import PrismError

PROVIDERS = ("openai", "local")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2

HOW_TO_CONFIGURE = (
    "no LLM provider is configured. Set one of:\n"
    "  - PRISM_LLM_BASE_URL (an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama)"
    " and PRISM_LLM_API_KEY if it needs a key, optionally PRISM_LLM_MODEL;\n"
    "  - OPENAI_API_KEY to use api.openai.com;\n"
    "  - PRISM_LLM_PROVIDER=local to run a GGUF model on this machine, in a worker process (pip install 'prism-lang[local]');\n"
    "  - or an [llm] table in Prism.toml: provider = \"openai\" | \"local\", base_url, model,"
    " model_path, api_key_env, timeout, max_retries, default_confidence."
)


class LLMConfig:
    """Resolved LLM settings. The API key is kept private and never shown."""

    __slots__ = ("provider", "base_url", "model", "embedding_model", "model_path", "timeout", "max_retries",
                 "default_confidence", "source", "_api_key")

    def __init__(self, provider=None, *, base_url=None, model=None, model_path=None, api_key=None,
                 timeout=DEFAULT_TIMEOUT, max_retries=DEFAULT_MAX_RETRIES, default_confidence=1.0,
                 source="arguments", embedding_model=None):
        if provider is None:
            provider = "local" if (model_path and not base_url and not api_key) else "openai"
        provider = str(provider).strip().lower()
        if provider not in PROVIDERS:
            raise PrismError(f"[llm] provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
        self.provider = provider
        self.base_url = str(base_url) if base_url else None
        self.model = str(model) if model else None
        self.embedding_model = str(embedding_model) if embedding_model else None
        self.model_path = str(model_path) if model_path else None
        self._api_key = str(api_key) if api_key else None
        self.timeout = _number("timeout", timeout, lo=0.0, strict=True)
        self.max_retries = int(_number("max_retries", max_retries, lo=0.0))
        self.default_confidence = _number("default_confidence", default_confidence, lo=0.0, hi=1.0)
        self.source = source
        if provider == "openai" and not self.base_url and not self._api_key:
            raise PrismError(HOW_TO_CONFIGURE)

    @property
    def api_key(self):
        return self._api_key

    def scrub(self, text):
        """`text` with the API key (if any) replaced by ***."""
        text = str(text)
        if self._api_key and len(self._api_key) >= 1:
            text = text.replace(self._api_key, "***")
        return text

    def __repr__(self):
        key = "set" if self._api_key else "unset"
        return (f"LLMConfig(provider={self.provider!r}, base_url={self.base_url!r}, model={self.model!r}, "
                f"model_path={self.model_path!r}, api_key=<{key}>, timeout={self.timeout!r}, "
                f"max_retries={self.max_retries!r}, default_confidence={self.default_confidence!r})")


def _number(name, value, lo=None, hi=None, strict=False):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise PrismError(f"[llm] {name} must be a number, not {value!r}") from None
    if math.isnan(x) or (lo is not None and (x <= lo if strict else x < lo)) or (hi is not None and x > hi):
        bounds = f"> {lo:g}" if strict else f">= {lo:g}"
        if hi is not None:
            bounds += f" and <= {hi:g}"
        raise PrismError(f"[llm] {name} must be {bounds}, not {value!r}")
    return x


def find_prism_toml(start=None):
    """The nearest Prism.toml at or above `start` (default: the current directory), or None."""
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        candidate = d / "Prism.toml"
        if candidate.is_file():
            return candidate
    return None


LLM_KEYS = frozenset({"provider", "base_url", "model", "embedding_model", "model_path", "api_key_env",
                      "timeout", "max_retries", "default_confidence"})


def read_llm_table(path):
    """The `[llm]` table of the TOML file at `path` ({} when absent)."""
    return read_table(path, "llm", LLM_KEYS)


def read_table(path, name, known):
    """The `[name]` table of the TOML file at `path` ({} when absent); keys outside `known`
    are an error naming them (std/http reads `[http]` through this too)."""
    try:
        import tomllib
    except ModuleNotFoundError:           # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise PrismError(f"reading {path} needs Python 3.11+ or the 'tomli' package") from None
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError) as e:
        raise PrismError(f"cannot read {path}: {e}") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise PrismError(f"{path}: [{name}] must be a table")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise PrismError(f"{path}: unknown [{name}] key(s): {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(known))})")
    return table


def load_config(environ=None, cwd=None):
    """Resolve the configuration from the environment and Prism.toml (see the module docstring)."""
    env = os.environ if environ is None else environ
    toml_path = find_prism_toml(cwd)
    table = read_llm_table(toml_path) if toml_path else {}

    def pick(env_name, key, fallback_env=None):
        v = env.get(env_name)
        if v:
            return v
        v = table.get(key)
        if v not in (None, ""):
            return v
        return env.get(fallback_env) if fallback_env else None

    provider = pick("PRISM_LLM_PROVIDER", "provider")
    base_url = pick("PRISM_LLM_BASE_URL", "base_url", "OPENAI_BASE_URL")
    model = pick("PRISM_LLM_MODEL", "model")
    embedding_model = pick("PRISM_LLM_EMBEDDING_MODEL", "embedding_model")
    model_path = pick("PRISM_LLM_MODEL_PATH", "model_path")
    api_key = env.get("PRISM_LLM_API_KEY")
    key_env = table.get("api_key_env")
    if not api_key and key_env:
        api_key = env.get(str(key_env))
    if not api_key:
        api_key = env.get("OPENAI_API_KEY")
    if provider is None and not (base_url or api_key or model_path):
        raise PrismError(HOW_TO_CONFIGURE)
    return LLMConfig(
        provider, base_url=base_url, model=model, embedding_model=embedding_model, model_path=model_path,
        api_key=api_key,
        timeout=table.get("timeout", DEFAULT_TIMEOUT),
        max_retries=table.get("max_retries", DEFAULT_MAX_RETRIES),
        default_confidence=table.get("default_confidence", 1.0),
        source=str(toml_path) if toml_path else "environment",
    )
