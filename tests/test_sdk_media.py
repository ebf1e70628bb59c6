"""The official `openai` SDK drives every documented operation of the Images and Videos families against the
reference server without an exception (client.images.generate/edit/create_variation, client.videos.*); the list is
proved complete against ../shared/documented-operations.tsv. test_images_end_to_end.py and
test_videos_end_to_end.py drive the same operations in depth."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from tests._sdk import reference_sdk
from tests._shared import SHARED

KEY = "sk-sdk-media-" + os.urandom(8).hex()
FAMILIES = {"images", "videos"}
pytestmark = [
    pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning"),  # create_variation: dall-e-2's endpoint
]


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (9, 99, 199)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def sdk() -> Iterator[openai.OpenAI]:
    with reference_sdk(KEY) as client:
        yield client


def completed_video(sdk: openai.OpenAI) -> str:
    made = sdk.videos.create(prompt="a boat", input_reference=("ref.png", png(720, 1280), "image/png"))
    while sdk.videos.retrieve(made.id).status != "completed":
        pass  # each retrieve moves the reference's job one stage on: three retrieves complete it
    return made.id


OPERATIONS: dict[str, Callable[[openai.OpenAI], Any]] = {
    "POST /v1/images/generations": lambda sdk: (
        sdk.images.generate(model="dall-e-2", prompt="a cat", size="256x256").data[0].url,
        [e.type for e in sdk.images.generate(model="gpt-image-1", prompt="a cat", stream=True, partial_images=1)],
    ),
    "POST /v1/images/edits": lambda sdk: sdk.images.edit(
        model="gpt-image-1", image=[("a.png", png(32, 32), "image/png")], prompt="a hat", quality="low"
    ).data[0].b64_json,
    "POST /v1/images/variations": lambda sdk: sdk.images.create_variation(
        image=("a.png", png(256, 256), "image/png"), size="256x256", response_format="b64_json"
    ).data[0].b64_json,
    "POST /v1/videos": lambda sdk: sdk.videos.create(prompt="a boat", seconds="4").id,
    "GET /v1/videos": lambda sdk: sdk.videos.list(limit=1).has_more,
    "GET /v1/videos/{video_id}": lambda sdk: sdk.videos.retrieve(sdk.videos.create(prompt="a boat").id).progress,
    "DELETE /v1/videos/{video_id}": lambda sdk: sdk.videos.delete(sdk.videos.create(prompt="a boat").id).deleted,
    "GET /v1/videos/{video_id}/content": lambda sdk: sdk.videos.download_content(
        completed_video(sdk), variant="thumbnail"
    ).read(),
    "POST /v1/videos/{video_id}/remix": lambda sdk: sdk.videos.remix(completed_video(sdk), prompt="at dusk").id,
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_sdk_drives_the_operation(sdk: openai.OpenAI, operation: str) -> None:
    assert OPERATIONS[operation](sdk) is not None


@pytest.mark.skipif(not (SHARED / "documented-operations.tsv").is_file(), reason="no documented-operations.tsv")
def test_every_documented_media_operation_is_driven() -> None:
    rows = [line.split("\t") for line in (SHARED / "documented-operations.tsv").read_text().splitlines()[1:]]
    documented = {f"{method} {path}" for method, path, feature, *_ in rows if feature in FAMILIES}
    assert documented == set(OPERATIONS), documented ^ set(OPERATIONS)
