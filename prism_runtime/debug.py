"""What the debug macros, the tracing attributes and `--debug` print (stderr, with `file:line`).

`trace.ModuleTrace` calls these when a debug build runs `debug!`,
`debug_confidence!`, `debug_context!` or `debug_llm!`, when a function with
`#[trace_context..]` enters, shifts or leaves a context, and when a value in a
function with `#[confidence_break]` falls below its threshold. Every line starts
with a tag (`[debug]`, `[trace]`, `[break]`) and the place, so it can be found
in a long log; standard output is flushed first, so the two streams interleave
in program order on a terminal.

`pause` (the breakpoint action) calls the handler that `set_pause_handler`
installed: `prism run --debug` installs one that opens the REPL with the frame's
locals (transpiler/tools/debug_session.py); without one, or without a terminal, the
breakpoint writes its record and the program goes on.

Also the importable standard modules `std/debug` and `std/debug/llm` (the
original guide imports them; the macros need no import).

Talks to: `trace` (trails, the context stack, the last LLM call), `core`
(printing values), `confidence` (confidences).
"""
from __future__ import annotations

import os
import sys
from typing import Callable, Optional

from prism_runtime.confidence import conf_of, value_of

_pause_handler: Optional[Callable] = None


def set_pause_handler(handler: Optional[Callable]) -> None:
    """handler(place: str, message: str, frame_locals: dict) runs at a `pause` breakpoint
    (in a terminal, in a debug build); None removes it."""
    global _pause_handler
    _pause_handler = handler


def display_path(path: str) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def value_text(v) -> str:
    """A value as a debugger shows it: strings quoted, confidence after it when below 1."""
    from prism_runtime.core import to_str
    inner = value_of(v)
    text = _quote(inner) if isinstance(inner, str) else to_str(inner)
    c = conf_of(v)
    return f"{text} (~{c:.3g})" if c < 1.0 else text


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _emit(tag: str, place: str, text: str) -> str:
    sys.stdout.flush()
    sys.stderr.write(f"[{tag}] {place}: {text}\n" if place else f"[{tag}] {text}\n")
    sys.stderr.flush()
    return text


def _place(trace, site) -> str:
    return f"{display_path(trace.file)}:{trace.site(site)[1]}"


# ---------------------------------------------------------------- the macros

def format_message(args: tuple) -> str:
    """`debug!("x = {}, y = {}", x, y)`: each `{}` takes the next argument (`{{` and `}}` are
    braces); arguments left over follow, separated by spaces; a first argument that is not a
    string is printed like the rest."""
    from prism_runtime.core import to_str
    if not args:
        return ""
    first, rest = value_of(args[0]), list(args[1:])
    if not isinstance(first, str):
        return " ".join(value_text(a) for a in args)
    out, i = [], 0
    while i < len(first):
        if first.startswith("{{", i) or first.startswith("}}", i):
            out.append(first[i])
            i += 2
        elif first.startswith("{}", i) and rest:
            out.append(to_str(rest.pop(0)))
            i += 2
        else:
            out.append(first[i])
            i += 1
    return " ".join(["".join(out)] + [value_text(a) for a in rest])


def structured(record: dict) -> str:
    """A map given to `debug!` as one line of `key=value` pairs (logfmt), in its order."""
    from prism_runtime.core import to_str
    parts = []
    for key, v in record.items():
        inner = value_of(v)
        text = _quote(inner) if isinstance(inner, str) and (not inner or any(ch in inner for ch in ' ="')) \
            else to_str(inner)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def macro_debug(trace, site, args: tuple) -> str:
    if len(args) == 1 and isinstance(value_of(args[0]), dict):
        return _emit("debug", _place(trace, site), structured(value_of(args[0])))
    return _emit("debug", _place(trace, site), format_message(args))


def trail_lines(v) -> list:
    """The factor chain of a value made by traced code: one line per step, oldest first."""
    from prism_runtime.trace import trail_of
    trail = trail_of(v)
    if trail is None:
        return []
    lines = []
    if trail.elided:
        lines.append(f"x {trail.elided_factor:.4g}  ({trail.elided} earlier steps)")
    for _kind, factor, label, file, line in trail.steps:
        lines.append(f"x {factor:.4g}  {label}  at {display_path(file)}:{line}")
    return lines


def macro_debug_confidence(trace, site, args: tuple) -> str:
    label, value = (args[0], args[1]) if len(args) >= 2 else (None, args[0] if args else None)
    head = f"{value_of(label)}: " if label is not None else ""
    text = f"{head}confidence {conf_of(value):.4g} (value {value_text(value_of(value))})"
    lines = trail_lines(value)
    if not lines and conf_of(value) < 1.0:
        lines = ["(no factor trail: the value was made outside traced code)"]
    return _emit("debug", _place(trace, site), "\n".join([text] + ["    " + line for line in lines]))


