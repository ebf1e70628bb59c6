"""Containers: a container over its life (retrieve, list, delete with its files) and the files put in it (upload,
copy by `file_id`, retrieve, content byte for byte, list, delete).

The subject of the container rules is a `ContainerLife`: the create exchange (POST /v1/containers), what the case
sent (`SentContainer`), then the case's named steps: "retrieve", "list" (GET /v1/containers), "files" (the list of
the container's files right after it was created with `file_ids`), "source-content" (GET /v1/files/{id}/content of
the file copied in) and "copied-content" (the content of its copy), "delete", "retrieve-deleted", "file-deleted"
(a file of the container retrieved after the container was deleted).

The subject of the file rules is a `ContainerFileLife`: the create exchange (POST /v1/containers/{id}/files), the
container it was put in and the bytes it should hold (`PutFile`), then "retrieve", "content", "list", "delete",
"retrieve-deleted", "content-deleted". The lists' page invariants are `checks.pagination`'s, under
`containers.pages.*` and `containers.files.pages.*`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import cited_answer as body_of
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.responses import deleted_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

# The keys a retrieve and a list item must give back as the create answered them.
SAME_CONTAINER_KEYS = ("id", "object", "name", "created_at")
SAME_FILE_KEYS = ("id", "object", "container_id", "created_at", "bytes", "path", "source")
# What a new container may say it is: seed 000's example says `active`, upstream's `running`.
LIVE_STATUSES = ("running", "active")


@dataclass(frozen=True)
class SentContainer:
    """What a case asked for: the name, `expires_after.minutes` (None: not sent), and the files to copy in."""

    name: str
    minutes: int | None = None
    file_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContainerLife(Lifecycle):
    """A `Lifecycle` of one container, with what was sent to make it."""

    sent: SentContainer = SentContainer("")


@dataclass(frozen=True)
class PutFile:
    """What a container file should hold: the name it was sent with (None: copied by `file_id`) and its bytes."""

    filename: str | None
    data: bytes


@dataclass(frozen=True)
class ContainerFileLife(Lifecycle):
    """A `Lifecycle` of one file put in the container `container_id`."""

    container_id: str = ""
    put: PutFile = PutFile(None, b"")


def made(life: Lifecycle, what: str) -> dict[str, Any]:
    """The object the create answered; not applicable when the create failed (the shape rule says why)."""
    response = life.created.response
    body = response.json if response is not None and response.status == 200 else None
    if not isinstance(body, dict):
        raise NotApplicable(f"creating the {what} failed ({received(life.created)[10:90]})")
    return body


def listed(exchange: Exchange) -> list[dict[str, Any]]:
    body = body_of(exchange)
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _mismatch(key: str, got: Any, want: Any, where: str, exchange: Exchange) -> Violation:
    return Violation(f"Received: {key} {excerpt(got, 120)}\nExpected: {excerpt(want, 120)}, {where}", f"$.{key}",
                     exchange.index)  # fmt: skip


def _same(got: Exchange, created: dict[str, Any], keys: tuple[str, ...], what: str) -> Iterator[Violation]:
    body = body_of(got)
    if not isinstance(body, dict):
        yield Violation(f"{received(got)}\nExpected: the {what}", "", got.index)
        return
    for key in keys:
        if key in created and body.get(key) != created[key]:
            yield _mismatch(key, body.get(key), created[key], "as the create answered", got)


def _contains(listing: Exchange, created: dict[str, Any], keys: tuple[str, ...], what: str) -> Iterator[Violation]:
    items = {item.get("id"): item for item in listed(listing)}
    item = items.get(created.get("id"))
    if item is None:
        yield Violation(
            f"Received: a list of {len(items)} {what}s {excerpt(list(items), 160)}\n"
            f"Expected: the {what} just created, {created.get('id')!r}, among them",
            "$.data",
            listing.index,
        )
        return
    for key in keys:
        if key in created and item.get(key) != created[key]:
            yield _mismatch(key, item.get(key), created[key], "as the create answered", listing)


def _gone(exchanges: list[Exchange], what: str) -> Iterator[Violation]:
    for gone in exchanges:
        if gone.response is None or gone.response.status != 404:
            yield Violation(f"{received(gone)}\nExpected: 404 for {what}", "", gone.index)


def bytes_violations(got: Exchange, sent: bytes, what: str) -> Iterator[Violation]:
    """The answer `got` is 200 with exactly the bytes `sent`; the first differing byte is quoted."""
    if got.response is None or got.response.status != 200:
        yield Violation(f"{received(got)}\nExpected: 200 with the bytes of {what}", "", got.index)
        return
    data = got.response.body
    if data != sent:
        first = next((n for n, (a, b) in enumerate(zip(data, sent, strict=False)) if a != b), min(len(data), len(sent)))
        yield Violation(
            f"Received: {len(data)} bytes, {excerpt(repr(data[first : first + 24]), 80)} at byte {first}\n"
            f"Expected: the {len(sent)} bytes of {what}, {excerpt(repr(sent[first : first + 24]), 80)} at byte {first}",
            "",
            got.index,
        )


# --- containers ---------------------------------------------------------------------------------------------


def shape_violations(life: Lifecycle, schema: str, list_schema: str) -> Iterator[Violation]:
    """The object as created and retrieved against `schema`, the lists against `list_schema`."""
    for exchange in (life.created, *life.all("retrieve")):
        yield from on(exchange, schema_violations(schema, body_of(exchange)))
    for exchange in life.all("list"):
        yield from on(exchange, schema_violations(list_schema, body_of(exchange)))


@check("containers.object.shape")
def object_shape(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    yield from shape_violations(life, "container", "container.list")


@check("containers.create.name")
def create_name(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    got = made(life, "container").get("name")
    if got != life.sent.name:
        yield _mismatch("name", got, life.sent.name, "the name sent", life.created)


@check("containers.create.expires-after")
def create_expires_after(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    if life.sent.minutes is None:
        raise NotApplicable("the case sent no expires_after")
    made(life, "container")
    want = {"anchor": "last_active_at", "minutes": life.sent.minutes}
    for exchange in (life.created, *life.all("retrieve")):
        body = body_of(exchange)
        got = body.get("expires_after") if isinstance(body, dict) else None
        if not isinstance(got, dict) or {k: got.get(k) for k in want} != want:
            yield _mismatch("expires_after", got, want, "as sent", exchange)


@check("containers.create.status")
def create_status(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    got = made(life, "container").get("status")
    if got not in LIVE_STATUSES:
        yield _mismatch("status", got, " or ".join(LIVE_STATUSES), "for a container just created", life.created)


@check("containers.create.file-ids")
def create_file_ids(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    if not life.sent.file_ids:
        raise NotApplicable("the case sent no file_ids")
    made(life, "container")
    files = life.step("files")
    items = listed(files)
    if len(items) != len(life.sent.file_ids):
        yield Violation(
            f"Received: {len(items)} files in the container {excerpt([i.get('id') for i in items], 120)}\n"
            f"Expected: {len(life.sent.file_ids)}, a copy of each of file_ids {list(life.sent.file_ids)}",
            "$.data",
            files.index,
        )
        return
    source = life.step("source-content")
    if source.response is None or source.response.status != 200:
        raise NotApplicable(f"the file copied in could not be read from /v1/files ({received(source)[10:90]})")
    want = source.response.body
    if items[0].get("bytes") != len(want):
        yield _mismatch("bytes", items[0].get("bytes"), len(want), "the size of the file copied in", files)
    yield from bytes_violations(life.step("copied-content"), want, "the file copied in")


@check("containers.retrieve.same")
def retrieve_same(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    yield from _same(life.step("retrieve"), made(life, "container"), SAME_CONTAINER_KEYS, "container object")


@check("containers.list.contains")
def list_contains(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    yield from _contains(life.step("list"), made(life, "container"), SAME_CONTAINER_KEYS, "container")


def _deleted_id(deleted: Exchange, ident: Any, what: str) -> Iterator[Violation]:
    body = deleted.response.json if deleted.response is not None and deleted.response.status == 200 else None
    if isinstance(body, dict) and body.get("id") != ident:
        yield _mismatch("id", body.get("id"), ident, f"the {what} deleted", deleted)


def _still_there(exchange: Exchange) -> bool:
    """Whether a container retrieved after its deletion is still there: 404 is gone, and so is one that says
    `status: deleted` (seed 003 names that status: a deletion the API may finish later)."""
    response = exchange.response
    if response is not None and response.status == 404:
        return False
    body = response.json if response is not None and response.status == 200 else None
    return not (isinstance(body, dict) and body.get("status") == "deleted")


@check("containers.delete.deleted")
def delete_deleted(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    ident = made(life, "container").get("id")
    deleted = life.step("delete")
    yield from deleted_violations(deleted, "container.deleted", "container")
    yield from _deleted_id(deleted, ident, "container")
    for gone in life.all("retrieve-deleted"):
        if _still_there(gone):
            yield Violation(f"{received(gone)}\nExpected: 404 (or `status: deleted`) for the deleted container", "",
                            gone.index)  # fmt: skip


@check("containers.delete.files-gone")
def delete_files_gone(life: ContainerLife, ctx: Context) -> Iterator[Violation]:
    made(life, "container")
    checked = life.all("file-deleted")
    if not checked:
        raise NotApplicable("the case retrieved no file of the deleted container")
    for gone in checked:
        if gone.response is None or not 400 <= gone.response.status < 500:
            yield Violation(f"{received(gone)}\nExpected: a 4xx (404) for a file of the deleted container", "",
                            gone.index)  # fmt: skip


# --- container files ----------------------------------------------------------------------------------------


@check("containers.files.object.shape")
def file_shape(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    yield from shape_violations(life, "container.file", "container.file.list")


@check("containers.files.create.bytes")
def file_bytes(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    got = made(life, "container file").get("bytes")
    if got != len(life.put.data):
        yield _mismatch("bytes", got, len(life.put.data), "the size of the file sent", life.created)


@check("containers.files.create.container-id")
def file_container_id(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    got = made(life, "container file").get("container_id")
    if got != life.container_id:
        yield _mismatch("container_id", got, life.container_id, "the container it was put in", life.created)


@check("containers.files.create.path")
def file_path(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    name = life.put.filename
    if name is None:
        raise NotApplicable("the file was copied by file_id: no name was sent")
    got = made(life, "container file").get("path")
    if not isinstance(got, str) or not got.startswith("/") or not got.endswith(name):
        yield _mismatch("path", got, f"an absolute path ending with {name!r}", "the name it was sent with",
                        life.created)  # fmt: skip


@check("containers.files.create.source")
def file_source(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    got = made(life, "container file").get("source")
    if got != "user":
        yield _mismatch("source", got, "user", "for a file the client put in", life.created)


@check("containers.files.create.from-file-id")
def from_file_id(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    if life.put.filename is not None:
        raise NotApplicable("the file was uploaded, not copied by file_id")
    got = made(life, "container file").get("bytes")
    if got != len(life.put.data):
        yield _mismatch("bytes", got, len(life.put.data), "the size of the file named by file_id", life.created)
    yield from bytes_violations(life.step("content"), life.put.data, "the file named by file_id")


@check("containers.files.content.round-trip")
def content_round_trip(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    made(life, "container file")
    yield from bytes_violations(life.step("content"), life.put.data, "the file uploaded")


@check("containers.files.retrieve.same")
def file_retrieve_same(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    yield from _same(life.step("retrieve"), made(life, "container file"), SAME_FILE_KEYS, "container file object")


@check("containers.files.list.contains")
def file_list_contains(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    yield from _contains(life.step("list"), made(life, "container file"), SAME_FILE_KEYS, "container file")


@check("containers.files.delete.deleted")
def file_delete_deleted(life: ContainerFileLife, ctx: Context) -> Iterator[Violation]:
    ident = made(life, "container file").get("id")
    deleted = life.step("delete")
    yield from deleted_violations(deleted, "container.file.deleted", "container file")
    yield from _deleted_id(deleted, ident, "container file")
    yield from _gone([*life.all("retrieve-deleted"), *life.all("content-deleted")], "the deleted container file")
