"""conformance.webhooks: `verify_webhook` (public) accepts what the Standard Webhooks library and the official SDK
sign and verify, and refuses tampered bodies, old or future timestamps, missing headers and other secrets; a rotated
secret (two signatures) verifies with either; the receiver records deliveries and answers by its policy."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import datetime

import httpx
import pytest

import conformance
from conformance.webhooks import Receiver, WebhookVerificationError, refuse_first, sign, signed_headers, verify_webhook

standardwebhooks = pytest.importorskip("standardwebhooks")
openai = pytest.importorskip("openai")

OLD = "whsec_" + base64.b64encode(os.urandom(24)).decode()
NEW = "whsec_" + base64.b64encode(os.urandom(24)).decode()
EVENT = {"id": "evt_1", "object": "event", "type": "response.completed", "created_at": 1_719_168_000,
         "data": {"id": "resp_1"}}  # fmt: skip
BODY = json.dumps(EVENT).encode()


def delivery(secrets=(OLD,), at: int | None = None, body: bytes = BODY) -> dict[str, str]:
    return signed_headers(list(secrets), "wh_1", int(time.time()) if at is None else at, body)


def test_the_package_exports_verify_webhook() -> None:
    assert conformance.verify_webhook is verify_webhook and "verify_webhook" in conformance.__all__


def test_a_delivery_verifies_and_gives_the_event() -> None:
    assert verify_webhook(delivery(), BODY, OLD) == EVENT


def test_the_standard_webhooks_library_and_the_sdk_agree() -> None:
    headers = delivery()
    assert standardwebhooks.Webhook(OLD).verify(BODY, headers) == EVENT
    openai.OpenAI(api_key="sk-unused", base_url="http://127.0.0.1:9/v1").webhooks.verify_signature(BODY, headers,
                                                                                               secret=OLD)  # fmt: skip
    at = int(time.time())
    theirs = standardwebhooks.Webhook(OLD).sign("wh_2", datetime.fromtimestamp(at), BODY.decode())
    assert theirs == sign(OLD, "wh_2", at, BODY)
    assert verify_webhook({"webhook-id": "wh_2", "webhook-timestamp": str(at), "webhook-signature": theirs}, BODY,
                          OLD) == EVENT  # fmt: skip


@pytest.mark.parametrize("tampered", [BODY.replace(b"resp_1", b"resp_2"), BODY + b" ", b""])
def test_a_tampered_body_is_refused(tampered) -> None:
    with pytest.raises(WebhookVerificationError, match="no v1 signature"):
        verify_webhook(delivery(), tampered, OLD)


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_a_timestamp_beyond_the_tolerance_is_refused(offset) -> None:
    at = int(time.time()) + offset
    with pytest.raises(WebhookVerificationError, match="beyond the tolerance"):
        verify_webhook(delivery(at=at), BODY, OLD)
    assert verify_webhook(delivery(at=at), BODY, OLD, tolerance=4000) == EVENT


def test_a_rotated_secret_verifies_with_either_and_not_with_another() -> None:
    headers = delivery((OLD, NEW))
    assert len(headers["webhook-signature"].split()) == 2
    assert verify_webhook(headers, BODY, OLD) == verify_webhook(headers, BODY, NEW) == EVENT
    assert verify_webhook(delivery((NEW,)), BODY, [OLD, NEW]) == EVENT, "a receiver that knows both"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, BODY, "whsec_" + base64.b64encode(b"another").decode())


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(header) -> None:
    headers = delivery()
    del headers[header]
    with pytest.raises(WebhookVerificationError, match=header):
        verify_webhook(headers, BODY, OLD)


def test_a_signature_of_another_scheme_or_id_is_refused() -> None:
    headers = delivery()
    with pytest.raises(WebhookVerificationError):
        verify_webhook({**headers, "webhook-signature": headers["webhook-signature"].replace("v1,", "v2,")}, BODY, OLD)
    with pytest.raises(WebhookVerificationError):
        verify_webhook({**headers, "webhook-id": "wh_other"}, BODY, OLD)


def test_the_receiver_records_and_answers_by_its_policy() -> None:
    with Receiver(policy=refuse_first) as receiver:
        statuses = [httpx.post(receiver.url, content=BODY, headers=delivery()).status_code for _ in range(2)]
        got = receiver.wait(lambda ds: len(ds) >= 2, 2)
    assert statuses == [500, 200] and [d.status for d in got] == [500, 200]
    assert got[0].event == EVENT and got[0].headers["webhook-id"] == "wh_1"
    start = time.monotonic()
    with Receiver() as receiver:
        assert receiver.wait(lambda ds: bool(ds), 0.3) == [] and time.monotonic() - start < 2


def test_the_reference_sender_delivers_each_event_while_another_waits_for_its_retry() -> None:
    """A refused event waits for its retry without holding up the next: a run that ends many jobs before its
    receiver listens must not put the webhook case's events behind a backlog of retries."""
    from conformance.reference._ids import Ids
    from conformance.reference.app import ServerConfig
    from conformance.reference.webhooks import Sender

    def refuse_the_first_event(delivery, earlier: int) -> int:
        return 500 if (delivery.event or {}).get("data", {}).get("id") == "batch_refused" else 200

    with Receiver(policy=refuse_the_first_event) as receiver:
        sender = Sender(ServerConfig(webhook_url=receiver.url, webhook_secrets=(OLD,)), Ids())
        sender.send("batch.failed", {"id": "batch_refused"})
        sender.send("batch.completed", {"id": "batch_welcome"})
        got = receiver.wait(lambda ds: sum(d.event["data"]["id"] == "batch_refused" for d in ds) >= 4, 5)
    order = [(d.event["data"]["id"], d.status) for d in got]
    assert order.count(("batch_refused", 500)) == 4, order  # the first delivery and three retries
    assert order.index(("batch_welcome", 200)) == 1, f"the second event waited for the first one's retries: {order}"
