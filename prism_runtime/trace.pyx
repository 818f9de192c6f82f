# cython: language_level=3
"""Tracing for debug builds: where confidence was lost, which contexts ran, what failed.

A module built with `--debug` (or holding a function with `#[confidence_break]`,
`#[trace_context_transitions]` or `#[trace_context(..)]`) creates one
`ModuleTrace` and calls it instead of the plain runtime at each *site*: a `~>`, a
function's `~c`, an operation on confident operands, a context block, a `catch`,
a function body (for the call stack with locals). Release builds never import
this module, so none of it costs them anything (docs/debugging.md).

What it keeps:
- **Factor trails.** A `Conf` made at a traced site carries a `Trail`: the steps
  (`~>`, a function's `~c`, a less-than-certain operand) whose factors made its
  confidence, each with its file and line. `debug_confidence!` prints it.
- **The context stack** of the running thread or task (a ContextVar, like the
  current context itself), with each context's start time, for `debug_context!`.
- **A recording**, when `start_recording()` was called (`prism inspect`, `prism
  profile --confidence`): every traced confidence, context enter/leave, LLM
  call, error, breakpoint and debug-macro record, with its time.

Talks to: `confidence` (Conf, with_conf, conf_of), `context` (enter/exit,
now_ns), `core` (the generic operations), `debug` (printing the macros' and
attributes' records, opening the REPL for `pause`).
"""
cimport cython
from libc.stdint cimport int64_t

cimport prism_runtime.core as _core
from prism_runtime.confidence cimport Conf, conf_of, value_of
from prism_runtime.confidence cimport with_conf as _with_conf
from prism_runtime.context cimport enter as _cx_enter, exit as _cx_exit, current as _cx_current, now_ns, Context
from cpython.contextvars cimport PyContextVar_Set, PyContextVar_Reset, get_value

import contextvars

from prism_runtime.errors import PrismError

# Site flags (lower_debug.py sets them from the function's attributes).
cdef enum:
    LOG_TRANSITIONS = 1
    LOG_STACK = 2
    LOG_VARIABLES = 4
    TRAIL_CAP = 12              # steps a trail keeps; older ones fold into `elided`

cdef object _stack_var = contextvars.ContextVar("prism_trace_stack", default=())
cdef list _events = None        # the recording, or None
cdef int64_t _origin_ns = 0
cdef object _last_llm = None    # the last LLM call (debug_llm!), recorded or not
cdef long _serial = 0           # context blocks entered while recording
cdef object _locate = None      # exc -> (file, line) where it was raised (set by the recorder)


# ---------------------------------------------------------------- trails

@cython.final
cdef class Trail:
    """The steps whose factors made a value's confidence, oldest first. Each step is
    (kind, factor, label, file, line): kind "~>", "fn" (a function's `~c`), "operand"
    (a less-than-certain operand met at an operation) or "input" (confidence the value
    already had when it reached a traced site, from where no trace was kept)."""
    cdef readonly tuple steps
    cdef readonly int elided            # older steps folded away (beyond TRAIL_CAP)
    cdef readonly double elided_factor  # the product of their factors

    def __repr__(self):
        return f"Trail({len(self.steps)} steps, {self.elided} elided)"


cdef Trail _trail(tuple steps, int elided, double elided_factor):
    cdef Trail t = Trail.__new__(Trail)
    cdef Py_ssize_t extra = len(steps) - TRAIL_CAP
    cdef Py_ssize_t i
    if extra > 0:
        for i in range(extra):
            elided += 1
            elided_factor *= steps[i][1]
        steps = steps[extra:]
    t.steps = steps
    t.elided = elided
    t.elided_factor = elided_factor
    return t


cdef Trail _trail_of(object v):
    if type(v) is Conf:
        return <Trail?>(<Conf>v).trail if (<Conf>v).trail is not None else None
    return None


cdef Trail _extended(object v, tuple step, str file, int line):
    """v's trail (or, when v has none but is less than certain, an "input" step) and then step."""
    cdef Trail old = _trail_of(v)
    cdef double c
    if old is not None:
        return _trail(old.steps + (step,), old.elided, old.elided_factor)
    c = conf_of(v)
    if c < 1.0:
        return _trail((("input", c, "confidence it already had", file, line), step), 0, 1.0)
    return _trail((step,), 0, 1.0)


