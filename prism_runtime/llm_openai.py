"""The `openai` LLM provider: chat completions, streaming, first-token alternatives
(classification) and embeddings from any OpenAI-compatible server, through the
official `openai.AsyncOpenAI` client (one client per event loop; timeouts,
retries, backoff and Retry-After are the client's).

Every failure becomes a `PrismError` whose message names what failed and never
contains the key (`wrap_error`, which `config.scrub`s it). Token log-probabilities
come back as a plain list of floats (`token_logprobs`), which `llm` turns into
the answer's confidence.

Used by `prism_runtime.llm` (`LLM` picks this provider or `llm_local.LocalProvider`);
talks to `errors` (PrismError), the settings of `llm_config` (the `config` it is
given) and the third-party `openai` package (imported on first use).
"""
import asyncio
import weakref

from prism_runtime.errors import PrismError


def token_logprobs(choice_logprobs):
    """Token logprobs from an OpenAI-style `logprobs` object or dict (None when absent)."""
    if choice_logprobs is None:
        return None
    content = choice_logprobs.get("content") if isinstance(choice_logprobs, dict) else getattr(choice_logprobs, "content", None)
    if content is None:
        # llama-cpp-python's completion-style field
        tl = choice_logprobs.get("token_logprobs") if isinstance(choice_logprobs, dict) else None
        return [x for x in tl if x is not None] if tl else None
    out = []
    for t in content:
        lp = t.get("logprob") if isinstance(t, dict) else getattr(t, "logprob", None)
        if lp is not None:
            out.append(float(lp))
    return out


# ---- errors -----------------------------------------------------------------------

def wrap_error(exc, config, what="LLM request"):
    """A PrismError for `exc` whose message names the failure and never the key."""
    if isinstance(exc, PrismError):
        return exc
    status = None
    kind = type(exc).__name__
    try:
        import openai
    except ImportError:
        openai = None
    if openai is not None and isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        msg = f"{what} failed: HTTP {status} from the server: {exc.message}"
    elif openai is not None and isinstance(exc, openai.APITimeoutError):
        msg = (f"{what} timed out after {config.timeout:g}s "
               f"(tried {config.max_retries + 1} time(s); [llm] timeout / max_retries)")
    elif openai is not None and isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f": {cause}" if cause is not None else ""
        msg = (f"{what} failed: connection to the LLM server at {config.base_url or 'api.openai.com'}"
               f" failed (tried {config.max_retries + 1} time(s)){detail}")
    elif isinstance(exc, ValueError):       # json.JSONDecodeError and friends
        msg = f"{what} failed: the server sent a malformed response ({kind}: {exc})"
    else:
        msg = f"{what} failed: {kind}: {exc}"
    err = PrismError(config.scrub(msg) if config is not None else msg)
    err.status_code = status
    err.kind = kind
    return err


# ---- providers ----------------------------------------------------------------------

class OpenAIProvider:
    """Chat completions through `openai.AsyncOpenAI` (one client per event loop)."""

    def __init__(self, config):
        self.config = config
        self._clients = weakref.WeakKeyDictionary()

    def _client(self):
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            try:
                from openai import AsyncOpenAI, DefaultAsyncHttpxClient
            except ImportError:
                raise PrismError("the openai provider needs the 'openai' package: pip install 'openai>=1.40'") from None
            c = self.config
            # Our own HTTP client (openai's defaults) rather than the built-in wrapper: the
            # wrapper's __del__ schedules its close on whatever loop runs at GC time, which
            # fails for connections of a loop that asyncio.run has already closed.
            client = AsyncOpenAI(api_key=c.api_key or "not-needed", base_url=c.base_url,
                                 timeout=c.timeout, max_retries=c.max_retries,
                                 http_client=DefaultAsyncHttpxClient())
            self._clients[loop] = client
        return client

    async def close_client(self):
        """Close the HTTP client of the running event loop, if it has one."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def _params(self, messages, opts):
        model = opts.get("model") or self.config.model
        if not model:
            model = "gpt-4o-mini" if not self.config.base_url else "default"
        params = {"model": model, "messages": messages, "logprobs": True}
        for name in ("temperature", "max_tokens"):
            if opts.get(name) is not None:
                params[name] = opts[name]
        return params

    async def complete(self, messages, opts):
        """(text, token logprobs or None, usage: (prompt tokens, completion tokens) or None)."""
        try:
            resp = await self._client().chat.completions.create(**self._params(messages, opts))
            choice = resp.choices[0]
            text = choice.message.content or ""
            usage = getattr(resp, "usage", None)
            tokens = (getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)) \
                if usage is not None else None
            return text, token_logprobs(choice.logprobs), tokens
        except asyncio.CancelledError:
            raise
        except Exception as e:
            raise wrap_error(e, self.config) from None

    async def first_token_alternatives(self, messages, opts, n):
        """[(token, logprob)] of the `n` most likely first tokens of the answer (classification)."""
        params = self._params(messages, opts)
        params.update(max_tokens=1, temperature=0, top_logprobs=n)
        try:
            resp = await self._client().chat.completions.create(**params)
            choice = resp.choices[0]
            content = choice.logprobs.content if choice.logprobs is not None else None
        except asyncio.CancelledError:
            raise
        except Exception as e:
            raise wrap_error(e, self.config, "LLM classification") from None
        if not content:
            raise PrismError("LLM classification failed: the server reported no token log-probabilities "
                             "(llm.classify with labels needs an OpenAI-compatible server that supports "
                             "logprobs and top_logprobs)")
        return [(t.token, float(t.logprob)) for t in (content[0].top_logprobs or [])] or \
            [(content[0].token, float(content[0].logprob))]

    async def embed(self, text, model):
        """The embedding of `text` as a list of floats (POST /v1/embeddings)."""
        if not model:
            model = self.config.embedding_model or (self.config.model if self.config.base_url else None) \
                or "text-embedding-3-small"
        try:
            resp = await self._client().embeddings.create(model=model, input=text)
            return list(resp.data[0].embedding)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            raise wrap_error(e, self.config, "LLM embedding") from None

    async def stream(self, messages, opts):
        """Async iterator of (text, token logprobs or None); raises if the stream is cut."""
        finished = False
        stream = None
        received = 0
        try:
            stream = await self._client().chat.completions.create(stream=True, **self._params(messages, opts))
            async for chunk in stream:
                received += 1
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    yield text, token_logprobs(choice.logprobs)
                if choice.finish_reason is not None:
                    finished = True
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except PrismError:
            raise
        except Exception as e:
            if stream is None:
                raise wrap_error(e, self.config, "LLM stream") from None
            if isinstance(e, ValueError):
                raise wrap_error(e, self.config, "LLM stream") from None
            detail = e.__cause__ or e
            err = PrismError(self.config.scrub(
                f"LLM stream was cut off after {received} event(s): {type(detail).__name__}: {detail}"))
            err.status_code = None
            err.kind = type(e).__name__
            raise err from None
        finally:
            if stream is not None and not finished:
                try:
                    await stream.close()
                except BaseException:
                    pass
        if not finished:
            raise PrismError("LLM stream was cut off before the model finished (no finish_reason received)")
