"""Batches end to end: the official `openai` SDK drives files.create and batches.create/retrieve/cancel/list against
the reference server, and each batches fault of the reference server is caught through client, cases, plugin and
reports."""

from __future__ import annotations

import json
import os
import time

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-batches-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
CASES = "batches/test_batches.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "batches-status-regresses": ["batches.status.transitions"],
    "batches-no-in-progress-at": ["batches.status.timestamps"],
    "batches-counts-wrong": ["batches.request-counts.adds-up"],
    "batches-output-no-status-code": ["batches.output.line-shape"],
    "batches-output-usage-wrong": ["batches.output.body-valid"],
    "batches-custom-id-lost": ["batches.output.custom-ids"],
    "batches-failed-line-in-output": ["batches.errors.bad-line"],
    "batches-cancel-ignored": ["batches.cancel.cancelling"],
    "batches-wrong-window-accepted": ["batches.create.wrong-window"],
    "batches-unknown-endpoint-accepted": ["batches.create.unknown-endpoint"],
    "batches-any-file-accepted": ["batches.create.not-batch-file"],
    "batches-invalid-file-completes": ["batches.failed.invalid-file"],
    "batches-after-ignored": ["batches.pages.after-continues"],
    "batches-output-purpose-wrong": ["batches.output.file-object"],
    "batches-metadata-dropped": ["batches.create.echoes"],
    "batches-retrieve-created-shifted": ["batches.retrieve.same"],
    "batches-not-listed": ["batches.list.contains"],
    # Every list of the reference server honours it, the batches list too.
    "pages-no-has-more": ["batches.pages.has-more"],
}
LINES = [
    {"custom_id": "hello", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": MODEL, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}},
    {"custom_id": "refused", "method": "POST", "url": "/v1/chat/completions", "body": {"model": MODEL}},
]  # fmt: skip


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def jsonl(lines: list[dict]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def until_done(client, ident: str, wait: float = 10.0):
    deadline = time.monotonic() + wait
    while True:
        batch = client.batches.retrieve(ident)
        if batch.status in ("completed", "failed", "expired", "cancelled") or time.monotonic() > deadline:
            return batch
        time.sleep(0.05)


def test_the_sdk_runs_a_batch_and_reads_its_files(client) -> None:
    uploaded = client.files.create(file=("requests.jsonl", jsonl(LINES)), purpose="batch")
    made = client.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"run": "sdk"},
        output_expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert made.status == "validating" and made.metadata == {"run": "sdk"} and made.input_file_id == uploaded.id
    done = until_done(client, made.id)
    assert done.status == "completed", done
    assert done.request_counts is not None and (done.request_counts.completed, done.request_counts.failed) == (1, 1)
    assert done.in_progress_at and done.finalizing_at and done.completed_at and done.created_at <= done.completed_at
    assert done.output_file_id and done.error_file_id
    [output] = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert output["custom_id"] == "hello" and output["response"]["status_code"] == 200
    answer = openai.types.chat.ChatCompletion.model_validate(output["response"]["body"])
    assert answer.choices[0].message.content and answer.usage is not None
    [error] = [json.loads(line) for line in client.files.content(done.error_file_id).text.splitlines()]
    assert error["custom_id"] == "refused" and error["response"]["status_code"] == 400
    assert error["response"]["body"]["error"]["param"] == "messages"
    results = client.files.retrieve(done.output_file_id)
    assert results.purpose == "batch_output" and results.expires_at == results.created_at + 3600


def test_the_sdk_cancels_and_lists(client) -> None:
    uploaded = client.files.create(file=("requests.jsonl", jsonl(LINES[:1])), purpose="batch")
    made = [
        client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
        for _ in range(3)
    ]
    cancelling = client.batches.cancel(made[-1].id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    assert until_done(client, made[-1].id).status == "cancelled"
    assert client.batches.cancel(made[-1].id).status == "cancelled", "cancelled again: the same"
    walked = [b.id for b in client.batches.list(limit=1)]  # the SDK follows `after` page by page
    assert walked[:3] == [b.id for b in made[::-1]], "newest first"
    assert len(walked) == len(set(walked))


def test_the_sdk_sees_the_errors(client) -> None:
    other = client.files.create(file=("notes.jsonl", jsonl(LINES[:1])), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="purpose"):
        client.batches.create(input_file_id=other.id, endpoint="/v1/chat/completions", completion_window="24h")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=other.id, endpoint="/v1/chat/completions", completion_window="48h")  # type: ignore[arg-type]
    assert refused.value.param == "completion_window"
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_unknown")
    uploaded = client.files.create(file=("requests.jsonl", jsonl(LINES[:1])), purpose="batch")
    made = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert until_done(client, made.id).status == "completed"
    with pytest.raises(openai.BadRequestError, match="Cannot cancel"):
        client.batches.cancel(made.id)


def test_a_file_of_no_batch_requests_fails(client) -> None:
    lines = [{"method": "POST", "url": "/v1/chat/completions", "body": LINES[0]["body"]}]
    uploaded = client.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    made = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    failed = until_done(client, made.id)
    assert failed.status == "failed" and failed.failed_at and failed.errors and failed.errors.data
    assert failed.errors.data[0].line == 1 and failed.errors.data[0].param == "custom_id"


def test_every_batches_fault_is_caught_here() -> None:
    assert {f for f in CAUGHT if f.startswith("batches-")} == {f for f in FAULTS if f.startswith("batches-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("batches.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 24, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    kinds = {c["kind"] for c in resources["created"]}
    assert kinds == {"file", "batch"}, "the uploaded files, the batches and the files they made"