def trail_of(v):
    """The Trail of a value made by traced code, or None."""
    return _trail_of(v)


# ---------------------------------------------------------------- recording

def start_recording(locate=None):
    """Record every traced event from now on (`prism inspect`, `prism profile --confidence`).
    `locate(exc)` gives the (file, line) an error was raised at (the compiler's traceback
    mapping, transpiler/tools/runner.py), for caught errors; without it their `catch` line is used."""
    global _events, _origin_ns, _locate
    _events = []
    _origin_ns = now_ns()
    _locate = locate


def stop_recording():
    """The recorded events (see `events_as_dicts`), and stop recording."""
    global _events
    events, _events = _events, None
    return events_as_dicts(events or [])


def recording():
    return _events is not None


cdef inline double _ms(int64_t t) noexcept:
    return (t - _origin_ns) / 1e6


def events_as_dicts(list events):
    """Recorded tuples as plain dicts (JSON-ready; `transpiler/tools/inspect_report.py` reads them)."""
    out = []
    cdef dict places = {}           # (trace, site) -> the record fields its site gives
    for ev in events:
        kind = ev[0]
        if kind in ("conf", "ctx", "break", "debug"):
            trace, site = ev[2], ev[3]
            place = places.get((id(trace), site))
            if place is None:
                skind, line, function, label = trace.sites[site][:4]
                place = places[(id(trace), site)] = {"file": trace.file, "line": line, "function": function,
                                                     "site": skind, "label": label}
            record = dict(place)
            record["kind"] = kind
            record["t_ms"] = _ms(ev[1])
            if kind == "conf":
                record.update(before=ev[4], after=ev[5])
            elif kind == "ctx":
                record.update(action=ev[4], context=ev[5], depth=ev[6], confidence=ev[7], duration_ms=ev[8],
                              block=ev[9])
            elif kind == "break":
                record.update(confidence=ev[4], threshold=ev[5], message=ev[6], action=ev[7])
            else:
                record.update(text=ev[4])
            out.append(record)
        else:
            record = dict(ev[2])
            record["kind"] = kind
            record["t_ms"] = _ms(ev[1])
            out.append(record)
    return out


cdef inline void _record(tuple event):
    if _events is not None:
        _events.append(event)


def record_error(dict details):
    """An error to show in the recording (message, code, file, line, context, caught)."""
    if _events is not None:
        _events.append(("error", now_ns(), details))


def note_llm_call(dict call):
    """The LLM runtime reports each finished call here (prompt, system, answer, latency_ms,
    prompt_tokens, completion_tokens, confidence, model, error): kept for `debug_llm!`,
    and recorded when a recording runs. Costs a dict per call; calls take milliseconds."""
    global _last_llm
    _last_llm = call
    if _events is not None:
        _events.append(("llm", now_ns(), call))


def last_llm_call():
    return _last_llm


# ---------------------------------------------------------------- the context stack

def context_stack():
    """The contexts traced code entered in this thread or task, outermost first:
    (Context, seconds since it was entered, file, line). A current context that traced
    code did not enter (from Python, say) comes last, with unknown place."""
    cdef int64_t now = now_ns()
    frames = [(ctx, (now - since) / 1e9, file, line) for ctx, since, file, line in get_value(_stack_var, ())]
    cur = _cx_current()
    if cur is not None and (not frames or frames[-1][0] is not cur):
        frames.append((cur, None, None, None))
    return frames


@cython.final
cdef class _Entered:
    """What ModuleTrace.enter returns to the generated code, for exit."""
    cdef object inner           # context.enter's token
    cdef object stack_token     # the ContextVar token of the trace stack
    cdef Context ctx
    cdef int64_t since
    cdef int depth
    cdef long serial            # pairs the recording's enter and leave of one block


# ---------------------------------------------------------------- the module's tracer

