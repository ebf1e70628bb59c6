"""The images and videos faults of the reference server, each as (request, what the fault breaks in its answer),
for tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must
not. Images and videos are read with the rules' own decoders (conformance.media: Pillow, PyAV).

Videos move as they are polled (conformance/reference/videos.py, one stage per retrieve), so a request here creates
a video in process and reads it until it has completed.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx

from conformance import media
from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-media-0123456789"
PROMPT = "A red square on a white table."
DALL_E = {"model": "dall-e-2", "prompt": PROMPT, "size": "256x256"}
GPT_IMAGE = {"model": "gpt-image-1", "prompt": PROMPT, "size": "1024x1024", "quality": "low"}
STREAM = {**GPT_IMAGE, "stream": True, "partial_images": 2}
VIDEO = {"model": "sora-2", "prompt": PROMPT, "seconds": "4", "size": "720x1280"}
ORDER = {"queued": 0, "in_progress": 1, "completed": 2}

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def call(faults: Faults, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, {"authorization": f"Bearer {KEY}"}, **kwargs)


def as_answer(value: Any) -> httpx.Response:
    return httpx.Response(200, json=value)


# --- images -------------------------------------------------------------------------------------------------------


def generate(**body: Any) -> Request:
    return lambda faults: call(faults, "POST", "/images/generations", json=body)


def edit(image: tuple[str, bytes, str] | None, **fields: str) -> Request:
    # every field a part of its own, so the body is multipart also when no image is sent
    parts: list[tuple[str, Any]] = [(name, (None, value)) for name, value in fields.items()]
    parts += [] if image is None else [("image", image)]
    return lambda faults: call(faults, "POST", "/images/edits", files=parts)


def _first_picture(response: httpx.Response) -> media.Picture | None:
    return media.picture(base64.b64decode(response.json()["data"][0]["b64_json"]))[0]


def _url_followed(faults: Faults) -> httpx.Response:
    """The answer to fetching the `url` of a generated image (a pre-signed link: without the key)."""
    url = generate(**DALL_E)(faults).json()["data"][0]["url"]
    return call_reference(_app(faults), "GET", url, {})


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]


def _partials_unordered(response: httpx.Response) -> bool:
    indexes = [e["partial_image_index"] for e in _events(response) if e["type"].endswith(".partial_image")]
    return indexes != sorted(indexes)


def _no_image(response: httpx.Response) -> bool:
    picture = media.picture(response.content)[0] if response.status_code == 200 else None
    return picture is None or picture.size != "256x256"


# --- videos -------------------------------------------------------------------------------------------------------


def _create(faults: Faults, **extra: Any) -> dict[str, Any]:
    return dict(call(faults, "POST", "/videos", json={**VIDEO, **extra}).json())


def _completed(faults: Faults) -> tuple[str, list[dict[str, Any]]]:
    """A new video's id and what each retrieve said until it completed (a few stages: see videos.STAGES)."""
    ident = _create(faults)["id"]
    seen: list[dict[str, Any]] = []
    for _ in range(10):
        seen.append(call(faults, "GET", f"/videos/{ident}").json())
        if seen[-1]["status"] in ("completed", "failed"):
            break
    return ident, seen


def _polled(faults: Faults) -> httpx.Response:
    return as_answer([(body["status"], body["progress"]) for body in _completed(faults)[1]])


def _goes_back(values: list[int]) -> bool:
    return any(later < earlier for earlier, later in itertools.pairwise(values))


def _content(variant: str) -> Request:
    return lambda faults: call(faults, "GET", f"/videos/{_completed(faults)[0]}/content", params={"variant": variant})


def _not_webp(response: httpx.Response) -> bool:
    picture = media.picture(response.content)[0]
    return picture is None or picture.format != "webp"


def _not_mp4(response: httpx.Response) -> bool:
    movie = media.movie(response.content)[0]
    return movie is None or not movie.is_mp4


def _remixed(faults: Faults) -> httpx.Response:
    source = _completed(faults)[0]
    remix = call(faults, "POST", f"/videos/{source}/remix", json={"prompt": "The same square, blue."})
    return as_answer({"source": source, "remix": remix.json()})


def _deleted_then_read(faults: Faults) -> httpx.Response:
    ident = _create(faults)["id"]
    call(faults, "DELETE", f"/videos/{ident}")
    return call(faults, "GET", f"/videos/{ident}")


def _second_page(faults: Faults) -> httpx.Response:
    for _ in range(2):
        _create(faults)
    first = call(faults, "GET", "/videos", params={"limit": 1}).json()["data"][0]["id"]
    return call(faults, "GET", "/videos", params={"limit": 1, "after": first})


MEDIA_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "images-webp-as-png": (generate(**GPT_IMAGE, output_format="webp"),
                           lambda r: getattr(_first_picture(r), "format", None) != "webp"),
    "images-wrong-size": (generate(**DALL_E, response_format="b64_json"),
                          lambda r: getattr(_first_picture(r), "size", None) != "256x256"),
    "images-n-ignored": (generate(**DALL_E, n=2), lambda r: len(r.json()["data"]) != 2),
    "images-url-for-b64": (generate(**DALL_E, response_format="b64_json"),
                           lambda r: "b64_json" not in r.json()["data"][0]),
    "images-url-broken": (_url_followed, _no_image),
    "images-usage-wrong-total": (generate(**GPT_IMAGE),
                                 lambda r: (u := r.json()["usage"])["input_tokens"] + u["output_tokens"]
                                 != u["total_tokens"]),
    "images-partial-unordered": (generate(**STREAM), _partials_unordered),
    "images-no-completed": (generate(**STREAM), lambda r: _events(r)[-1]["type"] != "image_generation.completed"),
    "images-stream-json": (generate(**STREAM), lambda r: not r.headers["content-type"].startswith("text/event-stream")),
    "images-response-format-accepted": (generate(**GPT_IMAGE, response_format="b64_json"),
                                        lambda r: r.status_code == 200),
    "images-edit-text-accepted": (edit(("notes.txt", b"not an image", "text/plain"), model="gpt-image-1",
                                       prompt=PROMPT), lambda r: r.status_code == 200),
    "images-edit-no-image-500": (edit(None, model="gpt-image-1", prompt=PROMPT), lambda r: r.status_code == 500),
    "videos-progress-back": (_polled, lambda r: _goes_back([progress for _, progress in r.json()])),
    "videos-status-back": (_polled, lambda r: _goes_back([ORDER[status] for status, _ in r.json()])),
    "videos-size-ignored": (lambda f: call(f, "POST", "/videos", json={**VIDEO, "size": "1280x720"}),
                            lambda r: r.json()["size"] != "1280x720"),
    "videos-thumbnail-mp4": (_content("thumbnail"), _not_webp),
    "videos-content-not-mp4": (_content("video"), _not_mp4),
    "videos-remix-no-source": (_remixed, lambda r: r.json()["remix"]["remixed_from_video_id"] != r.json()["source"]),
    "videos-delete-kept": (_deleted_then_read, lambda r: r.status_code != 404),
    "videos-after-ignored": (_second_page, lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
}  # fmt: skip
