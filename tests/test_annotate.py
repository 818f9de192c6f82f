"""Typed hot loops have no Python interaction, as `cython -a` reports it.

Builds bench/kernels/core_kernels.prism and bench/kernels/confidence_kernels.prism with
`prismc --annotate` and reads Cython's annotation HTML: every generated line that
belongs to the loops of the numeric kernels must have score 0 (no Python C-API calls).
"""
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# kernel file -> functions whose loop bodies must be free of Python interaction
HOT = {
    "core_kernels": ["accumulate", "mandelbrot", "weighted_average", "accumulate_cfor", "accumulate_colon"],
    "confidence_kernels": ["plain_sum", "confident_sum"],
    "tensor_kernels": ["scale", "dot"],
}


def annotated_lines(tmp_path, name):
    env = dict(os.environ)
    env.setdefault("PRISM_CACHE_DIR", str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "transpiler.tools.cli_prismc", str(ROOT / "bench" / "kernels" / f"{name}.prism"),
                           "--annotate", "-O0", "-o", str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / f"{name}.html").read_text()
    for m in re.finditer(r'<pre class="cython line score-(\d+)"[^>]*>(.*?)</pre>', page, re.S):
        yield int(m.group(1)), html.unescape(re.sub("<[^>]+>", "", m.group(2))).split(":", 1)[-1].rstrip()


@pytest.mark.parametrize("name", sorted(HOT))
def test_hot_loops_have_no_python_interaction(tmp_path, name):
    lines = list(annotated_lines(tmp_path, name))
    assert lines, "no annotation produced"
    checked = 0
    current, in_loop, loop_indent = None, False, 0
    for score, code in lines:
        head = re.match(r"\s*(cpdef|def)\s+(?:inline\s+)?\S+\s+(\w+)\(|\s*(cpdef|def)\s+(\w+)\(", code)
        if head:
            current = head.group(2) or head.group(4)
            in_loop = False
            continue
        if current not in HOT[name]:
            continue
        stripped = code.lstrip()
        indent = len(code) - len(stripped)
        if stripped.startswith(("for ", "while ")):
            in_loop, loop_indent = True, indent
        elif in_loop and indent <= loop_indent and stripped:
            in_loop = False
        if in_loop and stripped:
            checked += 1
            assert score == 0, f"{name}.{current}: Python interaction in hot loop: {code.strip()}"
    assert checked >= 4, "did not find the loops"


def annotated_code(tmp_path, name):
    """(Prism line text, C code Cython generated for it) from the annotation HTML."""
    list(annotated_lines(tmp_path, name))         # builds the module and writes the HTML
    page = (tmp_path / f"{name}.html").read_text()
    pattern = r'<pre class="cython line score-\d+"[^>]*>(.*?)</pre>\s*<pre class=["\']cython code[^>]*>(.*?)</pre>'
    for m in re.finditer(pattern, page, re.S):
        yield (html.unescape(re.sub("<[^>]+>", "", m.group(1))).split(":", 1)[-1].strip(),
               html.unescape(re.sub("<[^>]+>", "", m.group(2))))


def test_operators_and_trait_methods_on_typed_structs_are_c_calls(tmp_path):
    """`acc + step` (operator +), `add(acc, step)` and `v.norm2()` (a trait method) on typed
    struct operands call the function directly: no Python attribute lookup, no number protocol."""
    wanted = {"acc = _op_add_Vec2_Vec2(acc, step)": "operator", "acc = add(acc, step)": "call",
              "total = (total + v.norm2())": "trait method"}
    seen = set()
    for line, c_code in annotated_code(tmp_path, "operator_kernels"):
        source = line.split("  # @L")[0]
        if source in wanted:
            seen.add(source)
            assert "GetAttr" not in c_code and "PyNumber_" not in c_code and "PyObject_Call" not in c_code, (
                f"{wanted[source]} goes through Python: {source}\n{c_code}")
    assert seen == set(wanted), f"lines not found: {set(wanted) - seen}"
