"""Vector stores: a store over its life, a store made with files, a file attached, read, filtered, updated and
detached, a file that cannot be read, file batches (completed and cancelled), search, and the Responses API's
file_search tool over a store.

Each case makes at most one vector store holding at most one small file (uploaded through POST /files), and deletes
both before it ends; what a failing case leaves is deleted by the ledger at the end of the run. A file is polled
until it is no longer in progress, at most `WAIT` seconds (the API indexes a small file in seconds).
"""

import secrets
import time

import pytest

from conformance.case import Lifecycle, requirement, responses_body, walk

WAIT = 120.0
FILENAME = "lighthouse-notes.txt"
SENTENCE = (
    "The lighthouse keeper writes the weather, the tides and every passing ship in a blue notebook before the lamp "
    "is lit. "
)
# 12 sentences of 20 words between a first and a last one: three chunks or more at 100 tokens each. `wombat` is in
# the first chunk only, `quokka` in the last only, `lighthouse` in every one.
TEXT = (
    "A wombat sleeps under the stairs of the old lighthouse. " + SENTENCE * 12 + "A quokka visits the island in spring."
)
DATA = TEXT.encode()
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
ATTRIBUTES = {"topic": "lighthouse", "year": 2024, "public": True}
# Bytes that are no text in any encoding a file search reads.
UNREADABLE = bytes(range(128, 256)) * 4
FILE_PAGES = (
    "vector-stores.files.pages.limit",
    "vector-stores.files.pages.has-more",
    "vector-stores.files.pages.first-last-ids",
    "vector-stores.files.pages.after-continues",
    "vector-stores.files.pages.walk-once",
    "vector-stores.files.pages.order-reverses",
    "vector-stores.files.pages.invalid-limit",
)
STORE_PAGES = (
    "vector-stores.pages.limit",
    "vector-stores.pages.has-more",
    "vector-stores.pages.first-last-ids",
    "vector-stores.pages.after-continues",
    "vector-stores.pages.walk-once",
    "vector-stores.pages.invalid-limit",
)
BATCH_PAGES = (
    "vector-stores.batches.files.pages.limit",
    "vector-stores.batches.files.pages.has-more",
    "vector-stores.batches.files.pages.first-last-ids",
    "vector-stores.batches.files.pages.after-continues",
    "vector-stores.batches.files.pages.walk-once",
    "vector-stores.batches.files.pages.order-reverses",
    "vector-stores.batches.files.pages.invalid-limit",
)


def tag() -> str:
    return f"oai-{secrets.token_hex(6)}"


def answered(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    return body if isinstance(body, dict) else None


def upload(oai_client, data=DATA, name=FILENAME):
    files = [("purpose", (None, "assistants")), ("file", (name, data, "text/plain"))]
    exchange = oai_client.request("POST", "/files", files=files)
    body = answered(exchange)
    if body is None or not isinstance(body.get("id"), str):
        pytest.skip(f"uploading a file failed, so the vector store rules cannot be judged: {exchange.response}")
    return exchange, body["id"]


def create_store(oai_client, **body):
    # A name of the case's own: some servers (Llama Stack) take a store's name for its id, so cases running at once
    # must not share one.
    exchange = oai_client.request("POST", "/vector_stores", json={"name": tag(), **body})
    found = answered(exchange)
    if found is None or not isinstance(found.get("id"), str):
        pytest.skip(f"creating a vector store failed, so its rules cannot be judged: {exchange.response}")
    return exchange, found["id"]


def poll(oai_client, path, name, steps, waiting=lambda body: body.get("status") == "in_progress"):
    """GET `path` until `waiting(body)` is false (or WAIT passed), each answer a step `name`; the last body."""
    deadline, delay = time.monotonic() + WAIT, 0.1
    while True:
        exchange = oai_client.request("GET", path)
        steps.append((name, exchange))
        body = answered(exchange)
        if body is None or not waiting(body) or time.monotonic() > deadline:
            return body
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def ready(oai_client, store, file_id, steps):
    """Attach the case's file with its attributes and static chunking, and wait for it: the attach exchange."""
    body = {"file_id": file_id, "attributes": ATTRIBUTES, "chunking_strategy": STATIC}
    attach = oai_client.request("POST", f"/vector_stores/{store}/files", json=body)
    steps.append(("attach", attach))
    if answered(attach) is None:
        pytest.skip(f"attaching a file failed, so the rules that read it cannot be judged: {attach.response}")
    poll(oai_client, f"/vector_stores/{store}/files/{file_id}", "poll", steps)
    return attach


def clean_up(oai_client, store, file_id):
    """What the case made: the store (when the case did not delete it) and the file."""
    if store is not None:
        oai_client.request("DELETE", f"/vector_stores/{store}")
    oai_client.request("DELETE", f"/files/{file_id}")


# --- the store ----------------------------------------------------------------------------------------------------

LIFE = (
    "vector-stores.create.schema",
    "vector-stores.create.expires-at",
    "vector-stores.retrieve.same",
    "vector-stores.modify.kept",
    "vector-stores.list.contains",
    "vector-stores.delete.deleted",
)


@requirement(*LIFE)
def test_vector_store_life(oai_client, oai_judge):
    run = tag()
    made, store = create_store(
        oai_client, metadata={"oai_run": run}, expires_after={"anchor": "last_active_at", "days": 7}
    )
    path = f"/vector_stores/{store}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("modify", oai_client.request("POST", path, json={"name": "oai-conformance-renamed",
                                                          "metadata": {"oai_run": run, "step": "modified"}})),
        ("retrieve-modified", oai_client.request("GET", path)),
        ("list", oai_client.request("GET", "/vector_stores", params={"limit": 100, "order": "desc"})),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )  # fmt: skip
    oai_judge(Lifecycle(made, steps), *LIFE)