def macro_debug_context(trace, site, args: tuple) -> str:
    from prism_runtime.trace import context_stack
    frames = context_stack()
    label = args[0] if args and isinstance(value_of(args[0]), str) else None
    values = args[1:] if label is not None else args
    head = f"{value_of(label)}: " if label is not None else ""
    if not frames:
        lines = [f"{head}no context is current"]
    else:
        lines = [f"{head}context stack (innermost last):"]
        for ctx, seconds, file, line in frames:
            where = f", entered at {display_path(file)}:{line}" if file is not None else ""
            duration = f"{seconds * 1e3:.3f} ms" if seconds is not None else f"{ctx.duration * 1e3:.3f} ms"
            lines.append(f"    {ctx.name}  confidence {ctx.confidence:.4g}  for {duration}{where}")
    from prism_runtime.confidence import context_tag
    for v in values:
        tag = context_tag(v)
        lines.append(f"    value {value_text(v)} in context {tag if tag is not None else '(none)'}")
    return _emit("debug", _place(trace, site), "\n".join(lines))


def _short(text, limit: int = 200) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def llm_call_lines(call: dict) -> list:
    tokens = call.get("prompt_tokens"), call.get("completion_tokens")
    token_text = "unknown" if tokens == (None, None) else f"{tokens[0] if tokens[0] is not None else '?'} in, " \
                                                           f"{tokens[1] if tokens[1] is not None else '?'} out"
    lines = [f"prompt: {_quote(_short(call.get('prompt', '')))}"]
    if call.get("system"):
        lines.append(f"system: {_quote(_short(call['system']))}")
    if call.get("error"):
        lines.append(f"error: {call['error']}")
    else:
        lines.append(f"answer: {_quote(_short(call.get('answer', '')))}")
    lines.append(f"latency {call.get('latency_ms', 0.0):.1f} ms, tokens {token_text}, "
                 f"confidence {call.get('confidence', 1.0):.4g}, model {call.get('model') or '?'}")
    return lines


def _llm_text(args: tuple) -> str:
    from prism_runtime.trace import last_llm_call
    head = format_message(args)
    call = last_llm_call()
    lines = [(head + ": " if head else "") + ("last LLM call:" if call else "no LLM call yet")]
    if call:
        lines += ["    " + line for line in llm_call_lines(call)]
    return "\n".join(lines)


def macro_debug_llm(trace, site, args: tuple) -> str:
    return _emit("debug", _place(trace, site), _llm_text(args))


# ---------------------------------------------------------------- attributes

def _stack_names() -> str:
    from prism_runtime.trace import context_stack
    return " > ".join(ctx.name for ctx, *_ in context_stack()) or "(empty)"


_left_for_shift = None      # (name, seconds, confidence) of the segment a `shift to` leaves


def log_transition(trace, site, action: str, ctx, depth: int, seconds, with_stack: bool) -> None:
    """One line per enter, shift and leave of a context in a function with a tracing attribute.
    The segment before a `shift to` is not reported as left: the shift line says it."""
    global _left_for_shift
    kind, line, function, label = trace.site(site)[:4]
    if action == "shifted":
        _left_for_shift = (ctx.name, seconds, ctx.confidence)
        return
    if action == "leave":
        text = f"leave {ctx.name} after {seconds * 1e3:.3f} ms, confidence {ctx.confidence:.4g}"
    elif action == "shift":
        text = f"shift {label} -> {ctx.name} (depth {depth + 1})"
        if _left_for_shift is not None and _left_for_shift[0] == label:
            text += f"; {label} lasted {_left_for_shift[1] * 1e3:.3f} ms, confidence {_left_for_shift[2]:.4g}"
        _left_for_shift = None
    else:
        text = f"enter {ctx.name} (depth {depth + 1}, confidence {ctx.confidence:.4g})"
    if with_stack:
        text += f"; stack: {_stack_names()}"
    _emit("trace", f"{display_path(trace.file)}:{line} ({function})", text)


def log_variables(trace, site, ctx, variables: dict) -> None:
    kind, line, function = trace.site(site)[:3]
    shown = ", ".join(f"{name} = {value_text(v)}" for name, v in variables.items()) or "(none)"
    _emit("trace", f"{display_path(trace.file)}:{line} ({function})", f"variables of {ctx.name} as it ends: {shown}")


def confidence_break(trace, site, value, c: float, limit: float, message, action, frame_locals) -> None:
    kind, line, function, label = trace.site(site)[:4]
    place = f"{display_path(trace.file)}:{line}"
    what = f"{label} = {value_text(value)}" if label else value_text(value)
    text = f"confidence {c:.4g} < {limit:.4g} in {function}: {what}"
    if message is not None and value_of(message):
        text += f": {value_of(message)}"
    action = value_of(action) if action is not None else "log"
    _emit("break", place, text)
    if action == "pause" and trace.debug and _pause_handler is not None and frame_locals is not None \
            and sys.stdin.isatty() and sys.stdout.isatty():
        _pause_handler(place, text, frame_locals)


# ---------------------------------------------------------------- std/debug

def debug(*args):
    """`debug(...)` called as a function (after `import { debug } from "std/debug"`): prints
    like `debug!` without the place, which only the macro knows."""
    _emit("debug", "", format_message(args))


def debug_llm(*args):
    """`debug_llm(...)` called as a function (`import { debug_llm } from "std/debug/llm"`)."""
    _emit("debug", "", _llm_text(args))
