"""Vector stores end to end: the official `openai` SDK drives the reference server's vector stores, their files, file
batches, search and the Responses file_search tool; and each vector store fault of the reference server is caught
through client, cases, plugin and reports."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS, ServerConfig, serve
from conformance.requirements import catalogue
from tests._runs import assert_caught, certify

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-vector-stores-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
CASES = "vector_stores/test_vector_stores.py"
TEXT = (
    "A wombat sleeps under the stairs of the old lighthouse. "
    + "The keeper writes the weather and the tides in a blue notebook every evening. " * 15
    + "A quokka visits the island in spring."
)
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}

# fault -> the requirements its run must fail (or warn, for a SHOULD)
CAUGHT = {
    "vector-stores-metadata-dropped": ["vector-stores.create.schema"],
    "vector-stores-expires-at-wrong": ["vector-stores.create.expires-at"],
    "vector-stores-retrieve-renamed": ["vector-stores.retrieve.same"],
    "vector-stores-modify-not-kept": ["vector-stores.modify.kept"],
    "vector-stores-list-stale": ["vector-stores.list.contains"],
    "vector-stores-after-ignored": ["vector-stores.pages.after-continues", "vector-stores.pages.walk-once"],
    "vector-stores-delete-kept": ["vector-stores.delete.deleted"],
    "vector-stores-delete-files": ["vector-stores.delete.keeps-files"],
    "vector-stores-file-ids-ignored": ["vector-stores.create.file-ids"],
    "vector-stores-counts-wrong": ["vector-stores.file-counts.add-up"],
    "vector-stores-usage-zero": ["vector-stores.usage-bytes.counted"],
    "vector-stores-attach-wrong-store": ["vector-stores.files.attach"],
    "vector-stores-files-fail": ["vector-stores.files.completes"],
    "vector-stores-failed-no-error": ["vector-stores.files.last-error"],
    "vector-stores-file-created-at-drift": ["vector-stores.files.retrieve.same"],
    "vector-stores-chunking-not-reported": ["vector-stores.files.chunking-static"],
    "vector-stores-auto-chunking-other": ["vector-stores.files.chunking-auto"],
    "vector-stores-file-filter-ignored": ["vector-stores.files.list-filter"],
    "vector-stores-attributes-not-kept": ["vector-stores.files.attributes-update"],
    "vector-stores-content-altered": ["vector-stores.files.content"],
    "vector-stores-detach-kept": ["vector-stores.files.detach"],
    "vector-stores-batch-total-zero": ["vector-stores.batches.create"],
    "vector-stores-batch-failed": ["vector-stores.batches.completes"],
    "vector-stores-batch-cancel-ignored": ["vector-stores.batches.cancel"],
    "vector-stores-search-query-dropped": ["vector-stores.search.schema"],
    "vector-stores-search-finds-nothing": ["vector-stores.search.finds"],
    "vector-stores-search-unordered": ["vector-stores.search.scores"],
    "vector-stores-search-scores-percent": ["vector-stores.search.scores"],
    "vector-stores-search-max-ignored": ["vector-stores.search.max-num-results"],
    "vector-stores-search-filters-ignored": ["vector-stores.search.filters"],
    "vector-stores-search-threshold-ignored": ["vector-stores.search.score-threshold"],
    "vector-stores-chunks-whole-file": ["vector-stores.search.chunk-size"],
    "vector-stores-file-search-ignored": ["vector-stores.file-search.call"],
    "vector-stores-file-search-results-missing": ["vector-stores.file-search.results"],
    "vector-stores-file-search-citation-wrong": ["vector-stores.file-search.citations"],
}


@pytest.fixture(scope="module")
def server():
    with serve(ServerConfig(api_key=KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def notes(client):
    made = client.files.create(file=("lighthouse-notes.txt", TEXT.encode()), purpose="assistants")
    yield made.id
    client.files.delete(made.id)


def test_the_sdk_creates_retrieves_updates_lists_and_deletes_a_store(client) -> None:
    tag = os.urandom(6).hex()
    made = client.vector_stores.create(
        name="notes", metadata={"run": tag}, expires_after={"anchor": "last_active_at", "days": 3}
    )
    assert made.object == "vector_store" and made.status == "completed" and made.file_counts.total == 0
    assert made.expires_after is not None and made.expires_after.days == 3
    assert made.expires_at == made.last_active_at + 3 * 86_400
    got = client.vector_stores.retrieve(made.id)
    assert (got.id, got.name, got.metadata, got.created_at) == (made.id, "notes", {"run": tag}, made.created_at)
    updated = client.vector_stores.update(made.id, name="renamed", metadata={"run": tag, "step": "2"})
    assert updated.name == "renamed" and client.vector_stores.retrieve(made.id).metadata == {"run": tag, "step": "2"}
    listed = [s.id for s in client.vector_stores.list(limit=100)]
    assert made.id in listed
    deleted = client.vector_stores.delete(made.id)
    assert deleted.deleted is True and deleted.id == made.id and deleted.object == "vector_store.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(made.id)


def test_the_sdk_attaches_polls_reads_filters_updates_and_detaches_a_file(client, notes) -> None:
    store = client.vector_stores.create(name="notes")
    attached = client.vector_stores.files.create_and_poll(
        file_id=notes, vector_store_id=store.id, attributes={"topic": "lighthouse"}, chunking_strategy=STATIC
    )
    assert attached.status == "completed" and attached.last_error is None and attached.usage_bytes > 0
    strategy = attached.chunking_strategy
    assert strategy.type == "static" and strategy.static.max_chunk_size_tokens == 100
    counts = client.vector_stores.retrieve(store.id).file_counts
    assert (counts.completed, counts.total) == (1, 1)
    assert [f.id for f in client.vector_stores.files.list(vector_store_id=store.id, filter="completed")] == [notes]
    assert list(client.vector_stores.files.list(vector_store_id=store.id, filter="failed")) == []
    text = " ".join(part.text for part in client.vector_stores.files.content(file_id=notes, vector_store_id=store.id))
    assert text.split() == TEXT.split()
    updated = client.vector_stores.files.update(file_id=notes, vector_store_id=store.id, attributes={"year": 2025})
    assert updated.attributes == {"year": 2025}
    detached = client.vector_stores.files.delete(file_id=notes, vector_store_id=store.id)
    assert detached.deleted is True and detached.object == "vector_store.file.deleted"
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(file_id=notes, vector_store_id=store.id)
    assert client.files.retrieve(notes).id == notes, "detaching leaves the file"
    client.vector_stores.delete(store.id)


def test_the_sdk_uploads_and_polls_a_file_batch_and_cancels_another(client, notes) -> None:
    store = client.vector_stores.create(name="batches")
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id, files=[("a.txt", b"alpha beta"), ("b.txt", b"gamma delta")], file_ids=[notes]
    )
    assert batch.object == "vector_store.files_batch" and batch.status == "completed"
    assert (batch.file_counts.completed, batch.file_counts.total) == (3, 3)
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id, limit=2)
    ids = [f.id for f in listed]  # the SDK follows the pages
    assert len(ids) == 3 and notes in ids and client.vector_stores.file_batches.retrieve(
        batch.id, vector_store_id=store.id
    ).status == "completed"  # fmt: skip
    other = client.vector_stores.file_batches.create(store.id, file_ids=[notes])
    cancelled = client.vector_stores.file_batches.cancel(other.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled" and cancelled.file_counts.cancelled == 1
    for made in ids:
        if made != notes:
            client.files.delete(made)
    client.vector_stores.delete(store.id)


def test_the_sdk_searches_and_the_responses_api_searches_with_the_file_search_tool(client, notes) -> None:
    store = client.vector_stores.create(name="search")
    client.vector_stores.files.create_and_poll(
        file_id=notes, vector_store_id=store.id, attributes={"topic": "lighthouse", "year": 2024},
        chunking_strategy=STATIC,
    )  # fmt: skip
    found = client.vector_stores.search(store.id, query="quokka")
    assert found.search_query == ["quokka"] and found.data and "quokka" in found.data[0].content[0].text
    assert found.data[0].file_id == notes and found.data[0].filename == "lighthouse-notes.txt"
    assert list(client.vector_stores.search(store.id, query="keeper", max_num_results=1)).__len__() == 1
    matching = {"type": "and", "filters": [{"type": "eq", "key": "topic", "value": "lighthouse"},
                                           {"type": "gte", "key": "year", "value": 2020}]}  # fmt: skip
    assert list(client.vector_stores.search(store.id, query="keeper", filters=matching))
    missing = {"type": "eq", "key": "topic", "value": "volcano"}
    assert not list(client.vector_stores.search(store.id, query="keeper", filters=missing))
    tool = {"type": "file_search", "vector_store_ids": [store.id]}
    response = client.responses.create(
        model=MODEL, input="Which animal visits the island?", tools=[tool], include=["file_search_call.results"]
    )
    call, message = response.output[0], response.output[1]
    assert call.type == "file_search_call" and call.status == "completed" and call.results
    assert {r.file_id for r in call.results} == {notes}
    [citation] = message.content[0].annotations
    assert citation.type == "file_citation" and citation.file_id == notes
    assert citation.filename == "lighthouse-notes.txt"
    assert 0 <= citation.index <= len(response.output_text)
    with client.responses.stream(model=MODEL, input="quokka", tools=[tool]) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.file_search_call.completed" in kinds and final.output[0].type == "file_search_call"
    assert final.output[0].results is None, "not included"
    client.vector_stores.delete(store.id)


@pytest.mark.parametrize(
    "label", ["POST /vector_stores/{vector_store_id}/files", "POST /vector_stores/{vector_store_id}/file_batches"]
)
def test_generated_attach_and_batch_bodies_name_the_file_the_run_uploaded(tmp_path, label) -> None:
    """The generated phase's valid bodies that attach files name the one the run uploaded for the operation
    (provision kind vector_store.upload, shaped by cheapen): the server accepts every one. Without it every example
    would be rejected while shaping and the operation would judge nothing, silently."""
    pytest.importorskip("schemathesis")
    from conformance.cheapen import shape
    from conformance.client import Client
    from conformance.generation import GenerationSettings, draw_requests, operations
    from conformance.provision import provide
    from conformance.target import load_target

    operation = next(op for op in operations() if op.label == label)
    with serve(ServerConfig()) as running:
        target = load_target({"base_url": running.base_url, "no_api_key": True}, {}, None, tmp_path)
        with Client(target) as sdk:
            kinds: dict[str, str] = {}
            made = provide(dict(operation.created_by), sdk, target, kinds)
            requests = draw_requests(
                operation, "positive", GenerationSettings(examples=5),
                shape=lambda body: shape(operation, "positive", body, model=MODEL, made=kinds), path_parameters=made,
            )  # fmt: skip
            answers = [sdk.request(r.method, r.path, content=r.body) for r in requests]
    assert len(requests) == 5 and all(kinds["file"].encode() in r.body for r in requests if r.body)
    assert [a.response.status for a in answers if a.response is not None] == [200] * 5


def test_every_vector_store_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("vector-stores-")}
    caught = {rid for rules in CAUGHT.values() for rid in rules}
    lifecycle = {r for r in catalogue() if r.startswith("vector-stores.") and ".pages." not in r}
    assert caught - {r for r in caught if r.startswith("vector-stores.pages.")} == lifecycle, (
        "a fault per lifecycle, search and file_search rule"
    )


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == [] or fault == "vector-stores-delete-kept"


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("vector-stores.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 53
    assert results["verdict"] == "conformant"
    kinds = [c["kind"] for c in results["resources"]["created"]]
    assert results["resources"]["left"] == [] and kinds.count("vector_store") == 12 and kinds.count("file") == 7
