"""Escaping: Prism text reaches the generated Cython through one path and cannot subvert it.

- String and template literals holding quotes, triple quotes, backslashes,
  newlines, Jinja delimiters (`{{ }}`, `{% %}`, `{# #}`), `${`, `%s`, and
  Unicode line separators print exactly as written, typed and untyped.
- Prism names that are keywords or built-ins in Python, Cython or C, or that
  look like the generated code's own names, work as variables, globals,
  functions, parameters, struct names, fields and methods.
- Source files whose names hold spaces, quotes and non-ASCII compile with
  `prismc` and run with `prism run`, and their errors name the file.

Every expected output is computed here from the same Python values that the
Prism source is generated from.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from transpiler.passes.escape import ident, pylit
from transpiler.pipeline import transpile

REPO = Path(__file__).resolve().parents[2]

TRICKY_STRINGS = [
    'double " quote', "single ' quote", '"""triple double"""', "'''triple single'''",
    "back\\slash", "ends with backslash\\", "new\nline", "tab\tand\rreturn", "{{ jinja }}",
    "{% if x %}block{% endif %}", "{# comment #}", "${not_interpolated}", "$", "%s %d %%",
    "line\u2028separator", "para\u2029separator", "next\x85line", "nul\x00byte", "bell\x07",
    "emoji \U0001F600", "é ü ß 漢字", "\\n is not a newline", "# not a comment", "'; import os; '",
    "\")\nprint(\"injected", "u'\\u0041'", "\u202eright-to-left", "",
]


def prism_string(value: str) -> str:
    """A Prism double-quoted literal for value, using only the documented escapes."""
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "$":
            out.append("\\$")
        elif not ch.isprintable() and ch not in "\u2028\u2029\x85\u202e":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def run_prism(path: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0", *extra, str(path)],
                          capture_output=True, env=env, cwd=str(path.parent), timeout=300)


def decoded(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode("utf-8", errors="surrogateescape")


# ------------------------------------------------------------------ unit level

@pytest.mark.parametrize("value", TRICKY_STRINGS)
def test_pylit_round_trips(value):
    literal = pylit(value)
    assert eval(literal) == value  # noqa: S307 - our own literal
    assert not any(ch in literal for ch in "\n\r\u2028\u2029\x85")


def test_ident_is_safe_and_injective():
    import keyword
    names = ["class", "def", "lambda", "None", "cdef", "cpdef", "double", "goto", "self_", "int",
             "_pu_class", "pu_class", "__init__", "_rt", "_cf", "__prism_main__", "é", "x_u00e9_", "NULL"]
    mapped = [ident(n) for n in names]
    assert len(set(mapped)) == len(names), mapped
    for m in mapped:
        assert m.isascii() and m.isidentifier() and not keyword.iskeyword(m)


@pytest.mark.parametrize("typed", [True, False])
def test_strings_do_not_change_the_generated_structure(typed):
    """Tricky literals must not add or remove lines of generated code."""
    plain = "\n".join(f'print("x{i}")' for i in range(len(TRICKY_STRINGS))) + "\n"
    tricky = "\n".join(f"print({prism_string(s)})" for s in TRICKY_STRINGS) + "\n"
    a = transpile(plain.encode(), "p.prism", "p", typed=typed).pyx
    b = transpile(tricky.encode(), "p.prism", "p", typed=typed).pyx
    assert len(a.splitlines()) == len(b.splitlines())


# ------------------------------------------------------------------ compiled programs

@pytest.mark.parametrize("untyped", [False, True], ids=["typed", "untyped"])
def test_tricky_strings_print_exactly(untyped, tmp_path, prism_env):
    lines = []
    for s in TRICKY_STRINGS:
        lit = prism_string(s)
        lines.append(f"print({lit})")                              # literal
        lines.append(f"let v = {lit}")
        lines.append("print(`<${v}>`)")                            # through a template
        lines.append(f"print([{lit}][0] + {lit})")                 # through an array and concatenation
    src = tmp_path / "strings.prism"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_prism(src, prism_env, *(["--untyped"] if untyped else []))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    expected = "".join(f"{s}\n<{s}>\n{s}{s}\n" for s in TRICKY_STRINGS)
    assert decoded(proc) == expected


def test_template_literal_text(tmp_path, prism_env):
    """Literal text around `${}` in templates, including braces and backticks."""
    parts = ["{{", "}}", "{%", "%}", "\\`", "'''", '"""', "\\\\", "\u2028"]
    body = " ${1 + 1} ".join(parts)
    src = tmp_path / "tmpl.prism"
    src.write_text(f"print(`{body}`)\n", encoding="utf-8")
    proc = run_prism(src, prism_env)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    shown = [p.replace("\\`", "`").replace("\\\\", "\\") for p in parts]
    assert decoded(proc) == " 2 ".join(shown) + "\n"


