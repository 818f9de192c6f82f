# cython: language_level=3
"""Prism's `std/llm` module and the global `llm`: generate, stream and batch LLM calls.

`llm` is an `LLM` whose configuration is read lazily at the first request
(`llm_config.load_config`: Prism.toml `[llm]` + PRISM_LLM_* / OPENAI_* env),
so importing this module is cheap and never fails.

- `await llm.generate(prompt, *, system=None, temperature=None, max_tokens=None, model=None)`
- `llm.generate_stream(prompt, ...)` -> async iterator of chunks (`async for`)
- `await llm.generate_batch(prompts, max_concurrent=5, errors="raise", **opts)`
- `await llm.classify(text, labels)`, `await llm.embedding(text)` (float32 tensor),
  `llm.complete_with_config(prompt, {temperature, max_tokens, system, model})` (synchronous)
- `Conversation.new(system: ..)`, `Model.new(name, temperature: ..)` (llm_chat.py)

Inside a test that called `mock_llm` (std/test), every call answers from the
mocks (`mocked`) before any provider is configured or contacted.

Results are `Conf(text, confidence)` where confidence = exp(mean token
logprob) as reported by the provider, or `[llm] default_confidence` when it
reports none; a confidence of exactly 1.0 gives a plain `str` (the runtime's
rule for every confidence value, `confidence.make`). Each result is reported
to the current context (`context.note_confidence`), and inside `in ctx { }`
the context value `system` is sent as the system prompt.

Providers: `openai` (`llm_openai.OpenAIProvider`: any OpenAI-compatible server
through the official `openai.AsyncOpenAI` client; timeouts, retries, backoff and
Retry-After are the client's) and `local` (`llm_local.LocalProvider`: llama-cpp-python on a GGUF
file, in a worker process of its own). Every failure is a `PrismError` whose
text never contains the key.

Talks to: `llm_config` (settings), `llm_openai` and `llm_local` (the providers),
`llm_classify`, `llm_chat`, `llm_sync` (classification, conversations and
model handles, synchronous calls), `testing` (mocks),
`context` (current context, confidence reporting), `confidence` (Conf),
`errors` (PrismError), `batch` (bounded concurrency and the results-and-failures
contract) and `trace` (each call is reported for `debug_llm!` and `prism inspect`).
"""
from prism_runtime.context cimport current, note_confidence
from prism_runtime.confidence cimport make, value_of

import asyncio
import math
import time

from prism_runtime.batch import errors_mode, finish, positive_int, run_bounded
from prism_runtime.errors import PrismError, as_prism_error
from prism_runtime.llm_local import LocalProvider
from prism_runtime.llm_openai import OpenAIProvider

_OPTION_NAMES = ("temperature", "max_tokens", "model")


# ---- confidence -----------------------------------------------------------------

cpdef double confidence_from_logprobs(object logprobs, double default):
    """exp(mean of `logprobs`), or `default` when there are none."""
    cdef double total = 0.0
    cdef Py_ssize_t n = 0
    if not logprobs:
        return default
    for lp in logprobs:
        total += lp
        n += 1
    cdef double c = math.exp(total / n)
    return 1.0 if c > 1.0 else c


cdef object _result(str text, object logprobs, double default):
    cdef double c = confidence_from_logprobs(logprobs, default)
    note_confidence(c)
    return make(text, c)


def answer(value, double confidence):
    """An answer with its confidence (a plain value at 1.0), reported to the current context:
    what every `llm` call returns. For the helper modules (llm_classify, llm_chat)."""
    note_confidence(confidence)
    return make(value, confidence)


def mocked(prompt):
    """(output, confidence) when the running test mocks the LLM (std/test `mock_llm`), else None;
    an unmocked prompt is an error. Checked before any provider is configured or contacted."""
    from prism_runtime.testing import mock_answer
    return mock_answer(value_of(prompt))


# ---- what debug_llm! and prism inspect see ----------------------------------------------

def _note_call(messages, opts, config, started, text, tokens, result, exc):
    from prism_runtime.confidence import conf_of as _conf_of
    from prism_runtime.trace import note_llm_call
    call = {"prompt": messages[-1]["content"],
            "system": messages[0]["content"] if messages[0]["role"] == "system" else None,
            "answer": text, "latency_ms": (time.perf_counter() - started) * 1e3,
            "prompt_tokens": tokens[0] if tokens else None, "completion_tokens": tokens[1] if tokens else None,
            "confidence": _conf_of(result) if exc is None else None,
            "model": opts.get("model") or config.model or config.provider, "error": None}
    if exc is not None:
        call["error"] = as_prism_error(exc).message if isinstance(exc, Exception) else type(exc).__name__
    note_llm_call(call)


