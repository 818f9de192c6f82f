"""Runtime safety: failures at run time end in a Prism error at the right line, never a crash.

Each unsafe operation (integer overflow, division and modulo by zero, index
out of range, a computed confidence outside [0, 1], unbounded recursion)
sits on a known line of a small program; `prism run` must exit with status 1
and report `FILE:LINE: error:` for that line, typed and untyped, with no
Python traceback and no signal. Deep but finite recursion (tens of thousands
of frames) must simply work. Finally, pools and caches driven through a
million operations keep memory flat (tracemalloc).
"""
from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

PRELUDE = "let big = 9223372036854775807\nlet zero = 0\nlet xs = [1, 2, 3]\nlet three = 1.5 * 2\n"

# (name, statement that must fail, substring of the message)
UNSAFE = [
    ("add_overflow", "print(big + 1)", "overflow"),
    ("mul_overflow", "print(big * 2)", "overflow"),
    ("neg_overflow", "print(-big - 2)", "overflow"),
    ("pow_overflow", "print(2 ** 64)", "overflow"),
    ("div_zero", "print(10 / zero)", "division by zero"),
    ("mod_zero", "print(10 % zero)", "division by zero"),
    ("float_div_zero", "print(1.5 / zero)", "division by zero"),
    ("index_high", "print(xs[3])", "index"),
    ("index_low", "print(xs[-4])", "index"),
    ("index_assign", "xs[7] = 1", "index"),
    ("confidence_high", "print(1 ~> three)", "outside [0, 1]"),
    ("confidence_low", "print(1 ~> (0.0 - three))", "outside [0, 1]"),
]


def run(path: Path, env: dict, untyped: bool) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0",
                           *(["--untyped"] if untyped else []), str(path)],
                          capture_output=True, text=True, errors="replace", env=env, timeout=300)


@pytest.mark.parametrize("untyped", [False, True], ids=["typed", "untyped"])
@pytest.mark.parametrize("name,stmt,message", UNSAFE, ids=[u[0] for u in UNSAFE])
def test_unsafe_operation_is_a_prism_error(name, stmt, message, untyped, tmp_path, prism_env):
    src = tmp_path / f"{name}.prism"
    fn_line = PRELUDE.count("\n") + 3         # the statement sits inside a function, too
    src.write_text(PRELUDE + f'print("before")\nfn f() {{\n    {stmt}\n}}\nf()\nprint("not reached")\n')
    proc = run(src, prism_env, untyped)
    assert proc.stdout == "before\n"
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"{src}:{fn_line}: error:"), first
    assert message in first


@pytest.mark.parametrize("untyped", [False, True], ids=["typed", "untyped"])
def test_unsafe_operations_are_catchable(untyped, tmp_path, prism_env):
    lines = [PRELUDE]
    for name, stmt, _ in UNSAFE:
        lines.append(f'try {{\n    {stmt}\n}} catch e {{\n    print("{name}:", e.message)\n}}\n')
    src = tmp_path / "catch_all.prism"
    src.write_text("".join(lines))
    proc = run(src, prism_env, untyped)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in out] == [u[0] for u in UNSAFE]
    for line, (_, _, message) in zip(out, UNSAFE):
        assert message in line


DEEP = """fn depth(n: int) -> int {
    if n == 0 {
        return 0
    }
    return 1 + depth(n - 1)
}
fn deep_any(n) {
    if n == 0 {
        return [0]
    }
    let pair = [n, "s" + n]
    return deep_any(n - 1)
}
struct Walker {
    steps: int,
    fn walk(self, n) {
        if n == 0 {
            return self.steps
        }
        self.steps += 1
        return self.walk(n - 1)
    }
}
print(depth(50000), deep_any(50000), Walker.new(0).walk(30000))
"""


@pytest.mark.parametrize("untyped", [False, True], ids=["typed", "untyped"])
def test_deep_recursion_works(untyped, tmp_path, prism_env):
    src = tmp_path / "deep.prism"
    src.write_text(DEEP)
    proc = run(src, prism_env, untyped)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "50000 [0] 30000\n"


@pytest.mark.parametrize("untyped", [False, True], ids=["typed", "untyped"])
def test_unbounded_recursion_is_a_prism_error(untyped, tmp_path, prism_env):
    src = tmp_path / "forever.prism"
    src.write_text('print("start")\nfn forever(n) {\n    return forever(n + 1) + 1\n}\nprint(forever(0))\n')
    proc = run(src, prism_env, untyped)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])   # never -11 (SIGSEGV)
    assert proc.stdout == "start\n"
    # Reported at the line of the recursive call, where the stack check sits.
    assert proc.stderr.startswith(f"{src}:3: error: maximum recursion depth exceeded"), proc.stderr[:500]


