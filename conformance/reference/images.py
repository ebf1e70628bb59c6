"""The Images API of the reference server: images drawn by Pillow (`_media`), no model.

    POST /v1/images/generations   JSON: prompt, model, n, size, quality, response_format, output_format,
                                  output_compression, background, moderation, style, user, stream, partial_images
    POST /v1/images/edits         multipart: image (or image[], several), mask, prompt, and the same options
    POST /v1/images/variations    multipart: image (a square PNG), model, n, size, response_format, user
    GET  /reference-images/{name}     the bytes behind a `url` answer (dall-e models), without a key, as the real
                                  API's pre-signed links are

The models follow upstream: `dall-e-2` (the default unless an option only the GPT image models have is sent),
`dall-e-3` (n 1, a revised prompt) and `gpt-image-1` (always base64, token usage, output_format, background,
streaming with partial images). An option a model does not have is a 400, as is an edit whose image is not an
image. A stream is `event: <type>` + `data:` per event: `partial_images` partial images, then one completed
event.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from conformance import media

from . import _media, _multipart
from ._config import ServerConfig
from ._errors import ApiError, invalid
from ._routing import Served

GPT_IMAGE = ("gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5")
SIZES = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    **dict.fromkeys(GPT_IMAGE, ("1024x1024", "1536x1024", "1024x1536", "auto")),
}
QUALITIES = {
    "dall-e-2": ("standard", "auto"),
    "dall-e-3": ("standard", "hd", "auto"),
    **dict.fromkeys(GPT_IMAGE, ("low", "medium", "high", "auto")),
}
# Options only the GPT image models take; sending one without `model` picks gpt-image-1.
GPT_ONLY = ("output_format", "output_compression", "background", "moderation", "stream", "partial_images",
            "input_fidelity")  # fmt: skip
FIELDS = {
    "generations": {"prompt", "model", "n", "size", "quality", "response_format", "style", "user", *GPT_ONLY},
    "edits": {"image", "image[]", "mask", "prompt", "model", "n", "size", "quality", "response_format", "user",
              *GPT_ONLY},
    "variations": {"image", "model", "n", "size", "response_format", "user"},
}  # fmt: skip
EDIT_FORMATS = ("png", "jpeg", "webp")
PROMPT_LIMITS = {"dall-e-2": 1000, "dall-e-3": 4000}
GPT_PROMPT_LIMIT = 32_000
STREAM_EVENTS = {"generations": "image_generation", "edits": "image_edit"}


class ImageStore:
    """The bytes behind the `url` answers, by name (a name is the digest of the bytes)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._images: dict[str, tuple[bytes, str]] = {}

    def add(self, data: bytes, output_format: str) -> str:
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{output_format}"
        with self.lock:
            self._images[name] = (data, output_format)
        return name

    def get(self, name: str) -> tuple[bytes, str] | None:
        with self.lock:
            return self._images.get(name)


# --- reading a request --------------------------------------------------------------------------------------------


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"Invalid value for '{name}': expected an integer between {low} and {high}.", name,
                      "invalid_value")  # fmt: skip
    return value


def _choice(value: Any, name: str, allowed: tuple[str, ...], model: str) -> str:
    if value not in allowed:
        supported = ", ".join(repr(a) for a in allowed)
        raise invalid(f"Invalid value for '{name}': {str(value)[:100]!r} is not supported with model {model}. "
                      f"Supported values are: {supported}.", name, "invalid_value")  # fmt: skip
    return str(value)


def _bool(value: Any, name: str) -> bool:
    if value in (True, "true", "True"):
        return True
    if value in (False, "false", "False"):
        return False
    raise invalid(f"Invalid value for '{name}': expected a boolean.", name, "invalid_value")


