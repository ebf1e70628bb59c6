"""Videos: a job created (from a prompt, or with an input reference image), its status machine and progress as
observed over polling, its content in each variant (an MP4, a thumbnail image, a spritesheet image), a remix,
the list and its pages, delete.

The subject of the job's rules is a `VideoLife`: the create exchange, what the case asked (`asked`: model, size,
seconds as sent), then the case's named steps in the order they were made: "poll" (GET /videos/{id}, each answer
one observation), "content-video", "content-thumbnail", "content-spritesheet" (GET .../content?variant=...),
"remix" (POST .../remix), "list" (GET /videos), "delete", "retrieve-deleted". A real job may take minutes: a case
polls within a time budget, and a rule that needs an end the job did not reach skips with what was seen. The
media are read by real decoders (`conformance.media`: PyAV for the MP4, Pillow for images). The list's page
invariants are `checks.pagination`'s, under `videos.pages.*`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance import media
from conformance.checks._lifecycle import Lifecycle
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import excerpt, received, schema_violations, status_violations
from conformance.checks.responses import deleted_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

RUNNING = ("queued", "in_progress")
ENDED = ("completed", "failed")
# Where a status may go next; a poll may miss one, never go back.
ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
VARIANT_STEPS = {"video": "content-video", "thumbnail": "content-thumbnail", "spritesheet": "content-spritesheet"}


@dataclass(frozen=True)
class VideoLife(Lifecycle):
    """A video job followed over time, with what was asked to make it (`asked`: prompt, model, size, seconds)."""

    asked: Mapping[str, Any] = field(default_factory=dict)


def not_served(exchange: Exchange) -> None:
    """A 404 or 410 to the create: the server does not serve the Videos API (the real one is being shut down)."""
    if exchange.response is not None and exchange.response.status in (404, 410):
        raise NotApplicable(f"the server does not serve the Videos API ({received(exchange)[10:120]})")


def created_video(life: Lifecycle) -> dict[str, Any]:
    not_served(life.created)
    body = life.created.ok_json
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise NotApplicable(f"creating the video failed ({received(life.created)[10:90]})")
    return body


def observed(life: Lifecycle) -> list[tuple[Exchange, dict[str, Any]]]:
    """Every answer that shows the job (create, polls), in the order received."""
    ident = created_video(life)["id"]
    seen = []
    for exchange in (life.created, *life.all("poll")):
        body = exchange.ok_json
        if isinstance(body, dict) and body.get("id") == ident:
            seen.append((exchange, body))
    return seen


def _seen(life: Lifecycle) -> str:
    return " -> ".join(f"{b.get('status')} {b.get('progress')}" for _, b in observed(life))


def completed(life: Lifecycle) -> dict[str, Any]:
    """The last observation of the job, when it completed; not applicable otherwise (with what was seen)."""
    last = observed(life)[-1][1]
    if last.get("status") != "completed":
        raise NotApplicable(f"the video did not complete while the case polled ({_seen(life)})")
    return last


@check("videos.object.shape")
def object_shape(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    not_served(life.created)
    for exchange in (life.created, *life.all("poll"), *life.all("remix")):
        body = exchange.ok_json
        if body is None:
            yield Violation(f"{received(exchange)}\nExpected: 200 with a video job", "", exchange.index)
            continue
        yield from on(exchange, schema_violations("video", body))
    for exchange in life.all("list"):
        yield from on(exchange, schema_violations("video.list", exchange.ok_json))


@check("videos.create.echoes")
def create_echoes(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    body = created_video(life)
    for key in ("model", "size", "seconds"):
        if key in life.asked and body.get(key) != life.asked[key]:
            yield Violation(f"Received: {key} {excerpt(body.get(key), 40)}\nExpected: {life.asked[key]!r}, as asked",
                            f"$.{key}", life.created.index)  # fmt: skip
    if body.get("status") not in RUNNING:
        yield Violation(f"Received: status {excerpt(body.get('status'), 40)}\nExpected: queued or in_progress for a "
                        "job just created", "$.status", life.created.index)  # fmt: skip


@check("videos.status.transitions")
def status_transitions(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    seen = observed(life)
    for (_, before), (exchange, after) in itertools.pairwise(seen):
        was, now = before.get("status"), after.get("status")
        if was in ORDER and now in ORDER and (ORDER[now] < ORDER[was] or (was in ENDED and now != was)):
            yield Violation(f"Received: status {was} then {now} ({_seen(life)})\nExpected: queued -> in_progress -> "
                            "completed or failed, never back", "$.status", exchange.index)  # fmt: skip


@check("videos.progress.monotonic")
def progress_monotonic(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    seen = observed(life)
    for (_, before), (exchange, after) in itertools.pairwise(seen):
        was, now = before.get("progress"), after.get("progress")
        if isinstance(was, int) and isinstance(now, int) and now < was:
            yield Violation(f"Received: progress {was} then {now} ({_seen(life)})\nExpected: never lower than before",
                            "$.progress", exchange.index)  # fmt: skip
    for exchange, body in seen:
        if body.get("status") == "completed" and body.get("progress") != 100:
            yield Violation(f"Received: progress {excerpt(body.get('progress'), 20)} with status completed\n"
                            "Expected: 100", "$.progress", exchange.index)  # fmt: skip


@check("videos.completed.timestamps")
def completed_timestamps(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    body = completed(life)
    exchange = observed(life)[-1][0]
    at, made = body.get("completed_at"), body.get("created_at")
    if not isinstance(at, int) or isinstance(at, bool):
        yield Violation(f"Received: completed_at {excerpt(at, 40)}\nExpected: the Unix time it completed",
                        "$.completed_at", exchange.index)  # fmt: skip
    elif isinstance(made, int) and at < made:
        yield Violation(f"Received: completed_at {at} before created_at {made}\nExpected: completed_at >= created_at",
                        "$.completed_at", exchange.index)  # fmt: skip


@check("videos.retrieve.same")
def retrieve_same(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    created = created_video(life)
    polls = life.all("poll")
    if not polls:
        raise NotApplicable("the case retrieved nothing")
    for exchange in polls:
        body = exchange.ok_json
        if not isinstance(body, dict):
            yield Violation(f"{received(exchange)}\nExpected: the video job", "", exchange.index)
            continue
        for key in ("id", "model", "size", "seconds", "created_at"):
            if key in created and body.get(key) != created[key]:
                yield Violation(f"Received: {key} {excerpt(body.get(key), 60)}\nExpected: {created[key]!r}, as "
                                "created", f"$.{key}", exchange.index)  # fmt: skip


@check("videos.create.input-reference")
def input_reference(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    if not life.asked.get("input_reference"):
        raise NotApplicable("the case sent no input reference")
    not_served(life.created)
    if life.created.ok_json is None:
        yield Violation(f"{received(life.created)}\nExpected: 200 with a video job made from the reference image")
        return
    yield from schema_violations("video", life.created.ok_json)


def _content(life: Lifecycle, variant: str) -> Exchange:
    completed(life)
    exchange = life.step(VARIANT_STEPS[variant])
    if exchange.response is None or exchange.response.status != 200:
        raise NotApplicable(f"the {variant} variant was not served ({received(exchange)[10:90]})")
    return exchange


@check("videos.content.video")
def content_video(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    exchange = life.step(VARIANT_STEPS["video"])
    completed(life)
    if exchange.response is None or exchange.response.status != 200:
        yield Violation(f"{received(exchange)}\nExpected: 200 with the MP4 of the completed video", "", exchange.index)
        return
    movie, why = media.movie(exchange.response.body)
    if movie is None or not movie.is_mp4:
        what = why if movie is None else f"a {movie.container} container of brand {movie.brand!r}"
        picture, _ = media.picture(exchange.response.body)
        what = f"a {picture.format} image" if picture is not None else what
        yield Violation(f"Received: {len(exchange.response.body)} bytes, {what}\nExpected: an MP4 (an ISO BMFF "
                        "container with an ftyp box) holding a video stream", "", exchange.index)  # fmt: skip


def _image_variant(life: VideoLife, variant: str) -> Iterator[Violation]:
    exchange = _content(life, variant)
    assert exchange.response is not None
    picture, why = media.picture(exchange.response.body)
    if picture is None:
        movie, _ = media.movie(exchange.response.body)
        what = f"a {movie.codec} video in {movie.container}" if movie is not None else why
        yield Violation(f"Received: {len(exchange.response.body)} bytes, {what}\nExpected: an image for the "
                        f"{variant} variant", "", exchange.index)  # fmt: skip


@check("videos.content.thumbnail")
def content_thumbnail(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    yield from _image_variant(life, "thumbnail")


@check("videos.content.spritesheet")
def content_spritesheet(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    yield from _image_variant(life, "spritesheet")


@check("videos.remix.shape")
def remix_shape(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    source = completed(life)
    exchange = life.step("remix")
    body = exchange.ok_json
    if not isinstance(body, dict):
        yield Violation(f"{received(exchange)}\nExpected: 200 with a new video job", "", exchange.index)
        return
    if body.get("remixed_from_video_id") != source["id"]:
        yield Violation(f"Received: remixed_from_video_id {excerpt(body.get('remixed_from_video_id'), 60)}\n"
                        f"Expected: {source['id']!r}, the video remixed", "$.remixed_from_video_id",
                        exchange.index)  # fmt: skip
    if body.get("id") == source["id"]:
        yield Violation(f"Received: id {source['id']!r}, the remixed video's\nExpected: a new video job", "$.id",
                        exchange.index)  # fmt: skip
    if body.get("status") not in RUNNING:
        yield Violation(f"Received: status {excerpt(body.get('status'), 40)}\nExpected: queued or in_progress",
                        "$.status", exchange.index)  # fmt: skip


@check("videos.delete.deleted")
def delete_deleted(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    ident = created_video(life)["id"]
    deleted = life.step("delete")
    yield from deleted_violations(deleted, "video.deleted", "video")
    body = deleted.ok_json
    if isinstance(body, dict) and body.get("id") != ident:
        yield Violation(f"Received: id {excerpt(body.get('id'), 60)}\nExpected: {ident!r}, the deleted video", "$.id",
                        deleted.index)  # fmt: skip
    for gone in life.all("retrieve-deleted"):
        if gone.response is None or gone.response.status != 404:
            yield Violation(f"{received(gone)}\nExpected: 404 for the deleted video", "", gone.index)


@check("videos.list.contains")
def list_contains(life: VideoLife, ctx: Context) -> Iterator[Violation]:
    ident = created_video(life)["id"]
    listing = life.step("list")
    body = listing.ok_json
    data = body.get("data") if isinstance(body, dict) else None
    ids = [item.get("id") for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    if ident not in ids:
        yield Violation(f"Received: {received(listing)[10:200]} listing {len(ids)} videos\nExpected: the video just "
                        f"created, {ident!r}, among them", "$.data", listing.index)  # fmt: skip


@check("videos.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "a video id the server never issued")
