"""Every vector store rule can fail, and says why: one violating subject per rule.

As in test_violations_responses.py: each row names a requirement, the violation, a factory of a VALID subject and
one mutation that breaks the rule. The valid subjects are the lifecycles the cases build, answered by the
reference server's own vector stores (conformance/reference/vector_stores.py) without HTTP; files are made ready
at once instead of after their processing time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance import schemas
from conformance.judgement import Status, judge
from conformance.reference import responses as ref_responses
from conformance.reference._config import ServerConfig
from conformance.reference._errors import ApiError
from conformance.reference._ids import Ids
from conformance.reference.files import FileStore
from conformance.reference.vector_stores import VectorStores
from conformance.requirements import catalogue
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

TEXT = (
    "A wombat sleeps under the stairs of the old lighthouse. "
    + "The lighthouse keeper writes the weather, the tides and every passing ship in a blue notebook before the "
    "lamp is lit. " * 12 + "A quokka visits the island in spring."
)
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
ATTRIBUTES = {"topic": "lighthouse", "year": 2024, "public": True}
NOT_FOUND = {"error": {"message": "not found", "type": "invalid_request_error", "param": None, "code": None}}


@dataclass
class World:
    """One reference server's files and vector stores, and the lifecycle being built over them."""

    files: FileStore = field(default_factory=lambda: FileStore(Ids()))
    config: ServerConfig = field(default_factory=ServerConfig)
    stores: VectorStores = field(init=False)
    steps: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stores = VectorStores(Ids(), self.files, self.config)

    def step(self, name: str, request: Any, body: Any, path: str, method: str = "GET", status: int = 200) -> Any:
        self.steps.append([name, Http(request, copy.deepcopy(body), status, path=path, method=method)])
        return body

    def upload(self, data: bytes = TEXT.encode(), name: str = "lighthouse-notes.txt") -> str:
        made = self.files.add("assistants", name, data)
        fields = [("purpose", (None, "assistants")), ("file", (name, data, "text/plain"))]
        sent = httpx.Request("POST", "https://api.example.test/v1/files", files=fields)
        body = sent.read()
        headers = {"content-type": sent.headers["content-type"]}
        http = Http(body, made, path="/files", headers=headers)
        self.steps.append(["upload", http])
        return str(made["id"])

    def ready(self) -> None:
        for store in self.stores.stores.values():
            for found in store.files.values():
                found.ready_at = 0.0

    def life(self, created: Http) -> Life:
        return Life(created, self.steps)


def store_life() -> Life:
    world = World()
    request = {"name": "oai-conformance", "metadata": {"oai_run": "t"},
               "expires_after": {"anchor": "last_active_at", "days": 7}}  # fmt: skip
    made = world.stores.create(request)
    path = f"/vector_stores/{made['id']}"
    created = Http(request, made, path="/vector_stores")
    world.step("retrieve", None, world.stores.retrieve(made["id"]), path)
    modify = {"name": "renamed", "metadata": {"oai_run": "t", "step": "modified"}}
    world.step("modify", modify, world.stores.modify(made["id"], modify), path, "POST")
    world.step("retrieve-modified", None, world.stores.retrieve(made["id"]), path)
    world.step("list", None, world.stores.listing({"limit": "100"}), "/vector_stores?limit=100")
    world.step("delete", None, world.stores.delete(made["id"]), path, "DELETE")
    world.step("retrieve-deleted", None, NOT_FOUND, path, status=404)
    return world.life(created)


def with_file_life() -> Life:
    world = World()
    file_id = world.upload()
    request = {"name": "oai-conformance", "file_ids": [file_id], "chunking_strategy": {"type": "auto"}}
    made = world.stores.create(request)
    world.ready()
    path = f"/vector_stores/{made['id']}"
    created = Http(request, made, path="/vector_stores")
    world.step("store-after", None, world.stores.retrieve(made["id"]), path)
    world.step("list", None, world.stores.list_files(made["id"], {"limit": "100"}), f"{path}/files")
    world.step("file", None, world.stores.retrieve_file(made["id"], file_id), f"{path}/files/{file_id}")
    world.step("delete", None, world.stores.delete(made["id"]), path, "DELETE")
    stored = world.files.get(file_id)
    assert stored is not None
    world.step("file-after-delete", None, stored.body, f"/files/{file_id}")
    return world.life(created)


