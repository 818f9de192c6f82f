"""Program generators for the hardening fuzzers (used by test_fuzz.py and bench/fuzz_long.py).

Three sources of `.prism` text, all driven by a `Chooser` so that the same
code runs under hypothesis (shrinkable draws) and from a plain
`random.Random` (the long run):

- `GrammarGen` expands the rules of `transpiler/front/grammar.txt` (pgen notation)
  at random, with a depth budget computed from the grammar itself, and fills
  the terminals (NAME, NUMBER, STRING, TEMPLATE, ...) with small samples.
  Its programs are syntactically plausible and reach the parser's deep paths.
- `ProgramGen` is a hand-written generator of well-scoped statements and
  expressions (functions, structs, loops, match, try, lambdas, confidence),
  so most of its programs pass the checks and exercise inference, lowering,
  rendering and Cython.
- `mutate` edits corpus files token-wise: deletes, duplicates, inserts
  tokens, odd Unicode (line separators, BOM, NUL, lone surrogates) and
  invalid UTF-8 bytes.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = REPO / "transpiler" / "front" / "grammar.txt"
CASES = REPO / "tests" / "cases"


class Chooser:
    """Randomness source: `RandomChooser` or `HypothesisChooser`."""

    def int(self, lo: int, hi: int) -> int:  # inclusive
        raise NotImplementedError

    def choice(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def chance(self, p: float) -> bool:
        return self.int(0, 999) < int(p * 1000)


class RandomChooser(Chooser):
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def int(self, lo, hi):
        return self.rnd.randint(lo, hi)


class HypothesisChooser(Chooser):
    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def int(self, lo, hi):
        return self.data.draw(self.st.integers(lo, hi))


# --------------------------------------------------------------------------- grammar

_TOKEN = re.compile(r"\s*('[^']*'|[A-Za-z_]+|[\[\]()|*+])")


def _parse_rhs(text: str):
    """pgen right-hand side -> nested tuples: ('alt', [...]), ('seq', [...]),
    ('opt', x), ('star', x), ('plus', x), ('lit', s), ('ref', name)."""
    toks = _TOKEN.findall(text)
    pos = 0

    def alt():
        nonlocal pos
        options = [seq()]
        while pos < len(toks) and toks[pos] == "|":
            pos += 1
            options.append(seq())
        return options[0] if len(options) == 1 else ("alt", options)

    def seq():
        nonlocal pos
        items = []
        while pos < len(toks) and toks[pos] not in ("|", ")", "]"):
            items.append(item())
        return items[0] if len(items) == 1 else ("seq", items)

    def item():
        nonlocal pos
        tok = toks[pos]
        pos += 1
        if tok == "(":
            node = alt()
            pos += 1
        elif tok == "[":
            node = ("opt", alt())
            pos += 1
        elif tok.startswith("'"):
            node = ("lit", tok[1:-1])
        else:
            node = ("ref", tok)
        if pos < len(toks) and toks[pos] in ("*", "+"):
            node = ("star" if toks[pos] == "*" else "plus", node)
            pos += 1
        return node

    return alt()


@lru_cache(maxsize=1)
def grammar_rules() -> dict:
    rules, current = {}, None
    for raw in GRAMMAR.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if "'#'" in raw:           # the attribute rule quotes '#'
            line = raw.rstrip()
        if not line.strip():
            continue
        m = re.match(r"^([a-z_]+):(.*)$", line)
        if m:
            current = m.group(1)
            rules[current] = m.group(2)
        elif current:
            rules[current] += " " + line.strip()
    return {name: _parse_rhs(rhs) for name, rhs in rules.items()}


def _min_depths(rules: dict) -> dict:
    """Fewest rule expansions needed to finish each rule (fixpoint)."""
    inf = float("inf")
    depth = {name: inf for name in rules}

    def cost(node):
        kind = node[0]
        if kind == "lit":
            return 0
        if kind == "ref":
            return depth[node[1]] + 1 if node[1] in rules else 0
        if kind in ("opt", "star"):
            return 0
        if kind == "plus":
            return cost(node[1])
        if kind == "seq":
            return max((cost(n) for n in node[1]), default=0)
        return min(cost(n) for n in node[1])

    changed = True
    while changed:
        changed = False
        for name, node in rules.items():
            c = cost(node)
            if c < depth[name]:
                depth[name], changed = c, True
    return depth


NAMES = ["x", "y", "f", "g", "s", "n", "xs", "self", "class", "def", "None", "print", "len",
         "context", "shift", "to", "uncertain", "medium", "low", "cdef", "lambda", "int", "Point",
         "new", "length", "push", "message", "é", "_", "__init__"]
NUMBERS = ["0", "1", "42", "1_000", "3.14", "1e-3", "0x1F", "0.5", "9223372036854775807",
           "9223372036854775808", "1e308", "1e400", "0b101", "00", "1.0"]
STRINGS = ['"a"', "'b'", '""', '"\\n"', '"{{ x }}"', '"\\u{1F600}"', '"\'\'\'"', "'\"\"\"'",
           '"\\\\"', '"${x}"', '"\u2028"', '"%s"']
TEMPLATES = ["`t`", "`${x}`", "`a ${1 + 2} b`", "`${`${x}`}`", "`{{ }}`", "``"]


class GrammarGen:
    """Random derivations of grammar.txt's `file_input`."""

    def __init__(self, chooser: Chooser, max_depth: int = 12):
        self.c = chooser
        self.rules = grammar_rules()
        self.depth_needed = _min_depths(self.rules)
        self.max_depth = max_depth

    def program(self) -> str:
        out: list[str] = []
        self._expand(("ref", "file_input"), 0, out)
        text = ""
        for tok in out:
            if tok == "\n" or text.endswith("\n") or not text:
                text += tok
            else:
                text += " " + tok
        return text

    def _cost(self, node) -> float:
        kind = node[0]
        if kind == "ref":
            return self.depth_needed.get(node[1], 0) + 1
        if kind in ("lit", "opt", "star"):
            return 0
        if kind == "plus":
            return self._cost(node[1])
        if kind == "seq":
            return max((self._cost(n) for n in node[1]), default=0)
        return min(self._cost(n) for n in node[1])

    def _expand(self, node, depth: int, out: list) -> None:
        kind = node[0]
        budget = self.max_depth - depth
        if kind == "lit":
            out.append(node[1])
        elif kind == "ref":
            name = node[1]
            if name in self.rules:
                self._expand(self.rules[name], depth + 1, out)
            else:
                out.append(self._terminal(name))
        elif kind == "seq":
            for n in node[1]:
                self._expand(n, depth, out)
        elif kind == "alt":
            fits = [n for n in node[1] if self._cost(n) <= budget] or \
                [min(node[1], key=self._cost)]
            self._expand(self.c.choice(fits), depth, out)
        elif kind == "opt":
            if budget > 0 and self._cost(node[1]) <= budget and self.c.chance(0.5):
                self._expand(node[1], depth, out)
        else:  # star / plus
            count = 1 if kind == "plus" else 0
            if budget > 0 and self._cost(node[1]) <= budget:
                count += self.c.int(0, 3 if depth < 3 else 1)
            for _ in range(count):
                self._expand(node[1], depth, out)

    def _terminal(self, name: str) -> str:
        c = self.c
        if name == "NAME":
            return c.choice(NAMES)
        if name == "NUMBER":
            return c.choice(NUMBERS)
        if name == "STRING":
            return c.choice(STRINGS)
        if name == "TEMPLATE":
            return c.choice(TEMPLATES)
        if name == "NEWLINE":
            return "\n"
        # The spellings transpiler/front/layout.py retypes from their neighbours.
        spelled = {"BLOCK_OPEN": "{", "ASYNC_LAMBDA": "async", "ASYNC_BLOCK": "async", "FN_EXPR": "fn",
                   "TAG_IN": "in", "CLOSURE_OPEN": "|", "CLOSURE_EMPTY": "||", "STRUCT_OPEN": "{",
                   "GENERIC_OPEN": "<", "GENERIC_CLOSE": ">", "DOT_OP": " . ",
                   "MACRO_BODY": "{ return $" + c.choice(NAMES) + " }"}
        return spelled.get(name, "")  # "" for ENDMARKER


