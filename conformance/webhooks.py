"""Webhooks: the Standard Webhooks signature the OpenAI API signs its deliveries with, and a receiver that records
them.

A delivery is a POST whose body is the event (`{"id", "object": "event", "type", "created_at", "data"}`) and whose
headers are `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`: one or more `v1,<base64>`
separated by spaces, each the HMAC-SHA256 of `"{id}.{timestamp}.{body}"` under the secret (`whsec_` + base64 of
the key bytes). Several signatures let a sender sign with an old and a new secret while a secret is rotated.

`verify_webhook(headers, body, secret)` is public (`from conformance import verify_webhook`): it returns the event,
or raises `WebhookVerificationError` naming what is wrong (a header missing, a timestamp outside the tolerance, no
signature that matches). `Receiver` is a local HTTP server that records every delivery and answers each with the
status its policy says (a 500 to the first delivery of each id shows whether the sender retries).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds a timestamp may be away from the receiver's clock (the SDKs' default)
SECRET_PREFIX = "whsec_"
MAX_BODY = 1024 * 1024  # bytes of a delivery the receiver reads


class WebhookVerificationError(Exception):
    """A delivery that does not verify: the message says why."""


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    text = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not `whsec_` followed by base64") from None


def sign(secret: str | bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one delivery."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secrets: Sequence[str | bytes], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a delivery signed with each of `secrets` (more than one while a secret rotates)."""
    signatures = " ".join(sign(s, webhook_id, timestamp, body) for s in secrets)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | bytes | Iterable[str | bytes],
    *,
    tolerance: float = TOLERANCE,
    now: float | None = None,
) -> Any:
    """The event a delivery carries, once its signature and timestamp verify; `secret` may be several (the old
    and the new while one rotates): one signature that matches one of them is enough."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not lowered.get(h)]
    if missing:
        raise WebhookVerificationError(f"missing header(s): {', '.join(missing)}")
    try:
        timestamp = int(lowered["webhook-timestamp"])
    except ValueError:
        stamp = lowered["webhook-timestamp"]
        raise WebhookVerificationError(f"webhook-timestamp {stamp!r} is not an integer") from None
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook-timestamp {timestamp} is {int(clock - timestamp)} s from now, "
                                       f"beyond the tolerance of {tolerance:g} s")  # fmt: skip
    keys = [secret] if isinstance(secret, str | bytes) else list(secret)
    wanted = {sign(k, lowered["webhook-id"], timestamp, raw).split(",", 1)[1] for k in keys}
    given = [part.split(",", 1) for part in lowered["webhook-signature"].split()]
    if not any(len(p) == 2 and p[0] == "v1" and any(hmac.compare_digest(p[1], w) for w in wanted) for p in given):
        raise WebhookVerificationError("no v1 signature in webhook-signature matches the secret")
    try:
        return json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got: its headers (lower-case names), body, when it arrived, and the status answered."""

    headers: dict[str, str]
    body: bytes
    received_at: float
    status: int
    path: str = "/"

    @property
    def event(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


# How the receiver answers a delivery: from the delivery and how many of the same webhook-id came before it.
Policy = Callable[[Delivery, int], int]


def always_ok(delivery: Delivery, earlier: int) -> int:
    return 200


def refuse_first(delivery: Delivery, earlier: int) -> int:
    """500 to the first delivery of each webhook-id, 200 to the ones after: a sender that retries shows it."""
    return 500 if earlier == 0 else 200


@dataclass
class Receiver:
    """A local HTTP server that records webhook deliveries. `start()`, then `wait(predicate, seconds)`."""

    host: str = "127.0.0.1"
    port: int = 0
    policy: Policy = always_ok
    deliveries: list[Delivery] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the receiver first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._changed:
                    earlier = sum(1 for d in receiver.deliveries if d.headers.get("webhook-id") ==
                                  headers.get("webhook-id"))  # fmt: skip
                    status = receiver.policy(Delivery(headers, body, time.time(), 0, self.path), earlier)
                    receiver.deliveries.append(Delivery(headers, body, time.time(), status, self.path))
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return  # deliveries are recorded, not logged

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        # Polled every 50 ms for `stop` (the default half second is what every run would wait at its end).
        serving = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serving, name="webhook-receiver", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self, found: Callable[[list[Delivery]], bool], seconds: float) -> list[Delivery]:
        """The deliveries once `found(deliveries)` holds, or when `seconds` have passed (whichever is first)."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while not found(list(self.deliveries)) and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)
            return list(self.deliveries)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
