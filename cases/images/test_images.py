"""Images: generations as urls and as base64 (dall-e-2 at its smallest size, gpt-image-1 at low quality in WebP and
JPEG), a streamed generation with partial images, edits of one and of two images (a mask, a stream), variations,
and the requests the API refuses.

Every image is costly: a case asks for the fewest and smallest images that show its rules (the real API bills
per image; `checks.images.spent` counts them). The urls of an answer are fetched only when they are on the target's
own host (the reference server serves its own); the real API's links point elsewhere and are left alone, so no
key is sent anywhere else. Images sent to edit are drawn here by Pillow: nothing is stored, so
nothing needs deleting.
"""

import io
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

from conformance.case import requirement
from conformance.checks.images import ImagesAnswer

DALL_E = "dall-e-2"  # the cheapest model that answers urls, edits with a mask and makes variations
GPT_IMAGE = "gpt-image-1"  # base64 only, output formats, usage, streams
SMALL = "256x256"
PROMPT = "A flat red circle on a white background"


GENERATE_URL = ("images.generate.shape", "images.generate.count", "images.generate.format", "images.generate.url")
GENERATE_B64 = ("images.generate.shape", "images.generate.count", "images.generate.format", "images.generate.image")
GENERATE_GPT = (*GENERATE_B64, "images.generate.usage", "images.generate.echoes")
STREAM = ("images.stream.events", "images.stream.order", "images.stream.image")
EDIT_URL = ("images.edit.shape", "images.edit.count", "images.edit.format", "images.edit.url")
EDIT_B64 = ("images.edit.shape", "images.edit.count", "images.edit.format", "images.edit.image")
EDIT_STREAM = ("images.edit-stream.events", "images.edit-stream.order", "images.edit-stream.image")
VARIATION = ("images.variation.shape", "images.variation.count", "images.variation.format", "images.variation.url")
VARIATION_B64 = ("images.variation.shape", "images.variation.count", "images.variation.format",
                 "images.variation.image")  # fmt: skip


