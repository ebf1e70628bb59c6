"""Images: the answers of generations, edits and variations (urls and base64 images of the format and size asked,
usage), the streams of partial images, and the requests the API refuses.

The subject of the answer rules is an `ImagesAnswer`: the exchange, what the case asked (`asked`: the JSON body or
the multipart text fields; an edit's and a variation's request is not JSON) and the GETs of the urls the answer
gave on the target's own host (`fetched`). Every image is read by Pillow (`conformance.media`), never by hand.
One function decides a rule for every operation (`images.generate.*`, `images.edit.*`, `images.variation.*`) and
for both streaming endpoints (`images.stream.*`, `images.edit-stream.*`), so each has its own id and feature.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance import media
from conformance.checks.evidence import (
    RESPONSES_TOKENS,
    declined,
    excerpt,
    received,
    schema_violations,
    usage_violations,
)
from conformance.checks.files import refused_violations  # any 4xx with the envelope, never a 5xx
from conformance.checks.rule import Broken, Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.sse import parse_events

GPT_IMAGE_PREFIX = "gpt-image"
COMPLETED = {"generations": "image_generation.completed", "edits": "image_edit.completed"}
PARTIAL = {"generations": "image_generation.partial_image", "edits": "image_edit.partial_image"}


@dataclass(frozen=True)
class ImagesAnswer:
    """An answer of the Images API, what was asked (`asked`: the options as sent, text values for multipart) and
    the GETs of its urls on the target's host (`fetched`, in the order of `data`)."""

    exchange: Exchange
    asked: Mapping[str, Any] = field(default_factory=dict)
    fetched: tuple[Exchange, ...] = ()

    @property
    def gpt(self) -> bool:
        model = self.asked.get("model")
        return isinstance(model, str) and model.startswith(GPT_IMAGE_PREFIX)

    @property
    def operation(self) -> str:
        path = self.exchange.request.url.split("?", 1)[0].rstrip("/")
        return "edits" if path.endswith("/edits") else "variations" if path.endswith("/variations") else "generations"

    def wanted_format(self) -> str:
        return str(self.asked.get("output_format", "png")) if self.gpt else "png"

    def wanted_size(self) -> str | None:
        size = self.asked.get("size")
        if size in (None, "auto"):
            return None if self.gpt else "1024x1024"
        return str(size)

    def wanted_encoding(self) -> str:
        return "b64_json" if self.gpt else str(self.asked.get("response_format") or "url")


def _body(subject: ImagesAnswer) -> dict[str, Any]:
    if subject.gpt or _model_gone(subject.exchange):
        # A GPT image model is optional (the real API asks organisations to be verified first), and the dall-e
        # models are being retired: a server without the model asked says so with a 4xx.
        declined(subject.exchange, f"the model {subject.asked.get('model')}")
    response = subject.exchange.response
    if response is None or response.status != 200:
        raise Broken(f"{received(subject.exchange)}\nExpected: status 200 with the images")
    body = response.json
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise Broken(f"{received(subject.exchange)}\nExpected: an ImagesResponse with `data`")
    return body


def _model_gone(exchange: Exchange) -> bool:
    """A 404, or an error whose code says the model does not exist (`model_not_found`)."""
    response = exchange.response
    if response is None:
        return False
    error = response.json.get("error") if isinstance(response.json, dict) else None
    return response.status == 404 or (isinstance(error, dict) and error.get("code") == "model_not_found")


def _images(subject: ImagesAnswer) -> list[dict[str, Any]]:
    return [item for item in _body(subject)["data"] if isinstance(item, dict)]


def decoded(b64: Any) -> tuple[media.Picture | None, str]:
    """The picture base64 text holds, or None and why."""
    if not isinstance(b64, str):
        return None, f"b64_json is {excerpt(b64, 40)}"
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        return None, f"not base64 ({exc})"
    return media.picture(raw)