def validate(body: Any, operation: str, config: ServerConfig) -> dict[str, Any]:
    """The request with its defaults filled in (`model`, `n`, `size`, `quality`, `response_format`,
    `output_format`, ...), or the 400 the real API gives first. `body` is the JSON body or the multipart text
    fields."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    body = {k: v for k, v in body.items() if v is not None}  # null is the default (upstream: nullable)
    unknown = sorted(set(body) - FIELDS[operation])
    if unknown:
        raise invalid(f"Unrecognized request argument supplied: {unknown[0][:100]}", unknown[0][:100])
    gpt_option = next((k for k in GPT_ONLY if k in body), None)
    default = "dall-e-2" if operation == "variations" or gpt_option is None else "gpt-image-1"
    model = body.get("model") or default
    allowed_models = ("dall-e-2",) if operation == "variations" else (
        ("dall-e-2", *GPT_IMAGE) if operation == "edits" else tuple(SIZES))  # fmt: skip
    if model not in allowed_models:
        raise invalid(f"Invalid value for 'model': {str(model)[:100]!r}. This endpoint supports "
                      f"{', '.join(allowed_models)}.", "model", "invalid_value")  # fmt: skip
    gpt = model in GPT_IMAGE
    if not gpt and gpt_option is not None:
        raise invalid(f"Unknown parameter: '{gpt_option}'. It is only supported for the GPT image models.",
                      gpt_option, "unknown_parameter")  # fmt: skip
    if gpt and "response_format" in body and not config.has("images-response-format-accepted"):
        raise invalid("Unknown parameter: 'response_format'. The GPT image models always return base64.",
                      "response_format", "unknown_parameter")  # fmt: skip
    if "style" in body and model != "dall-e-3":
        raise invalid("Unknown parameter: 'style'. It is only supported for dall-e-3.", "style", "unknown_parameter")
    out: dict[str, Any] = {"model": model, "gpt": gpt}
    if operation != "variations":
        prompt = body.get("prompt")
        limit = GPT_PROMPT_LIMIT if gpt else PROMPT_LIMITS.get(model, 1000)
        if not isinstance(prompt, str) or not prompt:
            raise invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
        if len(prompt) > limit:
            raise invalid(f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}.",
                          "prompt", "string_above_max_length")  # fmt: skip
        out["prompt"] = prompt
    out["n"] = _int(body.get("n", 1), "n", 1, 1 if model == "dall-e-3" else 10)
    out["size"] = _choice(body.get("size", "auto" if gpt else "1024x1024"), "size", SIZES[model], model)
    if operation != "variations":
        out["quality"] = _choice(body.get("quality", "auto"), "quality", QUALITIES[model], model)
    out["response_format"] = "b64_json" if gpt else _choice(body.get("response_format", "url"), "response_format",
                                                            ("url", "b64_json"), model)  # fmt: skip
    out["output_format"] = _choice(body.get("output_format", "png"), "output_format", EDIT_FORMATS, model)
    out["output_compression"] = _int(body.get("output_compression", 100), "output_compression", 0, 100)
    out["background"] = _choice(body.get("background", "auto"), "background", ("transparent", "opaque", "auto"), model)
    if out["background"] == "transparent" and out["output_format"] == "jpeg":
        raise invalid("Transparent background requires output_format png or webp.", "background", "invalid_value")
    if "moderation" in body:
        _choice(body["moderation"], "moderation", ("low", "auto"), model)
    if "style" in body:
        _choice(body["style"], "style", ("vivid", "natural"), model)
    if "user" in body and not isinstance(body["user"], str):
        raise invalid("Invalid type for 'user': expected a string.", "user", "invalid_type")
    out["stream"] = _bool(body.get("stream", False), "stream")
    out["partial_images"] = _int(body.get("partial_images", 0), "partial_images", 0, 3)
    return out


def multipart_request(
    content_type: str, raw: bytes, operation: str, config: ServerConfig
) -> tuple[dict[str, Any], list[bytes]]:
    """An edit's or a variation's options and its images (each an image the model takes), or the 400."""
    parts = _multipart.parts(content_type, raw)
    fields = {p.name: p.text() for p in parts if p.filename is None}
    images = [p for p in parts if p.name in ("image", "image[]")]
    masks = [p for p in parts if p.name == "mask"]
    asked = validate({**fields, **dict.fromkeys({p.name for p in images + masks}, "")}, operation, config)
    if not images or all(p.filename is None and not p.data for p in images):
        if config.has("images-edit-no-image-500"):
            raise ApiError(500, "The server had an error while processing your request.", type="server_error",
                           client=False, validation=False)  # fmt: skip
        raise invalid("Missing required parameter: 'image'.", "image", "missing_required_parameter")
    decoded = []
    for part in images:
        picture, why = media.picture(part.data)
        if (picture is None or picture.format not in EDIT_FORMATS) and not config.has("images-edit-text-accepted"):
            raise invalid(f"Invalid input image - format must be in ['image/jpeg', 'image/png', 'image/webp'], got "
                          f"{part.content_type or 'an unknown type'} ({why or picture})."[:300], "image",
                          "invalid_image_format")  # fmt: skip
        decoded.append(picture)
    if not asked["gpt"]:
        first = decoded[0]
        if len(images) > 1:
            raise invalid(f"{asked['model']} takes one image.", "image", "invalid_value")
        if first is not None and (first.format != "png" or first.width != first.height):
            raise invalid("Invalid input image - the image must be a square PNG.", "image", "invalid_image_format")
    elif len(images) > 16:
        raise invalid("At most 16 images can be edited at once.", "image", "invalid_value")
    if masks:
        mask, why = media.picture(masks[0].data)
        first = decoded[0]
        if mask is None or mask.format != "png" or (first is not None and mask.size != first.size):
            raise invalid("Invalid mask image - it must be a PNG of the same size as the image.", "mask",
                          "invalid_image_format")  # fmt: skip
    return asked, [p.data for p in images]


# --- answering ----------------------------------------------------------------------------------------------------


def _drawn(asked: dict[str, Any], index: int, seed: str, config: ServerConfig) -> tuple[bytes, str, str]:
    """(bytes, their format, the size drawn) of image `index` of an answer to `asked`."""
    size = "1024x1024" if asked["size"] == "auto" else asked["size"]
    width, height = (int(x) for x in size.split("x"))
    if config.has("images-wrong-size"):
        width, height = width // 2, height // 2
    output_format = asked["output_format"] if asked["gpt"] else "png"
    if config.has("images-webp-as-png") and output_format == "webp":
        output_format = "png"
    transparent = asked["gpt"] and asked["background"] == "transparent"
    data = _media.image(width, height, output_format, f"{seed}/{index}", transparent, asked["output_compression"])
    return data, output_format, size


def _usage(asked: dict[str, Any], images: int, config: ServerConfig) -> dict[str, Any]:
    text = max(1, len(str(asked.get("prompt", "")).split()))
    image_in = 0 if "inputs" not in asked else 323 * asked["inputs"]
    output = {"low": 272, "medium": 1056, "high": 4160}.get(asked["quality"], 1056) * images
    total = text + image_in + output + (1 if config.has("images-usage-wrong-total") else 0)
    return {"input_tokens": text + image_in, "input_tokens_details": {"text_tokens": text, "image_tokens": image_in},
            "output_tokens": output, "total_tokens": total}  # fmt: skip


def answer(asked: dict[str, Any], seed: str, origin: str, store: ImageStore, config: ServerConfig,
           now: Callable[[], float] = time.time) -> dict[str, Any]:  # fmt: skip
    """The ImagesResponse of a request `asked` (validated); `origin` is scheme://host[:port] for `url` answers."""
    count = 1 if config.has("images-n-ignored") else asked["n"]
    data = []
    size = asked["size"]
    for index in range(count):
        raw, output_format, size = _drawn(asked, index, seed, config)
        b64 = asked["response_format"] == "b64_json" and not config.has("images-url-for-b64")
        if b64:
            item: dict[str, Any] = {"b64_json": base64.b64encode(raw).decode()}
        else:
            name = store.add(raw, output_format)
            broken = "missing-" if config.has("images-url-broken") else ""
            item = {"url": f"{origin}/reference-images/{broken}{name}"}
        if asked["model"] == "dall-e-3":
            item["revised_prompt"] = f"{asked['prompt']} (as drawn by the reference server)"
        data.append(item)
    body: dict[str, Any] = {"created": int(now()), "data": data}
    if asked["gpt"]:
        body.update(background="transparent" if asked["background"] == "transparent" else "opaque",
                    output_format=asked["output_format"], size=size,
                    quality="medium" if asked["quality"] == "auto" else asked["quality"],
                    usage=_usage(asked, count, config))  # fmt: skip
    return body


