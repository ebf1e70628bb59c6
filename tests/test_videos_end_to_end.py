"""Videos end to end: the official `openai` SDK drives every /v1/videos route of the reference server (create with
and without an input reference, retrieve until completed, download each variant, remix, list, delete), and each
videos fault of the reference server is caught through client, cases, plugin and reports, with every video the
run made deleted."""

from __future__ import annotations

import io
import os

import pytest

from conformance import media
from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]
# The SDK warns on every Sora call that the API will be shut down: the reference server serves it until then.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

KEY = "sk-videos-" + os.urandom(8).hex()
CASES = "videos/test_videos.py"

# fault -> the requirements its run must fail
CAUGHT = {
    "videos-progress-back": ["videos.progress.monotonic"],
    "videos-status-back": ["videos.status.transitions"],
    "videos-size-ignored": ["videos.create.echoes"],
    "videos-thumbnail-mp4": ["videos.content.thumbnail"],
    "videos-content-not-mp4": ["videos.content.video"],
    "videos-remix-no-source": ["videos.remix.shape"],
    "videos-delete-kept": ["videos.delete.deleted"],
    "videos-after-ignored": ["videos.pages.after-continues", "videos.pages.walk-once"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


def test_the_sdk_makes_polls_downloads_remixes_lists_and_deletes_a_video(client) -> None:
    made = client.videos.create(prompt="a boat", size="1280x720", seconds="8")
    assert (made.object, made.status, made.progress, made.size, made.seconds, made.model) == (
        "video", "queued", 0, "1280x720", "8", "sora-2")  # fmt: skip
    seen = [client.videos.retrieve(made.id) for _ in range(3)]
    assert [(v.status, v.progress) for v in seen] == [("in_progress", 40), ("in_progress", 80), ("completed", 100)]
    assert seen[-1].completed_at is not None and seen[-1].expires_at is not None
    movie, _ = media.movie(client.videos.download_content(made.id).read())
    assert movie is not None and movie.is_mp4 and (movie.width, movie.height, movie.seconds) == (1280, 720, 8.0)
    thumbnail = client.videos.download_content(made.id, variant="thumbnail")
    assert media.picture(thumbnail.read())[0] == media.Picture("webp", 1280, 720)
    assert media.picture(client.videos.download_content(made.id, variant="spritesheet").read())[0] is not None
    remix = client.videos.remix(made.id, prompt="at dusk")
    assert remix.remixed_from_video_id == made.id and remix.id != made.id and remix.status == "queued"
    with pytest.raises(openai.BadRequestError, match="not ready"):
        client.videos.download_content(remix.id)
    with pytest.raises(openai.BadRequestError, match="cannot be remixed"):
        client.videos.remix(remix.id, prompt="again")
    assert [v.id for v in client.videos.list(limit=1)] == [remix.id, made.id], "the SDK follows `after`"
    assert [v.id for v in client.videos.list(order="asc").data] == [made.id, remix.id]
    for ident in (remix.id, made.id):
        deleted = client.videos.delete(ident)
        assert (deleted.id, deleted.object, deleted.deleted) == (ident, "video.deleted", True)
        with pytest.raises(openai.NotFoundError):
            client.videos.retrieve(ident)


def test_the_sdk_sends_an_input_reference(client) -> None:
    made = client.videos.create(prompt="a boat", input_reference=("ref.png", png(720, 1280), "image/png"))
    assert made.size == "720x1280" and made.seconds == "4"
    with pytest.raises(openai.BadRequestError, match="width and height"):
        client.videos.create(prompt="a boat", size="1280x720", input_reference=("ref.png", png(720, 1280)))
    with pytest.raises(openai.BadRequestError, match="size"):
        client.videos.create(prompt="a boat", size="1792x1024")  # sora-2-pro's
    client.videos.delete(made.id)


def test_every_videos_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("videos-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)


def test_the_same_cases_pass_without_a_fault_and_every_video_is_deleted(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("videos.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 20, judged
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert [c["kind"] for c in resources["created"]] == ["video"] * 3, "the video, its remix, the referenced one"


def test_the_ledger_deletes_a_video_and_its_remix_by_their_own_paths() -> None:
    from conformance.ledger import Ledger
    from tests.test_ledger import exchange

    ledger = Ledger("/v1")
    ledger.observe(exchange("POST", "/videos", 200, {"id": "video_1", "object": "video", "status": "queued"}))
    ledger.observe(exchange("POST", "/videos/video_1/remix", 200, {"id": "video_2", "remixed_from_video_id": "video_1"},
                            {"prompt": "again"}))  # fmt: skip
    ledger.observe(exchange("POST", "/videos", 400, {"error": {"message": "no"}}))
    sent: list[tuple[str, str]] = []

    def end(method: str, path: str):
        sent.append((method, path))
        return exchange(method, path, 200, {"id": path.rsplit("/", 1)[1], "object": "video.deleted", "deleted": True})

    summary = ledger.clean_up(end)
    assert sent == [("DELETE", "/videos/video_1"), ("DELETE", "/videos/video_2")], "the remix lives in /videos"
    assert summary["left"] == [] and [c["kind"] for c in summary["created"]] == ["video", "video"]
