"""End to end: compile and run real Prism programs that use `llm` against the loopback server."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROGRAM = r'''
import { llm } from "std/llm"

let prompt = "hello there"
let response = await llm.generate(prompt)
print(response)
print(<~ response)

let stream = llm.generate_stream("one two three")
for await chunk in stream {
    print(chunk)
}

let prompts = ["[latency=0.05] a", "b", "[latency=0.02] c", "d", "e", "f", "g"]
let responses = await llm.generate_batch(prompts, max_concurrent: 5)
for r in responses {
    print(r)
}

let cache = LLMCache.new(
    max_size: 1000,
    ttl: 3600  // 1 hour
)

async fn get_llm_response(prompt: string) -> string {
    return await cache.get_or_generate(prompt, llm.generate)
}

print(await get_llm_response("cached?"))
print(await get_llm_response("cached?"))

in context Review {
    context.current().set("system", "You are terse.")
    print(await llm.generate("inside", temperature: 0.5))
}

try {
    let bad = await llm.generate_batch(["x", "[status=400] y"], max_concurrent: 2)
    print(bad)
} catch e {
    print("caught:", e.message)
}
'''


def run_prism(path, server, prism_env, **extra):
    env = dict(prism_env)
    for name in list(env):
        if name.startswith(("PRISM_LLM_", "OPENAI_")):
            del env[name]
    env.update(PRISM_LLM_BASE_URL=server.base_url, PRISM_LLM_API_KEY="test", **extra)
    return subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0", str(path)], cwd=path.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def test_prism_program_uses_llm(tmp_path, server, prism_env):
    server.token_logprob = -0.1
    path = tmp_path / "uses_llm.prism"
    path.write_text(PROGRAM)
    proc = run_prism(path, server, prism_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:2] == ["echo: hello there", "0.9048374180359595"]
    assert lines[2:6] == ["echo:", " one", " two", " three"]
    assert lines[6:13] == ["echo: [latency=0.05] a", "echo: b", "echo: [latency=0.02] c", "echo: d", "echo: e",
                           "echo: f", "echo: g"]
    assert lines[13:15] == ["echo: cached?", "echo: cached?"]
    assert lines[15] == "echo: inside"
    assert lines[16].startswith("caught: 1 of 2 prompts failed; first, prompt 1: LLM request failed: HTTP 400")
    assert server.attempts["cached?"] == 1
    assert server.max_in_flight <= 5
    inside = next(b for b in server.received if b["messages"][-1]["content"] == "inside")
    assert inside["messages"][0] == {"role": "system", "content": "You are terse."}
    assert inside["temperature"] == 0.5


def test_llm_tour_sample_runs(tmp_path, server, prism_env):
    proc = run_prism(REPO / "samples" / "llm_tour.prism", server, prism_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cached: true hits: 1 misses: 1" in proc.stdout
    assert "caught: max_concurrent must be >= 1, not 0" in proc.stdout
    assert "test" not in proc.stderr                      # the key is never printed


def test_unconfigured_program_says_how_to_configure(tmp_path, prism_env):
    path = tmp_path / "unconfigured.prism"
    path.write_text('let r = await llm.generate("x")\nprint(r)\n')
    env = {k: v for k, v in prism_env.items() if not k.startswith(("PRISM_LLM_", "OPENAI_"))}
    proc = subprocess.run([sys.executable, "-m", "transpiler", "run", "-O0", str(path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "no LLM provider is configured" in proc.stderr and "PRISM_LLM_BASE_URL" in proc.stderr
