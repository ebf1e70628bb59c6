"""Clean-up: whatever a run creates on the server is deleted at its end, when cases fail and when it is
interrupted, and the report says what was created and deleted. Proven by looking into the reference server's
store after real runs of the real plugin."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import textwrap
from collections.abc import Iterator

import pytest

from conformance import ledger as ledger_module
from conformance.cli import cases_args
from conformance.exchange import Exchange
from conformance.ledger import Ledger
from conformance.reference import ServerConfig, serve

pytest_plugins = ["pytester"]

KEY_ENV = "OAI_TEST_LEDGER_KEY"
KEY = "sk-ledger-" + os.urandom(8).hex()


def exchange(method: str, path: str, status: int, body: object, request: object = None, sse: bool = False) -> Exchange:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange.build(
        method=method, url=f"http://127.0.0.1:1/v1{path}", request_headers={},
        request_body=json.dumps(request).encode() if request is not None else b"", status=status,
        response_headers={"content-type": "text/event-stream" if sse else "application/json"}, response_body=payload,
    )  # fmt: skip


def test_the_ledger_records_creations_and_deletions():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/responses", 200, {"id": "resp_1", "object": "response"}, {"store": True}))
    ledger.observe(exchange("POST", "/responses", 200, {"id": "resp_2", "object": "response"}, {"store": False}))
    created = {"type": "response.created", "response": {"id": "resp_3"}, "sequence_number": 0}
    ledger.observe(exchange("POST", "/responses", 200, f"data: {json.dumps(created)}\n\n".encode(), {}, sse=True))
    ledger.observe(exchange("POST", "/conversations", 200, {"id": "conv_1", "object": "conversation"}))
    ledger.observe(exchange("POST", "/conversations", 400, {"error": {"message": "no"}}))
    ledger.observe(exchange("DELETE", "/responses/resp_1", 200, {"deleted": True}))
    assert ledger.summary() == {
        "created": [{"kind": "response", "id": "resp_1"}, {"kind": "response", "id": "resp_3"},
                    {"kind": "conversation", "id": "conv_1"}],
        "deleted": ["resp_1"],
        "left": ["resp_3", "conv_1"],
    }  # fmt: skip
    deleted = []

    def delete(method: str, path: str) -> Exchange:
        assert method == "DELETE"
        deleted.append(path)
        return exchange("DELETE", path, 404 if path.endswith("resp_3") else 200, {})

    summary = ledger.clean_up(delete)
    assert deleted == ["/responses/resp_3", "/conversations/conv_1"], "only what is still alive, by its own path"
    assert summary["left"] == [], "a 404 means gone already"


def test_a_failed_delete_is_reported_as_left():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/conversations", 200, {"id": "conv_9"}))
    summary = ledger.clean_up(lambda method, path: exchange(method, path, 500, {"error": {"message": "down"}}))
    assert summary["left"] == ["conv_9"]


def test_what_cannot_be_deleted_is_ended_by_its_kind(monkeypatch):
    monkeypatch.setitem(ledger_module.CREATED_BY, "/batches", "batch")
    monkeypatch.setitem(ledger_module.ENDED_BY, "batch", ("POST", "/cancel"))
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_1"}))
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_2"}))
    ledger.observe(exchange("DELETE", "/batches/batch_1", 200, {}))  # not how a batch ends: still alive
    ledger.observe(exchange("POST", "/batches/batch_2/cancel", 200, {"id": "batch_2", "status": "cancelling"}))
    sent = []
    summary = ledger.clean_up(lambda method, path: sent.append((method, path)) or exchange(method, path, 200, {}))
    assert sent == [("POST", "/batches/batch_1/cancel")]
    assert summary["left"] == [] and summary["deleted"] == ["batch_1", "batch_2"]


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "two workers"])
def test_a_run_leaves_nothing_behind_even_when_cases_fail(pytester, monkeypatch, workers):
    monkeypatch.setenv(KEY_ENV, KEY)
    faults = frozenset({"responses-completed-at-cap", "conversation-not-appended", "pages-no-has-more"})
    report_dir = pytester.path / "reports"
    with serve(ServerConfig(api_key=KEY, faults=faults)) as server:
        result = pytester.runpytest_subprocess(
            *cases_args(report_dir, "responses", "conversations"),
            "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, *workers,
        )  # fmt: skip
        assert result.ret == 1, "the faults fail cases"
        assert server.store.responses == {} and server.store.conversations == {}
    results = json.loads((report_dir / "results.json").read_text())
    resources = results["resources"]
    assert len(resources["created"]) >= 15 and resources["left"] == []
    assert sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert f"{len(resources['created'])} created, {len(resources['created'])} deleted" in (
        report_dir / "certificate.md"
    ).read_text()


INTERRUPTED = """
    import os, signal

    import pytest

    @pytest.mark.requirement("conversations.create.schema")
    def test_creates_then_is_interrupted(oai_client, oai_judge):
        made = oai_client.request("POST", "/conversations", json={"metadata": {"n": "1"}})
        oai_client.request("POST", "/responses", json={"model": "gpt-4o-mini", "input": "hi"})
        os.kill(os.getpid(), signal.{signal})

    def test_never_reached():
        pass
"""


@contextlib.contextmanager
def children_get_the_default_sigint() -> Iterator[None]:
    """A shell that starts a command in the background (`pytest &` in a script) makes it ignore SIGINT, and its
    children inherit that: the inner run would never see its Ctrl-C. A handled signal, unlike an ignored one, is
    back to its default in a child that execs, where Python then makes it KeyboardInterrupt; so while a child
    starts, this process handles SIGINT (as an interactive Python would)."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_interrupted_run_cleans_up(pytester, monkeypatch, sig):
    monkeypatch.setenv(KEY_ENV, KEY)
    pytester.makepyfile(test_interrupted=textwrap.dedent(INTERRUPTED).replace("{signal}", sig))
    with serve(ServerConfig(api_key=KEY)) as server, children_get_the_default_sigint():
        result = pytester.runpytest_subprocess(
            "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "--oai-report-dir", "out"
        )
        assert result.ret != 0
        assert server.store.conversations == {} and server.store.responses == {}, result.stdout.str()[-1500:]