def png(width: int, height: int, hole: bool = False) -> bytes:
    """A PNG of a circle; `hole`: RGBA with a fully transparent middle (a mask: where to edit)."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    box = (width // 4, height // 4, 3 * width // 4, 3 * height // 4)
    draw.ellipse(box, fill=(0, 0, 0, 0) if hole else (220, 30, 30, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def fetch_own_urls(oai_client, exchange):
    """GET each url of the answer that is on the target's own host (scheme, host and port of its base URL); the
    others (the real API's pre-signed links) are not the target's, and no key is sent there."""
    base = urlsplit(oai_client.url(""))
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    urls = [item.get("url") for item in data if isinstance(item, dict)] if isinstance(data, list) else []
    own = [urlsplit(url) for url in urls if isinstance(url, str)]
    own = [url for url in own if (url.scheme, url.netloc) == (base.scheme, base.netloc)]
    # A path relative to the API root: up out of it with `..` (httpx resolves the dot segments), then the url's.
    up = "../" * len([part for part in base.path.split("/") if part])
    return tuple(oai_client.request("GET", up + url.path.lstrip("/") + (f"?{url.query}" if url.query else ""))
                 for url in own)  # fmt: skip


def generate(oai_client, oai_judge, ids, **asked):
    exchange = oai_client.request("POST", "/images/generations", json=asked)
    oai_judge(ImagesAnswer(exchange, asked, fetch_own_urls(oai_client, exchange)), *ids)


def multipart(oai_client, path, images, fields, image_field="image", extra=()):
    parts = [(image_field, (name, data, kind)) for name, data, kind in images]
    parts += [*extra, *((key, (None, str(value))) for key, value in fields.items())]
    return oai_client.request("POST", path, files=parts)


@requirement(*GENERATE_URL)
def test_generate_urls(oai_client, oai_judge):
    generate(oai_client, oai_judge, GENERATE_URL, model=DALL_E, prompt=PROMPT, n=2, size=SMALL)


@requirement(*GENERATE_B64)
def test_generate_base64(oai_client, oai_judge):
    generate(oai_client, oai_judge, GENERATE_B64, model=DALL_E, prompt=PROMPT, size=SMALL,
             response_format="b64_json")  # fmt: skip


@requirement(*GENERATE_GPT)
def test_generate_with_a_gpt_image_model(oai_client, oai_judge):
    generate(oai_client, oai_judge, GENERATE_GPT, model=GPT_IMAGE, prompt=PROMPT, quality="low", size="1024x1536",
             output_format="webp", output_compression=50)  # fmt: skip


@requirement(*STREAM)
def test_generate_streamed(oai_client, oai_judge):
    asked = {"model": GPT_IMAGE, "prompt": PROMPT, "quality": "low", "size": "1024x1024", "output_format": "jpeg",
             "stream": True, "partial_images": 2}  # fmt: skip
    exchange = oai_client.request("POST", "/images/generations", json=asked)
    oai_judge(ImagesAnswer(exchange, asked), *STREAM)


@requirement("images.errors.unsupported-option", "errors.envelope.schema")
def test_response_format_with_a_gpt_image_model(oai_client, oai_judge):
    body = {"model": GPT_IMAGE, "prompt": PROMPT, "quality": "low", "response_format": "url"}
    oai_judge(oai_client.request("POST", "/images/generations", json=body), "images.errors.unsupported-option",
              "errors.envelope.schema")  # fmt: skip


@requirement(*EDIT_URL)
def test_edit_one_image_with_a_mask(oai_client, oai_judge):
    asked = {"model": DALL_E, "prompt": PROMPT, "n": 2, "size": SMALL}
    mask = ("mask", ("mask.png", png(256, 256, hole=True), "image/png"))
    exchange = multipart(oai_client, "/images/edits", [("circle.png", png(256, 256), "image/png")], asked,
                         extra=(mask,))  # fmt: skip
    oai_judge(ImagesAnswer(exchange, asked, fetch_own_urls(oai_client, exchange)), *EDIT_URL)


@requirement(*EDIT_B64)
def test_edit_two_images(oai_client, oai_judge):
    asked = {"model": GPT_IMAGE, "prompt": PROMPT, "quality": "low", "size": "1024x1024", "output_format": "png"}
    images = [("one.png", png(512, 512), "image/png"), ("two.png", png(256, 256), "image/png")]
    exchange = multipart(oai_client, "/images/edits", images, asked, image_field="image[]")
    oai_judge(ImagesAnswer(exchange, asked), *EDIT_B64)


@requirement(*EDIT_STREAM)
def test_edit_streamed(oai_client, oai_judge):
    asked = {"model": GPT_IMAGE, "prompt": PROMPT, "quality": "low", "size": "1024x1024", "output_format": "webp",
             "stream": "true", "partial_images": 1}  # fmt: skip
    exchange = multipart(oai_client, "/images/edits", [("circle.png", png(256, 256), "image/png")], asked)
    oai_judge(ImagesAnswer(exchange, asked), *EDIT_STREAM)


@requirement("images.errors.wrong-file-type", "images.errors.missing-image")
def test_refused_edits(oai_client, oai_judge):
    fields = {"model": DALL_E, "prompt": PROMPT, "size": SMALL}
    text = multipart(oai_client, "/images/edits", [("notes.txt", b"not an image\n", "text/plain")], fields)
    oai_judge(text, "images.errors.wrong-file-type")
    oai_judge(multipart(oai_client, "/images/edits", [], fields), "images.errors.missing-image")


@requirement(*VARIATION)
def test_variations_as_urls(oai_client, oai_judge):
    asked = {"model": DALL_E, "n": 2, "size": SMALL}
    exchange = multipart(oai_client, "/images/variations", [("circle.png", png(256, 256), "image/png")], asked)
    oai_judge(ImagesAnswer(exchange, asked, fetch_own_urls(oai_client, exchange)), *VARIATION)


@requirement(*VARIATION_B64)
def test_a_variation_as_base64(oai_client, oai_judge):
    asked = {"model": DALL_E, "size": SMALL, "response_format": "b64_json"}
    exchange = multipart(oai_client, "/images/variations", [("circle.png", png(256, 256), "image/png")], asked)
    oai_judge(ImagesAnswer(exchange, asked), *VARIATION_B64)
