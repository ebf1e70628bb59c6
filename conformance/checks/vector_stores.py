"""Vector stores: a store over its life, its files and file batches, search, and the Responses API's file_search
tool over a store.

Every subject is a `Lifecycle` whose `created` exchange is the POST /vector_stores that made the case's store,
with the case's named steps:

    upload                       POST /files: the case's one file (its id, filename and text come from here)
    retrieve, modify, retrieve-modified, list, delete, retrieve-deleted, file-after-delete
    attach, poll (each retrieve while the file was processed), store-after (the store once it was not), file,
    list, list-<status> (the files list with `filter=<status>`), content, update, retrieve-updated, detach,
    retrieve-detached, list-after-detach, file-after-detach
    batch, batch-poll, batch-files, cancel, batch-after-cancel
    search, search-array, search-rewritten, search-max, filter-match, filter-miss, search-threshold
    respond (a response with the file_search tool and `include: file_search_call.results`), respond-plain
    (the same without `include`)

A rule reads the steps it needs and is not applicable when the case made none. The files lists' page invariants
are `checks.pagination`'s, under `vector-stores.files.pages.*` and `vector-stores.batches.files.pages.*`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as _on
from conformance.checks.evidence import cited_answer as _body
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.rule import Broken, Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

DAY = 86_400
EXPIRY_SLACK = 3_600  # seconds between expires_at and last_active_at + days that are not a finding
AUTO = {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}
SEARCHES = ("search", "search-array", "search-rewritten", "search-max", "filter-match", "filter-miss",
            "search-threshold")  # fmt: skip


# --- reading the lifecycle --------------------------------------------------------------------------------------


def _asked(exchange: Exchange) -> dict[str, Any]:
    return exchange.request.json if isinstance(exchange.request.json, dict) else {}


def _query(exchange: Exchange) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(exchange.request.url).query))


def _store(life: Lifecycle) -> dict[str, Any]:
    """The store as created; not applicable when the create failed (vector-stores.create.schema reports that)."""
    response = life.created.response
    body = response.json if response is not None and response.status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise NotApplicable(f"creating the vector store failed ({received(life.created)[10:90]})")
    return body


def _items(exchange: Exchange) -> list[dict[str, Any]]:
    body = _body(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _same(got: Exchange, wanted: dict[str, Any], keys: tuple[str, ...], what: str) -> Iterator[Violation]:
    body = _body(got)
    for key in keys:
        have = body.get(key) if isinstance(body, dict) else None
        if key in wanted and json.dumps(have, sort_keys=True) != json.dumps(wanted[key], sort_keys=True):
            yield Violation(
                f"Received: {key} {excerpt(have, 160)}\nExpected: {excerpt(wanted[key], 160)}, {what}",
                f"$.{key}",
                got.index,
            )


def uploaded(life: Lifecycle) -> tuple[str, str, str]:
    """(file id, filename, text) of the case's one upload: the id from the answer, the rest from what was sent."""
    upload = life.step("upload")
    body = _body(upload)
    ident = body.get("id") if isinstance(body, dict) else None
    if not isinstance(ident, str):
        raise Broken(f"{received(upload)}\nExpected: a file object with an id", "$.id")
    content_type = upload.request.header("content-type") or ""
    message = BytesParser(policy=HTTP).parsebytes(
        f"content-type: {content_type}\r\n\r\n".encode() + upload.request.body
    )
    for part in message.iter_parts() if message.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == "file":
            data = part.get_payload(decode=True)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
            return ident, str(part.get_filename() or ""), text
    raise NotApplicable("the upload sent no `file` field")


def _file_objects(life: Lifecycle) -> Iterator[tuple[Exchange, str, dict[str, Any]]]:
    """Every vector store file object the case read, with the exchange and where in its body it is."""
    for _, exchange in life.steps:
        body = exchange.ok_json
        if not isinstance(body, dict):
            continue
        if body.get("object") == "vector_store.file":
            yield exchange, "$", body
        data = body.get("data")
        for n, item in enumerate(data if isinstance(data, list) else []):
            if isinstance(item, dict) and item.get("object") == "vector_store.file":
                yield exchange, f"$.data[{n}]", item


def _counted(life: Lifecycle) -> Iterator[tuple[Exchange, str, dict[str, Any]]]:
    """Every object with `file_counts` the case read (stores, batches, the stores of a list)."""
    for exchange in life.exchanges:
        body = exchange.ok_json
        if not isinstance(body, dict):
            continue
        if isinstance(body.get("file_counts"), dict):
            yield exchange, "$.file_counts", body
        data = body.get("data")
        for n, item in enumerate(data if isinstance(data, list) else []):
            if isinstance(item, dict) and isinstance(item.get("file_counts"), dict):
                yield exchange, f"$.data[{n}].file_counts", item


