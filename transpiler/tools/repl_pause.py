"""The `pause` action of `#[confidence_break]`: a prompt in the frame that broke.

`prism run --debug` installs `debug_session.pause_in_repl` as the pause handler;
at a breakpoint whose action is "pause", on a terminal, it calls `run(place,
message, frame_locals)` here, with the frame's locals under their Prism names.
The program waits until the prompt is left.

At the prompt:

    NAME            a local's value (with its confidence when below 1)
    :locals         every local
    :where          where the program stopped, and why
    :continue, :c   go on (also Ctrl-D, or an empty line twice)
    :help

Choice: this is the small interface the REPL of `prism repl` (issue 15, built
in parallel) plugs into: `evaluate` is the one place an input that is not a
command is turned into an answer. Until that REPL is on this branch, an input
other than a local's name is answered with what the prompt understands.

Talks to: `prism_runtime.debug` (value display).
"""
from __future__ import annotations

import sys

HELP = """\
NAME          a local's value
:locals       every local of the frame
:where        where the program stopped, and why
:continue     go on (also :c, Ctrl-D)"""


def evaluate(text: str, frame_locals: dict) -> str:
    """The answer to one input that is not a command."""
    from prism_runtime.debug import value_text
    name = text.strip()
    if name in frame_locals:
        return value_text(frame_locals[name])
    if name.isidentifier():
        return f"no local named '{name}' here (:locals lists them)"
    return "at a breakpoint, type a local's name, :locals, :where or :continue"


def run(place: str, message: str, frame_locals: dict, stdin=None, stdout=None) -> None:
    from prism_runtime.debug import value_text
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    where = f"paused at {place}: {message}"
    stdout.write(f"{where}\n(:locals, a local's name, :continue; :help)\n")
    while True:
        stdout.write("(prism pause) ")
        stdout.flush()
        line = stdin.readline()
        if not line:                          # Ctrl-D
            stdout.write("\n")
            break
        text = line.strip()
        if text in (":continue", ":c", ":quit", ":q"):
            break
        if not text:
            continue
        if text == ":help":
            answer = HELP
        elif text == ":where":
            answer = where
        elif text == ":locals":
            answer = "\n".join(f"{name} = {value_text(v)}" for name, v in frame_locals.items()) or "(no locals)"
        else:
            answer = evaluate(text, frame_locals)
        stdout.write(answer + "\n")
    stdout.write("continuing\n")
    stdout.flush()
