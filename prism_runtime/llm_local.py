"""The `local` LLM provider: a GGUF model in a worker process of its own, kept warm.

The model (llama-cpp-python, native code) runs in `llm_worker`, started on
the first request, one per program. Requests and streamed pieces of answers
cross a pair of pipes as JSON lines; a reader thread hands each answer to the
event loop that asked (any number of loops, one after another or at once), a
writer thread sends the requests, so the event loop never blocks on the
worker.

If the worker dies (a signal: SIGILL from a library built for another CPU,
SIGKILL from the out-of-memory killer, SIGSEGV, ...) or sends nothing for
`[llm] timeout` seconds while a request waits (a watchdog thread then kills
it; its clock can be given, see clock.py), every call waiting on it fails
with a PrismError that says what happened and what to do; the program goes
on, and the next call starts a fresh worker. A batch keeps its contract: the
calls that failed are failures in their slots. Calls waiting on a worker that
died while answering none of them (killed while idle) go to a fresh worker
once instead of failing: they did not kill it.

`PRISM_LLM_LOCAL_ENGINE=module:Class` replaces the model engine inside the
worker (the tests use a fake one that kills itself with each signal or hangs).

Talks to: `llm_worker` (the process it starts, by module name), `llm` (which
creates `LocalProvider` for `provider = "local"`), `clock` (the watchdog's
clock), `errors` (PrismError).
"""
from __future__ import annotations

import asyncio
import atexit
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from collections import deque

from prism_runtime.clock import SYSTEM
from prism_runtime.errors import PrismError

REBUILD_COMMAND = ('CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF '
                   '-DGGML_AMX_BF16=OFF" pip install --no-cache-dir --force-reinstall '
                   '--no-binary llama-cpp-python llama-cpp-python')
_AFTER = "the program goes on, and the next call starts a fresh worker"


def death_message(returncode: int, stderr_tail: str = "") -> str:
    """Why the worker is gone, in words for the user, from its exit status."""
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        if sig == signal.SIGILL:
            return (f"the model worker died from SIGILL (illegal instruction): llama-cpp-python was "
                    f"built with CPU instructions this machine cannot run (such as AMX or AVX-512); "
                    f"{_AFTER}. Rebuild it without them:\n    {REBUILD_COMMAND}")
        if sig == signal.SIGKILL:
            return (f"the model worker was killed (SIGKILL), most likely by the kernel's "
                    f"out-of-memory killer: the model needs more memory than is free. Use a smaller "
                    f"or more quantised model; {_AFTER}")
        what = signal.strsignal(sig) or name
        if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGABRT):
            return f"the model worker crashed in the native model library ({name}: {what}); {_AFTER}"
        return f"the model worker was stopped by {name} ({what}); {_AFTER}"
    tail = f"; its last output: {stderr_tail.strip()}" if stderr_tail.strip() else ""
    return f"the model worker exited with status {returncode}{tail}; {_AFTER}"


class _Request:
    __slots__ = ("loop", "queue", "started")

    def __init__(self, loop):
        self.loop = loop
        self.queue = asyncio.Queue()
        self.started = False                # the worker began answering it

    def post(self, item) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:
            pass                            # that event loop is closed: nobody is waiting


