"""`llm.classify(text, labels)`: a label with a confidence from the model's token probabilities.

With labels, the model is asked for the label only and the request returns
the `TOP_N` most likely first tokens of its answer with their log-probabilities
(`top_logprobs`). Each alternative counts for the labels it begins (compared
without case and surrounding spaces; a token that begins several labels is
split evenly between them), so a label's score is the probability the model
gives to answers starting like it. **Choice:** the confidence is that score
normalised over the labels (the model's distribution restricted to the
labels), and the answer is the label with the highest score; the text the
model writes is not read. When no alternative begins any label, the call fails
with code `LLM_ERROR`.

Without labels the model names a category in one word; the answer is that
word (lower case, punctuation stripped) with the confidence of the answer
(exp of its mean token log-probability), as for `llm.generate`.

A test's `mock_llm` answers by the text: its output is the label.

Talks to `llm` (the `llm` object, its provider, `answer`, `mocked`),
`confidence` and `errors`.
"""
from __future__ import annotations

import math
import re

from prism_runtime.errors import PrismError

TOP_N = 20
LABELS_SYSTEM = ("Classify the user's text. Answer with exactly one of these labels and nothing else: {labels}.")
CATEGORY_SYSTEM = "Name the category of the user's text in one word. Answer with that word only."


def label_scores(alternatives, labels) -> dict:
    """label -> probability mass of the first-token alternatives that begin it."""
    scores = {label: 0.0 for label in labels}
    folded = {label: label.strip().lower() for label in labels}
    for token, logprob in alternatives:
        piece = token.strip().lower()
        if not piece:
            continue
        begun = [label for label in labels if folded[label].startswith(piece)]
        for label in begun:
            scores[label] += math.exp(logprob) / len(begun)
    return scores


async def classify(llm, text, labels, system, model):
    from prism_runtime.confidence import value_of
    from prism_runtime.llm import answer, confidence_from_logprobs, mocked
    text = str(value_of(text))
    if labels is not None:
        labels = [str(value_of(label)) for label in value_of(labels)]
        if not labels:
            raise PrismError("llm.classify needs at least one label", code="VALUE_ERROR")
    mock = mocked(text)
    if mock is not None:
        return answer(str(mock[0]), mock[1])
    provider = llm._get_provider()
    if labels is None:
        messages = llm._messages(text, system if system is not None else CATEGORY_SYSTEM)
        completion = await provider.complete(messages, llm._opts(0, 8, model))   # (text, logprobs[, tokens])
        reply, logprobs = completion[0], completion[1]
        word = re.sub(r"[^\w-]", "", (reply.split() or [""])[0]).lower()
        return answer(word, confidence_from_logprobs(logprobs, llm.config.default_confidence))
    if not hasattr(provider, "first_token_alternatives"):
        raise PrismError(f"llm.classify with labels is not available with the {llm.config.provider!r} provider; "
                         "use an OpenAI-compatible server ([llm] base_url)", code="LLM_ERROR")
    prompt_system = system if system is not None else LABELS_SYSTEM.format(labels=", ".join(labels))
    alternatives = await provider.first_token_alternatives(llm._messages(text, prompt_system),
                                                           llm._opts(None, None, model), TOP_N)
    scores = label_scores(alternatives, labels)
    total = sum(scores.values())
    if total <= 0.0:
        seen = ", ".join(repr(t) for t, _ in alternatives[:5])
        raise PrismError(f"llm.classify: none of the labels ({', '.join(labels)}) begins any of the model's "
                         f"{len(alternatives)} most likely answers (first: {seen})", code="LLM_ERROR")
    best = max(labels, key=lambda label: scores[label])      # ties: the first label given
    return answer(best, min(1.0, scores[best] / total))
