"""The reference server's webhooks: what it announces, and how it delivers (Standard Webhooks, as the API does).

Configured with a URL and a secret (`ServerConfig.webhook_url`, `.webhook_secrets`; `oai-conformance serve
--webhook-url URL --webhook-secret-env VAR`), the server announces:

    response.completed / .failed / .cancelled / .incomplete   a background response seen ending
    batch.completed / .failed / .cancelled / .expired          a batch seen ending
    realtime.call.incoming                                     a SIP call ringing (realtime.Calls.ring)

The server's jobs progress as they are polled, so an ending is seen by the answer that shows it: `Announcer`
(ASGI middleware) reads the JSON answers under /v1/responses and /v1/batches and announces each object's end
once. `Sender` delivers on a thread of its own: the event `{id, object: "event", type, created_at, data}`, signed
with every secret, and sent again after 0.2, 0.4 and 0.8 s while the receiver answers anything but a 2xx. An event
waiting for its retry holds up no other: a run that ends many jobs before its receiver listens (every delivery
refused, 1.4 s each) must not leave the events of the webhook case a minute behind them.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.webhooks import signed_headers

from ._config import ServerConfig
from ._ids import Ids

RETRY_DELAYS = (0.2, 0.4, 0.8)  # seconds before each delivery after the first
ENDED = {
    "response": ("completed", "failed", "cancelled", "incomplete"),
    "batch": ("completed", "failed", "cancelled", "expired"),
}
MAX_BODY = 4 * 1024 * 1024  # bytes of an answer the announcer reads
STALE = 3600  # seconds a timestamp is off under the `webhooks-old-timestamp` fault
USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ="


class Sender:
    """Delivers events to one URL, each as soon as it is due, retrying what the receiver refuses."""

    def __init__(self, config: ServerConfig, ids: Ids) -> None:
        assert config.webhook_url is not None
        self.config = config
        self.ids = ids
        self.url = config.webhook_url
        # (when, order, body, webhook id, deliveries made): the next delivery due first, events in the order sent
        self._due: list[tuple[float, int, bytes, str, int]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="reference-webhooks", daemon=True).start()

    def send(self, kind: str, data: dict[str, Any]) -> None:
        if kind.startswith("batch.") and self.config.has("webhooks-batch-silent"):
            return
        created: Any = int(time.time())
        if self.config.has("webhooks-created-at-iso"):
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
        event = {"id": self.ids.item("evt"), "object": "event", "type": kind, "created_at": created, "data": data}
        self._schedule(time.monotonic(), json.dumps(event).encode(), self.ids.item("wh"), 0)

    def _schedule(self, when: float, body: bytes, webhook_id: str, made: int) -> None:
        with self._changed:
            heapq.heappush(self._due, (when, next(self._order), body, webhook_id, made))
            self._changed.notify()

    def _next(self) -> tuple[bytes, str, int]:
        with self._changed:
            while not self._due or (wait := self._due[0][0] - time.monotonic()) > 0:
                self._changed.wait(None if not self._due else wait)
            _, _, body, webhook_id, made = heapq.heappop(self._due)
            return body, webhook_id, made

    def _run(self) -> None:
        delays = () if self.config.has("webhooks-no-retry") else RETRY_DELAYS
        with httpx.Client(timeout=5) as http:
            while True:
                body, webhook_id, made = self._next()
                if not self._deliver(http, body, webhook_id) and made < len(delays):
                    self._schedule(time.monotonic() + delays[made], body, webhook_id, made + 1)

    def _deliver(self, http: httpx.Client, body: bytes, webhook_id: str) -> bool:
        at = int(time.time()) - (STALE if self.config.has("webhooks-old-timestamp") else 0)
        secrets = (OTHER_SECRET,) if self.config.has("webhooks-bad-signature") else self.config.webhook_secrets
        headers = {"content-type": "application/json", "user-agent": USER_AGENT,
                   **signed_headers(secrets, webhook_id, at, body)}  # fmt: skip
        try:
            return http.post(self.url, content=body, headers=headers).is_success
        except httpx.HTTPError:
            return False


class Announcer:
    """ASGI middleware: the end of a background response or a batch, seen in an answer, announced once."""

    def __init__(self, app: ASGIApp, sender: Sender) -> None:
        self.app = app
        self.sender = sender
        self.announced: set[str] = set()
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(("/v1/responses", "/v1/batches")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        json_answer = False

        async def keep(message: Message) -> None:
            nonlocal json_answer
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                json_answer = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body" and json_answer and sum(map(len, chunks)) < MAX_BODY:
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keep)
        if json_answer:
            self.seen(b"".join(chunks))

    def seen(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            return
        for item in [body, *(body.get("data") or [] if isinstance(body, dict) else [])]:
            if not isinstance(item, dict) or item.get("status") not in ENDED.get(str(item.get("object")), ()):
                continue
            if item.get("object") == "response" and item.get("background") is not True:
                continue  # only background responses are announced
            ident = str(item.get("id"))
            with self.lock:
                if ident in self.announced:
                    continue
                self.announced.add(ident)
            announced = "resp_other" if self.sender.config.has("webhooks-wrong-id") else ident
            self.sender.send(f"{item['object']}.{item['status']}", {"id": announced})
