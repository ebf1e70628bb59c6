"""What cases share: the requirement marker, cheap request bodies, and the subjects they build.

Cases live in `cases/<family>/test_<topic>.py`. Each case sends requests through the `oai_client` fixture and
hands what came back to `oai_judge` with the ids of the requirements it decides; the ids must be declared on
the case with `@requirement(...)` so that unclaimed features are skipped before any request is sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.batches import BatchLife
from conformance.checks.chat_stream import ChatStream
from conformance.checks.embeddings import EmbeddingPair
from conformance.checks.models import ModelProbes, listed_ids
from conformance.checks.responses_stream import ResponseStream
from conformance.judgement import not_claimed_reason
from conformance.pagination import walk
from conformance.target import MODEL_ROLES

requirement = pytest.mark.requirement

# Generation is kept cheap: a run against the paid API must cost a few thousand tokens at most.
SMALL = 16
PROMPT = "Count from one to twenty in words, separated by spaces."
# More than 16 tokens whatever answers it: a model goes on counting, an echoing server repeats it.
LONG_PROMPT = (
    "Go on counting in words, separated by spaces, up to one hundred: one two three four five six seven eight "
    "nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
)
# The Responses API's smallest `max_output_tokens`.
SMALLEST_OUTPUT = 16
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}

__all__ = [
    "LONG_PROMPT",
    "MODEL_ROLES",
    "PROMPT",
    "SMALL",
    "SMALLEST_OUTPUT",
    "WEATHER_TOOL",
    "BatchLife",
    "ChatStream",
    "EmbeddingPair",
    "Lifecycle",
    "ModelProbes",
    "ResponseStream",
    "chat_body",
    "listed_ids",
    "not_claimed_reason",
    "requirement",
    "responses_body",
    "walk",
]


def chat_body(model: str, content: str = PROMPT, **extra: Any) -> dict[str, Any]:
    """A minimal, deterministic, cheap chat request; `extra` adds or overrides parameters."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": content}],
        # `max_tokens` rather than `max_completion_tokens`: every compatible server honours it, so a server that
        # ignores the newer name cannot make every case slow (chat.max-completion-tokens.length checks that name).
        "max_tokens": SMALL,
        "temperature": 0,
    }
    if "max_completion_tokens" in extra:
        body.pop("max_tokens")
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def responses_body(model: str, content: str = PROMPT, **extra: Any) -> dict[str, Any]:
    """A minimal, cheap Responses request (the cap is the API's smallest); `extra` adds or overrides."""
    body: dict[str, Any] = {"model": model, "input": content, "max_output_tokens": 4 * SMALLEST_OUTPUT}
    body["temperature"] = 0
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}