def events(asked: dict[str, Any], seed: str, operation: str, config: ServerConfig,
           now: Callable[[], float] = time.time) -> list[dict[str, Any]]:  # fmt: skip
    """The events of a streamed request: `partial_images` partial images, then one completed event."""
    prefix = STREAM_EVENTS[operation]
    raw, _, size = _drawn(asked, 0, seed, config)
    common = {"created_at": int(now()), "size": size,
              "quality": "medium" if asked["quality"] == "auto" else asked["quality"],
              "background": "transparent" if asked["background"] == "transparent" else "opaque",
              "output_format": asked["output_format"]}  # fmt: skip
    partials = []
    for index in range(asked["partial_images"]):
        partial, _, _ = _drawn(asked, 0, f"{seed}/partial/{index}", config)
        partials.append({"type": f"{prefix}.partial_image", "b64_json": base64.b64encode(partial).decode(), **common,
                         "partial_image_index": index})  # fmt: skip
    if config.has("images-partial-unordered") and len(partials) > 1:
        partials.reverse()
    completed = {"type": f"{prefix}.completed", "b64_json": base64.b64encode(raw).decode(), **common,
                 "usage": _usage(asked, 1, config)}  # fmt: skip
    return partials if config.has("images-no-completed") else [*partials, completed]