class WorkerProcess:
    """One running worker: the process, its pipes and threads, and the requests waiting on it."""

    def __init__(self, engine: str, settings: dict, timeout: float, clock=SYSTEM):
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict = {}
        self._ids = itertools.count(1)
        self._outbox = deque()
        self._outbox_ready = threading.Condition(self._lock)
        self._last_output = clock.now()
        self._stderr_tail = deque(maxlen=20)
        self._hung = False
        self._closed = False                # stopped on purpose (close): nothing is sent again
        self._gone = threading.Event()     # set once the worker's death is handled
        self.failure = None                 # the death message once the worker is gone
        self.owner_pid = os.getpid()
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prism_runtime.llm_worker", engine, json.dumps(settings),
                 str(req_r), str(resp_w)],
                pass_fds=(req_r, resp_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env, start_new_session=True)   # Ctrl-C is the program's
        finally:
            os.close(req_r)
            os.close(resp_w)
        threads = [threading.Thread(target=target, name=f"prism-llm-local-{name}", daemon=True)
                   for target, name in ((self._read, "reader"), (self._write, "writer"),
                                        (self._drain_stderr, "stderr"), (self._watch, "watchdog"))]
        self._stderr_reader = threads[2]
        for thread in threads:
            thread.start()

    @property
    def alive(self) -> bool:
        return self.failure is None and os.getpid() == self.owner_pid

    @property
    def exited(self) -> bool:
        """The process has ended, whether or not the reader thread has handled it yet."""
        return _has_exited(self.process)

    # -- requests (any thread) --
    def submit(self, messages, opts, loop):
        """(id, _Request) whose queue receives ("chunk", (text, logprobs)), ("done",) or ("error", msg)."""
        request = _Request(loop)
        with self._lock:
            rid = next(self._ids)
            if self.failure is not None:
                # It died between the provider handing it out and this call (seen under load):
                # the call never reached it, so it may go to a fresh worker, unless this one
                # was shut down on purpose.
                request.post(("error" if self._closed else "lost", self.failure))
                return rid, request
            if not self._pending:
                self._last_output = self.clock.now()    # the worker's silence counts from here
            self._pending[rid] = request
            self._send({"op": "generate", "id": rid, "messages": messages, "opts": opts})
        return rid, request

    def cancel(self, rid) -> None:
        with self._lock:
            if self._pending.pop(rid, None) is not None and self.failure is None:
                self._send({"op": "cancel", "id": rid})

    def forget(self, rid) -> None:
        with self._lock:
            self._pending.pop(rid, None)

    def close(self) -> None:
        """Stop the worker: an idle one exits at the end of its input, a busy one is terminated."""
        with self._lock:
            busy = bool(self._pending)
            self._closed = True
            if self.failure is None:
                self.failure = "the model worker was shut down"
            self._end_writer()
        if busy:
            self.process.terminate()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def _send(self, message) -> None:       # with self._lock held
        self._outbox.append(json.dumps(message).encode() + b"\n")
        self._outbox_ready.notify()

    def _end_writer(self) -> None:          # with self._lock held
        """Nothing more will be sent: the writer thread closes the request pipe and ends."""
        self._outbox.append(None)
        self._outbox_ready.notify()

    # -- threads --
    def _write(self) -> None:
        while True:
            with self._lock:
                while not self._outbox:
                    self._outbox_ready.wait()
                data = self._outbox.popleft()
            if data is None:
                break
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._req_w, view):]
            except OSError:
                break                       # the worker is gone; the reader reports why
        os.close(self._req_w)

    def _drain_stderr(self) -> None:
        with self.process.stderr:
            for line in self.process.stderr:
                self._stderr_tail.append(line.decode("utf-8", "replace").rstrip())

    def _watch(self) -> None:
        """Kill the worker once it has sent nothing for `timeout` seconds while a request waits."""
        while True:
            with self._lock:
                waiting = bool(self._pending)
                silent_for = self.clock.now() - self._last_output
            if waiting and silent_for >= self.timeout:
                self._hung = True
                self.process.kill()         # the reader sees its pipe close and reports
                return
            # idle: look again after a timeout's worth (a request arriving meanwhile is seen then,
            # with its silence counted from its arrival)
            if self.clock.wait(self._gone, self.timeout - silent_for if waiting else self.timeout):
                return

    def _read(self) -> None:
        buffer = b""
        while True:
            data = os.read(self._resp_r, 1 << 16)
            if not data:
                break
            with self._lock:
                self._last_output = self.clock.now()
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue                # not ours: the protocol writes whole JSON lines only
                self._dispatch(message)
        os.close(self._resp_r)
        self._died()

    def _dispatch(self, message) -> None:
        with self._lock:
            request = self._pending.get(message["id"])
        if request is None:
            return                          # cancelled or forgotten
        if "started" in message:
            request.started = True
        elif "chunk" in message:
            request.post(("chunk", (message["chunk"], message.get("logprobs"))))
        elif "done" in message:
            request.post(("done",))
        else:
            request.post(("error", message.get("error", "the local model failed")))

    def _died(self) -> None:
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:   # closed its pipe but lives on: make sure it is gone
            self.process.kill()
            returncode = self.process.wait()
        self._stderr_reader.join(5)         # its last words, read to the end of its stderr
        if self._hung:
            message = (f"the model worker sent nothing for {self.timeout:g}s while a request "
                       f"waited ([llm] timeout), so it was stopped; {_AFTER}")
        else:
            message = death_message(returncode, "\n".join(self._stderr_tail))
        with self._lock:
            if self.failure is None:
                self.failure = message
            pending, self._pending = self._pending, {}
            # Died while answering none of them (killed while idle, before it read them): the
            # calls are not what killed it, so each may go to a fresh worker once. Otherwise they
            # all fail, so a request that crashes the model is not sent to worker after worker.
            # A worker stopped on purpose (the program ends, llm.reset()) sends nothing again.
            begun = any(r.started for r in pending.values())
            outcome = "error" if self._hung or self._closed or begun else "lost"
            self._end_writer()
        self._gone.set()
        for request in pending.values():
            request.post((outcome, message))


