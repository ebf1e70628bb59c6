"""Images end to end: the official `openai` SDK drives the reference server's /v1/images routes (generate, edit,
create_variation, streams), and each images fault of the reference server is caught through client, cases,
plugin and reports."""

from __future__ import annotations

import base64
import json
import os

import httpx
import pytest

from conformance import media
from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-images-" + os.urandom(8).hex()
CASES = "images/test_images.py"

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "images-webp-as-png": ["images.generate.image"],
    "images-wrong-size": ["images.generate.image", "images.generate.url", "images.stream.image",
                          "images.edit.image", "images.edit-stream.image", "images.variation.url"],
    "images-n-ignored": ["images.generate.count", "images.edit.count", "images.variation.count"],
    "images-url-for-b64": ["images.generate.format", "images.variation.format"],
    "images-url-broken": ["images.generate.url", "images.edit.url", "images.variation.url"],
    "images-usage-wrong-total": ["images.generate.usage"],
    "images-partial-unordered": ["images.stream.order"],
    "images-no-completed": ["images.stream.order", "images.edit-stream.order"],
    "images-stream-json": ["images.stream.events", "images.edit-stream.events"],
    "images-response-format-accepted": ["images.errors.unsupported-option"],
    "images-edit-text-accepted": ["images.errors.wrong-file-type"],
    "images-edit-no-image-500": ["images.errors.missing-image"],
}  # fmt: skip


def png(size: int) -> bytes:
    from PIL import Image

    out = __import__("io").BytesIO()
    Image.new("RGB", (size, size), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def picture(b64: str | None) -> media.Picture | None:
    assert b64 is not None
    return media.picture(base64.b64decode(b64))[0]


def test_the_sdk_generates_urls_and_base64_images(client) -> None:
    made = client.images.generate(model="dall-e-2", prompt="a cat", n=2, size="256x256")
    assert len(made.data) == 2 and all(item.url and item.b64_json is None for item in made.data)
    fetched = httpx.get(made.data[0].url)
    assert media.picture(fetched.content)[0] == media.Picture("png", 256, 256)
    assert fetched.headers["content-type"] == "image/png"
    b64 = client.images.generate(model="dall-e-2", prompt="a cat", size="512x512", response_format="b64_json")
    assert picture(b64.data[0].b64_json) == media.Picture("png", 512, 512)
    three = client.images.generate(model="dall-e-3", prompt="a cat", size="1792x1024", response_format="b64_json")
    assert three.data[0].revised_prompt and picture(three.data[0].b64_json) == media.Picture("png", 1792, 1024)


def test_the_sdk_generates_with_a_gpt_image_model(client) -> None:
    made = client.images.generate(model="gpt-image-1", prompt="a cat", size="1536x1024", quality="low",
                                  output_format="jpeg", output_compression=40, n=2)  # fmt: skip
    assert [picture(item.b64_json) for item in made.data] == [media.Picture("jpeg", 1536, 1024)] * 2
    assert (made.output_format, made.size, made.quality, made.background) == ("jpeg", "1536x1024", "low", "opaque")
    usage = made.usage
    assert usage is not None and usage.total_tokens == usage.input_tokens + usage.output_tokens > 0
    clear = client.images.generate(model="gpt-image-1", prompt="a cat", background="transparent", output_format="webp")
    assert picture(clear.data[0].b64_json) == media.Picture("webp", 1024, 1024) and clear.background == "transparent"


def test_the_sdk_streams_partial_images_then_the_image(client) -> None:
    stream = client.images.generate(model="gpt-image-1", prompt="a cat", stream=True, partial_images=3,
                                    output_format="png", size="1024x1536")  # fmt: skip
    events = list(stream)
    assert [e.type for e in events] == ["image_generation.partial_image"] * 3 + ["image_generation.completed"]
    assert [e.partial_image_index for e in events[:3]] == [0, 1, 2]
    assert picture(events[-1].b64_json) == media.Picture("png", 1024, 1536)
    edited = list(client.images.edit(model="gpt-image-1", image=("a.png", png(64), "image/png"), prompt="a hat",
                                     stream=True, partial_images=1))  # fmt: skip
    assert [e.type for e in edited] == ["image_edit.partial_image", "image_edit.completed"]


def test_the_sdk_edits_one_or_several_images_and_makes_variations(client) -> None:
    one = client.images.edit(model="dall-e-2", image=("a.png", png(256), "image/png"), mask=("m.png", png(256)),
                             prompt="a hat", n=2, size="256x256", response_format="b64_json")  # fmt: skip
    assert [picture(item.b64_json) for item in one.data] == [media.Picture("png", 256, 256)] * 2
    two = client.images.edit(model="gpt-image-1", image=[("a.png", png(64), "image/png"), ("b.png", png(32))],
                             prompt="together", size="1024x1024", quality="low")  # fmt: skip
    assert picture(two.data[0].b64_json) == media.Picture("png", 1024, 1024) and two.usage is not None
    assert two.usage.input_tokens_details.image_tokens > 0, "two images in"
    with pytest.warns(DeprecationWarning):
        variations = client.images.create_variation(image=("a.png", png(256), "image/png"), n=3, size="256x256")
    assert len(variations.data) == 3 and all(item.url for item in variations.data)


def test_the_sdk_sees_refused_requests_as_bad_requests(client) -> None:
    with pytest.raises(openai.BadRequestError, match="response_format"):
        client.images.generate(model="gpt-image-1", prompt="a cat", response_format="url")
    with pytest.raises(openai.BadRequestError, match="Invalid input image"):
        client.images.edit(model="gpt-image-1", image=("a.txt", b"text", "text/plain"), prompt="x")
    with pytest.raises(openai.BadRequestError, match="square PNG"):
        client.images.edit(model="dall-e-2", image=("a.png", media_png_wide(), "image/png"), prompt="x")
    with pytest.raises(openai.BadRequestError, match="'n'"):
        client.images.generate(model="dall-e-3", prompt="a cat", n=2)
    with pytest.raises(openai.BadRequestError, match="size"):
        client.images.generate(model="dall-e-2", prompt="a cat", size="1536x1024")


def media_png_wide() -> bytes:
    from PIL import Image

    out = __import__("io").BytesIO()
    Image.new("RGB", (64, 32)).save(out, "PNG")
    return out.getvalue()


def test_every_images_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("images-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("images.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 26, judged
    assert results["verdict"] == "conformant"


def test_the_generated_phase_passes_the_media_operations(pytester, monkeypatch) -> None:
    """Valid and invalid requests drawn for every Images and Videos operation the phase generates, against the
    reference server: no false failure, and every video the phase made deleted."""
    results = certify(pytester, monkeypatch, frozenset(), "generated/test_generated.py", "--oai-retries", "0",
                      "-k", "images or videos")  # fmt: skip
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("generated.")}
    assert judged and set(judged.values()) == {"pass"}, judged
    lines = (pytester.path / "reports" / "exchanges.jsonl").read_text(encoding="utf-8").splitlines()
    sent = {json.loads(line)["request"]["url"].split("/v1", 1)[-1].split("?")[0] for line in lines}
    assert {"/images/generations", "/images/edits", "/images/variations", "/videos"} <= sent
    assert results["resources"]["left"] == []
