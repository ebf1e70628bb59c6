"""Batches: a batch per endpoint the server claims (two tiny lines each, one of them made to fail in the first),
followed over polling to its end, its output and error files read line by line; a batch whose file holds no batch
requests; cancel; the list and its pages; and the create errors.

Every batch is created from a `.jsonl` file the case uploads (POST /files, purpose `batch`). A batch may take up
to its 24 h window: the cases poll within `BATCH_WAIT` seconds, and the rules that need an end the batch did not
reach in that time skip, saying what was seen. What a case makes is ended by the ledger: the files deleted, the
batches cancelled unless they finished, the output and error files they made deleted.
"""

import json
import time

import pytest

from conformance.case import BatchLife, Lifecycle, requirement, walk

# How long a case polls a batch at most (the real API promises 24 h; small batches usually end in minutes).
BATCH_WAIT = 120.0
FIRST_POLL, LONGEST_POLL = 0.25, 5.0
RUNNING = ("validating", "in_progress", "finalizing", "cancelling")
# The endpoint of each feature, with a tiny request body for it and the same body made to fail (a 400).
ENDPOINTS = {
    "chat": "/v1/chat/completions",
    "embeddings": "/v1/embeddings",
    "responses": "/v1/responses",
    "completions": "/v1/completions",
}
LIFE = (
    "batches.retrieve.same",
    "batches.status.transitions",
    "batches.status.timestamps",
    "batches.request-counts.adds-up",
    "batches.output.line-shape",
    "batches.output.body-valid",
    "batches.output.custom-ids",
    "batches.output.file-object",
)
CREATED = ("batches.create.schema", "batches.create.echoes")
PAGES = (
    "batches.pages.limit",
    "batches.pages.has-more",
    "batches.pages.first-last-ids",
    "batches.pages.after-continues",
    "batches.pages.walk-once",
    "batches.pages.invalid-limit",
)
METADATA = {"oai_conformance": "batches"}
# Output and error files expire an hour after they are made (the API's smallest expiry).
EXPIRY = {"anchor": "created_at", "seconds": 3600}


def body_for(feature: str, model: str, bad: bool = False) -> dict:
    """The cheapest request to the feature's endpoint; `bad`: one the endpoint refuses with 400."""
    if feature == "chat":
        body = {"model": model, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}
        return {k: v for k, v in body.items() if k != "messages"} if bad else body
    if feature == "embeddings":
        return {"model": model} if bad else {"model": model, "input": "OK"}
    if feature == "responses":
        body = {"model": model, "input": "Say OK.", "max_output_tokens": 16, "store": False}
    else:
        body = {"model": model, "prompt": "Say OK.", "max_tokens": 8}
    return {**body, "temperature": 9} if bad else body


def line(custom_id: str, endpoint: str, body: dict) -> dict:
    return {"custom_id": custom_id, "method": "POST", "url": endpoint, "body": body}


def upload(oai_client, lines, purpose: str = "batch"):
    data = b"".join(json.dumps(item).encode() + b"\n" for item in lines)
    files = [("purpose", (None, purpose)), ("file", ("oai-conformance-batch.jsonl", data, "application/jsonl"))]
    exchange = oai_client.request("POST", "/files", files=files)
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        pytest.skip(f"uploading a {purpose} file failed, so a batch cannot be made of it: {exchange.response}")
    return found["id"]


def create(oai_client, file_id: str, endpoint: str, **extra):
    body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h", **extra}
    return oai_client.request("POST", "/batches", json=body)


def created_id(exchange) -> str:
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        pytest.skip(f"creating a batch failed, so its rules cannot be judged: {exchange.response}")
    return found["id"]