cdef class ModuleTrace:
    """One per traced module: its file, its sites, and the traced operations. A site is
    (kind, line, function, label, flags, names): names are the (py name, Prism name) pairs
    of the function's variables, for the sites that show locals."""

    def __init__(self, str file, tuple sites, bint debug=False):
        self.file = file
        self.sites = sites
        self.debug = debug
        self.single_steps = [None] * len(sites)

    cdef object with_conf(self, object v, object c, int site):
        """`v ~> c` (kind "~>" sites) with the step recorded in the result's trail."""
        cdef object r = _with_conf(v, c)
        return _stepped(self, v, r, site)

    cdef object scale(self, object v, object c, int site):
        """A function's `~c` applied to what it returns."""
        cdef object r = _with_conf(v, c)
        return _stepped(self, v, r, site)

    cdef object binary(self, int op, object a, object b, int site):
        """A generic operation (`_core` op codes: 0 add ... 11 ge) whose result keeps the
        trails of its operands; a less-than-certain operand without one adds an "operand" step."""
        cdef object r = _core._binary(op, a, b)
        if type(r) is not Conf:
            return r
        cdef double ca = conf_of(a), cb = conf_of(b)
        cdef tuple s = self.sites[site]
        (<Conf>r).trail = _merged(a, b, s, self.file)
        if _events is not None:
            _events.append(("conf", now_ns(), self, site, ca if ca < cb else cb, (<Conf>r).confidence))
        return r

    # ---- contexts
    cdef object enter(self, object ctx, int site):
        global _serial
        cdef _Entered e = _Entered.__new__(_Entered)
        cdef tuple s = self.sites[site]
        e.inner = _cx_enter(ctx)
        e.ctx = <Context>_cx_current()
        e.since = now_ns()
        stack = <tuple>get_value(_stack_var, ())
        e.depth = len(stack)
        e.stack_token = PyContextVar_Set(_stack_var, stack + ((e.ctx, e.since, self.file, s[1]),))
        if _events is not None:
            _serial += 1
            e.serial = _serial
            _events.append(("ctx", e.since, self, site, s[0], e.ctx.name, e.depth, e.ctx.confidence, 0.0, e.serial))
        if s[4] & LOG_TRANSITIONS:
            from prism_runtime import debug as _debug
            _debug.log_transition(self, site, s[0], e.ctx, e.depth, None, s[4] & LOG_STACK)
        return e

    cdef int exit(self, object token, int site) except -1:
        cdef _Entered e = <_Entered?>token
        cdef tuple s = self.sites[site]
        cdef int64_t t = now_ns()
        PyContextVar_Reset(_stack_var, e.stack_token)
        _cx_exit(e.inner)
        if _events is not None:
            _events.append(("ctx", t, self, site, "leave", e.ctx.name, e.depth, e.ctx.confidence,
                            (t - e.since) / 1e6, e.serial))
        if s[4] & LOG_TRANSITIONS:
            from prism_runtime import debug as _debug
            _debug.log_transition(self, site, "shifted" if s[0] == "shifted" else "leave", e.ctx, e.depth,
                                  (t - e.since) / 1e9, s[4] & LOG_STACK)
        return 0

    cdef int block_variables(self, object token, int site, dict variables) except -1:
        """`#[trace_context(variables: true)]`: the variables a context block declared, as it ends."""
        cdef _Entered e = <_Entered?>token
        from prism_runtime import debug as _debug
        _debug.log_variables(self, site, e.ctx, variables)
        return 0

    # ---- errors
    cdef int caught(self, object exc, int site) except -1:
        """A `catch` clause received exc (recorded as a caught error)."""
        if _events is not None:
            from prism_runtime.errors import as_prism_error
            err = as_prism_error(exc)
            where = _locate(exc) if _locate is not None else None
            record_error({"message": err.message, "code": err.code, "file": where[0] if where else self.file,
                          "line": where[1] if where else self.sites[site][1], "context": err.context,
                          "caught": True, "caught_at": f"{self.file}:{self.sites[site][1]}"})
        return 0

    cdef int unwinding(self, object exc, int site, dict frame_locals) except -1:
        """An error leaves the function of `site`: keep its locals for the call stack report
        (innermost frame first; `debug.format_stack` pairs them with the traceback's lines)."""
        cdef tuple s = self.sites[site]
        try:
            frames = exc.__dict__.setdefault("__prism_frames__", [])
        except AttributeError:          # an exception type without a __dict__
            return 0
        frames.append((s[2], s[3], _prism_locals(frame_locals, s)))
        return 0

    # ---- #[confidence_break]
    cdef int check_break(self, object value, int site, object threshold, object message, object action,
                         object frame_locals) except -1:
        cdef double c = conf_of(value)
        cdef double limit
        try:
            limit = float(value_of(threshold))
        except (TypeError, ValueError):
            raise PrismError(f"confidence_break: the threshold must be a number, not {threshold!r}")
        if c >= limit:
            return 0
        if _events is not None:
            _events.append(("break", now_ns(), self, site, c, limit, message, action))
        from prism_runtime import debug as _debug
        _debug.confidence_break(self, site, value, c, limit, message, action,
                                visible_locals(_prism_locals(frame_locals, self.sites[site]), self.sites[site][1] + 1)
                                if frame_locals is not None else None)
        return 0

    # ---- debug macros (Python-level: they print)
    def macro(self, str name, int site, tuple args):
        """`debug!`, `debug_confidence!`, `debug_context!`, `debug_llm!` (name without the `!`):
        printed by `debug.macro_<name>`, and recorded."""
        from prism_runtime import debug as _debug
        text = getattr(_debug, "macro_" + name)(self, site, args)
        if _events is not None:
            _events.append(("debug", now_ns(), self, site, text))

    def site(self, int site):
        """(kind, line, function, label, flags, names) of a site."""
        return self.sites[site]