def _has_exited(process) -> bool:
    """Whether the process has ended, without reaping it (the reader thread reaps it and says why)."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:               # already reaped
        return True


class LocalProvider:
    """The provider `llm` uses for `provider = "local"`: requests go to the worker process."""

    def __init__(self, config, clock=SYSTEM):
        self.config = config
        self.clock = clock                  # the watchdog's (clock.py): tests move it by hand
        self._worker = None
        self._lock = threading.Lock()
        self.engine = os.environ.get("PRISM_LLM_LOCAL_ENGINE") or "prism_runtime.llm_llama:LlamaEngine"

    def worker(self) -> WorkerProcess:
        with self._lock:
            # An exited worker is replaced before the reader thread has handled its death, so a
            # call made right after an idle worker was killed goes to a fresh one. It is not closed:
            # its reader still reports the death, and close() would turn resendable calls into failures.
            if self._worker is None or not self._worker.alive or self._worker.exited:
                try:
                    self._worker = WorkerProcess(self.engine, {"model_path": self.config.model_path},
                                                 self.config.timeout, self.clock)
                except OSError as exc:
                    raise PrismError(f"local model failed: cannot start its worker process: {exc}") from None
                atexit.register(self._worker.close)
            return self._worker

    def close(self) -> None:
        """Stop the worker (the next request starts a new one)."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            atexit.unregister(worker.close)
            if worker.alive:
                worker.close()

    async def stream(self, messages, opts):
        """Async iterator of (text, token logprobs) pieces of the answer."""
        worker = self.worker()
        rid, request = worker.submit(messages, opts, asyncio.get_running_loop())
        finished, resent = False, False
        try:
            while True:
                item = await request.queue.get()
                if item[0] == "chunk":
                    yield item[1]
                elif item[0] == "done":
                    finished = True
                    return
                elif item[0] == "lost" and not resent:
                    # The worker died before it began this call (nothing was yielded): once more.
                    resent = True
                    worker = self.worker()
                    rid, request = worker.submit(messages, opts, asyncio.get_running_loop())
                else:
                    finished = True
                    raise PrismError(f"local model failed: {item[1]}")
        finally:
            if finished:
                worker.forget(rid)
            else:                           # cancelled, or the consumer stopped iterating
                worker.cancel(rid)

    async def complete(self, messages, opts):
        """(text, token logprobs) of the whole answer."""
        texts, logprobs = [], []
        async for text, lps in self.stream(messages, opts):
            texts.append(text)
            logprobs.extend(lps or ())
        return "".join(texts), logprobs