def _attaching(life: Lifecycle) -> dict[str, Any]:
    """The request that attached the case's file: the attach, the batch, or the store's own create."""
    for name in ("attach", "batch"):
        found = life.all(name)
        if found:
            return _asked(found[-1])
    return _asked(life.created)


def _static(life: Lifecycle) -> dict[str, Any] | None:
    strategy = _attaching(life).get("chunking_strategy")
    if isinstance(strategy, dict) and strategy.get("type") == "static" and isinstance(strategy.get("static"), dict):
        return strategy["static"]
    return None


# --- the store --------------------------------------------------------------------------------------------------


@check("vector-stores.create.schema")
def create_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    body = _body(life.created)
    yield from _on(life.created, schema_violations("vector_store", body))
    asked = _asked(life.created)
    for key, default in (("name", None), ("metadata", {})):
        if isinstance(body, dict) and key in asked and (body.get(key) or default) != (asked[key] or default):
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 160)}\nExpected: {excerpt(asked[key], 160)}, as sent",
                f"$.{key}",
                life.created.index,
            )


@check("vector-stores.create.expires-at")
def create_expires_at(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = _asked(life.created).get("expires_after")
    if not isinstance(wanted, dict) or not isinstance(wanted.get("days"), int):
        raise NotApplicable("the store was created without `expires_after`")
    for exchange in (life.created, *life.all("retrieve")):
        body = _body(exchange)
        got = body.get("expires_after") if isinstance(body, dict) else None
        if got != wanted:
            yield Violation(
                f"Received: expires_after {excerpt(got, 120)}\nExpected: {excerpt(wanted, 120)}, as sent",
                "$.expires_after",
                exchange.index,
            )
        active, expires = body.get("last_active_at"), body.get("expires_at")
        if not isinstance(active, int) or not isinstance(expires, int):
            yield Violation(
                f"Received: last_active_at {active!r}, expires_at {expires!r}\nExpected: two Unix times",
                "$.expires_at",
                exchange.index,
            )
        elif abs(expires - (active + wanted["days"] * DAY)) > EXPIRY_SLACK:
            yield Violation(
                f"Received: expires_at {expires}, {(expires - active) / DAY:g} days after last_active_at {active}\n"
                f"Expected: {wanted['days']} days after it ({active + wanted['days'] * DAY})",
                "$.expires_at",
                exchange.index,
            )


@check("vector-stores.create.file-ids")
def create_file_ids(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = _asked(life.created).get("file_ids")
    if not isinstance(wanted, list) or not wanted:
        raise NotApplicable("the store was created without `file_ids`")
    _store(life)
    settled = _body(life.step("store-after"))
    counts = settled.get("file_counts") if isinstance(settled, dict) else None
    total = counts.get("total") if isinstance(counts, dict) else None
    if total != len(wanted):
        yield Violation(
            f"Received: file_counts {excerpt(counts, 160)}\nExpected: total {len(wanted)}, the files of `file_ids`",
            "$.file_counts.total",
            life.step("store-after").index,
        )
    listing = life.step("list")
    listed = [item.get("id") for item in _items(listing)]
    if sorted(map(str, listed)) != sorted(wanted):
        yield Violation(
            f"Received: the store's files {excerpt(listed, 160)}\nExpected: {excerpt(wanted, 160)}, its `file_ids`",
            "$.data",
            listing.index,
        )


@check("vector-stores.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    got = life.step("retrieve")
    yield from _on(got, schema_violations("vector_store", _body(got)))
    yield from _same(got, _store(life), ("id", "object", "created_at", "name", "metadata"), "as created")


@check("vector-stores.modify.kept")
def modify_kept(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    modify = life.step("modify")
    wanted = {k: v for k, v in _asked(modify).items() if k in ("name", "metadata")}
    if not wanted:
        raise NotApplicable("the modification changed neither name nor metadata")
    for step in ("modify", "retrieve-modified"):
        got = life.step(step)
        yield from _on(got, schema_violations("vector_store", _body(got)))
        yield from _same(got, wanted, ("name", "metadata"), "as modified")


@check("vector-stores.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = _store(life)["id"]
    listing = life.step("list")
    yield from _on(listing, schema_violations("vector_store.list", _body(listing)))
    ids = [item.get("id") for item in _items(listing)]
    if ident not in ids:
        yield Violation(
            f"Received: a list of {len(ids)} vector stores {excerpt(ids, 160)}\n"
            f"Expected: the store just created, {ident!r}, among them",
            "$.data",
            listing.index,
        )


@check("vector-stores.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = _store(life)["id"]
    deleted = life.step("delete")
    body = _body(deleted)
    yield from _on(deleted, schema_violations("vector_store.deleted", body))
    if isinstance(body, dict) and body.get("id") != ident:
        yield Violation(
            f"Received: id {body.get('id')!r}\nExpected: {ident!r}, the store deleted", "$.id", deleted.index
        )
    gone = life.step("retrieve-deleted")
    if gone.response is None or gone.response.status != 404:
        yield Violation(f"{received(gone)}\nExpected: 404 for the deleted vector store", "", gone.index)


@check("vector-stores.delete.keeps-files")
def delete_keeps_files(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = uploaded(life)[0]
    _body(life.step("delete"))
    after = life.step("file-after-delete")
    body = after.response.json if after.response is not None and after.response.status == 200 else None
    if not isinstance(body, dict) or body.get("id") != ident:
        yield Violation(
            f"{received(after)}\nExpected: 200 with the file {ident!r}: deleting a store detaches its files, "
            "it does not delete them",
            "",
            after.index,
        )


@check("vector-stores.file-counts.add-up")
def file_counts_add_up(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    seen = False
    for exchange, at, body in _counted(life):
        seen = True
        counts = body["file_counts"]
        parts = [counts.get(k) for k in ("in_progress", "completed", "failed", "cancelled")]
        total = counts.get("total")
        numbers = [*parts, total]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            yield Violation(
                f"Received: {excerpt(counts, 160)}\nExpected: non-negative integer counts", at, exchange.index
            )
        elif sum(parts) != total:
            yield Violation(
                f"Received: in_progress + completed + failed + cancelled = {sum(parts)}, total {total}\n"
                "Expected: the four counts add up to total",
                at,
                exchange.index,
            )
    if not seen:
        raise NotApplicable("the case read no object with file_counts")
    for step, wanted in _settled_totals(life):
        body = _body(step)
        counts = body.get("file_counts") if isinstance(body, dict) else None
        total = counts.get("total") if isinstance(counts, dict) else None
        if total != wanted:
            yield Violation(
                f"Received: file_counts.total {total!r}\nExpected: {wanted}, the files it holds",
                "$.file_counts.total",
                step.index,
            )


def _settled_totals(life: Lifecycle) -> list[tuple[Exchange, int]]:
    """(an object read once nothing was in progress, the files it holds): the store against its whole files list,
    the batch against the files sent."""
    out = []
    lists = life.all("list")
    if life.all("store-after") and lists:
        out.append((life.step("store-after"), len(_items(lists[-1]))))
    polls = life.all("batch-poll")
    if polls and life.all("batch"):
        sent = _asked(life.step("batch"))
        out.append((polls[-1], len(sent.get("file_ids") or []) + len(sent.get("files") or [])))
    return out


@check("vector-stores.usage-bytes.counted")
def usage_bytes_counted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = _store(life)
    if not _asked(life.created).get("file_ids") and created.get("usage_bytes") != 0:
        yield Violation(
            f"Received: usage_bytes {created.get('usage_bytes')!r} for a store created without files\nExpected: 0",
            "$.usage_bytes",
            life.created.index,
        )
    settled = life.step("store-after")
    body = _body(settled)
    counts = body.get("file_counts") if isinstance(body, dict) else None
    if isinstance(counts, dict) and isinstance(counts.get("completed"), int) and counts["completed"] > 0:
        used = body.get("usage_bytes")
        if not isinstance(used, int) or used <= 0:
            yield Violation(
                f"Received: usage_bytes {used!r} with {counts['completed']} completed file(s)\nExpected: above 0",
                "$.usage_bytes",
                settled.index,
            )


# --- files ------------------------------------------------------------------------------------------------------


@check("vector-stores.files.attach")
def files_attach(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    store = _store(life)
    attach = life.step("attach")
    body = _body(attach)
    yield from _on(attach, schema_violations("vector_store.file", body))
    asked = _asked(attach)
    wanted = {"id": asked.get("file_id"), "vector_store_id": store["id"]}
    if "attributes" in asked:
        wanted["attributes"] = asked["attributes"]
    yield from _same(attach, wanted, tuple(wanted), "the file and store of the request")
    if isinstance(body, dict) and body.get("status") not in ("in_progress", "completed"):
        yield Violation(
            f"Received: status {body.get('status')!r}\nExpected: in_progress or completed for a small text file",
            "$.status",
            attach.index,
        )


@check("vector-stores.files.completes")
def files_complete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    polls = life.all("poll")
    if not polls:
        raise NotApplicable("the case polled no file")
    statuses = []
    for exchange in (life.step("attach"), *polls):
        body = _body(exchange)
        statuses.append((exchange, body.get("status") if isinstance(body, dict) else None))
    for (_, before), (exchange, now) in itertools.pairwise(statuses):
        if before != "in_progress" and now == "in_progress":
            yield Violation(
                f"Received: status in_progress after {before!r}\nExpected: never back to in_progress",
                "$.status",
                exchange.index,
            )
    last, status = statuses[-1]
    if status != "completed":
        body = _body(last)
        yield Violation(
            f"Received: status {status!r} (last_error {excerpt(body.get('last_error'), 160)}) after "
            f"{len(polls)} polls\nExpected: completed, for a small text file",
            "$.status",
            last.index,
        )


@check("vector-stores.files.last-error")
def files_last_error(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    seen = False
    for exchange, at, item in _file_objects(life):
        seen = True
        error, status = item.get("last_error"), item.get("status")
        if status == "failed":
            fine = isinstance(error, dict) and all(
                isinstance(error.get(k), str) and error[k] for k in ("code", "message")
            )
            if not fine:
                yield Violation(
                    f"Received: a failed file with last_error {excerpt(error, 160)}\n"
                    "Expected: last_error {code, message} saying why it failed",
                    f"{at}.last_error",
                    exchange.index,
                )
        elif error is not None:
            yield Violation(
                f"Received: status {status!r} with last_error {excerpt(error, 160)}\n"
                "Expected: last_error null unless the file failed",
                f"{at}.last_error",
                exchange.index,
            )
    if not seen:
        attach = life.all("attach")
        if attach and attach[-1].response is not None and 400 <= attach[-1].response.status < 500:
            raise NotApplicable(f"the server refused the file at once ({received(attach[-1])[10:120]})")
        raise NotApplicable("the case read no vector store file")


@check("vector-stores.files.retrieve.same")
def files_retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    attached = _body(life.step("attach"))
    got = life.step("file")
    yield from _on(got, schema_violations("vector_store.file", _body(got)))
    if isinstance(attached, dict):
        yield from _same(got, attached, ("id", "object", "vector_store_id", "created_at", "attributes"), "as attached")


@check("vector-stores.files.chunking-static")
def files_chunking_static(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    sizes = _static(life)
    if sizes is None:
        raise NotApplicable("the file was attached without a static chunking strategy")
    wanted = {"type": "static", "static": sizes}
    yield from _chunking(life, wanted, "the static strategy sent")


@check("vector-stores.files.chunking-auto")
def files_chunking_auto(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    strategy = _attaching(life).get("chunking_strategy")
    if strategy is not None and not (isinstance(strategy, dict) and strategy.get("type") == "auto"):
        raise NotApplicable("the file was attached with a static chunking strategy")
    yield from _chunking(life, {"type": "static", "static": AUTO}, "the auto strategy's documented sizes")


def _chunking(life: Lifecycle, wanted: dict[str, Any], what: str) -> Iterator[Violation]:
    seen = False
    for exchange, at, item in _file_objects(life):
        if item.get("status") == "failed":
            continue  # a file that could not be read was not chunked
        seen = True
        got = item.get("chunking_strategy")
        if got != wanted:
            yield Violation(
                f"Received: chunking_strategy {excerpt(got, 160)}\nExpected: {excerpt(wanted, 160)}, {what}",
                f"{at}.chunking_strategy",
                exchange.index,
            )
    if not seen:
        raise NotApplicable("the case read no vector store file that did not fail")


@check("vector-stores.files.list-filter")
def files_list_filter(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = uploaded(life)[0]
    listing = life.step("list")
    yield from _on(listing, schema_violations("vector_store.file.list", _body(listing)))
    if ident not in [item.get("id") for item in _items(listing)]:
        yield Violation(
            f"Received: the store's files {excerpt([i.get('id') for i in _items(listing)], 160)}\n"
            f"Expected: the file attached, {ident!r}, among them",
            "$.data",
            listing.index,
        )
    status = _final_status(life)
    filtered = [(name, e) for name, e in life.steps if name.startswith("list-") and "filter" in _query(e)]
    if not filtered:
        raise NotApplicable("the case listed no files with `filter`")
    for _, exchange in filtered:
        wanted = _query(exchange)["filter"]
        items = _items(exchange)
        others = [(i.get("id"), i.get("status")) for i in items if i.get("status") != wanted]
        ids = [i.get("id") for i in items]
        if others:
            yield Violation(
                f"Received: files of other statuses {excerpt(others, 160)} for filter={wanted}\n"
                f"Expected: only files with status {wanted}",
                "$.data",
                exchange.index,
            )
        if status == wanted and ident not in ids:
            yield Violation(
                f"Received: {excerpt(ids, 160)} for filter={wanted}\nExpected: the {wanted} file {ident!r} listed",
                "$.data",
                exchange.index,
            )


def _final_status(life: Lifecycle) -> Any:
    for name in ("file", "poll"):
        found = life.all(name)
        if found:
            body = _body(found[-1])
            return body.get("status") if isinstance(body, dict) else None
    return None


@check("vector-stores.files.attributes-update")
def files_attributes_update(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    update = life.step("update")
    wanted = {"attributes": _asked(update).get("attributes")}
    for step in ("update", "retrieve-updated"):
        got = life.step(step)
        yield from _on(got, schema_violations("vector_store.file", _body(got)))
        yield from _same(got, wanted, ("attributes",), "as updated")


@check("vector-stores.files.content")
def files_content(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    text = uploaded(life)[2]
    got = life.step("content")
    body = _body(got)
    yield from _on(got, schema_violations("vector_store.file.content", body))
    parts = body.get("data") if isinstance(body, dict) else None
    joined = " ".join(p.get("text", "") for p in parts or [] if isinstance(p, dict) and isinstance(p.get("text"), str))
    if joined.split() != text.split():
        have, want = joined.split(), text.split()
        where = next((n for n, (a, b) in enumerate(zip(have, want, strict=False)) if a != b), min(len(have), len(want)))
        got_words, want_words = " ".join(have[where : where + 8]), " ".join(want[where : where + 8])
        yield Violation(
            f"Received: {len(have)} words, differing from word {where}: {excerpt(got_words, 120)}\n"
            f"Expected: the {len(want)} words of the file: {excerpt(want_words, 120)}",
            "$.data",
            got.index,
        )


@check("vector-stores.files.detach")
def files_detach(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = uploaded(life)[0]
    detach = life.step("detach")
    body = _body(detach)
    yield from _on(detach, schema_violations("vector_store.file.deleted", body))
    if isinstance(body, dict) and body.get("id") != ident:
        yield Violation(
            f"Received: id {body.get('id')!r}\nExpected: {ident!r}, the file detached", "$.id", detach.index
        )
    gone = life.step("retrieve-detached")
    if gone.response is None or gone.response.status != 404:
        yield Violation(f"{received(gone)}\nExpected: 404 for the detached file", "", gone.index)
    listing = life.step("list-after-detach")
    if ident in [item.get("id") for item in _items(listing)]:
        yield Violation(
            f"Received: the detached file {ident!r} still listed\nExpected: it left the store", "$.data", listing.index
        )
    kept = life.step("file-after-detach")
    found = kept.response.json if kept.response is not None and kept.response.status == 200 else None
    if not isinstance(found, dict) or found.get("id") != ident:
        yield Violation(
            f"{received(kept)}\nExpected: 200 with the file {ident!r}: detaching leaves it in /v1/files", "", kept.index
        )


# --- file batches -----------------------------------------------------------------------------------------------


def _sent(batch: Exchange) -> list[Any]:
    asked = _asked(batch)
    return [
        *(asked.get("file_ids") or []),
        *(f.get("file_id") for f in asked.get("files") or [] if isinstance(f, dict)),
    ]


@check("vector-stores.batches.create")
def batches_create(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    store = _store(life)
    batch = life.step("batch")
    body = _body(batch)
    yield from _on(batch, schema_violations("vector_store.file_batch", body))
    yield from _same(batch, {"vector_store_id": store["id"]}, ("vector_store_id",), "the store of the request")
    counts = body.get("file_counts") if isinstance(body, dict) else None
    total = counts.get("total") if isinstance(counts, dict) else None
    if total != len(_sent(batch)):
        yield Violation(
            f"Received: file_counts.total {total!r}\nExpected: {len(_sent(batch))}, the files sent",
            "$.file_counts.total",
            batch.index,
        )


@check("vector-stores.batches.completes")
def batches_complete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    polls = life.all("batch-poll")
    if not polls:
        raise NotApplicable("the case polled no file batch")
    before: Any = None
    for exchange in polls:
        body = _body(exchange)
        status = body.get("status") if isinstance(body, dict) else None
        if before not in (None, "in_progress") and status == "in_progress":
            yield Violation(
                f"Received: status in_progress after {before!r}\nExpected: never back", "$.status", exchange.index
            )
        before = status
    last = polls[-1]
    body = _body(last)
    counts = body.get("file_counts") if isinstance(body, dict) else {}
    counts = counts if isinstance(counts, dict) else {}
    done = counts.get("completed", 0), counts.get("failed", 0)
    status = body.get("status") if isinstance(body, dict) else None
    if status not in ("completed", "failed") or (status == "failed" and done[0]):
        yield Violation(
            f"Received: status {status!r} with file_counts {excerpt(counts, 160)}\n"
            "Expected: completed (failed only when no file completed)",
            "$.status",
            last.index,
        )
    elif sum(n for n in done if isinstance(n, int)) != counts.get("total"):
        yield Violation(
            f"Received: file_counts {excerpt(counts, 160)}\nExpected: every file completed or failed",
            "$.file_counts",
            last.index,
        )
    listing = life.step("batch-files")
    listed = sorted(str(item.get("id")) for item in _items(listing))
    sent = sorted(map(str, _sent(life.step("batch"))))
    if listed != sent:
        yield Violation(
            f"Received: the batch's files {excerpt(listed, 160)}\nExpected: {excerpt(sent, 160)}, the files sent",
            "$.data",
            listing.index,
        )


@check("vector-stores.batches.cancel")
def batches_cancel(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    after = life.all("batch-after-cancel")
    final = _body(after[-1]) if after else None
    final_status = final.get("status") if isinstance(final, dict) else None
    response = cancel.response
    if response is not None and 400 <= response.status < 500 and final_status in ("completed", "failed"):
        raise NotApplicable(f"the batch had finished before the cancel ({received(cancel)[10:100]})")
    body = _body(cancel)
    yield from _on(cancel, schema_violations("vector_store.file_batch", body))
    status = body.get("status") if isinstance(body, dict) else None
    if status in ("completed", "failed"):
        raise NotApplicable(f"the batch had finished before the cancel (status {status})")
    if status not in ("cancelling", "cancelled"):
        yield Violation(f"Received: status {status!r}\nExpected: cancelling or cancelled", "$.status", cancel.index)
    if not after:
        raise NotApplicable("the case did not read the batch after the cancel")
    if final_status != "cancelled":
        yield Violation(
            f"Received: status {final_status!r} after the cancel\nExpected: cancelled",
            "$.status",
            after[-1].index,
        )


# --- search -----------------------------------------------------------------------------------------------------


def _searches(life: Lifecycle) -> list[tuple[str, Exchange]]:
    found = [(name, exchange) for name, exchange in life.steps if name in SEARCHES]
    if not found:
        raise NotApplicable("the case searched no vector store")
    return found


def _results(exchange: Exchange) -> list[dict[str, Any]]:
    return _items(exchange)


def _texts(result: dict[str, Any]) -> list[str]:
    """The texts of a search result's content parts, lowercased."""
    parts = result.get("content")
    return [str(p.get("text", "")).lower() for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


@check("vector-stores.search.schema")
def search_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    for _, exchange in _searches(life):
        body = _body(exchange)
        yield from _on(exchange, schema_violations("vector_store.search.results", body))
        asked = _asked(exchange)
        query = asked.get("query")
        if asked.get("rewrite_query") is True or not isinstance(body, dict):
            continue
        wanted = [query] if isinstance(query, str) else query
        if body.get("search_query") != wanted:
            yield Violation(
                f"Received: search_query {excerpt(body.get('search_query'), 160)}\n"
                f"Expected: {excerpt(wanted, 160)}, the queries sent (rewrite_query not asked)",
                "$.search_query",
                exchange.index,
            )


@check("vector-stores.search.finds")
def search_finds(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident, filename, _ = uploaded(life)
    search = life.step("search")
    query = _asked(search).get("query")
    words = [w.lower() for w in (query if isinstance(query, str) else " ".join(query or [])).split()]
    results = _results(search)
    hits = [
        r for r in results
        if r.get("file_id") == ident
        and any(w in text for text in _texts(r) for w in words)
    ]  # fmt: skip
    if not hits:
        yield Violation(
            f"Received: {len(results)} results, files {excerpt([r.get('file_id') for r in results], 120)}\n"
            f"Expected: a chunk of {ident!r} holding {excerpt(query, 60)}",
            "$.data",
            search.index,
        )
    for result in hits:
        if result.get("filename") != filename:
            yield Violation(
                f"Received: filename {result.get('filename')!r}\nExpected: {filename!r}, as uploaded",
                f"$.data[{results.index(result)}].filename",
                search.index,
            )
            break


@check("vector-stores.search.scores")
def search_scores(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    for _, exchange in _searches(life):
        scores = [r.get("score") for r in _results(exchange)]
        for n, score in enumerate(scores):
            if not isinstance(score, int | float) or isinstance(score, bool) or not 0 <= score <= 1:
                yield Violation(
                    f"Received: score {score!r}\nExpected: a number in [0, 1]", f"$.data[{n}].score", exchange.index
                )
                break
        else:
            numbers: list[float] = [float(score) for score in scores if isinstance(score, int | float)]
            for n in range(1, len(numbers)):
                if numbers[n] > numbers[n - 1]:
                    yield Violation(
                        f"Received: scores {excerpt(scores, 160)}\nExpected: highest first",
                        f"$.data[{n}].score",
                        exchange.index,
                    )
                    break


@check("vector-stores.search.max-num-results")
def search_max_num_results(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    limited = [(n, e) for n, e in _searches(life) if isinstance(_asked(e).get("max_num_results"), int)]
    if not limited:
        raise NotApplicable("no search asked for `max_num_results`")
    for _, exchange in limited:
        wanted, got = _asked(exchange)["max_num_results"], len(_results(exchange))
        if got > wanted:
            yield Violation(
                f"Received: {got} results\nExpected: at most max_num_results {wanted}", "$.data", exchange.index
            )


@check("vector-stores.search.filters")
def search_filters(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = uploaded(life)[0]
    judged = False
    for name, exchange in _searches(life):
        if name not in ("filter-match", "filter-miss"):
            continue
        judged = True
        filters = _asked(exchange).get("filters")
        found = [r.get("file_id") for r in _results(exchange)]
        if name == "filter-match" and ident not in found:
            yield Violation(
                f"Received: results of {excerpt(found, 120)} for filters {excerpt(filters, 160)}\n"
                f"Expected: a result of {ident!r}, whose attributes match",
                "$.data",
                exchange.index,
            )
        if name == "filter-miss" and ident in found:
            yield Violation(
                f"Received: a result of {ident!r} for filters {excerpt(filters, 160)}\n"
                "Expected: none of it: its attributes do not match",
                "$.data",
                exchange.index,
            )
    if not judged:
        raise NotApplicable("no search sent `filters`")


@check("vector-stores.search.score-threshold")
def search_score_threshold(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    judged = False
    for _, exchange in _searches(life):
        options = _asked(exchange).get("ranking_options")
        threshold = options.get("score_threshold") if isinstance(options, dict) else None
        if not isinstance(threshold, int | float):
            continue
        judged = True
        for n, result in enumerate(_results(exchange)):
            score = result.get("score")
            if isinstance(score, int | float) and score < threshold:
                yield Violation(
                    f"Received: score {score}\nExpected: at least score_threshold {threshold}",
                    f"$.data[{n}].score",
                    exchange.index,
                )
                break
    if not judged:
        raise NotApplicable("no search sent `ranking_options.score_threshold`")


@check("vector-stores.search.chunk-size")
def search_chunk_size(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    sizes = _static(life)
    if sizes is None or not isinstance(sizes.get("max_chunk_size_tokens"), int):
        raise NotApplicable("the file was attached without a static chunking strategy")
    limit = sizes["max_chunk_size_tokens"]
    for _, exchange in _searches(life):
        for n, result in enumerate(_results(exchange)):
            for m, part in enumerate(result.get("content") or []):
                words = len(str(part.get("text", "")).split()) if isinstance(part, dict) else 0
                if words > limit:
                    yield Violation(
                        f"Received: a chunk of {words} words\nExpected: at most {limit} (max_chunk_size_tokens)",
                        f"$.data[{n}].content[{m}].text",
                        exchange.index,
                    )
                    return


# --- the file_search tool of the Responses API ------------------------------------------------------------------


def _output(exchange: Exchange) -> list[dict[str, Any]]:
    body = _body(exchange)
    output = body.get("output") if isinstance(body, dict) else None
    return [item for item in output if isinstance(item, dict)] if isinstance(output, list) else []


def _calls(exchange: Exchange) -> list[tuple[int, dict[str, Any]]]:
    return [(n, item) for n, item in enumerate(_output(exchange)) if item.get("type") == "file_search_call"]


@check("vector-stores.file-search.call")
def file_search_call(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    respond = life.step("respond")
    calls = _calls(respond)
    if not calls:
        types = [item.get("type") for item in _output(respond)]
        yield Violation(
            f"Received: output items {excerpt(types, 160)}\nExpected: a file_search_call (the tool was forced)",
            "$.output",
            respond.index,
        )
        return
    for n, call in calls:
        yield from _on(respond, schema_violations("response.file-search-call", call, prefix=f"$.output[{n}]"))
        if call.get("status") != "completed":
            yield Violation(
                f"Received: status {call.get('status')!r}\nExpected: completed, in a completed response",
                f"$.output[{n}].status",
                respond.index,
            )
    messages = [n for n, item in enumerate(_output(respond)) if item.get("type") == "message"]
    if messages and messages[0] < calls[0][0]:
        yield Violation(
            f"Received: the message at output[{messages[0]}], the file_search_call at output[{calls[0][0]}]\n"
            "Expected: the search before the answer that uses it",
            "$.output",
            respond.index,
        )


@check("vector-stores.file-search.results")
def file_search_results(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = uploaded(life)[0]
    respond = life.step("respond")
    calls = _calls(respond)
    if not calls:
        raise NotApplicable("the response has no file_search_call (vector-stores.file-search.call reports it)")
    for n, call in calls:
        results = call.get("results")
        if not isinstance(results, list) or not results:
            yield Violation(
                f"Received: results {excerpt(results, 120)}\n"
                "Expected: the results, as `include: [file_search_call.results]` asked",
                f"$.output[{n}].results",
                respond.index,
            )
            continue
        others = [r.get("file_id") for r in results if isinstance(r, dict) and r.get("file_id") != ident]
        if others:
            yield Violation(
                f"Received: results of {excerpt(others, 120)}\nExpected: results of the store's one file, {ident!r}",
                f"$.output[{n}].results",
                respond.index,
            )
    for plain in life.all("respond-plain"):
        for n, call in _calls(plain):
            if call.get("results") is not None:
                yield Violation(
                    f"Received: results {excerpt(call.get('results'), 120)}\n"
                    "Expected: null (or no key): `include` did not ask for them",
                    f"$.output[{n}].results",
                    plain.index,
                )


@check("vector-stores.file-search.citations")
def file_search_citations(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident, filename, _ = uploaded(life)
    respond = life.step("respond")
    found = {ident: filename}
    for _, call in _calls(respond):
        for result in call.get("results") or []:
            if isinstance(result, dict) and isinstance(result.get("file_id"), str):
                found[result["file_id"]] = result.get("filename", filename)
    cited = 0
    for n, item in enumerate(_output(respond)):
        for m, part in enumerate(item.get("content") or [] if item.get("type") == "message" else []):
            if not isinstance(part, dict) or part.get("type") != "output_text":
                continue
            text = part["text"] if isinstance(part.get("text"), str) else ""
            for k, note in enumerate(part.get("annotations") or []):
                if not isinstance(note, dict) or note.get("type") != "file_citation":
                    continue
                cited += 1
                at = f"$.output[{n}].content[{m}].annotations[{k}]"
                yield from _citation(respond, at, note, text, found)
    if not cited:
        raise NotApplicable("the answer cites no file")


def _citation(
    respond: Exchange, at: str, note: dict[str, Any], text: str, found: dict[str, Any]
) -> Iterator[Violation]:
    """A file_citation (response.file-search-call.json, $defs.file_citation) names a file the search found, by its
    id and name, at a place in the text."""
    missing = [k for k in ("file_id", "filename", "index") if k not in note]
    if missing:
        yield Violation(f"Received: {excerpt(note, 160)}\nExpected: also {', '.join(missing)}", at, respond.index)
        return
    if note["file_id"] not in found:
        yield Violation(
            f"Received: a citation of {note['file_id']!r}\n"
            f"Expected: a file the search found, {excerpt(list(found), 120)}",
            f"{at}.file_id",
            respond.index,
        )
    elif note["filename"] != found[note["file_id"]]:
        yield Violation(
            f"Received: filename {note['filename']!r}\nExpected: {found[note['file_id']]!r}, the cited file's name",
            f"{at}.filename",
            respond.index,
        )
    index = note["index"]
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= len(text):
        yield Violation(
            f"Received: index {index!r}\nExpected: a place in the text (0..{len(text)})", f"{at}.index", respond.index
        )