def status_of(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    return body.get("status") if isinstance(body, dict) else None


def poll(oai_client, steps: dict) -> None:
    """GET each batch (id -> its steps) while it runs, BATCH_WAIT at most; each answer is a "poll" step."""
    deadline = time.monotonic() + BATCH_WAIT
    wait = FIRST_POLL
    running = set(steps)
    while running and time.monotonic() < deadline:
        for ident in sorted(running):
            got = oai_client.request("GET", f"/batches/{ident}")
            steps[ident].append(("poll", got))
            if status_of(got) not in RUNNING:  # ended, or no batch at all: nothing more to wait for
                running.discard(ident)
        if running:
            time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            wait = min(wait * 2, LONGEST_POLL)


def read_files(oai_client, exchange) -> list:
    """The output and error files a finished batch names, as steps: their content and their file objects."""
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    steps = []
    for key, name in (("output_file_id", "output"), ("error_file_id", "errors")):
        file_id = body.get(key) if isinstance(body, dict) else None
        if isinstance(file_id, str) and file_id:
            steps.append((name, oai_client.request("GET", f"/files/{file_id}/content")))
            steps.append((f"{name.removesuffix('s')}-file", oai_client.request("GET", f"/files/{file_id}")))
    return steps


@requirement(*CREATED, *LIFE, "batches.errors.bad-line")
def test_a_batch_per_endpoint(oai_client, oai_target, oai_judge):
    claimed = [feature for feature in ENDPOINTS if oai_target.claims(feature)]
    if not claimed:
        pytest.skip("the server claims none of chat, embeddings, responses, completions: a batch has nothing to run")
    made = {}
    for n, feature in enumerate(claimed):
        endpoint, model = ENDPOINTS[feature], oai_target.model(feature)
        lines = [line(f"{feature}-1", endpoint, body_for(feature, model)),
                 line(f"{feature}-2", endpoint, body_for(feature, model, bad=n == 0))]  # fmt: skip
        exchange = create(oai_client, upload(oai_client, lines), endpoint, metadata=METADATA,
                          output_expires_after=EXPIRY)  # fmt: skip
        oai_judge(exchange, *CREATED)
        made[created_id(exchange)] = (exchange, lines, (f"{feature}-2",) if n == 0 else ())
    steps = {ident: [("retrieve", oai_client.request("GET", f"/batches/{ident}"))] for ident in made}
    poll(oai_client, steps)
    for ident, (exchange, lines, bad) in made.items():
        taken = steps[ident]
        life = BatchLife(exchange, (*taken, *read_files(oai_client, taken[-1][1])), lines=tuple(lines), bad=bad,
                         waited=BATCH_WAIT)  # fmt: skip
        oai_judge(life, *LIFE, *(("batches.errors.bad-line",) if bad else ()))


@requirement("batches.failed.invalid-file", "batches.status.transitions", "batches.status.timestamps")
def test_a_file_of_no_batch_requests_fails(oai_client, oai_target, oai_judge):
    feature = next((f for f in ENDPOINTS if oai_target.claims(f)), "embeddings")
    endpoint = ENDPOINTS[feature]
    # JSON Lines, but no line says its custom_id: nothing runs, the batch fails when it is validated.
    lines = [{"method": "POST", "url": endpoint, "body": body_for(feature, oai_target.model(feature))}]
    exchange = create(oai_client, upload(oai_client, lines), endpoint, metadata=METADATA)
    ident = created_id(exchange)
    steps = {ident: []}
    poll(oai_client, steps)
    life = BatchLife(exchange, tuple(steps[ident]), lines=tuple(lines), waited=BATCH_WAIT)
    oai_judge(life, "batches.failed.invalid-file", "batches.status.transitions", "batches.status.timestamps")


# Alone: its cancel must arrive before the batch moves on by itself (0.2 s a state on the reference server), which
# no other case in flight may delay.
@pytest.mark.alone
@requirement("batches.cancel.cancelling", "batches.status.transitions", "batches.status.timestamps")
def test_cancel_a_batch(oai_client, oai_target, oai_judge):
    feature = next((f for f in ENDPOINTS if oai_target.claims(f)), "embeddings")
    endpoint = ENDPOINTS[feature]
    lines = [line(f"{feature}-1", endpoint, body_for(feature, oai_target.model(feature)))]
    exchange = create(oai_client, upload(oai_client, lines), endpoint, metadata=METADATA)
    ident = created_id(exchange)
    steps = {ident: [("cancel", oai_client.request("POST", f"/batches/{ident}/cancel"))]}
    poll(oai_client, steps)
    life = BatchLife(exchange, tuple(steps[ident]), lines=tuple(lines), waited=BATCH_WAIT)
    oai_judge(life, "batches.cancel.cancelling", "batches.status.transitions", "batches.status.timestamps")


@requirement("batches.list.contains", *PAGES)
def test_batches_list(oai_client, oai_target, oai_judge):
    # Three batches of one file, cancelled at once (nothing runs); the walk starts after the newest of them, so
    # that batches created meanwhile (the whole account shares the list) do not move its pages.
    feature = next((f for f in ENDPOINTS if oai_target.claims(f)), "embeddings")
    endpoint = ENDPOINTS[feature]
    file_id = upload(oai_client, [line(f"{feature}-1", endpoint, body_for(feature, oai_target.model(feature)))])
    made = [create(oai_client, file_id, endpoint, metadata=METADATA) for _ in range(3)]
    idents = [created_id(exchange) for exchange in made]
    for ident in idents:
        oai_client.request("POST", f"/batches/{ident}/cancel")
    listing = oai_client.request("GET", "/batches", params={"limit": 100})
    oai_judge(Lifecycle(made[0], (*(("created", e) for e in made[1:]), ("list", listing))), "batches.list.contains")
    oai_judge(walk(oai_client, "/batches", limit=1, params={"after": idents[-1]}, ordered=False, window=4), *PAGES)


@requirement(
    "batches.create.not-batch-file",
    "batches.create.unknown-endpoint",
    "batches.create.wrong-window",
    "batches.retrieve.unknown",
    "errors.envelope.schema",
)
def test_batch_errors(oai_client, oai_target, oai_judge):
    feature = next((f for f in ENDPOINTS if oai_target.claims(f)), "embeddings")
    endpoint = ENDPOINTS[feature]
    lines = [line(f"{feature}-1", endpoint, body_for(feature, oai_target.model(feature)))]
    batch_file, other_file = upload(oai_client, lines), upload(oai_client, lines, purpose="user_data")
    cases = (
        ("batches.create.not-batch-file", create(oai_client, other_file, endpoint)),
        ("batches.create.unknown-endpoint", create(oai_client, batch_file, "/v1/audio/speech")),
        ("batches.create.wrong-window", oai_client.request("POST", "/batches", json={
            "input_file_id": batch_file, "endpoint": endpoint, "completion_window": "48h"})),
        ("batches.retrieve.unknown", oai_client.request("GET", "/batches/batch_00000000000000000000000000000000")),
    )  # fmt: skip
    for rid, exchange in cases:
        oai_judge(exchange, rid, "errors.envelope.schema")
