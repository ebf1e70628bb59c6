"""Ids for answers: unique within a process and across restarts, cheap, and readable in a report."""

from __future__ import annotations

import itertools
import secrets
import threading


class Ids:
    def __init__(self) -> None:
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self) -> str:
        with self._lock:
            number = next(self._counter)
        return f"{self._prefix}{number:010d}"

    def completion(self) -> str:
        return f"chatcmpl-ref{self._next()}"

    def call(self) -> str:
        return f"call_ref{self._next()}"

    def item(self, prefix: str) -> str:
        """`resp_…`, `msg_…`, `conv_…`: the Responses API's ids, with the API's prefixes."""
        return f"{prefix}_ref{self._next()}"

    def file(self) -> str:
        """`file-…`: file ids take a hyphen, not the underscore of the others."""
        return f"file-ref{self._next()}"

    def request(self) -> str:
        return f"req_ref{self._next()}"
