"""What the transports tests share (the Realtime API, WebSocket modes, webhooks): one judgement of a violating
subject, and a reference server with an SDK client that the end-to-end tests read both of."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import openai

from conformance.judgement import Status, judge
from conformance.reference import RunningServer, ServerConfig, serve
from conformance.requirements import Level, catalogue


def fails_with_evidence(subject: Any, rid: str, shows: str) -> None:
    """`subject` FAILs `rid` (WARNs a SHOULD), each failure saying what was received and expected, quoting `shows`."""
    [obs] = judge(subject, [rid])
    assert obs.status is (Status.FAIL if catalogue()[rid].level is Level.MUST else Status.WARN), obs
    assert obs.failures and all("Received:" in f.message and "Expected:" in f.message for f in obs.failures)
    assert shows in "\n".join(f.message for f in obs.failures), obs.failures


@contextlib.contextmanager
def served(key: str) -> Iterator[tuple[RunningServer, openai.OpenAI]]:
    """A fresh reference server that wants `key`, and an SDK client of it (no retries)."""
    with (
        serve(ServerConfig(api_key=key)) as server,
        openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0) as sdk,
    ):
        yield server, sdk