def _store(world: World) -> tuple[Http, str]:
    made = world.stores.create({"name": "oai-conformance"})
    return Http({"name": "oai-conformance"}, made, path="/vector_stores"), str(made["id"])


def _attach(world: World, store: str, file_id: str, chunking: Any = STATIC) -> None:
    request: dict[str, Any] = {"file_id": file_id, "attributes": ATTRIBUTES}
    if chunking is not None:
        request["chunking_strategy"] = chunking
    world.step("attach", request, world.stores.attach_file(store, request), f"/vector_stores/{store}/files", "POST")
    world.ready()
    path = f"/vector_stores/{store}/files/{file_id}"
    world.step("poll", None, world.stores.retrieve_file(store, file_id), path)


def file_life() -> Life:
    world = World()
    file_id = world.upload()
    created, store = _store(world)
    _attach(world, store, file_id)
    s, files = world.stores, f"/vector_stores/{store}/files"
    world.step("store-after", None, s.retrieve(store), f"/vector_stores/{store}")
    world.step("file", None, s.retrieve_file(store, file_id), f"{files}/{file_id}")
    world.step("list", None, s.list_files(store, {"limit": "100"}), f"{files}?limit=100")
    for status in ("completed", "in_progress", "failed"):
        query = {"filter": status, "limit": "100"}
        world.step(f"list-{status}", None, s.list_files(store, query), f"{files}?filter={status}&limit=100")
    world.step("content", None, s.content(store, file_id), f"{files}/{file_id}/content")
    update = {"attributes": {"topic": "lighthouse", "year": 2025}}
    world.step("update", update, s.update_file(store, file_id, update), f"{files}/{file_id}", "POST")
    world.step("retrieve-updated", None, s.retrieve_file(store, file_id), f"{files}/{file_id}")
    world.step("detach", None, s.detach(store, file_id), f"{files}/{file_id}", "DELETE")
    world.step("retrieve-detached", None, NOT_FOUND, f"{files}/{file_id}", status=404)
    world.step("list-after-detach", None, s.list_files(store, {"limit": "100"}), f"{files}?limit=100")
    stored = world.files.get(file_id)
    assert stored is not None
    world.step("file-after-detach", None, stored.body, f"/files/{file_id}")
    return world.life(created)


def unreadable_life() -> Life:
    world = World()
    file_id = world.upload(bytes(range(128, 256)), "unreadable.txt")
    created, store = _store(world)
    _attach(world, store, file_id, None)
    world.step("store-after", None, world.stores.retrieve(store), f"/vector_stores/{store}")
    return world.life(created)


def batch_life(cancel: bool = False) -> Life:
    world = World()
    file_id = world.upload()
    created, store = _store(world)
    path = f"/vector_stores/{store}/file_batches"
    batch = world.step("batch", {"file_ids": [file_id]}, world.stores.create_batch(store, {"file_ids": [file_id]}),
                       path, "POST")  # fmt: skip
    path = f"{path}/{batch['id']}"
    if cancel:
        world.step("cancel", None, world.stores.cancel_batch(store, batch["id"]), f"{path}/cancel", "POST")
        world.step("batch-after-cancel", None, world.stores.retrieve_batch(store, batch["id"]), path)
        return world.life(created)
    world.ready()
    world.step("batch-poll", None, world.stores.retrieve_batch(store, batch["id"]), path)
    files = world.stores.list_files(store, {"limit": "100"}, batch["id"])
    world.step("batch-files", None, files, f"{path}/files?limit=100")
    return world.life(created)