# Names that collide with something in Python, Cython, C or the generated code.
# (`struct`, `print`, `import`, ... are Prism keywords or built-ins and cannot be names.)
COLLIDING = ["class", "def", "lambda", "None", "True", "False", "pass", "not", "and", "or", "is", "del",
             "global", "nonlocal", "yield", "with", "raise", "except", "assert", "elif", "cdef", "cpdef",
             "cimport", "ctypedef", "nogil", "gil", "inline", "extern", "readonly", "public", "api",
             "include", "sizeof", "NULL", "bint", "Py_ssize_t", "double", "goto", "char", "long", "short",
             "signed", "unsigned", "void", "volatile", "static", "register", "union", "enum", "typedef",
             "switch", "case", "default", "auto", "errno", "object", "list", "dict", "tuple", "set", "len_",
             "int_", "self_", "type", "Exception", "_rt", "_cf", "_cx", "_rtpy", "_rtio", "_pu_class", "__init__",
             "__prism_main__", "__prism_source__", "_p", "__name__", "__file__", "globals", "cython"]


def test_colliding_names_as_variables_and_functions(tmp_path, prism_env):
    lines = []
    expected = []
    for i, name in enumerate(COLLIDING):
        # A top-level function with a same-named parameter and a same-named local in another function.
        lines += [f"fn {name}({name}) {{", f"    return {name} * 2", "}",
                  f"fn use_{i}() {{", f"    let {name} = {i}", f"    {name} += 1", f"    return {name}", "}",
                  f"print({name}({i}), use_{i}(), {name}({name}: {i + 1}))"]
        expected.append(f"{i * 2} {i + 1} {(i + 1) * 2}")
    src = tmp_path / "names_fn.prism"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_prism(src, prism_env)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert decoded(proc) == "\n".join(expected) + "\n"


def test_colliding_names_as_structs_fields_and_globals(tmp_path, prism_env):
    lines = []
    expected = []
    for i, name in enumerate(COLLIDING):
        method = COLLIDING[(i + 1) % len(COLLIDING)]       # a field and a method may not share a name
        lines += [f"struct S{i} {{", f"    {name}: int,", f"    fn {method}(self, {name}) {{",
                  f"        return self.{name} + {name}", "    }", "}",
                  f"let g{i} = S{i}.new({name}: {i})", f"g{i}.{name} += 1",
                  f"print(g{i}.{name}, g{i}.{method}({i}))"]
        expected.append(f"{i + 1} {2 * i + 1}")
    for i, name in enumerate(COLLIDING):
        lines += [f"struct {name} {{", "    v: int", "}", f"let {name}_v = {name}.new({i})",
                  f"print({name}_v.v)"]
        expected.append(str(i))
    src = tmp_path / "names_struct.prism"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_prism(src, prism_env)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert decoded(proc) == "\n".join(expected) + "\n"


def test_colliding_global_names_untyped(tmp_path, prism_env):
    """Module-level `let` of each colliding name, read from a function (global access)."""
    lines, expected = [], []
    for i, name in enumerate(COLLIDING):
        lines += [f"let {name} = {i}", f"fn read_{i}() {{", f"    return {name} + 1", "}",
                  f"print({name}, read_{i}())"]
        expected.append(f"{i} {i + 1}")
    src = tmp_path / "names_global.prism"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--untyped"]):
        proc = run_prism(src, prism_env, *extra)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        assert decoded(proc) == "\n".join(expected) + "\n"


def test_self_outside_methods(tmp_path, prism_env):
    src = tmp_path / "selfish.prism"
    src.write_text("let self = 3\nfn twice(self) {\n    return self * 2\n}\nprint(self, twice(self))\n"
                   "let f = (self) => self + 1\nprint(f(self))\n", encoding="utf-8")
    proc = run_prism(src, prism_env)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert decoded(proc) == "3 6\n4\n"


FILE_NAMES = ["my file's.prism", 'say "hi".prism', "ünï cödé.prism", "{{x}} 100%.prism", "a-b.c.prism",
              "class.prism", "1st.prism"]


@pytest.mark.parametrize("name", FILE_NAMES)
def test_odd_file_names_run(name, tmp_path, prism_env):
    src = tmp_path / name
    src.write_text('print("hello from", "file")\nlet xs = [1]\nprint(xs[3])\n', encoding="utf-8")
    proc = run_prism(src, prism_env)
    assert decoded(proc) == "hello from file\n"
    assert proc.returncode == 1
    err = proc.stderr.decode("utf-8", errors="replace")
    assert f"{name}:3: error:" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", FILE_NAMES[:3])
def test_odd_file_names_prismc(name, tmp_path, prism_env):
    src = tmp_path / name
    src.write_text("fn answer() {\n    return 42\n}\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", "from transpiler.tools.cli import prismc_main; prismc_main()",
                           str(src), "-O0", "-o", str(out)], capture_output=True, env=prism_env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    built = Path(proc.stdout.decode().strip())
    assert built.is_file()
    env = dict(prism_env)
    env["PYTHONPATH"] = str(out) + os.pathsep + env["PYTHONPATH"]
    module = built.name.split(".")[0]
    check = subprocess.run([sys.executable, "-c", f"import {module} as m; print(m.answer())"],
                           capture_output=True, env=env, timeout=60)
    assert check.stdout.decode().strip() == "42", check.stderr.decode(errors="replace")
