"""Files: an uploaded file over its life (retrieve, content, list, the purpose filter, delete) and the uploads the
API refuses.

The subject of the lifecycle rules is a `FileLifecycle`: the upload exchange (POST /v1/files), what the case sent
in it (`SentFile`: the name, purpose and bytes, and `expires_after` when it asked for one), then the case's named
steps: "retrieve", "content", "list" (GET /v1/files), "created" (more files the case uploaded) and
"list-purpose" (GET /v1/files?purpose=...), "delete", "retrieve-deleted", "content-deleted". The refusals are
judged on the one exchange that sent the mistake (case-bound: a captured upload shows no intent). The list's page
invariants are `checks.pagination`'s, under `files.pages.*`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import cited_answer as body_of
from conformance.checks.evidence import excerpt, received, schema_violations, status_violations
from conformance.checks.responses import deleted_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

# The keys a retrieve and a list item must give back as the upload answered them.
SAME_KEYS = ("id", "object", "bytes", "created_at", "filename", "purpose")
FINE_STATUSES = ("uploaded", "processed")


@dataclass(frozen=True)
class SentFile:
    """What a case uploaded: the multipart fields it sent (`expires_after`: seconds, when it asked)."""

    filename: str
    purpose: str
    data: bytes
    expires_after: int | None = None


@dataclass(frozen=True)
class FileLifecycle(Lifecycle):
    """A `Lifecycle` of one uploaded file, with what was sent to make it."""

    sent: SentFile = SentFile("", "", b"")


def created_file(life: Lifecycle) -> dict[str, Any]:
    """The file object the upload answered; not applicable when the upload failed (the shape rule says why)."""
    response = life.created.response
    body = response.json if response is not None and response.status == 200 else None
    if not isinstance(body, dict):
        raise NotApplicable(f"the upload failed ({received(life.created)[10:90]})")
    return body


def listed(exchange: Exchange) -> list[dict[str, Any]]:
    body = body_of(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def refused_violations(exchange: Exchange, mistake: str, status: int | None = 400) -> Iterator[Violation]:
    """A request holding `mistake` is refused: `status` (any 4xx when None) with the error envelope."""
    response = exchange.response
    if status is not None:
        yield from status_violations(exchange, status, mistake)
    elif response is None or not 400 <= response.status < 500:
        yield Violation(f"{received(exchange)}\nExpected: a 4xx refusal for {mistake}")
    if response is not None and 400 <= response.status < 500:
        yield from schema_violations("error", response.json)


def _mismatch(key: str, got: Any, want: Any, where: str, exchange: Exchange) -> Violation:
    return Violation(f"Received: {key} {excerpt(got, 120)}\nExpected: {excerpt(want, 120)}, {where}", f"$.{key}",
                     exchange.index)  # fmt: skip


@check("files.object.shape")
def object_shape(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    yield from on(life.created, schema_violations("file", body_of(life.created)))
    for step in ("retrieve",):
        for exchange in life.all(step):
            yield from on(exchange, schema_violations("file", body_of(exchange)))
    for exchange in life.all("list"):
        yield from on(exchange, schema_violations("file.list", body_of(exchange)))


@check("files.create.bytes")
def create_bytes(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    got = created_file(life).get("bytes")
    if got != len(life.sent.data):
        yield _mismatch("bytes", got, len(life.sent.data), "the size of the file sent", life.created)


@check("files.create.filename")
def create_filename(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    got = created_file(life).get("filename")
    if got != life.sent.filename:
        yield _mismatch("filename", got, life.sent.filename, "the name the file was sent with", life.created)


@check("files.create.purpose")
def create_purpose(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    got = created_file(life).get("purpose")
    if got != life.sent.purpose:
        yield _mismatch("purpose", got, life.sent.purpose, "the purpose it was sent with", life.created)


@check("files.create.status")
def create_status(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    got = created_file(life).get("status")
    if got not in FINE_STATUSES:
        yield _mismatch("status", got, " or ".join(FINE_STATUSES), "for a valid file just uploaded", life.created)


@check("files.create.expires-at")
def create_expires_at(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    seconds = life.sent.expires_after
    if seconds is None:
        raise NotApplicable("the case asked for no expiry (expires_after)")
    created = created_file(life)
    for exchange in (life.created, *life.all("retrieve")):
        body = body_of(exchange)
        if not isinstance(body, dict):
            continue
        at = created.get("created_at")
        want = at + seconds if isinstance(at, int) and not isinstance(at, bool) else f"created_at + {seconds}"
        if body.get("expires_at") != want:
            yield _mismatch("expires_at", body.get("expires_at"), want, f"{seconds} s after created_at", exchange)


@check("files.content.round-trip")
def content_round_trip(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    created_file(life)
    got = life.step("content")
    if got.response is None or got.response.status != 200:
        yield Violation(f"{received(got)}\nExpected: 200 with the file's bytes", "", got.index)
        return
    data, sent = got.response.body, life.sent.data
    if data != sent:
        first = next((n for n, (a, b) in enumerate(zip(data, sent, strict=False)) if a != b), min(len(data), len(sent)))
        yield Violation(
            f"Received: {len(data)} bytes, {excerpt(repr(data[first : first + 24]), 80)} at byte {first}\n"
            f"Expected: the {len(sent)} bytes uploaded, {excerpt(repr(sent[first : first + 24]), 80)} at byte {first}",
            "",
            got.index,
        )


@check("files.retrieve.same")
def retrieve_same(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    created = created_file(life)
    got = life.step("retrieve")
    body = body_of(got)
    if not isinstance(body, dict):
        yield Violation(f"{received(got)}\nExpected: the file object", "", got.index)
        return
    for key in SAME_KEYS:
        if key in created and body.get(key) != created[key]:
            yield _mismatch(key, body.get(key), created[key], "as the upload answered", got)


@check("files.delete.deleted")
def delete_deleted(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    deleted = life.step("delete")
    yield from deleted_violations(deleted, "file", "file")
    ident = created_file(life).get("id")
    body = deleted.response.json if deleted.response is not None and deleted.response.status == 200 else None
    if isinstance(body, dict) and body.get("id") != ident:
        yield _mismatch("id", body.get("id"), ident, "the deleted file", deleted)
    for step in ("retrieve-deleted", "content-deleted"):
        for gone in life.all(step):
            if gone.response is None or gone.response.status != 404:
                yield Violation(f"{received(gone)}\nExpected: 404 for the deleted file", "", gone.index)


@check("files.list.contains")
def list_contains(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    created = created_file(life)
    listing = life.step("list")
    items = {item.get("id"): item for item in listed(listing)}
    item = items.get(created.get("id"))
    if item is None:
        yield Violation(
            f"Received: a list of {len(items)} files {excerpt(list(items), 160)}\n"
            f"Expected: the file just uploaded, {created.get('id')!r}, among them",
            "$.data",
            listing.index,
        )
        return
    for key in SAME_KEYS:
        if key in created and item.get(key) != created[key]:
            yield _mismatch(key, item.get(key), created[key], "as the upload answered", listing)


def _purpose_asked(exchange: Exchange) -> str:
    asked = dict(parse_qsl(urlsplit(exchange.request.url).query)).get("purpose")
    if not asked:
        raise NotApplicable("the list was not filtered by purpose")
    return asked


@check("files.list.purpose-filter")
def purpose_filter(life: FileLifecycle, ctx: Context) -> Iterator[Violation]:
    listing = life.step("list-purpose")
    purpose = _purpose_asked(listing)
    made = [e.response.json for e in (life.created, *life.all("created")) if e.response and e.response.status == 200]
    ours = [b for b in made if isinstance(b, dict)]
    items = listed(listing)
    ids = [item.get("id") for item in items]
    missing = [b.get("id") for b in ours if b.get("purpose") == purpose and b.get("id") not in ids]
    others = [f"{item.get('id')} ({item.get('purpose')})" for item in items if item.get("purpose") != purpose]
    if missing or others:
        yield Violation(
            f"Received: {len(ids)} files for purpose={purpose}, missing {excerpt(missing, 120)}, of another purpose "
            f"{excerpt(others, 160)}\nExpected: exactly the files of purpose {purpose!r}, the case's own among them",
            "$.data",
            listing.index,
        )


@check("files.create.wrong-purpose", case_bound=True)
def wrong_purpose(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "an upload with a purpose the API does not know")


@check("files.create.empty", case_bound=True)
def empty_file(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "an upload of an empty file")


@check("files.create.bad-jsonl", case_bound=True)
def bad_jsonl(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a batch file with a line that is not JSON")