@pytest.mark.alone  # its window is the account's newest stores: another case's would enter it, or leave it
@requirement(*STORE_PAGES)
def test_vector_stores_list_pages(oai_client, oai_judge):
    # Four stores; the window is the three after the newest, newest first, in pages of one: the account's other
    # stores lie beyond it (schemas/DECISIONS.md: vector-store-list).
    made = [create_store(oai_client, metadata={"oai_page": str(n)}) for n in range(4)]
    try:
        newest = made[-1][1]
        oai_judge(walk(oai_client, "/vector_stores", limit=1, params={"after": newest}, ordered=False, window=3),
                  *STORE_PAGES)  # fmt: skip
    finally:
        for _, store in made:
            oai_client.request("DELETE", f"/vector_stores/{store}")


WITH_FILE = (
    "vector-stores.create.file-ids",
    "vector-stores.files.chunking-auto",
    "vector-stores.delete.keeps-files",
    "vector-stores.file-counts.add-up",
)


@requirement(*WITH_FILE)
def test_vector_store_made_with_a_file(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client, file_ids=[file_id], chunking_strategy={"type": "auto"})
    steps = [("upload", uploaded)]
    path = f"/vector_stores/{store}"
    poll(oai_client, path, "poll-store", steps, lambda body: (body.get("file_counts") or {}).get("in_progress"))
    steps += [
        ("store-after", oai_client.request("GET", path)),
        ("list", oai_client.request("GET", f"{path}/files", params={"limit": 100})),
        ("file", oai_client.request("GET", f"{path}/files/{file_id}")),
        ("delete", oai_client.request("DELETE", path)),
        ("file-after-delete", oai_client.request("GET", f"/files/{file_id}")),
    ]
    clean_up(oai_client, None, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), *WITH_FILE)


# --- files --------------------------------------------------------------------------------------------------------

FILE_LIFE = (
    "vector-stores.files.attach",
    "vector-stores.files.completes",
    "vector-stores.files.last-error",
    "vector-stores.files.retrieve.same",
    "vector-stores.files.chunking-static",
    "vector-stores.files.list-filter",
    "vector-stores.files.attributes-update",
    "vector-stores.files.content",
    "vector-stores.files.detach",
    "vector-stores.file-counts.add-up",
    "vector-stores.usage-bytes.counted",
)


@requirement(*FILE_LIFE, *FILE_PAGES)
def test_vector_store_file_life(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    ready(oai_client, store, file_id, steps)
    path, files = f"/vector_stores/{store}", f"/vector_stores/{store}/files"
    steps += [
        ("store-after", oai_client.request("GET", path)),
        ("file", oai_client.request("GET", f"{files}/{file_id}")),
        ("list", oai_client.request("GET", files, params={"limit": 100})),
        ("list-completed", oai_client.request("GET", files, params={"filter": "completed", "limit": 100})),
        ("list-in-progress", oai_client.request("GET", files, params={"filter": "in_progress", "limit": 100})),
        ("list-failed", oai_client.request("GET", files, params={"filter": "failed", "limit": 100})),
    ]
    pages = walk(oai_client, files, limit=1)
    new = {"topic": "lighthouse", "year": 2025, "reviewed": True}
    steps += [
        ("content", oai_client.request("GET", f"{files}/{file_id}/content")),
        ("update", oai_client.request("POST", f"{files}/{file_id}", json={"attributes": new})),
        ("retrieve-updated", oai_client.request("GET", f"{files}/{file_id}")),
        ("detach", oai_client.request("DELETE", f"{files}/{file_id}")),
        ("retrieve-detached", oai_client.request("GET", f"{files}/{file_id}")),
        ("list-after-detach", oai_client.request("GET", files, params={"limit": 100})),
        ("file-after-detach", oai_client.request("GET", f"/files/{file_id}")),
    ]
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), *FILE_LIFE)
    oai_judge(pages, *FILE_PAGES)


