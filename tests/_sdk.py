"""The official `openai` SDK pointed at a fresh reference server: how each family's end-to-end tests drive it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import openai

from conformance.reference import ServerConfig, serve


@contextlib.contextmanager
def reference_sdk(key: str, config: ServerConfig | None = None) -> Iterator[openai.OpenAI]:
    """An SDK client of a reference server that wants `key` (no retries: a test sees every answer as sent)."""
    with (
        serve(config or ServerConfig(api_key=key)) as server,
        openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0) as sdk,
    ):
        yield sdk