def test_recursion_error_is_catchable(tmp_path, prism_env):
    src = tmp_path / "catch_deep.prism"
    src.write_text("fn forever(n: int) -> int {\n    return forever(n + 1) + 1\n}\n"
                   "try {\n    forever(0)\n} catch e {\n    print(\"caught:\", e.message)\n}\nprint(\"after\")\n")
    proc = run(src, prism_env, False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "caught: maximum recursion depth exceeded\nafter\n"



THREADED_RECURSION = """
fn descend(n: int, tick) -> int {
    if n == 0 {
        return 0
    }
    tick()
    return descend(n - 1, tick) + 1
}
fn forever(n: int, tick) -> int {
    tick()
    return forever(n + 1, tick) + 1
}
"""

THREADED_DRIVER = """
import sys, threading, time
import prism_runtime.install
import rec

def ticker():
    count = [0]
    def tick():
        count[0] += 1
        if count[0] % 50 == 0:
            time.sleep(0)          # hand the GIL over in the middle of a recursion
    return tick

results = {}
def deep(name):
    results[name] = rec.descend(20000, ticker())
def runaway(name):
    try:
        rec.forever(0, ticker())
        results[name] = "returned"
    except RecursionError as exc:
        results[name] = str(exc)

sys.setrecursionlimit(1_000_000)   # the depth budget far away: only the stack window can stop `forever`
threading.stack_size(32 * 1024 * 1024)
big = [threading.Thread(target=deep, args=(f"deep{i}",)) for i in range(2)]
threading.stack_size(2 * 1024 * 1024)
small = threading.Thread(target=runaway, args=("runaway",))
for t in big + [small]:
    t.start()
for t in big + [small]:
    t.join()
print(sorted(results.items()))
"""


def test_stack_guard_follows_thread_switches(tmp_path, prism_env):
    """The guard's window belongs to one thread at a time: threads that recurse in
    turn must each be checked against their own stack, never crash, never misfire."""
    (tmp_path / "rec.prism").write_text(THREADED_RECURSION)
    (tmp_path / "driver.py").write_text(THREADED_DRIVER)
    proc = subprocess.run([sys.executable, "driver.py"], cwd=tmp_path, capture_output=True, text=True,
                          env=prism_env, timeout=300)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.strip() == ("[('deep0', 20000), ('deep1', 20000), "
                                   "('runaway', 'maximum recursion depth exceeded')]")



BUDGET_DRIVER = """
import sys
import prism_runtime.install
import budget

def depth_of_failure(call):
    try:
        call()
        return None
    except RecursionError as exc:
        tb, frames = exc.__traceback__, 0
        while tb is not None:
            frames, tb = frames + 1, tb.tb_next
        return frames

sys.setrecursionlimit(5000)
print(budget.down(4000), budget.ping(2000), budget.Walker(0).walk(4000))   # ping(n) nests 2n calls
print(depth_of_failure(lambda: budget.down(6000)) <= 5010, depth_of_failure(lambda: budget.ping(3000)) <= 5010,
      depth_of_failure(lambda: budget.Walker(0).walk(6000)) <= 5010)
sys.setrecursionlimit(20000)
print(budget.down(6000), budget.ping(3000), budget.Walker(0).walk(6000))
"""


def test_compiled_recursion_follows_pythons_recursion_limit(tmp_path, prism_env):
    """Calls along a cycle spend a depth budget that starts at sys.getrecursionlimit():
    deeper chains raise RecursionError and unwind only that many frames."""
    (tmp_path / "budget.prism").write_text(
        "fn down(n: int) -> int {\n    if n == 0 {\n        return 0\n    }\n    return down(n - 1) + 1\n}\n"
        "fn ping(n: int) -> int {\n    if n == 0 {\n        return 0\n    }\n    return pong(n - 1) + 1\n}\n"
        "fn pong(n: int) -> int {\n    return ping(n)\n}\n"
        "struct Walker {\n    steps: int,\n    fn walk(self, n: int) -> int {\n        if n == 0 {\n"
        "            return self.steps\n        }\n        self.steps += 1\n        return self.walk(n - 1)\n    }\n}\n")
    (tmp_path / "driver.py").write_text(BUDGET_DRIVER)
    proc = subprocess.run([sys.executable, "driver.py"], cwd=tmp_path, capture_output=True, text=True,
                          env=prism_env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:3] == ["4000 2000 4000", "True True True", "6000 3000 6000"]


# ------------------------------------------------------------------ memory

MILLION = 1_000_000


def _growth(step, warmup: int, total: int) -> int:
    """Bytes still allocated after `total` calls of step(i), measured after a warm-up."""
    for i in range(warmup):
        step(i)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(total):
            step(i)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


def test_cache_memory_is_flat():
    from prism_runtime import Cache
    cache = Cache.new(max_size=1000)

    def step(i):
        cache.set(i, str(i))
        cache.get(i - 500)
        cache.get_or_compute(i % 3000, lambda key: key)

    growth = _growth(step, 20_000, MILLION // 3)
    assert len(cache) <= 1000
    assert growth < 512 * 1024, f"cache grew by {growth} bytes over {MILLION} operations"


def test_context_pool_memory_is_flat():
    from prism_runtime import ContextPool
    pool = ContextPool.new(max_size=8)

    def step(i):
        a = pool.acquire("a")
        b = pool.acquire("b")
        pool.release(b)
        pool.release(a)

    growth = _growth(step, 10_000, MILLION // 4)
    assert growth < 512 * 1024, f"context pool grew by {growth} bytes over {MILLION} operations"


def test_tensor_pool_memory_is_flat():
    pytest.importorskip("numpy")
    from prism_runtime import TensorPool
    pool = TensorPool.new(initial_size=4, growth_factor=2.0, shape=[16], dtype="float32")

    def step(i):
        t = pool.acquire()
        pool.release(t)

    growth = _growth(step, 10_000, MILLION)
    assert growth < 512 * 1024, f"tensor pool grew by {growth} bytes over {MILLION} operations"