@requirement("vector-stores.files.last-error", "vector-stores.file-counts.add-up")
def test_vector_store_unreadable_file(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client, UNREADABLE, "unreadable-notes.txt")
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    attach = oai_client.request("POST", f"/vector_stores/{store}/files", json={"file_id": file_id})
    steps.append(("attach", attach))
    if answered(attach) is not None:
        poll(oai_client, f"/vector_stores/{store}/files/{file_id}", "poll", steps)
    steps.append(("store-after", oai_client.request("GET", f"/vector_stores/{store}")))
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), "vector-stores.files.last-error", "vector-stores.file-counts.add-up")


# --- file batches -------------------------------------------------------------------------------------------------

BATCH = (
    "vector-stores.batches.create",
    "vector-stores.batches.completes",
    "vector-stores.files.chunking-auto",
    "vector-stores.file-counts.add-up",
)


def create_batch(oai_client, store, file_id, steps):
    batch = oai_client.request("POST", f"/vector_stores/{store}/file_batches", json={"file_ids": [file_id]})
    steps.append(("batch", batch))
    body = answered(batch)
    if body is None or not isinstance(body.get("id"), str):
        pytest.skip(f"creating a file batch failed, so the rules that read it cannot be judged: {batch.response}")
    return f"/vector_stores/{store}/file_batches/{body['id']}"


@requirement(*BATCH, *BATCH_PAGES)
def test_file_batch(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    path = create_batch(oai_client, store, file_id, steps)
    poll(oai_client, path, "batch-poll", steps)
    steps.append(("batch-files", oai_client.request("GET", f"{path}/files", params={"limit": 100})))
    pages = walk(oai_client, f"{path}/files", limit=1)
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), *BATCH)
    oai_judge(pages, *BATCH_PAGES)


# Alone: its cancel must arrive before the batch is processed (0.3 s on the reference server), which no other case
# in flight may delay.
@pytest.mark.alone
@requirement("vector-stores.batches.cancel")
def test_file_batch_cancel(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    path = create_batch(oai_client, store, file_id, steps)
    steps.append(("cancel", oai_client.request("POST", f"{path}/cancel")))
    cancelling = ("in_progress", "cancelling")
    poll(oai_client, path, "batch-after-cancel", steps, lambda body: body.get("status") in cancelling)
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), "vector-stores.batches.cancel")


# --- search -------------------------------------------------------------------------------------------------------

SEARCH = (
    "vector-stores.search.schema",
    "vector-stores.search.finds",
    "vector-stores.search.scores",
    "vector-stores.search.max-num-results",
    "vector-stores.search.filters",
    "vector-stores.search.score-threshold",
    "vector-stores.search.chunk-size",
)


@requirement(*SEARCH)
def test_vector_store_search(oai_client, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    ready(oai_client, store, file_id, steps)
    path = f"/vector_stores/{store}/search"
    searches = [
        ("search", {"query": "quokka"}),
        ("search-array", {"query": ["quokka", "lighthouse"]}),
        ("search-rewritten", {"query": "Which animal visits the island in spring?", "rewrite_query": True}),
        ("search-max", {"query": "lighthouse", "max_num_results": 1}),
        ("filter-match", {"query": "lighthouse", "filters": {"type": "and", "filters": [
            {"type": "eq", "key": "topic", "value": "lighthouse"}, {"type": "gte", "key": "year", "value": 2020}]}}),
        ("filter-miss", {"query": "lighthouse", "filters": {"type": "eq", "key": "topic", "value": "volcano"}}),
        ("filter-miss", {"query": "lighthouse", "filters": {"type": "or", "filters": [
            {"type": "lt", "key": "year", "value": 2000}, {"type": "eq", "key": "public", "value": False}]}}),
        ("search-threshold", {"query": "quokka wombat", "ranking_options": {"score_threshold": 0.75}}),
    ]  # fmt: skip
    steps += [(name, oai_client.request("POST", path, json=body)) for name, body in searches]
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), *SEARCH)


# --- the file_search tool of the Responses API ----------------------------------------------------------------------

FILE_SEARCH = (
    "vector-stores.file-search.call",
    "vector-stores.file-search.results",
    "vector-stores.file-search.citations",
)


@requirement(*FILE_SEARCH)
def test_file_search_tool(oai_client, oai_target, oai_judge):
    uploaded, file_id = upload(oai_client)
    made, store = create_store(oai_client)
    steps = [("upload", uploaded)]
    ready(oai_client, store, file_id, steps)
    tool = {"type": "file_search", "vector_store_ids": [store], "max_num_results": 3}
    ask = "Which animal visits the island in spring, according to the notes? Answer in one short sentence."
    body = responses_body(oai_target.model("responses"), ask, tools=[tool], tool_choice={"type": "file_search"},
                          store=False)  # fmt: skip
    steps += [
        ("respond", oai_client.request("POST", "/responses", json={**body, "include": ["file_search_call.results"]})),
        ("respond-plain", oai_client.request("POST", "/responses", json=body)),
    ]
    clean_up(oai_client, store, file_id)
    oai_judge(Lifecycle(made, tuple(steps)), *FILE_SEARCH)
