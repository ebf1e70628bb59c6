"""Clean-up: whatever a run creates on the server is deleted at its end, when cases fail and when it is
interrupted, and the report says what was created and deleted. Proven by looking into the reference server's
store after real runs of the real plugin."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import textwrap
import time
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


def test_a_collection_below_an_object_creates_objects_of_its_kind():
    """`{name}` in a CREATED_BY path stands for one segment: a vector store's file batches are recorded (and
    ended by their cancel unless seen finished), while the store's other POSTs (attach, search, modify) make
    nothing the run must end."""
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/vector_stores", 200, {"id": "vs_1", "object": "vector_store"}))
    for body in ({"id": "vsfb_1", "status": "in_progress"}, {"id": "vsfb_2", "status": "in_progress"}):
        ledger.observe(exchange("POST", "/vector_stores/vs_1/file_batches", 200, body))
    ledger.observe(exchange("GET", "/vector_stores/vs_1/file_batches/vsfb_2", 200,
                            {"id": "vsfb_2", "status": "completed"}))  # fmt: skip
    ledger.observe(exchange("POST", "/vector_stores/vs_1/files", 200, {"id": "file-1", "object": "vector_store.file"}))
    ledger.observe(exchange("POST", "/vector_stores/vs_1/search", 200, {"object": "vector_store.search_results.page"}))
    ledger.observe(exchange("POST", "/vector_stores/vs_1", 200, {"id": "vs_1", "object": "vector_store"}))
    ledger.observe(exchange("POST", "/vector_stores//file_batches", 200, {"id": "vsfb_3"}))  # no store id: no match
    assert ledger.summary()["created"] == [
        {"kind": "vector_store", "id": "vs_1"},
        {"kind": "vector_store.file_batch", "id": "vsfb_1"},
        {"kind": "vector_store.file_batch", "id": "vsfb_2"},
    ]
    assert ledger.summary()["left"] == ["vs_1", "vsfb_1"], "a batch seen completed needs no cancel"
    sent = []
    # The store goes first (it was made first); its batch is then gone with it: the cancel's 404 ends it.
    summary = ledger.clean_up(
        lambda method, path: sent.append((method, path)) or exchange(method, path, 404 if "vsfb" in path else 200, {})
    )
    assert sent == [("DELETE", "/vector_stores/vs_1"), ("POST", "/vector_stores/vs_1/file_batches/vsfb_1/cancel")]
    assert summary["left"] == []


def test_files_are_deleted_and_uploads_cancelled():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/files", 200, {"id": "file-1", "object": "file", "purpose": "user_data"}))
    ledger.observe(exchange("POST", "/files", 400, {"error": {"message": "empty"}}))
    ledger.observe(exchange("POST", "/uploads", 200, {"id": "upload_1", "object": "upload", "status": "pending"}))
    ledger.observe(exchange("POST", "/uploads", 200, {"id": "upload_2", "object": "upload", "status": "pending"}))
    ledger.observe(exchange("POST", "/uploads/upload_2/cancel", 200, {"id": "upload_2", "status": "cancelled"}))
    sent = []
    summary = ledger.clean_up(lambda method, path: sent.append((method, path)) or exchange(method, path, 200, {}))
    assert sent == [("DELETE", "/files/file-1"), ("POST", "/uploads/upload_1/cancel")], "delete, or cancel"
    assert summary["left"] == [] and summary["deleted"] == ["file-1", "upload_1", "upload_2"]


def test_a_completed_upload_is_ended_and_the_file_it_made_is_deleted():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/uploads", 200, {"id": "upload_1", "status": "pending"}))
    ledger.observe(exchange("POST", "/uploads/upload_1/complete", 400, {"error": {"message": "wrong md5"}}))
    assert ledger.summary()["left"] == ["upload_1"], "a refused completion ends nothing"
    done = {"id": "upload_1", "status": "completed", "file": {"id": "file-9", "object": "file"}}
    ledger.observe(exchange("POST", "/uploads/upload_1/complete", 200, done))
    assert ledger.summary() == {
        "created": [{"kind": "upload", "id": "upload_1"}, {"kind": "file", "id": "file-9"}],
        "deleted": ["upload_1"],
        "left": ["file-9"],
    }
    # A server that completes a cancelled upload made a File all the same: the run deletes it too.
    ledger.observe(exchange("POST", "/uploads", 200, {"id": "upload_2", "status": "pending"}))
    ledger.observe(exchange("POST", "/uploads/upload_2/cancel", 200, {"id": "upload_2", "status": "cancelled"}))
    late = {"id": "upload_2", "status": "completed", "file": {"id": "file-10"}}
    ledger.observe(exchange("POST", "/uploads/upload_2/complete", 200, late))
    sent = []
    summary = ledger.clean_up(lambda method, path: sent.append((method, path)) or exchange(method, path, 200, {}))
    assert sent == [("DELETE", "/files/file-9"), ("DELETE", "/files/file-10")], "no cancel of a completed upload"
    assert summary["left"] == []


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


# --- batches ---------------------------------------------------------------------------------------------------


def test_a_batch_seen_finished_is_not_cancelled_and_the_files_it_made_are_deleted():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/files", 200, {"id": "file-in", "object": "file", "purpose": "batch"}))
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_1", "object": "batch", "status": "validating"}))
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_2", "object": "batch", "status": "validating"}))
    done = {"id": "batch_1", "object": "batch", "status": "completed", "output_file_id": "file-out",
            "error_file_id": "file-err"}  # fmt: skip
    ledger.observe(exchange("GET", "/batches/batch_1", 200, done))
    # The account's other batches, listed beside the run's own: their files are not the run's to delete.
    other = {"id": "batch_other", "object": "batch", "status": "completed", "output_file_id": "file-theirs"}
    ledger.observe(exchange("GET", "/batches", 200, {"object": "list", "data": [other, done]}))
    sent = []
    summary = ledger.clean_up(lambda method, path: sent.append((method, path)) or exchange(method, path, 200, {}))
    assert sent == [("DELETE", "/files/file-in"), ("POST", "/batches/batch_2/cancel"), ("DELETE", "/files/file-out"),
                    ("DELETE", "/files/file-err")], "no cancel of the completed batch"  # fmt: skip
    assert summary["left"] == []
    assert {e["id"] for e in summary["created"]} == {"file-in", "batch_1", "batch_2", "file-out", "file-err"}


def test_a_batch_that_ended_unseen_is_looked_up_and_its_files_deleted():
    """The cancel of a batch that finished meanwhile is refused: the clean-up reads it, and deletes what it made."""
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_1", "object": "batch", "status": "in_progress"}))
    sent = []
    done = {"id": "batch_1", "object": "batch", "status": "completed", "output_file_id": "file-out"}

    def send(method: str, path: str) -> Exchange:
        sent.append((method, path))
        if path.endswith("/cancel"):
            return exchange(method, path, 400, {"error": {"message": "Cannot cancel a batch with status 'completed'."}})
        return exchange(method, path, 200, done if method == "GET" else {})

    summary = ledger.clean_up(send)
    assert sent == [("POST", "/batches/batch_1/cancel"), ("GET", "/batches/batch_1"), ("DELETE", "/files/file-out")]
    assert summary["left"] == [] and summary["deleted"] == ["batch_1", "file-out"]


def test_a_batch_whose_cancel_fails_for_another_reason_is_left():
    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/batches", 200, {"id": "batch_1", "object": "batch", "status": "in_progress"}))
    running = {"id": "batch_1", "object": "batch", "status": "in_progress"}
    refused = lambda method, path: exchange(method, path, *((500, {}) if method == "POST" else (200, running)))  # noqa: E731
    summary = ledger.clean_up(refused)
    assert summary["left"] == ["batch_1"]


INTERRUPTED_BATCH = """
    import json, os, signal

    import pytest

    @pytest.mark.requirement("batches.status.transitions")
    def test_polls_a_batch_then_is_interrupted(oai_client, oai_judge):
        line = {"custom_id": "a", "method": "POST", "url": "/v1/embeddings",
                "body": {"model": "text-embedding-3-small", "input": "OK"}}
        files = [("purpose", (None, "batch")), ("file", ("in.jsonl", json.dumps(line).encode(), "application/jsonl"))]
        made = oai_client.request("POST", "/files", files=files).response.json
        batch = oai_client.request("POST", "/batches", json={
            "input_file_id": made["id"], "endpoint": "/v1/embeddings", "completion_window": "24h"}).response.json
        oai_client.request("GET", f"/batches/{batch['id']}")  # polling it
        os.kill(os.getpid(), signal.SIGINT)

    def test_never_reached():
        pass
"""


def test_a_run_interrupted_while_a_batch_runs_leaves_nothing_behind(pytester, monkeypatch):
    import httpx

    monkeypatch.setenv(KEY_ENV, KEY)
    pytester.makepyfile(test_interrupted_batch=textwrap.dedent(INTERRUPTED_BATCH))
    with serve(ServerConfig(api_key=KEY)) as server, children_get_the_default_sigint():
        result = pytester.runpytest_subprocess(
            "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "--oai-report-dir", "out"
        )
        assert result.ret != 0
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
            [batch] = http.get("/batches").json()["data"]
            # Cancelled by the clean-up (on a loaded machine it may have completed first: then its files went too).
            assert batch["status"] in ("cancelling", "cancelled", "completed"), result.stdout.str()[-1500:]
            time.sleep(0.5)  # a cancelled batch ends cancelled, having run nothing and made no file
            assert http.get(f"/batches/{batch['id']}").json()["status"] in ("cancelled", "completed")
            assert http.get("/files").json()["data"] == [], "the input file deleted, no output file left"
