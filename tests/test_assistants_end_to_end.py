"""The Assistants API end to end: the bundled cases pass against the reference server and delete what they made,
and each assistants fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import json
import textwrap

import httpx
import pytest

from conformance.exchange import Exchange
from conformance.ledger import Ledger
from conformance.reference import FAULTS, ServerConfig, serve
from tests._assistant_faults import BETA
from tests._runs import assert_caught, certify
from tests.test_ledger import KEY, KEY_ENV, children_get_the_default_sigint

pytest_plugins = ["pytester"]

CASES = "assistants/test_assistants.py"
# fault -> the requirements its run must fail
CAUGHT = {
    "assistants-metadata-dropped": ["assistants.create.echoes"],
    "assistants-modify-not-kept": ["assistants.modify.kept"],
    "assistants-delete-kept": ["assistants.delete.deleted"],
    "assistants-beta-header-ignored": ["assistants.beta-header.required"],
    "assistants-lists-repeat-cursor": ["assistants.pages.walk-once", "assistants.messages.pages.after-continues"],
    "assistants-thread-messages-dropped": ["assistants.threads.create.messages", "assistants.runs.thread-and-run"],
    "assistants-thread-delete-kept": ["assistants.threads.delete.deleted"],
    "assistants-run-filter-ignored": ["assistants.messages.list.run-id"],
    "assistants-run-status-regresses": ["assistants.runs.status.transitions"],
    "assistants-required-action-empty": ["assistants.runs.required-action"],
    "assistants-step-call-mismatch": ["assistants.runs.step-tool-calls"],
    "assistants-submit-ignored": ["assistants.runs.submit.continues"],
    "assistants-run-cancel-ignored": ["assistants.runs.cancel.cancelled"],
    "assistants-run-no-reply": ["assistants.runs.completed.message"],
    "assistants-stream-in-progress-first": ["assistants.stream.run-order"],
    "assistants-stream-deltas-short": ["assistants.stream.message-text"],
    "assistants-stream-no-done": ["assistants.stream.done-last"],
    "assistants-include-ignored": ["assistants.runs.steps.file-search-content"],
}
ASSISTANTS_FAULTS = {f for f in FAULTS if f.startswith("assistants-")}


def test_every_assistants_fault_is_caught_here() -> None:
    assert set(CAUGHT) == ASSISTANTS_FAULTS | {"assistants-lists-repeat-cursor"}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("assistants.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 48, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert {c["kind"] for c in resources["created"]} == {"assistant", "thread", "file", "vector_store"}


# --- the ledger: what a run makes is deleted, a thread made and run included, also on Ctrl-C ----------------------


def exchange(path: str, body: object, request: object, sse: bool = False) -> Exchange:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange.build(
        method="POST",
        url=f"http://127.0.0.1:1/v1{path}",
        request_headers={},
        request_body=json.dumps(request).encode(),
        status=200,
        response_headers={"content-type": "text/event-stream" if sse else "application/json"},
        response_body=payload,
    )


def test_the_ledger_learns_assistants_and_threads_a_run_made() -> None:
    ledger = Ledger("/v1")
    ledger.observe(exchange("/assistants", {"id": "asst_1", "object": "assistant"}, {"model": "m"}))
    ledger.observe(exchange("/threads", {"id": "thread_1", "object": "thread"}, {}))
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_2", "status": "queued"}
    ledger.observe(exchange("/threads/runs", run, {"assistant_id": "asst_1"}))
    stream = (
        f"event: thread.created\ndata: {json.dumps({'id': 'thread_3', 'object': 'thread'})}\n\n"
        f"event: thread.run.created\ndata: {json.dumps({**run, 'id': 'run_2', 'thread_id': 'thread_3'})}\n\n"
    )
    ledger.observe(exchange("/threads/runs", stream.encode(), {"assistant_id": "asst_1", "stream": True}, sse=True))
    ledger.observe(exchange("/threads/thread_1/runs", {**run, "id": "run_3", "thread_id": "thread_1"}, {}))
    ledger.observe(exchange("/threads/thread_1/messages", {"id": "msg_1", "object": "thread.message"}, {}))
    paths = {e.id: e.path for e in ledger.entries.values()}
    assert paths == {"asst_1": "/assistants/asst_1", "thread_1": "/threads/thread_1", "thread_2": "/threads/thread_2",
                     "thread_3": "/threads/thread_3"}, "runs and messages go with their thread"  # fmt: skip


INTERRUPTED = """
    import json, os, signal

    import pytest

    @pytest.mark.requirement("assistants.create.schema")
    def test_creates_then_is_interrupted(oai_client, oai_judge):
        made = oai_client.request("POST", "/assistants", json={"model": "gpt-4o-mini"}).response.json
        thread = oai_client.request("POST", "/threads", json={}).response.json
        run = oai_client.request("POST", "/threads/runs", json={"assistant_id": made["id"]}).response.json
        oai_client.request("POST", f"/threads/{thread['id']}/runs", json={"assistant_id": made["id"], "stream": True})
        with open("made.json", "w") as out:
            json.dump([f"/assistants/{made['id']}", f"/threads/{thread['id']}", f"/threads/{run['thread_id']}"], out)
        os.kill(os.getpid(), signal.SIGINT)

    def test_never_reached():
        pass
"""


def test_an_interrupted_run_deletes_its_assistants_and_threads(pytester, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    pytester.makepyfile(test_interrupted=textwrap.dedent(INTERRUPTED))
    with serve(ServerConfig(api_key=KEY)) as server, children_get_the_default_sigint():
        result = pytester.runpytest_subprocess(
            "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "--oai-report-dir", "out"
        )
        made = json.loads((pytester.path / "made.json").read_text())
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}", **BETA}) as http:
            after = {path: http.get(path).status_code for path in made}
    assert result.ret != 0
    assert after == dict.fromkeys(made, 404), "the interrupted run deleted the assistant and both threads"
