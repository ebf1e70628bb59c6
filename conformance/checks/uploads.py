"""Uploads: a file sent in parts over its life (create, parts, complete or cancel) and what the API refuses.

The subject is an `UploadLifecycle`: the create exchange (POST /v1/uploads, a JSON body), the bytes the case sent
as each part (`parts`, in the order of its "part" steps), then the case's named steps: "part" (each POST
.../parts), "complete" (with `part_ids`, perhaps in another order than the parts were added), "content" (GET
/v1/files/{file}/content of the File it became), "complete-md5" (with a wrong md5), "part-over" and
"complete-over" (parts beyond the upload's `bytes`), "cancel", "part-cancelled" and "complete-cancelled"
(after the cancel).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import asked, excerpt, received, schema_violations
from conformance.checks.files import body_of, on, refused_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

ECHOED = ("bytes", "filename", "purpose")


@dataclass(frozen=True)
class UploadLifecycle(Lifecycle):
    """A `Lifecycle` of one upload, with the bytes sent as each of its "part" steps, in order."""

    parts: tuple[bytes, ...] = ()


def _ok(exchange: Exchange) -> bool:
    return exchange.response is not None and 200 <= exchange.response.status < 300


def created_upload(life: Lifecycle) -> dict[str, Any]:
    response = life.created.response
    body = response.json if response is not None and response.status == 200 else None
    if not isinstance(body, dict):
        raise NotApplicable(f"creating the upload failed ({received(life.created)[10:90]})")
    return body


def _status(exchange: Exchange, want: str) -> Iterator[Violation]:
    body = body_of(exchange)
    got = body.get("status") if isinstance(body, dict) else body
    if got != want:
        yield Violation(f"Received: status {excerpt(got, 80)}\nExpected: {want!r}", "$.status", exchange.index)


@check("uploads.object.shape")
def object_shape(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    yield from on(life.created, schema_violations("upload", body_of(life.created)))
    for step in ("complete", "cancel"):
        for exchange in life.all(step):
            if _ok(exchange):
                yield from on(exchange, schema_violations("upload", body_of(exchange)))


@check("uploads.create.pending")
def create_pending(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    body = created_upload(life)
    yield from _status(life.created, "pending")
    request = asked(life.created)
    for key in ECHOED:
        if key in request and body.get(key) != request[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 80)}\nExpected: {excerpt(request[key], 80)}, as asked",
                f"$.{key}",
                life.created.index,
            )
    created, expires = body.get("created_at"), body.get("expires_at")
    if isinstance(created, int) and isinstance(expires, int) and expires <= created:
        yield Violation(
            f"Received: expires_at {expires}, created_at {created}\nExpected: an expiry after the creation",
            "$.expires_at",
            life.created.index,
        )


@check("uploads.part.shape")
def part_shape(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    ident = created_upload(life).get("id")
    parts = life.all("part")
    if not parts:
        raise NotApplicable("the case added no part")
    for exchange in parts:
        body = body_of(exchange)
        yield from on(exchange, schema_violations("upload.part", body))
        if isinstance(body, dict) and body.get("upload_id") != ident:
            yield Violation(
                f"Received: upload_id {excerpt(body.get('upload_id'), 80)}\nExpected: {ident!r}, the upload",
                "$.upload_id",
                exchange.index,
            )


def _made_file(exchange: Exchange) -> dict[str, Any] | None:
    body = body_of(exchange)
    made = body.get("file") if isinstance(body, dict) else None
    return made if isinstance(made, dict) else None


@check("uploads.complete.file")
def complete_file(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    upload = created_upload(life)
    done = life.step("complete")
    yield from _status(done, "completed")
    made = _made_file(done)
    if made is None:
        yield Violation(f"{received(done)}\nExpected: `file`, the File the upload became", "$.file", done.index)
        return
    yield from on(done, schema_violations("file", made, prefix="$.file"))
    for key in ECHOED:
        if made.get(key) != upload.get(key):
            yield Violation(
                f"Received: file.{key} {excerpt(made.get(key), 80)}\nExpected: {excerpt(upload.get(key), 80)}, "
                "the upload's",
                f"$.file.{key}",
                done.index,
            )


def _sent_by_part(life: UploadLifecycle) -> dict[str, bytes]:
    """The bytes the case sent, by the id each part's answer gave it."""
    out: dict[str, bytes] = {}
    for exchange, data in zip(life.all("part"), life.parts, strict=False):
        body = exchange.response.json if _ok(exchange) and exchange.response is not None else None
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            out[body["id"]] = data
    return out


@check("uploads.complete.order")
def complete_order(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    done = life.step("complete")
    if not _ok(done) or _made_file(done) is None:
        raise NotApplicable(f"the upload was not completed into a File ({received(done)[10:90]})")
    sent = _sent_by_part(life)
    order = asked(done).get("part_ids")
    if not isinstance(order, list) or any(p not in sent for p in order):
        raise NotApplicable("the complete request named parts the case did not add")
    want = b"".join(sent[p] for p in order)
    content = life.step("content")
    if content.response is None or content.response.status != 200:
        yield Violation(f"{received(content)}\nExpected: 200 with the File's bytes", "", content.index)
        return
    got = content.response.body
    if got != want:
        yield Violation(
            f"Received: {excerpt(repr(got), 120)}\nExpected: {excerpt(repr(want), 120)}, the parts in part_ids order "
            f"{excerpt(json.dumps(order), 120)}",
            "",
            content.index,
        )


@check("uploads.complete.md5")
def complete_md5(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    done = life.step("complete-md5")
    yield from on(done, refused_violations(done, "an md5 that does not match the parts' bytes"))


@check("uploads.complete.size")
def complete_size(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    over = life.step("part-over")
    if not _ok(over):
        yield from on(over, refused_violations(over, "a part beyond the upload's bytes", status=None))
        return
    done = life.step("complete-over")
    yield from on(done, refused_violations(done, "parts adding up to more than the upload's bytes", status=None))


@check("uploads.complete.cancelled")
def complete_cancelled(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    done = life.step("complete-cancelled")
    yield from on(done, refused_violations(done, "completing a cancelled upload", status=None))


@check("uploads.cancel.cancelled")
def cancel_cancelled(life: UploadLifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    yield from _status(cancel, "cancelled")
    for late in life.all("part-cancelled"):
        yield from on(late, refused_violations(late, "a part added to a cancelled upload", status=None))