# --------------------------------------------------------------------------- programs

# Names that collide with Python, Cython and C words or with generated code.
ODD_NAMES = ["class", "def", "lambda", "None", "True", "cdef", "cpdef", "double", "goto", "object",
             "list", "dict", "len_", "int_", "str_", "self_", "main_", "_p", "__x", "result", "tmp",
             "char", "void", "sizeof", "NULL", "type", "Exception", "range_", "_pu_x", "pass", "yield"]


class ProgramGen:
    """Well-scoped programs: every name is defined before use, types mostly agree."""

    def __init__(self, chooser: Chooser, max_depth: int = 3):
        self.c = chooser
        self.max_depth = max_depth
        self.counter = 0
        self.funcs: list[tuple[str, int]] = []
        self.structs: list[tuple[str, list[str]]] = []
        self.used: set[str] = set()

    def fresh(self) -> str:
        self.counter += 1
        if self.c.chance(0.3):
            return f"{self.c.choice(ODD_NAMES)}{self.counter}" if self.c.chance(0.5) else \
                self._odd_unique()
        return f"v{self.counter}"

    def _odd_unique(self) -> str:
        """An odd name as is the first time, suffixed after that (names are unique)."""
        name = self.c.choice(ODD_NAMES)
        if name in self.used:
            return f"{name}_{self.counter}"
        self.used.add(name)
        return name

    # expressions, by type: "int", "float", "str", "bool", "arr", "any"
    def expr(self, scope: dict, ty: str, depth: int = 0) -> str:
        c = self.c
        names = [n for n, t in scope.items() if t == ty]
        if depth >= self.max_depth or c.chance(0.25):
            if names and c.chance(0.6):
                return c.choice(names)
            return self.literal(ty)
        d = depth + 1
        if ty == "int":
            form = c.int(0, 7)
            if form == 0:
                return f"({self.expr(scope, 'int', d)} {c.choice(['+', '-', '*', '%'])} {self.expr(scope, 'int', d)})"
            if form == 1:
                return f"len({self.expr(scope, c.choice(['str', 'arr']), d)})"
            if form == 2:
                return f"int({self.expr(scope, 'float', d)})"
            if form == 3:
                return f"-{self.expr(scope, 'int', d)}"
            if form == 4 and self.funcs:
                fn, arity = c.choice(self.funcs)
                return f"{fn}({', '.join(self.expr(scope, 'int', d) for _ in range(arity))})"
            if form == 5:
                return f"(match {self.expr(scope, 'int', d)} {{ 0 => 1, n => n * 2 }})"
            if form == 6:
                return f"min({self.expr(scope, 'int', d)}, {self.expr(scope, 'int', d)})"
            return f"({self.expr(scope, 'int', d)} ~> {c.choice(['0.5', '1.0', '0'])})"
        if ty == "float":
            form = c.int(0, 4)
            if form == 0:
                return f"({self.expr(scope, 'float', d)} {c.choice(['+', '-', '*'])} {self.expr(scope, c.choice(['int', 'float']), d)})"
            if form == 1:
                return f"(<~ {self.expr(scope, c.choice(['int', 'str', 'float']), d)})"
            if form == 2:
                return f"float({self.expr(scope, 'int', d)})"
            if form == 3:
                return f"({self.expr(scope, 'int', d)} / {c.choice(['2', '4', '8'])})"
            return f"abs({self.expr(scope, 'float', d)})"
        if ty == "str":
            form = c.int(0, 4)
            if form == 0:
                return f"({self.expr(scope, 'str', d)} + {self.expr(scope, c.choice(['int', 'str', 'bool', 'float']), d)})"
            if form == 1:
                return f"`[${{{self.expr(scope, c.choice(['int', 'str']), d)}}}]`"
            if form == 2:
                return f"str({self.expr(scope, c.choice(['int', 'bool', 'arr']), d)})"
            if form == 3:
                return f"{self.expr(scope, 'str', d)}.upper()"
            return f"({self.expr(scope, 'str', d)} ~> 0.5)"
        if ty == "bool":
            form = c.int(0, 3)
            if form == 0:
                return f"({self.expr(scope, 'int', d)} {c.choice(['<', '<=', '==', '!=', '>'])} {self.expr(scope, 'int', d)})"
            if form == 1:
                return f"({self.expr(scope, 'bool', d)} {c.choice(['&&', '||'])} {self.expr(scope, 'bool', d)})"
            if form == 2:
                return f"!{self.expr(scope, 'bool', d)}"
            return f"{self.expr(scope, 'str', d)}.contains({self.literal('str')})"
        if ty == "arr":
            form = c.int(0, 3)
            if form == 0:
                return "[" + ", ".join(self.expr(scope, "int", d) for _ in range(c.int(0, 3))) + "]"
            if form == 1:
                return f"{self.expr(scope, 'arr', d)}.map((q) => q * 2)"
            if form == 2:
                return f"({self.expr(scope, 'arr', d)} + [{self.expr(scope, 'int', d)}])"
            return f"{self.expr(scope, 'arr', d)}.filter((q) => q > 0)"
        return self.literal("int")

    def literal(self, ty: str) -> str:
        c = self.c
        if ty == "int":
            return c.choice(["0", "1", "2", "7", "1_000", "0x1F", "100"])
        if ty == "float":
            return c.choice(["0.5", "1.5", "2.0", "1e-3", "3.25"])
        if ty == "str":
            return c.choice(['"a"', '"it\'s"', "'say \"hi\"'", '"{{ x }}"', '"{% raw %}"', '"${no}"',
                             '"tab\\tnew\\nline"', '"back\\\\slash"', '"\\u{1F600}"', '"\'\'\'"',
                             '"\u2028|\u2029|\x85"', '"%d"', '""'])
        if ty == "bool":
            return c.choice(["true", "false"])
        if ty == "arr":
            return c.choice(["[]", "[1, 2, 3]", "[0]"])
        return "null"

    def block(self, scope: dict, depth: int, in_fn: bool, in_loop: bool) -> list[str]:
        inner = dict(scope)
        return [self.stmt(inner, depth + 1, in_fn, in_loop) for _ in range(self.c.int(1, 3))]

    def stmt(self, scope: dict, depth: int, in_fn: bool, in_loop: bool) -> str:
        c = self.c
        ty = c.choice(["int", "float", "str", "bool", "arr"])
        form = c.int(0, 11) if depth < self.max_depth else c.int(0, 2)
        pad = "    " * depth
        if form == 0:
            name = self.fresh()
            text = f"let {name} = {self.expr(scope, ty)}"
            scope[name] = ty
            return pad + text
        if form == 1:
            return pad + f"print({', '.join(self.expr(scope, c.choice(['int', 'str', 'bool', 'arr', 'float'])) for _ in range(c.int(1, 3)))})"
        if form == 2:
            names = [n for n, t in scope.items() if t == "int" and not n.startswith("c_")]
            if names:
                return pad + f"{c.choice(names)} {c.choice(['=', '+=', '-=', '*='])} {self.expr(scope, 'int')}"
            return pad + f"print({self.expr(scope, 'str')})"
        if form == 3:
            body = self.block(scope, depth, in_fn, in_loop)
            text = f"if {self.expr(scope, 'bool')} {{\n" + "\n".join(body) + f"\n{pad}}}"
            if c.chance(0.5):
                text += " else {\n" + "\n".join(self.block(scope, depth, in_fn, in_loop)) + f"\n{pad}}}"
            return pad + text
        if form == 4:
            var = self.fresh()
            inner = dict(scope)
            inner[var] = "int"
            body = [self.stmt(inner, depth + 1, in_fn, True) for _ in range(c.int(1, 2))]
            return pad + f"for {var} in 0..{c.int(0, 4)} {{\n" + "\n".join(body) + f"\n{pad}}}"
        if form == 5:
            body = self.block(scope, depth, in_fn, in_loop)
            return pad + "try {\n" + "\n".join(body) + f"\n{pad}}} catch e {{\n{pad}    print(\"caught\", e.message)\n{pad}}}"
        if form == 6 and depth == 0:
            return self.function(scope)
        if form == 7 and depth == 0:
            return self.struct(scope)
        if form == 8 and in_loop:
            return pad + c.choice(["break", "continue"])
        if form == 9:
            var = self.fresh()
            inner = dict(scope)
            inner[var] = "int"
            body = [self.stmt(inner, depth + 1, in_fn, True) for _ in range(c.int(1, 2))]
            return pad + f"for {var} in {self.expr(scope, 'arr')} {{\n" + "\n".join(body) + f"\n{pad}}}"
        if form == 10:
            return pad + f"uncertain if {self.expr(scope, ty)} {{\n{pad}    print(\"hi\")\n{pad}}} medium {{\n{pad}    print(\"mid\")\n{pad}}} low {{\n{pad}    print(\"lo\")\n{pad}}}"
        if form == 11 and self.structs:
            sname, fields = c.choice(self.structs)
            var = self.fresh()
            args = ", ".join(f"{f}: {self.expr(scope, 'int')}" for f in fields)
            return pad + f"let {var} = {sname}.new({args})\n{pad}print({var}, {var}.{c.choice(fields)})"
        return pad + f"print({self.expr(scope, ty)})"

    def function(self, scope: dict) -> str:
        name = self.fresh()
        params = [self.fresh() for _ in range(self.c.int(0, 3))]
        inner = dict(scope)
        for p in params:
            inner[p] = "int"
        annot = self.c.choice(["", " -> int", " ~0.9", " -> int ~0.5"])
        body = [self.stmt(inner, 1, True, False) for _ in range(self.c.int(0, 3))]
        body.append(f"    return {self.expr(inner, 'int')}")
        self.funcs.append((name, len(params)))
        typed = [f"{p}: int" if self.c.chance(0.5) else p for p in params]
        return f"fn {name}({', '.join(typed)}){annot} {{\n" + "\n".join(body) + "\n}"

    def struct(self, scope: dict) -> str:
        name = self.c.choice(["class", "def", "object", "list", "cdef", "double", "S"]) + str(self.counter)
        self.counter += 1
        fields = []
        for _ in range(self.c.int(1, 3)):
            fields.append(self.c.choice(ODD_NAMES) + str(self.counter))
            self.counter += 1
        self.structs.append((name, fields))
        body = ",\n".join(f"    {f}: int = 0" for f in fields)
        method = f",\n    fn total(self) -> int {{\n        return {' + '.join('self.' + f for f in fields)}\n    }}"
        return f"struct {name} {{\n{body}{method}\n}}"

    def program(self) -> str:
        scope: dict = {}
        return "\n".join(self.stmt(scope, 0, False, False) for _ in range(self.c.int(1, 8))) + "\n"


