"""Vector stores of the reference server: stores of Files (from the server's `FileStore`), cut into chunks and
searched lexically, and the routes below /v1/vector_stores.

    POST   /v1/vector_stores                                     create (name, file_ids, chunking_strategy,
                                                                 expires_after, metadata)
    GET    /v1/vector_stores                                     list (limit 1..100 default 20, order default
                                                                 desc, after, before)
    GET | POST | DELETE /v1/vector_stores/{id}                   retrieve, modify, delete (its Files stay)
    GET | POST /v1/vector_stores/{id}/files                      list (also `filter` by status), attach
    GET | POST | DELETE /v1/vector_stores/{id}/files/{file_id}   retrieve, update attributes, detach
    GET    /v1/vector_stores/{id}/files/{file_id}/content        the parsed text, as one page
    POST   /v1/vector_stores/{id}/file_batches                   attach several files together
    GET    /v1/vector_stores/{id}/file_batches/{batch_id}        retrieve
    POST   /v1/vector_stores/{id}/file_batches/{batch_id}/cancel cancel (the files still in progress)
    GET    /v1/vector_stores/{id}/file_batches/{batch_id}/files  the batch's files (`filter`, pages)
    POST   /v1/vector_stores/{id}/search                         search

Everything is deterministic. An attached file is `in_progress` for `PROCESSING_SECONDS`, then `completed` when its
bytes are UTF-8 text and `failed` (`last_error` invalid_file) when they are not; a file whose name has an
extension file search does not read is refused at once (400 unsupported_file). Tokens are whitespace-separated
words: a static chunking cuts `max_chunk_size_tokens` words per chunk, each sharing `chunk_overlap_tokens` with
the one before; `auto` is static 800/400, the API's documented defaults. A search scores each chunk by the share of
a query's words it holds (in [0, 1]; the best query counts), keeps the chunks that score above 0 and at least
`ranking_options.score_threshold`, of the files `filters` admit, best first, at most `max_num_results`.
`search_for_tool` is the same search for the Responses API's `file_search` tool (responses.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._pages import cursor_page, limit_of
from ._routing import Served
from ._validation import schema_properties
from .files import FileStore
from .responses import schema_checked

PROCESSING_SECONDS = 0.3
# The API's documented auto strategy (seed 003, AutoChunkingStrategyRequestParam).
AUTO_CHUNK = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}
DEFAULT_RESULTS = 10
DAY = 86_400
# What file search reads (the file search guide's supported extensions); a name without an extension is read.
SUPPORTED = frozenset({
    "c", "cpp", "cs", "css", "doc", "docx", "go", "html", "java", "js", "json", "md", "pdf", "php", "pptx", "py",
    "rb", "sh", "tex", "ts", "txt",
})  # fmt: skip
STATUSES = ("in_progress", "completed", "failed", "cancelled")
WORD = re.compile(r"\w+")
# How often a client polling a file or a batch may ask (the API's `openai-poll-after-ms`, which the SDKs honour).
POLL_AFTER_MS = "100"


def not_found(kind: str, ident: str) -> ApiError:
    return ApiError(404, f"No {kind} found with id '{ident}'.", client=False, validation=False)


# --- the store --------------------------------------------------------------------------------------------------


@dataclass
class StoreFile:
    """A File attached to a store: its own copy of the text (detaching or deleting the File changes nothing)."""

    file_id: str
    filename: str
    data: bytes
    created_at: int
    ready_at: float  # monotonic time its processing ends
    chunking: dict[str, int]
    attributes: dict[str, Any] | None
    reported_chunking: dict[str, Any]
    batch_id: str | None = None
    cancelled: bool = False

    def text(self, config: ServerConfig) -> str | None:
        if config.has("vector-stores-files-fail"):
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def status(self, config: ServerConfig) -> str:
        if self.cancelled:
            return "cancelled"
        if time.monotonic() < self.ready_at:
            return "in_progress"
        return "completed" if self.text(config) is not None else "failed"

    def chunks(self, config: ServerConfig) -> list[str]:
        words = (self.text(config) or "").split()
        size, overlap = self.chunking["max_chunk_size_tokens"], self.chunking["chunk_overlap_tokens"]
        if config.has("vector-stores-chunks-whole-file"):
            size = max(len(words), 1)
        out, start = [], 0
        while start < len(words):
            out.append(" ".join(words[start : start + size]))
            if start + size >= len(words):
                break
            start += size - overlap
        return out


@dataclass
class Batch:
    id: str
    created_at: int
    file_ids: list[str]
    cancelled: bool = False


@dataclass
class VectorStore:
    body: dict[str, Any]  # id, object, created_at, name, metadata, expires_after, last_active_at
    files: dict[str, StoreFile] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)


class VectorStores:
    """The stores a server holds, in creation order, over the server's Files. Callers hold `lock`."""

    def __init__(self, ids: Ids, files: FileStore, config: ServerConfig) -> None:
        self.lock = threading.RLock()
        self.ids = ids
        self.files = files
        self.config = config
        self.stores: dict[str, VectorStore] = {}

    def get(self, ident: str) -> VectorStore:
        found = self.stores.get(ident)
        if found is None:
            raise not_found("vector store", ident)
        return found

    # --- objects as answered ---

    def counts(self, files: list[StoreFile]) -> dict[str, int]:
        statuses = [f.status(self.config) for f in files]
        counts = {status: statuses.count(status) for status in STATUSES}
        counts["total"] = len(files) + (1 if self.config.has("vector-stores-counts-wrong") else 0)
        return counts

    def store_object(self, store: VectorStore) -> dict[str, Any]:
        files = list(store.files.values())
        counts = self.counts(files)
        used = sum(len(f.data) for f in files if f.status(self.config) == "completed")
        body = dict(store.body)
        expires = body.get("expires_after")
        if isinstance(expires, dict):
            days = expires["days"] * (3600 if self.config.has("vector-stores-expires-at-wrong") else DAY)
            body["expires_at"] = body["last_active_at"] + days
        else:
            body["expires_at"] = None
        body.update(
            usage_bytes=0 if self.config.has("vector-stores-usage-zero") else used,
            file_counts=counts,
            status="in_progress" if counts["in_progress"] else "completed",
        )
        return body

    def file_object(self, store: VectorStore, found: StoreFile) -> dict[str, Any]:
        status = found.status(self.config)
        error = None
        if status == "failed" and not self.config.has("vector-stores-failed-no-error"):
            error = {"code": "invalid_file", "message": "The file could not be parsed as text."}
        return {
            "id": found.file_id,
            "object": "vector_store.file",
            "usage_bytes": len(found.data) if status == "completed" else 0,
            "created_at": found.created_at,
            "vector_store_id": store.body["id"],
            "status": status,
            "last_error": error,
            "chunking_strategy": found.reported_chunking,
            "attributes": found.attributes,
        }

    def batch_object(self, store: VectorStore, batch: Batch) -> dict[str, Any]:
        files = [store.files[i] for i in batch.file_ids if i in store.files and store.files[i].batch_id == batch.id]
        counts = self.counts(files)
        if batch.cancelled:
            status = "cancelled"
        elif counts["in_progress"]:
            status = "in_progress"
        elif files and counts["failed"] == len(files):
            status = "failed"
        else:
            status = "failed" if self.config.has("vector-stores-batch-failed") else "completed"
        if self.config.has("vector-stores-batch-total-zero"):
            counts["total"] = 0
        return {
            "id": batch.id,
            "object": "vector_store.files_batch",
            "created_at": batch.created_at,
            "vector_store_id": store.body["id"],
            "status": status,
            "file_counts": counts,
        }

    # --- operations ---

    def create(self, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.create.request")
        file_ids = request.get("file_ids") or []
        chunking = chunking_of(request.get("chunking_strategy"))
        sources = [self.source(file_id, "file_ids") for file_id in file_ids]
        now = int(time.time())
        metadata = request.get("metadata") or {}
        ident = self.ids.item("vs")
        store = VectorStore({
            "id": ident, "object": "vector_store", "created_at": now, "name": request.get("name"),
            "metadata": metadata, "last_active_at": now,
        })  # fmt: skip
        if request.get("expires_after") is not None:
            store.body["expires_after"] = dict(request["expires_after"])
        if not self.config.has("vector-stores-file-ids-ignored"):
            for source in sources:
                self.attach(store, source, chunking, None)
        with self.lock:
            self.stores[ident] = store
            answered = self.store_object(store)
        if self.config.has("vector-stores-metadata-dropped"):
            answered["metadata"] = {}
        return answered

    def listing(self, query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            stores = [self.store_object(s) for s in self.stores.values()]
        if self.config.has("vector-stores-list-stale") and stores:
            stores = stores[:-1]
        if self.config.has("vector-stores-after-ignored"):
            query = {k: v for k, v in query.items() if k != "after"}
        return page(stores, query)

    def retrieve(self, ident: str) -> dict[str, Any]:
        with self.lock:
            body = self.store_object(self.get(ident))
        if self.config.has("vector-stores-retrieve-renamed"):
            body["name"] = f"renamed-{body['name']}"
        return body

    def modify(self, ident: str, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.update.request")
        with self.lock:
            store = self.get(ident)
            changed = dict(store.body)
            for key in ("name", "metadata"):
                if key in request:
                    changed[key] = request[key] if key == "name" else request[key] or {}
            if "expires_after" in request:
                if request["expires_after"] is None:
                    changed.pop("expires_after", None)
                else:
                    changed["expires_after"] = dict(request["expires_after"])
            changed["last_active_at"] = int(time.time())
            answered = self.store_object(VectorStore(changed, store.files, store.batches))
            if not self.config.has("vector-stores-modify-not-kept"):
                store.body = changed
            return answered

    def delete(self, ident: str) -> dict[str, Any]:
        with self.lock:
            store = self.get(ident)
            if not self.config.has("vector-stores-delete-kept"):
                del self.stores[ident]
            if self.config.has("vector-stores-delete-files"):
                for file_id in store.files:
                    self.files.delete(file_id)
        return {"id": ident, "object": "vector_store.deleted", "deleted": True}

    def source(self, file_id: str, param: str) -> tuple[str, str, bytes]:
        """(id, filename, bytes) of a File the server holds; 400 when it holds none or file search cannot read it."""
        found = self.files.get(file_id)
        if found is None:
            raise invalid(f"Invalid '{param}': no file with id '{file_id[:100]}'.", param, "file_not_found")
        filename = str(found.body.get("filename") or "")
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension and extension not in SUPPORTED:
            raise invalid(
                f"Files with extensions [.{extension[:20]}] are not supported for retrieval.", param, "unsupported_file"
            )
        return file_id, filename, found.data

    def attach(
        self,
        store: VectorStore,
        source: tuple[str, str, bytes],
        chunking: dict[str, Any] | None,
        attributes: dict[str, Any] | None,
        batch_id: str | None = None,
    ) -> StoreFile:
        file_id, filename, data = source
        sizes = dict(AUTO_CHUNK) if chunking is None or chunking.get("type") == "auto" else dict(chunking["static"])
        reported: dict[str, Any] = {"type": "static", "static": dict(sizes)}
        if self.config.has("vector-stores-chunking-not-reported"):
            reported = {"type": "static", "static": dict(AUTO_CHUNK)}
        if self.config.has("vector-stores-auto-chunking-other") and (chunking is None or chunking["type"] == "auto"):
            reported = {"type": "other"}
        found = StoreFile(
            file_id, filename, data, int(time.time()), time.monotonic() + PROCESSING_SECONDS, sizes,
            dict(attributes) if attributes is not None else None, reported, batch_id,
        )  # fmt: skip
        with self.lock:
            store.files[file_id] = found
            store.body["last_active_at"] = int(time.time())
        return found

    def attach_file(self, ident: str, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.file.create.request")
        with self.lock:
            store = self.get(ident)
        chunking = chunking_of(request.get("chunking_strategy"))
        found = self.attach(store, self.source(request["file_id"], "file_id"), chunking, request.get("attributes"))
        with self.lock:
            answered = self.file_object(store, found)
        if self.config.has("vector-stores-attach-wrong-store"):
            answered["vector_store_id"] = self.ids.item("vs")
        return answered

    def stored_file(self, ident: str, file_id: str) -> tuple[VectorStore, StoreFile]:
        store = self.get(ident)
        found = store.files.get(file_id)
        if found is None:
            raise not_found("file", file_id)
        return store, found

    def retrieve_file(self, ident: str, file_id: str) -> dict[str, Any]:
        with self.lock:
            body = self.file_object(*self.stored_file(ident, file_id))
        if self.config.has("vector-stores-file-created-at-drift"):
            body["created_at"] += 1
        return body

    def update_file(self, ident: str, file_id: str, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.file.update.request")
        with self.lock:
            store, found = self.stored_file(ident, file_id)
            new = dict(request["attributes"]) if request["attributes"] is not None else None
            answered = {**self.file_object(store, found), "attributes": new}
            if not self.config.has("vector-stores-attributes-not-kept"):
                found.attributes = new
            return answered

    def detach(self, ident: str, file_id: str) -> dict[str, Any]:
        with self.lock:
            store, _ = self.stored_file(ident, file_id)
            if not self.config.has("vector-stores-detach-kept"):
                del store.files[file_id]
        return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}

    def content(self, ident: str, file_id: str) -> dict[str, Any]:
        with self.lock:
            _, found = self.stored_file(ident, file_id)
            text = found.text(self.config) if found.status(self.config) == "completed" else None
        data = []
        if text is not None:
            if self.config.has("vector-stores-content-altered"):
                text = " ".join(text.split()[:-1])
            data = [{"type": "text", "text": text}]
        return {"object": "vector_store.file_content.page", "data": data, "has_more": False, "next_page": None}

    def list_files(self, ident: str, query: dict[str, str], batch_id: str | None = None) -> dict[str, Any]:
        wanted = query.get("filter")
        if wanted is not None and wanted not in STATUSES:
            raise invalid(
                f"Invalid value: '{wanted[:100]}'. Supported values are: " + ", ".join(f"'{s}'" for s in STATUSES),
                "filter",
                "invalid_value",
            )
        with self.lock:
            store = self.get(ident)
            files = list(store.files.values())
            if batch_id is not None:
                batch = self.batch(store, batch_id)
                files = [f for f in files if f.file_id in batch.file_ids and f.batch_id == batch_id]
            objects = [self.file_object(store, f) for f in files]
        if wanted is not None and not self.config.has("vector-stores-file-filter-ignored"):
            objects = [o for o in objects if o["status"] == wanted]
        return page(objects, query)

    def batch(self, store: VectorStore, batch_id: str) -> Batch:
        found = store.batches.get(batch_id)
        if found is None:
            raise not_found("file batch", batch_id)
        return found

    def create_batch(self, ident: str, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.file_batch.create.request")
        with self.lock:
            store = self.get(ident)
        shared = chunking_of(request.get("chunking_strategy"))
        wanted: list[tuple[tuple[str, str, bytes], dict[str, Any] | None, dict[str, Any] | None]] = []
        for n, file_id in enumerate(request.get("file_ids") or []):
            wanted.append((self.source(file_id, f"file_ids[{n}]"), shared, request.get("attributes")))
        for n, one in enumerate(request.get("files") or []):
            source = self.source(one["file_id"], f"files[{n}].file_id")
            wanted.append((source, chunking_of(one.get("chunking_strategy")), one.get("attributes")))
        batch = Batch(self.ids.item("vsfb"), int(time.time()), [source[0] for source, _, _ in wanted])
        with self.lock:
            store.batches[batch.id] = batch
        for source, chunking, attributes in wanted:
            self.attach(store, source, chunking, attributes, batch.id)
        with self.lock:
            return self.batch_object(store, batch)

    def retrieve_batch(self, ident: str, batch_id: str) -> dict[str, Any]:
        with self.lock:
            store = self.get(ident)
            return self.batch_object(store, self.batch(store, batch_id))

    def cancel_batch(self, ident: str, batch_id: str) -> dict[str, Any]:
        """Cancels the batch's files still in progress; a batch that has ended is answered as it is (the API
        documents no refusal: schemas/DECISIONS.md, file-batch-cancel)."""
        with self.lock:
            store = self.get(ident)
            batch = self.batch(store, batch_id)
            if self.batch_object(store, batch)["status"] != "in_progress":
                return self.batch_object(store, batch)
            answered = {**self.batch_object(store, batch), "status": "cancelled"}
            if self.config.has("vector-stores-batch-cancel-ignored"):
                return answered
            batch.cancelled = True
            for file_id in batch.file_ids:
                found = store.files.get(file_id)
                if found is not None and found.batch_id == batch_id and found.status(self.config) == "in_progress":
                    found.cancelled = True
            return self.batch_object(store, batch)

    # --- search ---

    def search(self, ident: str, body: Any) -> dict[str, Any]:
        request = checked(body, "vector_store.search.request")
        query = request["query"]
        queries = [query] if isinstance(query, str) else list(query)
        shown = [" ".join(WORD.findall(q.lower())) for q in queries] if request.get("rewrite_query") else queries
        if self.config.has("vector-stores-search-query-dropped"):
            shown = []
        with self.lock:
            store = self.get(ident)
            store.body["last_active_at"] = int(time.time())
            options = request.get("ranking_options") or {}
            results = self.results(
                [store], queries, request.get("filters"), request.get("max_num_results", DEFAULT_RESULTS),
                options.get("score_threshold", 0),
            )  # fmt: skip
        return {"object": "vector_store.search_results.page", "search_query": shown, "data": results,
                "has_more": False, "next_page": None}  # fmt: skip

    def results(
        self, stores: list[VectorStore], queries: list[str], filters: Any, limit: int, threshold: float
    ) -> list[dict[str, Any]]:
        terms = [set(WORD.findall(q.lower())) for q in queries]
        ignore_filters = self.config.has("vector-stores-search-filters-ignored")
        ignore_threshold = self.config.has("vector-stores-search-threshold-ignored")
        found: list[dict[str, Any]] = []
        for store in stores:
            for one in store.files.values():
                if one.status(self.config) != "completed":
                    continue
                if filters is not None and not ignore_filters and not admits(filters, one.attributes or {}):
                    continue
                for chunk in one.chunks(self.config):
                    words = set(WORD.findall(chunk.lower()))
                    score = max((len(t & words) / len(t) for t in terms if t), default=0.0)
                    if score <= 0 or (score < threshold and not ignore_threshold):
                        continue
                    found.append({
                        "file_id": one.file_id, "filename": one.filename, "score": round(score, 6),
                        "attributes": one.attributes or {}, "content": [{"type": "text", "text": chunk}],
                    })  # fmt: skip
        found.sort(key=lambda r: -r["score"])  # stable: files and chunks in order within a score
        if self.config.has("vector-stores-search-unordered"):
            found.reverse()
        if self.config.has("vector-stores-search-scores-percent"):
            for result in found:
                result["score"] = round(result["score"] * 100, 4)
        if self.config.has("vector-stores-search-finds-nothing"):
            found = []
        return found if self.config.has("vector-stores-search-max-ignored") else found[:limit]

    def search_for_tool(self, tool: dict[str, Any], queries: list[str], at: str) -> list[dict[str, Any]]:
        """The results of a Responses `file_search` tool (`at` its place in the request, for errors): the chunks
        of its vector stores, as a `file_search_call` lists them."""
        given = tool.get("vector_store_ids")
        if not isinstance(given, list) or not given or not all(isinstance(i, str) for i in given):
            raise invalid(f"Missing required parameter: '{at}.vector_store_ids'.", f"{at}.vector_store_ids",
                          "missing_required_parameter")  # fmt: skip
        ranking = tool.get("ranking_options")
        options: dict[str, Any] = ranking if isinstance(ranking, dict) else {}
        limit = tool.get("max_num_results")
        with self.lock:
            stores = []
            for n, ident in enumerate(given):
                if ident not in self.stores:
                    raise invalid(f"Vector store with id '{ident[:100]}' not found.", f"{at}.vector_store_ids[{n}]")
                stores.append(self.stores[ident])
            found = self.results(
                stores, queries, tool.get("filters"), limit if isinstance(limit, int) else DEFAULT_RESULTS,
                float(options.get("score_threshold") or 0),
            )  # fmt: skip
        return [{"file_id": r["file_id"], "filename": r["filename"], "score": r["score"],
                 "attributes": r["attributes"], "text": r["content"][0]["text"]} for r in found]  # fmt: skip


# --- validation, filters, pages ---------------------------------------------------------------------------------


def checked(body: Any, schema: str) -> dict[str, Any]:
    """The body when it fits the request schema `schema`; else the 400 the API gives (an unknown argument first)."""
    if not isinstance(body, dict):
        raise invalid("Invalid type for body: expected an object.", None, "invalid_type")
    known = schema_properties(schema)
    unknown = [name for name in body if name not in known]
    if unknown:
        raise invalid(f"Unknown parameter: '{unknown[0][:100]}'.", unknown[0][:100], "unknown_parameter")
    schema_checked(schema, body)
    for at, strategy in _strategies(body):
        static = strategy.get("static") if isinstance(strategy, dict) else None
        if isinstance(static, dict) and static["chunk_overlap_tokens"] * 2 > static["max_chunk_size_tokens"]:
            raise invalid(
                f"Invalid '{at}.static.chunk_overlap_tokens': it must not exceed half of max_chunk_size_tokens.",
                f"{at}.static.chunk_overlap_tokens",
                "invalid_value",
            )
    return body


def _strategies(body: dict[str, Any]) -> list[tuple[str, Any]]:
    found = [("chunking_strategy", body.get("chunking_strategy"))]
    files = body.get("files")
    found += [(f"files[{n}].chunking_strategy", f.get("chunking_strategy")) for n, f in enumerate(files or [])]
    return found


def chunking_of(strategy: Any) -> dict[str, Any] | None:
    return strategy if isinstance(strategy, dict) else None


def admits(condition: dict[str, Any], attributes: dict[str, Any]) -> bool:
    """Whether a file with `attributes` passes a comparison or compound filter (a missing key never does)."""
    kind = condition.get("type")
    if kind in ("and", "or"):
        parts = [admits(c, attributes) for c in condition.get("filters") or []]
        return all(parts) if kind == "and" else any(parts)
    key, value = condition.get("key"), condition.get("value")
    if key not in attributes:
        return False
    have = attributes[key]
    if kind in ("in", "nin"):
        inside = isinstance(value, list) and have in value
        return inside if kind == "in" else not inside
    if kind in ("eq", "ne"):
        return (have == value) == (kind == "eq")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (have, value))
    strings = isinstance(have, str) and isinstance(value, str)
    if not (numbers or strings):
        return False
    return {"gt": have > value, "gte": have >= value, "lt": have < value, "lte": have <= value}.get(str(kind), False)


def page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor page: `limit` (1..100, default 20), `order` (by created_at, default desc), `after`, `before`."""
    limit = limit_of(query, 20, 100)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid(f"Invalid value: '{order[:100]}'. Supported values are: 'asc' and 'desc'.", "order",
                      "invalid_value")  # fmt: skip
    ordered = items if order == "asc" else items[::-1]
    for cursor in ("after", "before"):
        ident = query.get(cursor)
        if ident is None:
            continue
        position = next((n for n, item in enumerate(ordered) if item["id"] == ident), None)
        if position is None:
            raise invalid(f"Invalid '{cursor}': no object with id '{ident[:100]}'.", cursor)
        ordered = ordered[position + 1 :] if cursor == "after" else ordered[:position]
    return cursor_page(ordered, limit)


# --- routes -----------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    vector_stores: VectorStores


def routes(server: Server) -> list[Route]:
    """The /v1/vector_stores routes, bound to `server`."""
    stores = server.vector_stores

    def answer(body: Any, poll: bool = False) -> Response:
        headers = {"openai-poll-after-ms": POLL_AFTER_MS} if poll else None
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json", headers=headers)

    guarded = server.guarded

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            return answer(stores.listing(dict(request.query_params)))
        return answer(stores.create(await server.json_body(request)))

    async def resource(request: Request) -> Response:
        ident = request.path_params["vector_store_id"]
        if request.method == "DELETE":
            return answer(stores.delete(ident))
        if request.method == "POST":
            return answer(stores.modify(ident, await server.json_body(request)))
        return answer(stores.retrieve(ident))

    async def files(request: Request) -> Response:
        ident = request.path_params["vector_store_id"]
        if request.method == "GET":
            return answer(stores.list_files(ident, dict(request.query_params)))
        return answer(stores.attach_file(ident, await server.json_body(request)), poll=True)

    async def file(request: Request) -> Response:
        ident, file_id = request.path_params["vector_store_id"], request.path_params["file_id"]
        if request.method == "DELETE":
            return answer(stores.detach(ident, file_id))
        if request.method == "POST":
            return answer(stores.update_file(ident, file_id, await server.json_body(request)))
        return answer(stores.retrieve_file(ident, file_id), poll=True)

    async def content(request: Request) -> Response:
        return answer(stores.content(request.path_params["vector_store_id"], request.path_params["file_id"]))

    async def batches(request: Request) -> Response:
        ident = request.path_params["vector_store_id"]
        return answer(stores.create_batch(ident, await server.json_body(request)), poll=True)

    async def batch(request: Request) -> Response:
        ident, batch_id = request.path_params["vector_store_id"], request.path_params["batch_id"]
        return answer(stores.retrieve_batch(ident, batch_id), poll=True)

    async def cancel(request: Request) -> Response:
        ident, batch_id = request.path_params["vector_store_id"], request.path_params["batch_id"]
        return answer(stores.cancel_batch(ident, batch_id), poll=True)

    async def batch_files(request: Request) -> Response:
        ident, batch_id = request.path_params["vector_store_id"], request.path_params["batch_id"]
        return answer(stores.list_files(ident, dict(request.query_params), batch_id))

    async def search(request: Request) -> Response:
        return answer(stores.search(request.path_params["vector_store_id"], await server.json_body(request)))

    base = "/v1/vector_stores/{vector_store_id}"
    return [
        Route("/v1/vector_stores", guarded(collection), methods=["GET", "POST"]),
        Route(base, guarded(resource), methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/files", guarded(files), methods=["GET", "POST"]),
        Route(f"{base}/files/{{file_id}}", guarded(file), methods=["GET", "POST", "DELETE"]),
        Route(f"{base}/files/{{file_id}}/content", guarded(content), methods=["GET"]),
        Route(f"{base}/file_batches", guarded(batches), methods=["POST"]),
        Route(f"{base}/file_batches/{{batch_id}}", guarded(batch), methods=["GET"]),
        Route(f"{base}/file_batches/{{batch_id}}/cancel", guarded(cancel), methods=["POST"]),
        Route(f"{base}/file_batches/{{batch_id}}/files", guarded(batch_files), methods=["GET"]),
        Route(f"{base}/search", guarded(search), methods=["POST"]),
    ]
