"""The Videos API of the reference server: jobs that progress as they are polled, and real media made by `_media`.

    POST   /v1/videos                     create (multipart or JSON: prompt, model, seconds, size, input_reference)
    GET    /v1/videos                     list (`limit` 1..100 default 20, `order` default desc, `after`): the
                                          pages of responses.page
    GET    /v1/videos/{video_id}          the job; each retrieve moves it one stage on (STAGES)
    DELETE /v1/videos/{video_id}          {id, object: video.deleted, deleted: true}; afterwards 404
    GET    /v1/videos/{video_id}/content  `variant` video (an MP4), thumbnail (WebP) or spritesheet (JPEG);
                                          400 until the job completed
    POST   /v1/videos/{video_id}/remix    a new job from a completed one, `remixed_from_video_id` naming it

A job is deterministic: queued (progress 0) when created, then one stage per retrieve: in_progress 40, in_progress
80, completed 100. Nothing depends on the clock but the timestamps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import media

from . import _media, _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._ids import Ids
from ._routing import Served
from .responses import page

MODELS = ("sora-2", "sora-2-pro")
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
PRO_SIZES = ("1024x1792", "1792x1024")
SECONDS = ("4", "8", "12")
VARIANTS = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
FIELDS = frozenset({"prompt", "model", "seconds", "size", "input_reference"})
STAGES = (("queued", 0), ("in_progress", 40), ("in_progress", 80), ("completed", 100))
# What the faults make of the stages: progress that goes back, a status that goes back.
PROGRESS_BACK = (("queued", 0), ("in_progress", 80), ("in_progress", 40), ("completed", 100))
STATUS_BACK = (("queued", 0), ("in_progress", 40), ("queued", 40), ("completed", 100))
EXPIRY_SECONDS = 24 * 3600
SPRITES = 4  # a spritesheet is the thumbnail's frames side by side, scaled down


@dataclass
class Video:
    body: dict[str, Any]
    stage: int = 0


class VideoStore:
    """The jobs a server holds, oldest first. Every method takes the store's lock."""

    def __init__(self, ids: Ids, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.Lock()
        self._ids = ids
        self._clock = clock
        self._videos: dict[str, Video] = {}

    def add(self, asked: dict[str, Any], remixed_from: str | None = None) -> dict[str, Any]:
        body = {"id": self._ids.item("video"), "object": "video", "model": asked["model"], "status": "queued",
                "progress": 0, "created_at": int(self._clock()), "completed_at": None, "expires_at": None,
                "prompt": asked["prompt"], "size": asked["size"], "seconds": asked["seconds"],
                "remixed_from_video_id": remixed_from, "error": None}  # fmt: skip
        with self.lock:
            self._videos[body["id"]] = Video(body)
        return dict(body)

    def get(self, video_id: str) -> dict[str, Any]:
        with self.lock:
            found = self._videos.get(video_id)
            if found is None:
                raise not_found(video_id)
            return dict(found.body)

    def advance(self, video_id: str, config: ServerConfig) -> dict[str, Any]:
        """The job one stage on (a retrieve): the next of the stages, the last once reached."""
        stages = PROGRESS_BACK if config.has("videos-progress-back") else (
            STATUS_BACK if config.has("videos-status-back") else STAGES)  # fmt: skip
        with self.lock:
            found = self._videos.get(video_id)
            if found is None:
                raise not_found(video_id)
            found.stage = min(found.stage + 1, len(stages) - 1)
            status, progress = stages[found.stage]
            found.body.update(status=status, progress=progress)
            if status == "completed" and found.body["completed_at"] is None:
                now = int(self._clock())
                found.body.update(completed_at=now, expires_at=now + EXPIRY_SECONDS)
            return dict(found.body)

    def delete(self, video_id: str, config: ServerConfig) -> dict[str, Any]:
        with self.lock:
            if video_id not in self._videos:
                raise not_found(video_id)
            if not config.has("videos-delete-kept"):
                del self._videos[video_id]
        return {"id": video_id, "object": "video.deleted", "deleted": True}

    def list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(v.body) for v in self._videos.values()]


def not_found(video_id: str) -> ApiError:
    return ApiError(404, f"Video with id '{video_id[:100]}' not found.", param="video_id", code="video_not_found",
                    client=False, validation=False)  # fmt: skip


