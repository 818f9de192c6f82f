"""`prism repl` (and `prism` alone): the interactive session's reading, commands and printing.

On a terminal it reads with prompt_toolkit: line editing, history kept in
`~/.prism_history` (PRISM_HISTORY names another file), and Enter starts a new
line while a `(`, `[` or `{` is open. From a pipe or file it reads lines the same
way without prompts (what tests and scripts use). Values go to standard output,
diagnostics to standard error; neither ends the session. `:type EXPR`, `:help`
and `:quit` are the commands. The compiler and Cython are loaded in a
background thread as soon as the session starts, so the first input does not
pay for them.

Talks to: `repl_session` (the engine), `compile_server` (the warm-up),
prompt_toolkit.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

HELP = """\
Type a Prism statement or expression; its value is printed, with its confidence
when below 1.0 (`0.9 (~0.8)`). Every binding, function and struct stays for the
rest of the session. An open ( [ { continues the input on the next line.

  :type EXPR   the type of EXPR (the static type; for an earlier binding whose type
               the compiler does not know, the type of its current value)
  :help        this text
  :quit        leave (also Ctrl-D)

Inputs are compiled with the development profile (-O0); `prism repl --release`
compiles them for speed. Ctrl-C abandons the input being typed or interrupts a
running one."""


def _history_path() -> Path:
    return Path(os.environ.get("PRISM_HISTORY") or Path.home() / ".prism_history")


class Repl:
    def __init__(self, options=None):
        from transpiler.tools.repl_session import Session
        self.session = Session(options)

    def handle(self, text: str) -> bool:
        """Evaluate one complete input or command; False when the session should end."""
        stripped = text.strip()
        if stripped in (":quit", ":q", ":exit"):
            return False
        if stripped == ":help":
            print(HELP)
            return True
        if stripped.startswith(":type"):
            reply = self.session.type_of(stripped[len(":type"):])
        elif stripped.startswith(":"):
            print(f"unknown command {stripped.split()[0]} (:help lists the commands)", file=sys.stderr)
            return True
        else:
            reply = self.session.evaluate(text)
        sys.stdout.flush()
        if reply.text is not None:
            print(reply.text, file=sys.stdout if reply.ok else sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        return True

    def run_lines(self, stream) -> None:
        """Inputs from a pipe or file: lines are joined while a bracket is open."""
        from transpiler.tools.repl_session import open_brackets
        pending = []
        for line in stream:
            pending.append(line.rstrip("\n"))
            text = "\n".join(pending)
            if open_brackets(text) > 0:
                continue
            pending = []
            if not self.handle(text):
                return
        if pending:
            self.handle("\n".join(pending))

    def run_terminal(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings
        from transpiler.tools.repl_session import open_brackets

        keys = KeyBindings()

        @keys.add("enter")
        def _enter(event):
            buffer = event.current_buffer
            if open_brackets(buffer.text) > 0:
                buffer.insert_text("\n")
            else:
                buffer.validate_and_handle()

        prompt = PromptSession(history=FileHistory(str(_history_path())), multiline=True, key_bindings=keys,
                               prompt_continuation=lambda width, line, wrap: "...".rjust(width - 1) + " ")
        print("Prism REPL: :help for help, :quit or Ctrl-D to leave")
        while True:
            try:
                text = prompt.prompt("prism> ")
            except KeyboardInterrupt:
                continue
            except EOFError:
                return
            try:
                if not self.handle(text):
                    return
            except KeyboardInterrupt:
                print("interrupted", file=sys.stderr)


def start_repl(load: Optional[Path] = None, options=None) -> int:
    repl = Repl(options)
    repl.session.warm_up_in_background()
    try:
        if load is not None:
            reply = repl.session.load(load)
            if reply.text is not None:
                print(reply.text, file=sys.stdout if reply.ok else sys.stderr)
        if sys.stdin.isatty() and sys.stdout.isatty():
            repl.run_terminal()
        else:
            repl.run_lines(sys.stdin)
    finally:
        repl.session.close()
    return 0