def picture_violations(picture: media.Picture | None, why: str, fmt: str, size: str | None, where: str,
                       at: str = "", exchange: int | None = None) -> Iterator[Violation]:  # fmt: skip
    """An image decoded as `picture` is of format `fmt` and of `size` (any size when None)."""
    if picture is None:
        yield Violation(f"Received: {where} that is no image ({why})\nExpected: a {fmt} image", at, exchange)
        return
    if picture.format != fmt:
        yield Violation(f"Received: {where} is a {picture.format} image\nExpected: {fmt}, as asked", at, exchange)
    if size is not None and picture.size != size:
        yield Violation(f"Received: {where} is {picture.size}\nExpected: {size}, as asked", at, exchange)


@check("images.generate.shape", "images.edit.shape", "images.variation.shape")
def shape(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("images.response", _body(subject))


@check("images.generate.count", "images.edit.count", "images.variation.count")
def count(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    wanted = int(subject.asked.get("n") or 1)
    got = len(_body(subject)["data"])
    if got != wanted:
        yield Violation(f"Received: {got} images\nExpected: {wanted}, as `n` asked", "$.data")


@check("images.generate.format", "images.edit.format", "images.variation.format")
def encoding(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    wanted = subject.wanted_encoding()
    for n, item in enumerate(_images(subject)):
        if not isinstance(item.get(wanted), str):
            keys = sorted(k for k in item if k != "revised_prompt")
            yield Violation(f"Received: an image with {keys}\nExpected: `{wanted}`, as response_format asked "
                            f"({'the GPT image models always answer base64' if subject.gpt else 'url by default'})",
                            f"$.data[{n}]")  # fmt: skip


@check("images.generate.image", "images.edit.image", "images.variation.image")
def image(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    items = [(n, item["b64_json"]) for n, item in enumerate(_images(subject)) if "b64_json" in item]
    if not items:
        raise NotApplicable("the answer holds no base64 image")
    for n, b64 in items:
        picture, why = decoded(b64)
        yield from picture_violations(picture, why, subject.wanted_format(), subject.wanted_size(),
                                      f"image {n}", f"$.data[{n}].b64_json")  # fmt: skip


@check("images.generate.url", "images.edit.url", "images.variation.url")
def url(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    if not subject.fetched:
        raise NotApplicable("no url of the answer is on the target's host (the case fetched none)")
    for n, got in enumerate(subject.fetched):
        response = got.response
        if response is None or response.status != 200:
            yield Violation(f"{received(got)}\nExpected: 200 with the image of url {n}", "", got.index)
            continue
        picture, why = media.picture(response.body)
        yield from picture_violations(picture, why, "png", subject.wanted_size(), f"the image at url {n}", "",
                                      got.index)  # fmt: skip


@check("images.generate.usage")
def generate_usage(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    if not subject.gpt:
        raise NotApplicable("usage is the GPT image models' (the case asked a dall-e model)")
    usage = _body(subject).get("usage")
    if not isinstance(usage, dict):
        yield Violation(f"Received: usage {excerpt(usage, 80)}\nExpected: the token usage of a GPT image model", "$")
        return
    yield from usage_violations(usage, "$.usage", RESPONSES_TOKENS)


@check("images.generate.echoes")
def generate_echoes(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    if not subject.gpt:
        raise NotApplicable("the option echoes are the GPT image models' (the case asked a dall-e model)")
    body = _body(subject)
    wanted = {"output_format": subject.wanted_format(), "size": subject.wanted_size()}
    for key, value in wanted.items():
        if value is not None and body.get(key) != value:
            yield Violation(f"Received: {key} {excerpt(body.get(key), 40)}\nExpected: {value!r}, as asked", f"$.{key}")


# --- streams ------------------------------------------------------------------------------------------------------


def _streaming(subject: ImagesAnswer) -> str:
    """The streaming endpoint the subject was sent to: generations or edits (variations do not stream)."""
    if subject.operation not in COMPLETED:
        raise NotApplicable(f"POST /images/{subject.operation} does not stream")
    return subject.operation


def _events(subject: ImagesAnswer) -> list[tuple[int, Any]]:
    """The stream's events parsed as JSON (a value that is not JSON is kept as its text)."""
    declined(subject.exchange, "a streamed image (an option of the GPT image models)")
    response = subject.exchange.response
    if response is None or response.status != 200:
        raise Broken(f"{received(subject.exchange)}\nExpected: status 200 with a stream of image events")
    events, _ = parse_events(response.body)
    parsed = []
    for n, event in enumerate(events):
        try:
            parsed.append((n, event.json()))
        except ValueError:
            parsed.append((n, event.data))
    return parsed


@check("images.stream.events", "images.edit-stream.events")
def stream_events(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    operation = _streaming(subject)
    response = subject.exchange.response
    if response is not None and response.status == 200 and response.content_type != "text/event-stream":
        yield Violation(f"Received: content-type {response.content_type!r}\nExpected: text/event-stream")
        return
    known = (PARTIAL[operation], COMPLETED[operation])
    for n, data in _events(subject):
        if not isinstance(data, dict):
            yield Violation(f"Received: {excerpt(data, 80)}\nExpected: an image event as JSON", f"event {n}")
            continue
        if data.get("type") not in known:
            yield Violation(f"Received: type {excerpt(data.get('type'), 60)}\nExpected: one of {known}",
                            f"event {n}")  # fmt: skip
            continue
        yield from first(schema_violations("images.stream-event", data, prefix=f"event {n} $"), 4)


@check("images.stream.order", "images.edit-stream.order")
def order(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    operation = _streaming(subject)
    typed = [(n, d) for n, d in _events(subject) if isinstance(d, dict)]
    partials = [(n, d.get("partial_image_index")) for n, d in typed if d.get("type") == PARTIAL[operation]]
    completed = [n for n, d in typed if d.get("type") == COMPLETED[operation]]
    indices = [index for _, index in partials]
    if indices != list(range(len(indices))):
        yield Violation(f"Received: partial_image_index {excerpt(indices, 80)}\nExpected: 0, 1, ... in order")
    most = int(subject.asked.get("partial_images") or 0)
    if len(partials) > most:
        yield Violation(f"Received: {len(partials)} partial images\nExpected: at most partial_images {most}")
    if len(completed) != 1:
        yield Violation(f"Received: {len(completed)} `{COMPLETED[operation]}` events in {len(typed)} events\n"
                        "Expected: exactly one, last")  # fmt: skip
    elif typed and completed[0] != typed[-1][0]:
        yield Violation(f"Received: `{COMPLETED[operation]}` at event {completed[0]} of {len(typed)}\n"
                        "Expected: the completed event last", f"event {completed[0]}")  # fmt: skip


@check("images.stream.image", "images.edit-stream.image")
def stream_image(subject: ImagesAnswer, ctx: Context) -> Iterator[Violation]:
    operation = _streaming(subject)
    typed = [(n, d) for n, d in _events(subject) if isinstance(d, dict) and d.get("type") in
             (PARTIAL[operation], COMPLETED[operation])]  # fmt: skip
    if not typed:
        raise NotApplicable("the stream holds no image event (the events rule says why)")
    for n, data in typed:
        picture, why = decoded(data.get("b64_json"))
        yield from picture_violations(picture, why, subject.wanted_format(), subject.wanted_size(),
                                      f"the image of {data.get('type')}", f"event {n} $.b64_json")  # fmt: skip


# --- refusals -----------------------------------------------------------------------------------------------------


@check("images.errors.unsupported-option", case_bound=True)
def unsupported_option(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "`response_format` with a GPT image model", None)


@check("images.errors.wrong-file-type", case_bound=True)
def wrong_file_type(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "an edit whose image is a text file", None)


@check("images.errors.missing-image", case_bound=True)
def missing_image(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "an edit without an image", None)


# --- what a run spends ----------------------------------------------------------------------------------------------


def spent(exchange: Exchange) -> dict[str, float]:
    """The images a 2xx answer of the Images API made: the items of `data`, or the completed events of a stream
    (partial images are not billed apart)."""
    response = exchange.response
    path = exchange.request.url.split("?", 1)[0].rstrip("/")
    if response is None or not 200 <= response.status < 300 or "/images/" not in path:
        return {}
    if response.content_type == "text/event-stream":
        events, _ = parse_events(response.body)
        done = 0
        for event in events:
            try:
                data = event.json()
            except ValueError:
                continue
            done += isinstance(data, dict) and str(data.get("type", "")).endswith(".completed")
        return {"images": float(done)} if done else {}
    body = response.json
    data = body.get("data") if isinstance(body, dict) else None
    return {"images": float(len(data))} if isinstance(data, list) and data else {}