cdef object _stepped(ModuleTrace trace, object v, object r, int site):
    """r, made from v at a `~>` or `~c` site, with that step added to v's trail. A certain v
    gets the site's one-step trail, made once per factor (trails never change)."""
    cdef tuple s = trace.sites[site]
    cdef double before = conf_of(v), after = conf_of(r)
    cdef Trail single
    if type(r) is Conf:
        if before >= 1.0 and _trail_of(v) is None:
            single = <Trail>trace.single_steps[site]
            if single is None or single.steps[0][1] != after:
                single = _trail(((s[0], after, s[3], trace.file, s[1]),), 0, 1.0)
                trace.single_steps[site] = single
            (<Conf>r).trail = single
        else:
            factor = after / before if before > 0.0 else 0.0
            (<Conf>r).trail = _extended(v, (s[0], factor, s[3], trace.file, s[1]), trace.file, s[1])
    if _events is not None:
        _events.append(("conf", now_ns(), trace, site, before, after))
    return r


cdef Trail _merged(object a, object b, tuple s, str file):
    """The trail of an operation's result: the left operand's steps, then the right's (a
    confidence used twice counts twice: `a * a` has a's factors twice, as its confidence
    does), or an "operand" step for a less-than-certain operand that has no trail. Trails
    never change, so when only one operand brings any, the result shares its trail."""
    cdef Trail ta = _trail_of(a), tb = _trail_of(b)
    cdef double ca = conf_of(a), cb = conf_of(b)
    if ta is not None and tb is None and cb >= 1.0:
        return ta
    if tb is not None and ta is None and ca >= 1.0:
        return tb
    cdef tuple left = ta.steps if ta is not None else \
        ((("operand", ca, f"left operand of {s[3]}", file, s[1]),) if ca < 1.0 else ())
    cdef tuple right = tb.steps if tb is not None else \
        ((("operand", cb, f"right operand of {s[3]}", file, s[1]),) if cb < 1.0 else ())
    return _trail(left + right, (ta.elided if ta is not None else 0) + (tb.elided if tb is not None else 0),
                  (ta.elided_factor if ta is not None else 1.0) * (tb.elided_factor if tb is not None else 1.0))


cdef list _prism_locals(dict frame_locals, tuple site):
    """A frame's locals under their Prism names (the site's `names`: (py name, Prism name,
    line of its declaration) triples), in declaration order: (name, value, line) each."""
    out = []
    for py_name, prism_name, line in site[5]:
        if py_name in frame_locals:
            out.append((prism_name, frame_locals[py_name], line))
    return out


def visible_locals(list frame_locals, int line):
    """The locals a frame stopped at `line` can see: those declared before that line (a C
    variable declared later holds whatever its slot held; `let` is block scoped anyway)."""
    return {name: value for name, value, declared in frame_locals if declared < line}
