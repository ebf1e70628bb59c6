"""What cases share: the requirement marker, cheap request bodies, and the subjects they build.

Cases live in `cases/<family>/test_<topic>.py`. Each case sends requests through the `oai_client` fixture and
hands what came back to `oai_judge` with the ids of the requirements it decides; the ids must be declared on
the case with `@requirement(...)` so that unclaimed features are skipped before any request is sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks.chat_stream import ChatStream
from conformance.checks.embeddings import EmbeddingPair
from conformance.checks.models import ModelProbes, listed_ids

requirement = pytest.mark.requirement

# Generation is kept cheap: a run against the paid API must cost a few thousand tokens at most.
SMALL = 16
PROMPT = "Count from one to twenty in words, separated by spaces."

__all__ = ["PROMPT", "SMALL", "ChatStream", "EmbeddingPair", "ModelProbes", "chat_body", "listed_ids", "requirement"]


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