def _sse(items: list[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield f"event: {item['type']}\ndata: {json.dumps(item)}\n\n".encode()


# --- routes -------------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    images: ImageStore


def _seed(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def routes(server: Server) -> list[Route]:
    """The /v1/images routes, bound to `server`."""

    def respond(asked: dict[str, Any], seed: str, operation: str, request: Request) -> Response:
        if asked["stream"]:
            items = events(asked, seed, operation, server.config)
            if server.config.has("images-stream-json"):
                return server._json(items)
            return StreamingResponse(_sse(items), media_type="text/event-stream", headers={"cache-control": "no-cache"})
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return server._json(answer(asked, seed, origin, server.images, server.config))

    async def generations(request: Request) -> Response:
        raw = await request.body()
        asked = validate(await server.json_body(request), "generations", server.config)
        return respond(asked, _seed(raw), "generations", request)

    def multipart(operation: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            asked, images = multipart_request(request.headers.get("content-type", ""), raw, operation, server.config)
            asked["inputs"] = len(images)
            return respond(asked, _seed(raw), operation, request)

        return handle

    async def content(request: Request) -> Response:
        found = server.images.get(request.path_params["name"])
        if found is None:
            return Response(b"The specified blob does not exist.", status_code=404, media_type="text/plain")
        data, output_format = found
        return Response(data, media_type=_media.CONTENT_TYPES[output_format])

    return [
        Route("/v1/images/generations", server.guarded(generations), methods=["POST"]),
        Route("/v1/images/edits", server.guarded(multipart("edits")), methods=["POST"]),
        Route("/v1/images/variations", server.guarded(multipart("variations")), methods=["POST"]),
        Route("/reference-images/{name}", content, methods=["GET"]),
    ]