SEARCHES = [
    ("search", {"query": "quokka"}),
    ("search-array", {"query": ["quokka", "lighthouse"]}),
    ("search-rewritten", {"query": "Which animal visits the island in spring?", "rewrite_query": True}),
    ("search-max", {"query": "lighthouse", "max_num_results": 1}),
    ("filter-match", {"query": "lighthouse", "filters": {"type": "and", "filters": [
        {"type": "eq", "key": "topic", "value": "lighthouse"}, {"type": "gte", "key": "year", "value": 2020}]}}),
    ("filter-miss", {"query": "lighthouse", "filters": {"type": "eq", "key": "topic", "value": "volcano"}}),
    ("search-threshold", {"query": "quokka wombat", "ranking_options": {"score_threshold": 0.75}}),
]  # fmt: skip


def search_life() -> Life:
    world = World()
    file_id = world.upload()
    created, store = _store(world)
    _attach(world, store, file_id)
    for name, body in SEARCHES:
        world.step(name, body, world.stores.search(store, body), f"/vector_stores/{store}/search", "POST")
    return world.life(created)


def file_search_life() -> Life:
    world = World()
    file_id = world.upload()
    created, store = _store(world)
    _attach(world, store, file_id)
    tool = {"type": "file_search", "vector_store_ids": [store]}
    request = {"model": "gpt-4o-mini", "input": "Which animal visits the island in spring?", "store": False,
               "tools": [tool], "tool_choice": {"type": "file_search"}}  # fmt: skip
    for name, extra in (("respond", {"include": ["file_search_call.results"]}), ("respond-plain", {})):
        body = {**request, **extra}
        answer = ref_responses.create(body, world.config, Ids(), ref_responses.Store(), world.stores.search_for_tool)
        world.step(name, body, answer.body, "/responses", "POST")
    return world.life(created)


def step(name: str) -> Callable[[Life], Any]:
    return lambda spec: spec.step(name).body


def last(name: str) -> Callable[[Life], Any]:
    return lambda spec: [http for what, http in spec.steps if what == name][-1].body


def still_there(spec: Life) -> None:
    gone = spec.step("retrieve-deleted")
    gone.status, gone.body = 200, spec.created.body


def the_call(spec: Life) -> dict[str, Any]:
    return next(i for i in spec.step("respond").body["output"] if i["type"] == "file_search_call")


def first_citation(spec: Life) -> dict[str, Any]:
    message = next(i for i in spec.step("respond").body["output"] if i["type"] == "message")
    return message["content"][0]["annotations"][0]


def drop_last_word(spec: Life) -> None:
    part = spec.step("content").body["data"][0]
    part["text"] = " ".join(part["text"].split()[:-1])


def long_chunk(spec: Life) -> None:
    spec.step("search").body["data"][0]["content"][0]["text"] = " ".join(["word"] * 150)


