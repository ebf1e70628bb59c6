"""oai-conformance: does this server speak the OpenAI API correctly? Answered with evidence.

The public names are loaded on first use, so that the pytest plugin (loaded in every pytest run of a repository
that installs this package) costs no httpx, jsonschema or hypothesis import until it is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "ChatStream",
    "Client",
    "Failure",
    "Observation",
    "Outcome",
    "Status",
    "Target",
    "WebhookVerificationError",
    "judge",
    "validate",
    "verify_webhook",
]  # fmt: skip

_HOMES = {
    "ChatStream": "conformance.checks.chat_stream",
    "Client": "conformance.client",
    "Failure": "conformance.judgement",
    "Observation": "conformance.judgement",
    "Outcome": "conformance.judgement",
    "Status": "conformance.judgement",
    "Target": "conformance.target",
    "judge": "conformance.judgement",
    "validate": "conformance.schemas",
    # transports: for users who receive OpenAI webhooks
    "WebhookVerificationError": "conformance.webhooks",
    "verify_webhook": "conformance.webhooks",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
