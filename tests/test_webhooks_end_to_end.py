"""Webhooks end to end: a reference server configured with the suite's receiver announces the background response
and the batch the case ends, signed with the endpoint's secret; every webhook rule passes, each webhook fault is
caught, and the official SDK's `webhooks.unwrap` reads what the reference delivers."""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import Any

import pytest

from conformance.cli import cases_args
from conformance.reference import FAULTS, ServerConfig
from conformance.webhooks import Receiver
from tests._runs import KEY, KEY_ENV, assert_caught, briefly_serve

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()
SECRET_ENV = "OAI_TEST_WEBHOOK_SECRET"
CASES = ("webhooks/test_webhook_deliveries.py",)

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "webhooks-bad-signature": ["webhooks.signature.valid"],
    "webhooks-old-timestamp": ["webhooks.timestamp.fresh"],
    "webhooks-no-retry": ["webhooks.retry.redelivered"],
    "webhooks-created-at-iso": ["webhooks.envelope.schema"],
    "webhooks-batch-silent": ["webhooks.batch.delivered"],
    "webhooks-wrong-id": ["webhooks.response.delivered", "webhooks.batch.delivered"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(pytester, monkeypatch, faults: frozenset[str], *extra: str) -> dict[str, Any]:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    port = free_port()
    config = ServerConfig(api_key=KEY, faults=faults, webhook_url=f"http://127.0.0.1:{port}/webhooks",
                          webhook_secrets=(SECRET,))  # fmt: skip
    report_dir = pytester.path / "reports"
    with briefly_serve(config) as server:
        pytester.runpytest_inprocess(
            *cases_args(report_dir, *CASES), "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV,
            "--oai-features", "webhooks,responses,batches,files,embeddings", "--oai-retries", "0",
            "--oai-read-timeout", "3", "--oai-webhook-listen", f"127.0.0.1:{port}",
            "--oai-webhook-secret-env", SECRET_ENV, *extra,
        )  # fmt: skip
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def test_every_webhook_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("webhooks-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    assert_caught(run(pytester, monkeypatch, frozenset({fault})), fault, rules)


def test_the_webhook_rules_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = run(pytester, monkeypatch, frozenset())
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("webhooks.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 8, judged
    assert results["verdict"] == "conformant"
    assert results["resources"]["left"] == []


def test_the_sdk_unwraps_what_the_reference_delivers() -> None:
    from conformance.reference import serve

    with (
        Receiver() as receiver,
        serve(ServerConfig(api_key=KEY, webhook_url=receiver.url, webhook_secrets=(SECRET,))) as server,
    ):
        calls = server._server.config.app.state.realtime
        ident = calls.ring()
        [delivery] = receiver.wait(lambda ds: bool(ds), 5)
    with openai.OpenAI(api_key=KEY, base_url=server.base_url, webhook_secret=SECRET) as sdk:
        event = sdk.webhooks.unwrap(delivery.body, delivery.headers)
    assert event.type == "realtime.call.incoming" and event.data.call_id == ident and event.object == "event"