VIOLATIONS: list[V] = [
    V("vector-stores.create.schema", "the metadata sent dropped", store_life,
      lambda s: s.created.body.update(metadata={}), "as sent"),
    V("vector-stores.create.expires-at", "expires_at hours, not days, after last_active_at", store_life,
      lambda s: s.created.body.update(expires_at=s.created.body["last_active_at"] + 7 * 3600), "7 days after it"),
    V("vector-stores.create.file-ids", "the file of file_ids not listed", with_file_life,
      lambda s: step("list")(s).update(data=[], first_id=None, last_id=None), "its `file_ids`"),
    V("vector-stores.retrieve.same", "another name on retrieve", store_life,
      lambda s: step("retrieve")(s).update(name="else"), "as created"),
    V("vector-stores.modify.kept", "the old name kept", store_life,
      lambda s: step("retrieve-modified")(s).update(name="oai-conformance"), "as modified"),
    V("vector-stores.list.contains", "the new store not listed", store_life,
      lambda s: step("list")(s).update(data=[], first_id=None, last_id=None), "among them"),
    V("vector-stores.delete.deleted", "still there after delete", store_life, still_there,
      "404 for the deleted vector store"),
    V("vector-stores.delete.keeps-files", "the file deleted with the store", with_file_life,
      lambda s: setattr(s.step("file-after-delete"), "status", 404), "detaches its files"),
    V("vector-stores.file-counts.add-up", "total one more than the counts", file_life,
      lambda s: step("store-after")(s)["file_counts"].update(total=2), "add up to total"),
    V("vector-stores.usage-bytes.counted", "no usage after a file completed", file_life,
      lambda s: step("store-after")(s).update(usage_bytes=0), "above 0"),
    V("vector-stores.files.attach", "another store's id", file_life,
      lambda s: step("attach")(s).update(vector_store_id="vs_else"), "the file and store of the request"),
    V("vector-stores.files.completes", "a text file failed", file_life,
      lambda s: step("poll")(s).update(status="failed"), "completed, for a small text file"),
    V("vector-stores.files.last-error", "a failed file without last_error", unreadable_life,
      lambda s: step("poll")(s).update(last_error=None), "saying why it failed"),
    V("vector-stores.files.retrieve.same", "created_at one second later", file_life,
      lambda s: step("file")(s).update(created_at=step("file")(s)["created_at"] + 1), "as attached"),
    V("vector-stores.files.chunking-static", "the auto sizes reported", file_life,
      lambda s: step("file")(s).update(chunking_strategy={"type": "static", "static": {
          "max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}), "the static strategy sent"),
    V("vector-stores.files.chunking-auto", "auto reported as other", with_file_life,
      lambda s: step("file")(s).update(chunking_strategy={"type": "other"}), "documented sizes"),
    V("vector-stores.files.list-filter", "filter ignored", file_life,
      lambda s: step("list-in_progress")(s).update(data=step("list")(s)["data"]), "only files with status in_progress"),
    V("vector-stores.files.attributes-update", "the old attributes kept", file_life,
      lambda s: step("retrieve-updated")(s).update(attributes=ATTRIBUTES), "as updated"),
    V("vector-stores.files.content", "the last word missing", file_life, drop_last_word, "words of the file"),
    V("vector-stores.files.detach", "still listed after detach", file_life,
      lambda s: step("list-after-detach")(s).update(data=step("list")(s)["data"]), "still listed"),
    V("vector-stores.batches.create", "file_counts.total 0", batch_life,
      lambda s: step("batch")(s)["file_counts"].update(total=0), "the files sent"),
    V("vector-stores.batches.completes", "failed with a completed file", batch_life,
      lambda s: last("batch-poll")(s).update(status="failed"), "failed only when no file completed"),
    V("vector-stores.batches.cancel", "completed after the cancel", lambda: batch_life(cancel=True),
      lambda s: last("batch-after-cancel")(s).update(status="completed"), "Expected: cancelled"),
    V("vector-stores.search.schema", "search_query dropped", search_life,
      lambda s: step("search")(s).update(search_query=[]), "the queries sent"),
    V("vector-stores.search.finds", "nothing found", search_life, lambda s: step("search")(s).update(data=[]),
      "holding"),
    V("vector-stores.search.scores", "lowest score first", search_life,
      lambda s: step("search-rewritten")(s)["data"].reverse(), "highest first"),
    V("vector-stores.search.scores", "percentages", search_life,
      lambda s: step("search")(s)["data"][0].update(score=100), "a number in [0, 1]"),
    V("vector-stores.search.max-num-results", "max_num_results ignored", search_life,
      lambda s: step("search-max")(s).update(data=step("filter-match")(s)["data"]), "at most max_num_results 1"),
    V("vector-stores.search.filters", "a filter that does not match finds the file", search_life,
      lambda s: step("filter-miss")(s).update(data=step("filter-match")(s)["data"]), "do not match"),
    V("vector-stores.search.score-threshold", "a result below the threshold", search_life,
      lambda s: step("search-threshold")(s)["data"].append({**step("search")(s)["data"][0], "score": 0.5}),
      "at least score_threshold"),
    V("vector-stores.search.chunk-size", "a chunk of 150 words", search_life, long_chunk, "max_chunk_size_tokens"),
    V("vector-stores.file-search.call", "no file_search_call", file_search_life,
      lambda s: step("respond")(s).update(output=[i for i in step("respond")(s)["output"]
                                                  if i["type"] != "file_search_call"]), "a file_search_call"),
    V("vector-stores.file-search.results", "include ignored", file_search_life,
      lambda s: the_call(s).update(results=None), "as `include"),
    V("vector-stores.file-search.citations", "a file the search did not find", file_search_life,
      lambda s: first_citation(s).update(file_id="file-else"), "a file the search found"),
    *[v for v in page_rows("vector-stores.pages") if not v.rid.endswith("order-reverses")],
    *page_rows("vector-stores.files.pages"),
    *page_rows("vector-stores.batches.files.pages"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_vector_store_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("vector-stores.")}


def test_a_file_refused_at_once_leaves_last_error_nothing_to_judge() -> None:
    """The API may refuse a file it cannot read with a 400 (an unsupported extension) instead of failing it later."""
    world = World()
    world.upload(b"\x89PNG", "picture.png")
    created, store = _store(world)
    with pytest.raises(ApiError) as refused:
        world.stores.attach_file(store, {"file_id": world.steps[0][1].body["id"]})
    assert refused.value.status == 400 and refused.value.code == "unsupported_file"
    world.step("attach", {"file_id": "x"}, refused.value.envelope(), f"/vector_stores/{store}/files", "POST", 400)
    [obs] = judge(world.life(created).subject(), ["vector-stores.files.last-error"])
    assert obs.status is Status.SKIP and "refused the file at once" in obs.reason


def test_a_batch_that_finished_before_its_cancel_is_not_judged() -> None:
    spec = batch_life(cancel=True)
    spec.step("cancel").body.update(status="completed")
    [obs] = judge(spec.subject(), ["vector-stores.batches.cancel"])
    assert obs.status is Status.SKIP and "finished before the cancel" in obs.reason


def test_an_answer_that_cites_nothing_skips_the_citation_rule() -> None:
    spec = file_search_life()
    for item in spec.step("respond").body["output"]:
        for part in item.get("content") or []:
            part["annotations"] = []
    [obs] = judge(spec.subject(), ["vector-stores.file-search.citations"])
    assert obs.status is Status.SKIP and "cites no file" in obs.reason


# The seeds' request examples (001 Vector Stores API, 003 Vector Store File Management): the schemas accept them,
# but for 003's `metadata` on a vector store file, which neither upstream nor the SDK knows (DECISIONS.md:
# file-attributes).
SEED_REQUESTS = [
    ("vector_store.create.request", {"name": "Product Documentation", "file_ids": ["file-123", "file-456"],
     "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 500, "chunk_overlap_tokens": 100}},
     "metadata": {"project": "docs", "version": "2.0"}, "expires_after": {"anchor": "last_active_at", "days": 30}},
     True),
    ("vector_store.file.create.request", {"file_id": "file-789", "chunking_strategy": {"type": "auto"}}, True),
    ("vector_store.file.create.request", {"file_id": "file_large_doc.pdf", "chunking_strategy": {"type": "static",
     "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}}, True),
    ("vector_store.file_batch.create.request", {"file_ids": ["file_doc1.pdf", "file_doc2.docx"]}, True),
    ("vector_store.update.request", {"expires_after": {"anchor": "last_active_at", "days": 60}}, True),
    ("vector_store.file.update.request", {"metadata": {"category": "technical_documentation"}}, False),
    ("vector_store.file_batch.create.request", {"file_ids": ["file-1"], "files": [{"file_id": "file-2"}]}, False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "valid"), SEED_REQUESTS)
def test_the_seed_requests(name: str, body: dict[str, Any], valid: bool) -> None:
    assert (not schemas.validate(name, body)) is valid, schemas.validate(name, body)
