"""A model engine for the local provider's worker process that misbehaves on request.

Selected with `PRISM_LLM_LOCAL_ENGINE=tests.llm.fake_engine:FakeEngine`; it runs
inside the real worker (`prism_runtime.llm_worker`) started by the real
provider, so only the model is replaced. The answer to a prompt is
`"echo: <prompt>"`, one piece per word, each with logprob -0.1; directives in
the prompt change that:

    [die=SIGILL]     send this signal to the worker itself (after [after=N] pieces)
    [hang]           stop answering, forever (after [after=N] pieces)
    [exit=3]         print a line on stderr and exit with that status
    [fail]           raise EngineError (the worker answers with an error)
    [pid]            answer with the worker's process id
    [slow=0.01]      sleep that long before each piece
    [endless]        never finish: pieces until the request is cancelled
    [wait_for=PATH]  answer only once the file PATH exists (the test creates it; fails after 60 s)

Talks to: `prism_runtime.llm_worker` (EngineError); used by tests/llm/test_local_worker.py.
"""
from __future__ import annotations

import itertools
import os
import re
import resource
import signal
import sys
import threading
import time

from prism_runtime.llm_worker import EngineError

_DIRECTIVE = re.compile(r"\[(\w+)(?:=([^\]]*))?\]")


class FakeEngine:
    def __init__(self, settings: dict):
        self.settings = settings
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))     # dying on purpose: no core files

    def generate(self, messages, opts):
        prompt = messages[-1]["content"]
        d = {m.group(1): m.group(2) for m in _DIRECTIVE.finditer(prompt)}
        if "fail" in d:
            raise EngineError("the fake model refuses")
        if "exit" in d:
            print("fake engine: exiting on purpose", file=sys.stderr, flush=True)
            os._exit(int(d["exit"]))
        if d.get("wait_for"):
            give_up = time.monotonic() + 60          # a bound for a broken build, not a timing
            while not os.path.exists(d["wait_for"]):
                if time.monotonic() > give_up:
                    raise EngineError(f"gave up waiting for {d['wait_for']}")
                time.sleep(0.005)
        words = [str(os.getpid())] if "pid" in d else ("echo: " + prompt).split(" ")
        if "endless" in d:
            words = itertools.cycle(words)
        limit = opts.get("max_tokens") or 1 << 62
        for i, word in enumerate(itertools.islice(words, limit)):
            if i == int(d.get("after") or 0):
                self._misbehave(d)
            if d.get("slow"):
                time.sleep(float(d["slow"]))
            yield (word if i == 0 else " " + word), [-0.1]
        self._misbehave(d)

    @staticmethod
    def _misbehave(d):
        if d.get("die"):
            os.kill(os.getpid(), signal.Signals[d["die"]])
            time.sleep(60)                  # a signal that does not kill at once (none of ours)
        if "hang" in d:
            threading.Event().wait()