def validate(fields: dict[str, Any], reference: bytes | None, config: ServerConfig) -> dict[str, Any]:
    """The create request with its defaults (model sora-2, seconds 4, size 720x1280), or the 400."""
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {unknown[0][:100]}", unknown[0][:100])
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
    model = fields.get("model", "sora-2")
    if model not in MODELS:
        raise invalid(f"Invalid value for 'model': {str(model)[:100]!r}. Supported values are: "
                      f"{', '.join(repr(m) for m in MODELS)}.", "model", "invalid_value")  # fmt: skip
    seconds, size = fields.get("seconds", "4"), fields.get("size", "720x1280")
    if seconds not in SECONDS:
        raise invalid(f"Invalid value for 'seconds': {str(seconds)[:20]!r}. Supported values are: '4', '8' and '12'.",
                      "seconds", "invalid_value")  # fmt: skip
    if size not in SIZES or (size in PRO_SIZES and model != "sora-2-pro"):
        raise invalid(f"Invalid value for 'size': {str(size)[:20]!r} is not supported with model {model}.", "size",
                      "invalid_value")  # fmt: skip
    if reference is not None:
        picture, why = media.picture(reference)
        if picture is None or picture.format not in ("png", "jpeg", "webp"):
            raise invalid(f"Invalid input_reference: expected a JPEG, PNG or WebP image ({why}).", "input_reference",
                          "invalid_image_format")  # fmt: skip
        if picture.size != size:
            raise invalid(f"Inpaint image must match the requested width and height ({picture.size} vs {size}).",
                          "input_reference", "invalid_value")  # fmt: skip
    if config.has("videos-size-ignored"):
        size = "720x1280"
    return {"prompt": prompt, "model": model, "seconds": seconds, "size": size}


def listing(query: dict[str, str], store: VideoStore, config: ServerConfig) -> dict[str, Any]:
    """A page of jobs, as every cursor list of the API pages (`limit` 1..100 default 20, `order` default desc)."""
    if config.has("videos-after-ignored"):
        query = {k: v for k, v in query.items() if k != "after"}
    return page(store.list(), query, config)


def content(body: dict[str, Any], variant: str, config: ServerConfig) -> tuple[bytes, str]:
    """The bytes of a completed job's `variant` and their content type."""
    if variant not in VARIANTS:
        raise invalid(f"Invalid value for 'variant': {variant[:40]!r}. Supported values are: 'video', 'thumbnail' and "
                      "'spritesheet'.", "variant", "invalid_value")  # fmt: skip
    if body["status"] != "completed":
        raise invalid(f"Video {body['id']} is not ready: its status is {body['status']}.", "video_id",
                      "video_not_ready")  # fmt: skip
    width, height = (int(x) for x in body["size"].split("x"))
    seed = f"{body['prompt']}/{body['id']}"
    if variant == "video" or (variant == "thumbnail" and config.has("videos-thumbnail-mp4")):
        if config.has("videos-content-not-mp4") and variant == "video":
            return _media.image(width, height, "png", seed), "video/mp4"
        return _media.mp4(width, height, int(body["seconds"]), seed), VARIANTS[variant]
    if variant == "thumbnail":
        return _media.image(width, height, "webp", seed, compression=80), VARIANTS[variant]
    return _media.image(SPRITES * width // 8, height // 8, "jpeg", seed, compression=80), VARIANTS[variant]


# --- routes -------------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    videos: VideoStore


def routes(server: Server) -> list[Route]:
    """The /v1/videos routes, bound to `server`."""
    store, config = server.videos, server.config

    async def collection(request: Request) -> Response:
        if request.method == "GET":
            return server._json(listing(dict(request.query_params), store, config))
        content_type = request.headers.get("content-type", "")
        reference = None
        if content_type.startswith("multipart/"):
            parts = _multipart.parts(content_type, await request.body())
            fields: Any = {p.name: p.text() for p in parts if p.name != "input_reference"}
            reference = next((p.data for p in parts if p.name == "input_reference"), None)
        else:
            fields = await server.json_body(request)
            if not isinstance(fields, dict):
                raise invalid("The request body must be a JSON object.")
        return server._json(store.add(validate(fields, reference, config)))

    async def resource(request: Request) -> Response:
        video_id = request.path_params["video_id"]
        if request.method == "DELETE":
            return server._json(store.delete(video_id, config))
        return server._json(store.advance(video_id, config))

    async def video_content(request: Request) -> Response:
        body = store.get(request.path_params["video_id"])
        data, kind = content(body, request.query_params.get("variant", "video"), config)
        return Response(data, media_type=kind)

    async def remix(request: Request) -> Response:
        source = store.get(request.path_params["video_id"])
        asked = await server.json_body(request)
        if not isinstance(asked, dict) or set(asked) - {"prompt"}:
            extra = sorted(set(asked) - {"prompt"}) if isinstance(asked, dict) else ["(not an object)"]
            raise invalid(f"Unrecognized request argument supplied: {extra[0][:100]}", extra[0][:100])
        prompt = asked.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
        if source["status"] != "completed":
            raise invalid(f"Video {source['id']} cannot be remixed: its status is {source['status']}.", "video_id",
                          "video_not_ready")  # fmt: skip
        made = store.add({**source, "prompt": prompt}, None if config.has("videos-remix-no-source") else source["id"])
        return server._json(made)

    return [
        Route("/v1/videos", server.guarded(collection), methods=["GET", "POST"]),
        Route("/v1/videos/{video_id}", server.guarded(resource), methods=["GET", "DELETE"]),
        Route("/v1/videos/{video_id}/content", server.guarded(video_content), methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", server.guarded(remix), methods=["POST"]),
    ]
