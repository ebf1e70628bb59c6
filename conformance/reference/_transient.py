"""Transient trouble on purpose: every Nth request is answered 429 or 503, or its connection is reset before any
byte of an answer, as a busy real API or a flaky network does (or 429 insufficient_quota, which is no such
thing). For the project's tests of the retry policy: a run against it must conclude what a run against the plain
server concludes.

It wraps the whole app (outside Starlette's own error middleware) because a reset needs the connection itself:
uvicorn's `send` is a method of the request cycle that holds the transport.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

KINDS = ("429", "503", "reset", "quota")
_ANSWERS = {
    "429": (429, {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}),
    "503": (503, {"message": "The server is overloaded or not ready yet.", "type": "server_error", "code": None}),
    # Not transient at all: the account is out of money (the run must stop, not retry).
    "quota": (
        429,
        {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        },
    ),
}


class _QuietAboutResets(logging.Filter):
    """uvicorn says "ASGI callable returned without starting response" for each reset: it is the point here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without starting response" not in record.getMessage()


class TransientTrouble:
    """Every `every`th HTTP request gets `kind` instead of its answer."""

    def __init__(self, app: ASGIApp, every: int, kind: str) -> None:
        if kind not in KINDS or every < 2:
            raise ValueError(f"transient trouble: kind one of {', '.join(KINDS)}, every at least 2")
        self.app = app
        self.every = every
        self.kind = kind
        self.count = 0
        self.state: Any = getattr(app, "state", None)  # RunningServer.store reads the app's state
        if kind == "reset":
            logging.getLogger("uvicorn.error").addFilter(_QuietAboutResets())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.count += 1
        if self.count % self.every:
            await self.app(scope, receive, send)
            return
        if self.kind == "reset":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is None:
                raise RuntimeError("a reset needs uvicorn's connection (send.__self__.transport)")
            transport.abort()
            return
        status, error = _ANSWERS[self.kind]
        body = json.dumps({"error": error}).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"0")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
