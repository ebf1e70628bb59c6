"""Webhooks: the server delivers to the suite's receiver (`--webhook-listen HOST:PORT`, reached directly or through
`--webhook-url`; the server's webhook endpoint must point there, with the secret named by `--webhook-secret-env`).
The case ends a background response and a batch (the cheapest of each), waits a bounded time for what they must
cause, and judges every delivery; the receiver answers the first delivery of each id with 500, so a sender that
retries shows it.

Without `--webhook-listen` the webhook rules are skipped: a server has nowhere to deliver.
"""

import os
import time

import pytest

from conformance.case import not_claimed_reason, requirement, responses_body
from conformance.checks.webhooks import Ended, WebhookDeliveries
from conformance.provision import MAKERS, NotProvided
from conformance.webhooks import Receiver, refuse_first

RULES = (
    "webhooks.signature.headers",
    "webhooks.signature.valid",
    "webhooks.timestamp.fresh",
    "webhooks.envelope.schema",
    "webhooks.types.known",
    "webhooks.response.delivered",
    "webhooks.batch.delivered",
    "webhooks.retry.redelivered",
)
ENDED = {"response": ("completed", "failed", "cancelled", "incomplete"),
         "batch": ("completed", "failed", "cancelled", "expired")}  # fmt: skip
POLL_SECONDS = 120  # how long an object may take to end; then it is left to the ledger, unannounced


@pytest.fixture(scope="module")
def receiver(request):
    listen = request.config.getoption("oai_webhook_listen", None)
    if not listen:
        pytest.skip("no webhook receiver: give --webhook-listen HOST:PORT (and the server's endpoint pointing there)")
    host, _, port = listen.rpartition(":")
    with Receiver(host or "127.0.0.1", int(port), policy=refuse_first) as started:
        yield started


@pytest.fixture(scope="module")
def secrets(request):
    name = request.config.getoption("oai_webhook_secret_env", None)
    return tuple(os.environ.get(name, "").split()) if name else ()


def poll(oai_client, path, kind):
    """The answer that shows the object ended, or None when it did not within the bound."""
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        exchange = oai_client.request("GET", path)
        body = exchange.response.json if exchange.response is not None else None
        if isinstance(body, dict) and body.get("status") in ENDED[kind]:
            return exchange, body["status"]
        time.sleep(0.05)
    return None


def delivered(kind_id_status):
    own = {i for _, i, _ in kind_id_status}

    def found(deliveries):
        got = {(d.event.get("type"), (d.event.get("data") or {}).get("id")) for d in deliveries
               if isinstance(d.event, dict) and isinstance(d.event.get("data"), dict)}  # fmt: skip
        announced = all((f"{k}.{s}", i) in got for k, i, s in kind_id_status)
        by_id = {}
        # Only the retries of what this case ended: another case's event, refused while the receiver was not yet
        # listening, may reach it on its last try, answered 500, and never come again.
        for d in deliveries:
            if isinstance(d.event, dict) and isinstance(d.event.get("data"), dict) and d.event["data"].get("id") in own:
                by_id.setdefault(d.headers.get("webhook-id"), []).append(d.status)
        retried = all(any(200 <= s < 300 for s in statuses) for statuses in by_id.values())
        return announced and retried

    return found


@requirement(*RULES)
def test_webhooks_of_what_ends(oai_client, oai_target, oai_judge, receiver, secrets):
    started = []  # both made before either is polled: they end while the other is waited for
    if oai_target.claims("responses.background"):
        made = oai_client.request("POST", "/responses", json=responses_body(
            oai_target.model("responses"), "Say OK.", background=True, store=True))  # fmt: skip
        body = made.response.json if made.response is not None and made.response.status == 200 else {}
        if isinstance(body, dict) and body.get("id"):
            started.append(("response", body["id"], f"/responses/{body['id']}"))
    if oai_target.claims("batches"):
        try:
            batch = MAKERS["batch"](oai_client, oai_target, {})
        except NotProvided:
            batch = None
        if batch:
            started.append(("batch", batch, f"/batches/{batch}"))
    ended = [Ended(kind, ident, seen[1], seen[0]) for kind, ident, path in started
             if (seen := poll(oai_client, path, kind))]  # fmt: skip
    if not ended:
        pytest.skip(not_claimed_reason("responses.background") + "; nor did a batch end: nothing to announce")
    # The deliveries (and a retry) may take as long as an answer may (--read-timeout).
    deliveries = receiver.wait(delivered([(e.kind, e.id, e.status) for e in ended]), oai_target.read_timeout)
    records = tuple(
        oai_client.log(method="POST", url=receiver.url, request_headers=d.headers, request_body=d.body,
                       status=d.status, started=d.received_at)
        for d in deliveries
    )  # fmt: skip
    subject = WebhookDeliveries(tuple(deliveries), records, secrets, tuple(ended), refused_first=True)
    oai_judge(subject, *RULES)