# ---- the llm object -------------------------------------------------------------------

class LLM:
    """The `llm` object. `LLM()` reads the configuration at first use;
    `LLM(base_url=..., api_key=..., ...)` or `LLM(config=LLMConfig(...))` fixes it."""

    def __init__(self, config=None, **settings):
        if config is not None and settings:
            raise PrismError("pass either config or settings, not both")
        self._config = config
        self._settings = settings
        self._provider = None

    # -- configuration --
    @property
    def config(self):
        if self._config is None:
            from prism_runtime import llm_config
            self._config = (llm_config.LLMConfig(**self._settings) if self._settings
                            else llm_config.load_config())
        return self._config

    def configure(self, config=None, **settings):
        """Replace the configuration (keyword settings as for `LLMConfig`); takes effect at the next call."""
        if config is None and settings:
            from prism_runtime import llm_config
            config = llm_config.LLMConfig(**settings)
        if isinstance(self._provider, LocalProvider):
            self._provider.close()         # its model worker would otherwise idle until exit
        self._config = config
        self._settings = {}
        self._provider = None

    def reset(self):
        """Forget the configuration and clients; the next call reads Prism.toml / env again."""
        self.configure(None)

    def _get_provider(self):
        if self._provider is None:
            cfg = self.config
            self._provider = LocalProvider(cfg) if cfg.provider == "local" else OpenAIProvider(cfg)
        return self._provider

    def __repr__(self):
        if self._config is None:
            return "LLM(<not configured yet>)"
        c = self._config
        return f"LLM(provider={c.provider!r}, model={c.model!r}, base_url={c.base_url!r})"

    # -- requests --
    def _messages(self, prompt, system):
        if system is None:
            ctx = current()
            if ctx is not None:
                system = ctx.get("system")
        messages = []
        if system is not None:
            messages.append({"role": "system", "content": str(value_of(system))})
        messages.append({"role": "user", "content": str(value_of(prompt))})
        return messages

    @staticmethod
    def _opts(temperature, max_tokens, model):
        from prism_runtime.llm_chat import Model
        if isinstance(value_of(model), Model):     # a handle: its settings unless given here
            handle = value_of(model)
            temperature = handle.temperature if temperature is None else temperature
            max_tokens = handle.max_tokens if max_tokens is None else max_tokens
            model = handle.name
        opts = {}
        if temperature is not None:
            opts["temperature"] = float(value_of(temperature))
        if max_tokens is not None:
            opts["max_tokens"] = int(value_of(max_tokens))
        if model is not None:
            opts["model"] = str(value_of(model))
        return opts

    async def generate(self, prompt, *, system=None, temperature=None, max_tokens=None, model=None):
        """The model's answer to `prompt`: Conf(text, exp(mean token logprob)) (str when 1.0).
        `model` is a model name or a `Model` handle (its temperature, max_tokens and system)."""
        return await self.chat(self._messages(prompt, _system_of(system, model)),
                               temperature=temperature, max_tokens=max_tokens, model=model)

    async def chat(self, messages, *, temperature=None, max_tokens=None, model=None):
        """The model's next message after `messages` ([{role, content}], as Conversation keeps them).

        Each call, answered or failed, is reported to `trace.note_llm_call` (what `debug_llm!`
        and `prism inspect` show: prompt, answer, latency, tokens, confidence)."""
        mock = mocked(_last_user_message(messages))
        if mock is not None:
            return answer(str(mock[0]), mock[1])
        provider = self._get_provider()
        opts = self._opts(temperature, max_tokens, model)
        started = time.perf_counter()
        try:
            reply = await provider.complete(messages, opts)
        except BaseException as exc:
            _note_call(messages, opts, self.config, started, None, None, None, exc)
            raise
        text, logprobs = reply[0], reply[1]
        result = _result(text, logprobs, self.config.default_confidence)
        tokens = reply[2] if len(reply) > 2 and reply[2] is not None else (None, len(logprobs) if logprobs else None)
        _note_call(messages, opts, self.config, started, text, tokens, result, None)
        return result

    async def classify(self, text, labels=None, *, system=None, model=None):
        """The best of `labels` for `text`, with its probability among them from the model's
        first-token log-probabilities; without labels, a one-word category with its answer's
        confidence (prism_runtime/llm_classify.py)."""
        from prism_runtime.llm_classify import classify
        return await classify(self, text, labels, system, model)

    async def embedding(self, text, *, model=None):
        """The embedding of `text`: a float32 tensor (the provider's embeddings endpoint)."""
        import numpy
        mock = mocked(text)
        if mock is not None:
            vector = mock[0]
        else:
            provider = self._get_provider()
            if not hasattr(provider, "embed"):
                raise PrismError(f"llm.embedding is not available with the {self.config.provider!r} provider; "
                                 "use an OpenAI-compatible server ([llm] base_url)")
            vector = await provider.embed(str(value_of(text)), None if model is None else str(value_of(model)))
        return numpy.asarray(vector, dtype=numpy.float32)

    def complete_with_config(self, prompt, config=None):
        """`generate` as a synchronous call, usable outside async code: `config` is a map of
        temperature, max_tokens, system and model (all optional)."""
        from prism_runtime.llm_sync import run_sync
        settings = dict(value_of(config) or {})
        unknown = sorted(set(settings) - {"temperature", "max_tokens", "system", "model"})
        if unknown:
            raise PrismError(f"complete_with_config: unknown setting(s) {', '.join(unknown)} "
                             "(known: temperature, max_tokens, system, model)", code="VALUE_ERROR")
        messages = self._messages(prompt, _system_of(settings.get("system"), settings.get("model")))
        mock = mocked(_last_user_message(messages))
        if mock is not None:
            return answer(str(mock[0]), mock[1])
        opts = self._opts(settings.get("temperature"), settings.get("max_tokens"), settings.get("model"))
        provider = self._get_provider()
        reply = run_sync(provider.complete(messages, opts))   # (text, logprobs[, tokens])
        text, logprobs = reply[0], reply[1]
        return _result(text, logprobs, self.config.default_confidence)   # reported in the caller's context

    def generate_stream(self, prompt, *, system=None, temperature=None, max_tokens=None, model=None):
        """An async iterator of the answer's chunks, each with its own confidence.

        Raises PrismError (while iterating) if the stream is cut off before the
        model finished. Configuration errors are raised here, immediately."""
        messages = self._messages(prompt, _system_of(system, model))
        mock = mocked(prompt)
        if mock is not None:
            return _Stream(_one_chunk(str(mock[0])), mock[1])
        provider = self._get_provider()
        return _Stream(provider.stream(messages, self._opts(temperature, max_tokens, model)),
                       self.config.default_confidence)

    async def generate_batch(self, prompts, max_concurrent=5, errors="raise", *, system=None,
                             temperature=None, max_tokens=None, model=None):
        """Answers to every prompt, in input order, with at most `max_concurrent` requests in flight.

        If some prompts fail, raises one PrismError whose `.results` holds every
        result with the failures (PrismErrors) in their slots and `.failures`
        maps index -> error; with `errors="return"` that list is returned instead.
        Cancelling the batch cancels every request it has in flight."""
        prompts = list(prompts)
        k = positive_int("max_concurrent", max_concurrent)
        errors = errors_mode(errors)
        if not _mocking():
            self._get_provider()           # configuration errors surface once, here
        opts = {"system": system, "temperature": temperature, "max_tokens": max_tokens, "model": model}

        async def answer(i):
            return await self.generate(prompts[i], **opts)

        results, failures = await run_bounded(answer, len(prompts), k)
        return finish(results, failures, errors, "prompt")

    async def aclose(self):
        """Close the HTTP client of the running event loop (optional; for tidy shutdown)."""
        p = self._provider
        if isinstance(p, OpenAIProvider):
            await p.close_client()


class _Stream:
    """What `generate_stream` returns: an async iterator of Conf/str chunks."""

    def __init__(self, source, double default):
        self._source = source
        self._default = default
        self.chunks = 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        try:
            text, logprobs = await self._source.__anext__()
        except StopAsyncIteration:
            raise
        self.chunks += 1
        return _result(text, logprobs, self._default)

    async def aclose(self):
        await self._source.aclose()

    def __repr__(self):
        return f"<llm stream, {self.chunks} chunk(s) so far>"


def _system_of(system, model):
    """The system prompt: the one given, else a `Model` handle's (else the context's, in _messages)."""
    if system is None and model is not None:
        return getattr(value_of(model), "system", None)
    return system


def _last_user_message(messages):
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


def _mocking():
    from prism_runtime.testing import mocking
    return mocking()


async def _one_chunk(text):
    """A mocked stream: the whole answer as one chunk (logprobs None: the mock's confidence)."""
    yield text, None


llm = LLM()
__prism_default__ = llm          # `import llm from "std/llm"` binds the object

from prism_runtime.llm_chat import Conversation, Model   # noqa: E402 - they use this module's `llm`

__all__ = ["LLM", "llm", "confidence_from_logprobs", "Conversation", "Model", "answer", "mocked"]
