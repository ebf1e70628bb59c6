"""The vector store faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.

Attached files are processed for a while (conformance/reference/vector_stores.py, `PROCESSING_SECONDS`): a request
here makes them ready at once through the in-process app's store instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-vector-stores-0123456789"
TEXT = (
    "A wombat sleeps under the stairs of the old lighthouse. "
    + "The lighthouse keeper writes the weather, the tides and every passing ship in a blue notebook before the "
    "lamp is lit. " * 12 + "A quokka visits the island in spring."
)
STATIC = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}
ATTRIBUTES = {"topic": "lighthouse", "year": 2024}

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def call(faults: Faults, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, {"Authorization": f"Bearer {KEY}"}, **kwargs)


def ready(faults: Faults) -> None:
    """Every attached file's processing over (cancelled ones stay cancelled)."""
    for store in _app(faults).state.vector_stores.stores.values():
        for found in store.files.values():
            found.ready_at = 0.0


def upload(faults: Faults, data: bytes = TEXT.encode(), name: str = "notes.txt") -> str:
    made = call(faults, "POST", "/files", files={"file": (name, data)}, data={"purpose": "assistants"})
    return str(made.json()["id"])


def store(faults: Faults, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = call(faults, "POST", "/vector_stores", json=body).json()
    return made


def attached(faults: Faults, chunking: Any = STATIC, data: bytes = TEXT.encode()) -> tuple[str, str, httpx.Response]:
    """A store holding one file, attached with `chunking` and ATTRIBUTES and made ready: (store, file, attach)."""
    file_id, made = upload(faults, data), store(faults)["id"]
    body: dict[str, Any] = {"file_id": file_id, "attributes": ATTRIBUTES}
    if chunking is not None:
        body["chunking_strategy"] = chunking
    answer = call(faults, "POST", f"/vector_stores/{made}/files", json=body)
    ready(faults)
    return made, file_id, answer


def then(step: Callable[[Faults, str, str], httpx.Response], **attach: Any) -> Request:
    def run(faults: Faults) -> httpx.Response:
        made, file_id, _ = attached(faults, **attach)
        return step(faults, made, file_id)

    return run


def search(**body: Any) -> Request:
    return then(lambda f, s, _: call(f, "POST", f"/vector_stores/{s}/search", json=body))


def respond(**extra: Any) -> Request:
    def step(faults: Faults, made: str, file_id: str) -> httpx.Response:
        body = {"model": "gpt-4o-mini", "input": "Which animal visits the island in spring?",
                "tools": [{"type": "file_search", "vector_store_ids": [made]}], **extra}  # fmt: skip
        return call(faults, "POST", "/responses", json=body)

    return then(step)


def on_store(step: Callable[[Faults, dict[str, Any]], httpx.Response], **body: Any) -> Request:
    return lambda faults: step(faults, store(faults, **body))


def last(*answers: httpx.Response) -> httpx.Response:
    """The last of several requests sent in turn (a change, then the read that shows whether it held)."""
    return answers[-1]


def combined(**answers: httpx.Response) -> httpx.Response:
    """Several answers as one, for a violation that compares two of them."""
    return httpx.Response(200, json={name: answer.json() for name, answer in answers.items()})


def _created_at_drift(faults: Faults) -> httpx.Response:
    made, file_id, answer = attached(faults)
    return combined(attach=answer, retrieve=call(faults, "GET", f"/vector_stores/{made}/files/{file_id}"))


def _with_file_ids(faults: Faults) -> httpx.Response:
    return call(faults, "POST", "/vector_stores", json={"file_ids": [upload(faults)]})


def _deleted_with_its_file(faults: Faults) -> httpx.Response:
    file_id = upload(faults)
    made = store(faults, file_ids=[file_id])
    call(faults, "DELETE", f"/vector_stores/{made['id']}")
    return call(faults, "GET", f"/files/{file_id}")


def _failed(faults: Faults) -> httpx.Response:
    made, file_id, _ = attached(faults, data=bytes(range(128, 256)))
    return call(faults, "GET", f"/vector_stores/{made}/files/{file_id}")


def _batch(faults: Faults) -> tuple[str, str]:
    made = store(faults)["id"]
    batch = call(faults, "POST", f"/vector_stores/{made}/file_batches", json={"file_ids": [upload(faults)]})
    return made, str(batch.json()["id"])


def _batch_created(faults: Faults) -> httpx.Response:
    made = store(faults)["id"]
    return call(faults, "POST", f"/vector_stores/{made}/file_batches", json={"file_ids": [upload(faults)]})


def _batch_done(faults: Faults) -> httpx.Response:
    made, batch = _batch(faults)
    ready(faults)
    return call(faults, "GET", f"/vector_stores/{made}/file_batches/{batch}")


def _batch_cancelled(faults: Faults) -> httpx.Response:
    made, batch = _batch(faults)
    call(faults, "POST", f"/vector_stores/{made}/file_batches/{batch}/cancel")
    ready(faults)
    return call(faults, "GET", f"/vector_stores/{made}/file_batches/{batch}")


def _scores(r: httpx.Response) -> list[float]:
    return [result["score"] for result in r.json()["data"]]


def _call_of(r: httpx.Response) -> dict[str, Any] | None:
    return next((item for item in r.json()["output"] if item["type"] == "file_search_call"), None)


def _cites_unfound(r: httpx.Response) -> bool:
    call_item = _call_of(r)
    found = {result["file_id"] for result in (call_item or {}).get("results") or []}
    notes = [n for item in r.json()["output"] if item["type"] == "message" for n in item["content"][0]["annotations"]]
    return any(note["file_id"] not in found for note in notes)


VECTOR_STORE_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "vector-stores-metadata-dropped": (
        lambda f: call(f, "POST", "/vector_stores", json={"metadata": {"a": "b"}}),
        lambda r: r.json()["metadata"] != {"a": "b"},
    ),
    "vector-stores-expires-at-wrong": (
        lambda f: call(f, "POST", "/vector_stores", json={"expires_after": {"anchor": "last_active_at", "days": 2}}),
        lambda r: r.json()["expires_at"] != r.json()["last_active_at"] + 2 * 86_400,
    ),
    "vector-stores-retrieve-renamed": (
        on_store(lambda f, s: call(f, "GET", f"/vector_stores/{s['id']}"), name="n"),
        lambda r: r.json()["name"] != "n",
    ),
    "vector-stores-modify-not-kept": (
        on_store(
            lambda f, s: last(
                call(f, "POST", f"/vector_stores/{s['id']}", json={"name": "m"}),
                call(f, "GET", f"/vector_stores/{s['id']}"),
            )
        ),
        lambda r: r.json()["name"] != "m",
    ),
    "vector-stores-list-stale": (
        on_store(lambda f, s: combined(made=httpx.Response(200, json=s), listed=call(f, "GET", "/vector_stores"))),
        lambda r: r.json()["made"]["id"] not in [s["id"] for s in r.json()["listed"]["data"]],
    ),
    "vector-stores-after-ignored": (
        on_store(lambda f, s: call(f, "GET", "/vector_stores", params={"after": s["id"], "order": "asc"})),
        lambda r: r.json()["data"] != [],  # the one store: nothing lies after it
    ),
    "vector-stores-delete-kept": (
        on_store(
            lambda f, s: last(
                call(f, "DELETE", f"/vector_stores/{s['id']}"), call(f, "GET", f"/vector_stores/{s['id']}")
            )
        ),
        lambda r: r.status_code != 404,
    ),
    "vector-stores-delete-files": (_deleted_with_its_file, lambda r: r.status_code != 200),
    "vector-stores-file-ids-ignored": (_with_file_ids, lambda r: r.json()["file_counts"]["total"] != 1),
    "vector-stores-counts-wrong": (
        lambda f: call(f, "POST", "/vector_stores", json={}),
        lambda r: r.json()["file_counts"]["total"] != 0,
    ),
    "vector-stores-usage-zero": (
        then(lambda f, s, _: call(f, "GET", f"/vector_stores/{s}")),
        lambda r: r.json()["usage_bytes"] == 0,
    ),
    "vector-stores-attach-wrong-store": (
        lambda f: combined(made=httpx.Response(200, json={"id": (a := attached(f))[0]}), attach=a[2]),
        lambda r: r.json()["attach"]["vector_store_id"] != r.json()["made"]["id"],
    ),
    "vector-stores-files-fail": (
        then(lambda f, s, i: call(f, "GET", f"/vector_stores/{s}/files/{i}")),
        lambda r: r.json()["status"] != "completed",
    ),
    "vector-stores-failed-no-error": (_failed, lambda r: r.json()["last_error"] is None),
    "vector-stores-file-created-at-drift": (
        _created_at_drift,
        lambda r: r.json()["retrieve"]["created_at"] != r.json()["attach"]["created_at"],
    ),
    "vector-stores-chunking-not-reported": (
        then(lambda f, s, i: call(f, "GET", f"/vector_stores/{s}/files/{i}")),
        lambda r: r.json()["chunking_strategy"] != STATIC,
    ),
    "vector-stores-auto-chunking-other": (
        then(lambda f, s, i: call(f, "GET", f"/vector_stores/{s}/files/{i}"), chunking=None),
        lambda r: r.json()["chunking_strategy"]["type"] != "static",
    ),
    "vector-stores-file-filter-ignored": (
        then(lambda f, s, _: call(f, "GET", f"/vector_stores/{s}/files", params={"filter": "failed"})),
        lambda r: r.json()["data"] != [],
    ),
    "vector-stores-attributes-not-kept": (
        then(
            lambda f, s, i: last(
                call(f, "POST", f"/vector_stores/{s}/files/{i}", json={"attributes": {"x": 1}}),
                call(f, "GET", f"/vector_stores/{s}/files/{i}"),
            )
        ),
        lambda r: r.json()["attributes"] != {"x": 1},
    ),
    "vector-stores-content-altered": (
        then(lambda f, s, i: call(f, "GET", f"/vector_stores/{s}/files/{i}/content")),
        lambda r: " ".join(p["text"] for p in r.json()["data"]).split() != TEXT.split(),
    ),
    "vector-stores-detach-kept": (
        then(
            lambda f, s, i: last(
                call(f, "DELETE", f"/vector_stores/{s}/files/{i}"), call(f, "GET", f"/vector_stores/{s}/files/{i}")
            )
        ),
        lambda r: r.status_code != 404,
    ),
    "vector-stores-batch-total-zero": (_batch_created, lambda r: r.json()["file_counts"]["total"] != 1),
    "vector-stores-batch-failed": (_batch_done, lambda r: r.json()["status"] != "completed"),
    "vector-stores-batch-cancel-ignored": (_batch_cancelled, lambda r: r.json()["status"] != "cancelled"),
    "vector-stores-search-query-dropped": (search(query="quokka"), lambda r: r.json()["search_query"] != ["quokka"]),
    "vector-stores-search-finds-nothing": (search(query="quokka"), lambda r: r.json()["data"] == []),
    "vector-stores-search-unordered": (
        search(query="Which animal visits the island in spring?"),
        lambda r: _scores(r) != sorted(_scores(r), reverse=True),
    ),
    "vector-stores-search-scores-percent": (search(query="quokka"), lambda r: any(s > 1 for s in _scores(r))),
    "vector-stores-search-max-ignored": (search(query="lighthouse", max_num_results=1), lambda r: len(_scores(r)) > 1),
    "vector-stores-search-filters-ignored": (
        search(query="lighthouse", filters={"type": "eq", "key": "topic", "value": "volcano"}),
        lambda r: r.json()["data"] != [],
    ),
    "vector-stores-search-threshold-ignored": (
        search(query="quokka wombat", ranking_options={"score_threshold": 0.75}),
        lambda r: any(s < 0.75 for s in _scores(r)),
    ),
    "vector-stores-chunks-whole-file": (
        search(query="lighthouse"),
        lambda r: any(len(c["text"].split()) > 100 for d in r.json()["data"] for c in d["content"]),
    ),
    "vector-stores-file-search-ignored": (respond(), lambda r: _call_of(r) is None),
    "vector-stores-file-search-results-missing": (
        respond(include=["file_search_call.results"]),
        lambda r: (_call_of(r) or {}).get("results") is None,
    ),
    "vector-stores-file-search-citation-wrong": (respond(include=["file_search_call.results"]), _cites_unfound),
}
