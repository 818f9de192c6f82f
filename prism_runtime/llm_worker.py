"""The local model's worker process: `python -m prism_runtime.llm_worker ENGINE SETTINGS IN_FD OUT_FD`.

The `local` LLM provider (`llm_local`) starts this process on the first
request and keeps it warm, so that a native crash, an out-of-memory kill or a
hang of the model library kills this process and not the Prism program.

Protocol: one JSON object per line, requests on IN_FD, answers on OUT_FD
(stdout and stderr stay free for whatever the native library prints).

    -> {"op": "generate", "id": 7, "messages": [...], "opts": {"max_tokens": 64, ...}}
    -> {"op": "cancel", "id": 7}
    <- {"id": 7, "started": true}                              (before the engine begins it)
    <- {"id": 7, "chunk": "text", "logprobs": [-0.1, ...]}     (one per piece of text)
    <- {"id": 7, "done": true}
    <- {"id": 7, "error": "message"}

Requests run one at a time, in arrival order, on the main thread; a reader
thread takes requests and cancellations off the pipe meanwhile, so a
cancelled request stops at its next chunk. End of input (the program closed
the pipe or died) ends the process.

The engine is `module:Class` (default `prism_runtime.llm_llama:LlamaEngine`),
constructed once, on the first request, with the settings dict; its
`generate(messages, opts)` yields `(text, token_logprobs)` pairs and raises
`EngineError` with a message for the user when it cannot answer.

Talks to: the engine module it is given; nothing else of Prism.
"""
from __future__ import annotations

import importlib
import json
import os
import queue
import sys
import threading

DEFAULT_ENGINE = "prism_runtime.llm_llama:LlamaEngine"


class EngineError(Exception):
    """A failure the engine explains in words meant for the user (no type name added)."""


def load_engine(spec: str, settings: dict):
    module_name, _, class_name = spec.partition(":")
    try:
        engine_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise EngineError(f"cannot load the local model engine {spec!r}: {exc}") from None
    return engine_class(settings)


class Worker:
    def __init__(self, engine_spec: str, settings: dict, in_fd: int, out_fd: int):
        self.engine_spec = engine_spec
        self.settings = settings
        self.engine = None
        self.requests = queue.SimpleQueue()
        self.cancelled = set()
        self._in = os.fdopen(in_fd, "rb")
        self._out = os.fdopen(out_fd, "wb")

    def send(self, message: dict) -> None:
        self._out.write(json.dumps(message).encode() + b"\n")
        self._out.flush()

    def read_requests(self) -> None:
        """Reader thread: queue generate requests, note cancellations; None at end of input."""
        for line in self._in:
            message = json.loads(line)
            if message.get("op") == "cancel":
                self.cancelled.add(message["id"])
            else:
                self.requests.put(message)
        self.requests.put(None)

    def serve(self) -> None:
        threading.Thread(target=self.read_requests, name="prism-llm-worker-reader", daemon=True).start()
        while (request := self.requests.get()) is not None:
            self.answer(request)

    def answer(self, request: dict) -> None:
        rid = request["id"]
        if rid in self.cancelled:
            self.cancelled.discard(rid)
            return
        # Said before anything else of this request, so a provider that sees the worker die
        # knows whether the death came while answering it (then the call fails) or not.
        self.send({"id": rid, "started": True})
        try:
            if self.engine is None:
                self.engine = load_engine(self.engine_spec, self.settings)
            for text, logprobs in self.engine.generate(request["messages"], request.get("opts") or {}):
                if rid in self.cancelled:
                    break
                self.send({"id": rid, "chunk": text, "logprobs": logprobs})
            else:
                self.send({"id": rid, "done": True})
        except EngineError as exc:
            self.send({"id": rid, "error": str(exc)})
        except Exception as exc:           # the engine's own bug or the library's: still an answer
            self.send({"id": rid, "error": f"{type(exc).__name__}: {exc}"})
        self.cancelled.discard(rid)


def main(argv) -> int:
    engine_spec, settings, in_fd, out_fd = argv[1], json.loads(argv[2]), int(argv[3]), int(argv[4])
    try:
        Worker(engine_spec, settings, in_fd, out_fd).serve()
    except (BrokenPipeError, KeyboardInterrupt):
        pass                               # the program went away: nobody to answer
    return 0


if __name__ == "__main__":
    # Run the importable module's main, so that engines raising `prism_runtime.llm_worker.EngineError`
    # raise the class this code catches, not a twin defined in `__main__`.
    from prism_runtime.llm_worker import main as importable_main
    sys.exit(importable_main(sys.argv))
