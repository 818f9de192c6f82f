"""`Conversation` and `Model` of `std/llm`: a chat that keeps its history, and a model handle.

    let chat = Conversation.new(system: "Answer briefly.")
    chat.add_message("user", "Hello!")
    let reply = await chat.get_response()     // sent with the history; appended to it
    let fast = Model.new("gpt-4o-mini", temperature: 0.2, max_tokens: 50)
    await llm.generate("Hi", model: fast)      // the handle's settings unless given in the call

A conversation's replies carry their confidence (exp of the mean token
log-probability, as every `llm` answer) and are reported to the context
current when `get_response` runs. Without a system message the current
context's `system` value is sent, as for `llm.generate`. Mocks
(`mock_llm`) answer by the conversation's last user message.

Talks to `llm` (the `llm` object: `chat`, which does the request), `confidence`
(values of arguments) and `errors`.
"""
from __future__ import annotations

from prism_runtime.errors import PrismError

ROLES = ("system", "user", "assistant")


def _plain(value):
    from prism_runtime.confidence import value_of
    return value_of(value)


class Model:
    """A model name with default settings; `generate(.., model: handle)` and Conversation use it."""

    def __init__(self, name, temperature=None, max_tokens=None, system=None):
        self.name = str(_plain(name))
        self.temperature = None if temperature is None else float(_plain(temperature))
        self.max_tokens = None if max_tokens is None else int(_plain(max_tokens))
        self.system = None if system is None else str(_plain(system))

    @classmethod
    def new(cls, name, temperature=None, max_tokens=None, system=None):
        return cls(name, temperature=temperature, max_tokens=max_tokens, system=system)

    async def generate(self, prompt, **options):
        """`llm.generate(prompt, model: this)`."""
        from prism_runtime.llm import llm
        return await llm.generate(prompt, model=self, **options)

    def __repr__(self):
        settings = "".join(f", {k}: {getattr(self, k)!r}" for k in ("temperature", "max_tokens", "system")
                           if getattr(self, k) is not None)
        return f"Model({self.name!r}{settings})"

    __str__ = __repr__


class Conversation:
    """A chat: messages in order; `get_response()` sends them all and keeps the reply."""

    def __init__(self, system=None, model=None, llm=None):
        self._llm = llm
        self.model = model
        self._messages: list = []
        if system is not None:
            self.add_message("system", system)

    @classmethod
    def new(cls, system=None, model=None):
        return cls(system=system, model=model)

    @property
    def llm(self):
        if self._llm is None:
            from prism_runtime.llm import llm
            return llm
        return self._llm

    def add_message(self, role, content):
        role = str(_plain(role))
        if role not in ROLES:
            raise PrismError(f"a message's role is one of {', '.join(ROLES)}, not {role!r}", code="VALUE_ERROR")
        self._messages.append({"role": role, "content": str(_plain(content))})
        return None

    async def get_response(self, temperature=None, max_tokens=None):
        """The model's reply to the conversation so far, appended to it as the assistant's."""
        messages = list(self._messages)
        if not any(m["role"] == "system" for m in messages):
            system = getattr(_plain(self.model), "system", None) if self.model is not None else None
            prompt_messages = self.llm._messages("", system)
            if prompt_messages[0]["role"] == "system":       # the context's (or the model's) system
                messages.insert(0, prompt_messages[0])
        if not any(m["role"] == "user" for m in messages):
            raise PrismError("get_response() needs a user message first: add_message(\"user\", ..)",
                             code="VALUE_ERROR")
        reply = await self.llm.chat(messages, temperature=temperature, max_tokens=max_tokens, model=self.model)
        self._messages.append({"role": "assistant", "content": str(_plain(reply))})
        return reply

    @property
    def messages(self) -> list:
        """The history: maps with `role` and `content`, oldest first (a copy)."""
        from prism_runtime.core import Obj
        return [Obj(m) for m in self._messages]

    history = messages

    @property
    def length(self) -> int:
        return len(self._messages)

    def clear(self):
        """Forget every message but the system prompt."""
        self._messages = [m for m in self._messages if m["role"] == "system"]
        return None

    def __repr__(self):
        return f"<Conversation of {len(self._messages)} message(s)>"