# --------------------------------------------------------------------------- mutation

_PIECES = re.compile(rb"[A-Za-z0-9_]+|\s+|[^\x00-\x7f]+|.", re.S)
ODD_INSERTS = ["\u2028", "\u2029", "\x85", "\x00", "\ufeff", "\u200b", "\u202e", "é", "𝔘", "\r",
               "\r\n", "\t", "\x0c", "\x1b", "\x7f", '"', "'", "`", "${", "}", "{", "(", ")", "[", "]",
               "~", "~>", "<~", "=>", "..", "0x", "1e", "\\", "/*", "*/", "//", "#[", ";", ",", ":",
               "fn", "let", "struct", "match", "=", "..=", "9" * 30, "\ud800"]
ODD_BYTES = [b"\xff", b"\xc3", b"\xe2\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]


@lru_cache(maxsize=1)
def corpus() -> tuple:
    return tuple(p.read_bytes() for p in sorted(CASES.glob("*.prism")))


def mutate(c: Chooser, source: bytes) -> bytes:
    pieces = _PIECES.findall(source) or [b""]
    for _ in range(c.int(1, 4)):
        i = c.int(0, len(pieces) - 1)
        op = c.int(0, 5)
        if op == 0:
            del pieces[i]
            pieces = pieces or [b""]
        elif op == 1:
            pieces.insert(i, pieces[i])
        elif op == 2:
            pieces.insert(i, c.choice(pieces))
        elif op == 3:
            pieces.insert(i, c.choice(ODD_INSERTS).encode("utf-8", "surrogatepass"))
        elif op == 4:
            pieces.insert(i, c.choice(ODD_BYTES))
        else:
            j = c.int(0, len(pieces) - 1)
            pieces[i], pieces[j] = pieces[j], pieces[i]
    return b"".join(pieces)


def any_program(c: Chooser) -> bytes:
    """One fuzz input from any of the three sources."""
    kind = c.int(0, 2)
    if kind == 0:
        return GrammarGen(c).program().encode("utf-8", "surrogatepass")
    if kind == 1:
        return ProgramGen(c).program().encode("utf-8")
    return mutate(c, c.choice(corpus()))
