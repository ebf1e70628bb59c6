"""The retry policy: which answers are transient, how long to wait, and what is never sent twice.

Every request the suite sends goes through `conformance.client.Client.request`, which asks this module; no case
decides for itself. Only the final answer is judged; the exchange records how many attempts it took.

- 429 and 503 are transient: retried within `--retries`, after the wait the server asked for (`retry-after-ms`,
  or `Retry-After` in seconds or as an HTTP date), capped, or after a jittered exponential back-off. A 429 whose
  error says `insufficient_quota` is not transient: the account is out of money, and the run stops.
- A connection that failed before any byte of the answer (refused, reset, closed without an answer) is
  retried for every method: the server did not answer, and the SDKs retry it too. A timeout while the server had
  the request (no answer within the read timeout) is retried only for a method that creates nothing (GET,
  DELETE): a POST may have been processed, and sending it again could create twice.
- Other statuses are answers, judged as they are: a 500 is the server's failure, not bad luck.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from enum import Enum

import httpx

from conformance import jsonvalue
from conformance.exceptions import ConformanceError

TRANSIENT_STATUSES = frozenset({429, 503})
# Methods that create nothing: resent after a timeout without risk of a second object.
SAFE_TO_RESEND = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class Failure(Enum):
    """How an attempt failed before an answer arrived."""

    NOT_SENT = "not sent"  # connect refused or timed out: the request never reached the server
    NO_ANSWER = "no answer"  # the connection closed or reset before any byte of an answer
    TIMEOUT = "timeout"  # no answer within the read timeout while the server had the request


class QuotaExhausted(ConformanceError):
    """The target answered 429 `insufficient_quota`: no retry helps, and the run stops (exit 2)."""


class StillTransient(ConformanceError):
    """A request was still answered 429/503 (or not at all) after its last retry: the case that sent it cannot
    judge anything, and its rules are ERROR, never FAIL."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 2
    retry_after_cap: float = 30.0  # the longest wait a server may ask for
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    jitter: Callable[[], float] = field(default=random.random, compare=False)  # in [0, 1)

    def delay(
        self,
        *,
        method: str,
        retry_number: int,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        failure: Failure | None = None,
    ) -> float | None:
        """Seconds to wait before retry number `retry_number` (0 for the first), or None when the attempt is
        final. Raises QuotaExhausted for a 429 `insufficient_quota`."""
        if status == 429 and quota_exhausted(body):
            raise QuotaExhausted(
                "the target answered 429 insufficient_quota: the account has no quota left (no request was "
                "retried; add credit or use another key)"
            )
        if retry_number >= self.retries:
            return None
        if status is None:
            if failure is None or (failure is Failure.TIMEOUT and method.upper() not in SAFE_TO_RESEND):
                return None
            return self.backoff(retry_number)
        if status not in TRANSIENT_STATUSES:
            return None
        asked = retry_after(headers or {})
        return self.backoff(retry_number) if asked is None else min(asked, self.retry_after_cap)

    def backoff(self, retry_number: int) -> float:
        """Exponential, capped, with full jitter in its upper half (so workers that failed together spread out)."""
        ceiling = min(self.backoff_base * 2**retry_number, self.backoff_cap)
        return ceiling * (0.5 + self.jitter() / 2)


def failure_of(exc: httpx.TransportError) -> Failure | None:
    """How a request failed before its answer: never sent, no answer at all, or a timeout while the server had
    it; None for a failure no retry mends (a malformed URL, an unsupported protocol)."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Failure.NOT_SENT
    if isinstance(exc, httpx.TimeoutException):
        return Failure.TIMEOUT
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return Failure.NO_ANSWER
    return None


def transient(status: int | None, body: bytes = b"") -> bool:
    """Whether a final answer is still a transient one (the request could not be judged)."""
    return status in TRANSIENT_STATUSES and not (status == 429 and quota_exhausted(body))


def quota_exhausted(body: bytes) -> bool:
    """A 429 body whose error says `insufficient_quota` (as `code` or `type`)."""
    try:
        data = jsonvalue.parse(body)
    except ValueError:
        return False
    error = data.get("error") if isinstance(data, dict) else None
    return isinstance(error, dict) and "insufficient_quota" in (error.get("code"), error.get("type"))


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait the server asked for, in seconds: retry-after-ms, else Retry-After (seconds or HTTP date)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    text = lowered.get("retry-after")
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - time.time())
    return seconds if seconds >= 0 else None
