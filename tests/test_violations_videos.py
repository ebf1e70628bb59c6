"""Every videos rule can fail, and says why: one violating subject per rule, its valid twin built by the reference
server's own store and media functions (no HTTP), and the seeds' example answers accepted by the schemas."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.videos import VideoLife, spent
from conformance.judgement import Status, judge
from conformance.reference import _media
from conformance.reference import videos as ref
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests.test_violations import Http
from tests.test_violations_files import error
from tests.test_violations_responses import V, fails_with_evidence, page_rows, param, passes

CONFIG = ServerConfig()
ASKED = {"prompt": "A paper boat", "model": "sora-2", "size": "1280x720", "seconds": "4"}


@dataclass
class Life:
    created: Http
    steps: list[list[Any]]  # [name, Http]
    asked: dict[str, Any]

    def subject(self) -> VideoLife:
        return VideoLife(self.created.subject(), tuple((n, h.subject()) for n, h in self.steps), asked=self.asked)

    def step(self, name: str, n: int = -1) -> Http:
        return [http for what, http in self.steps if what == name][n]


def get(path: str, body: Any, content_type: str = "application/json") -> Http:
    return Http(None, body, path=path, method="GET", content_type=content_type)


def life() -> Life:
    return copy.deepcopy(_life())


@functools.cache
def _life() -> Life:
    """Built once: encoding the MP4 takes a tenth of a second."""
    store = ref.VideoStore(Ids())
    made = store.add(ref.validate(dict(ASKED), None, CONFIG))
    path = f"/videos/{made['id']}"
    steps: list[list[Any]] = [["poll", get(path, store.advance(made["id"], CONFIG))] for _ in range(3)]
    done = steps[-1][1].body
    for variant in ("video", "thumbnail", "spritesheet"):
        data, kind = ref.content(done, variant, CONFIG)
        steps.append([f"content-{variant}", get(f"{path}/content?variant={variant}", data, kind)])
    remix = store.add({**done, "prompt": "at dusk"}, made["id"])
    steps.append(["remix", Http({"prompt": "at dusk"}, remix, path=f"{path}/remix")])
    steps.append(["list", get("/videos?limit=100", ref.listing({"limit": "100"}, store, CONFIG))])
    steps.append(["delete", Http(None, store.delete(made["id"], CONFIG), path=path, method="DELETE")])
    steps.append(["retrieve-deleted", error(404, f"Video with id '{made['id']}' not found.", path)])
    return Life(Http(None, made, path="/videos"), steps, dict(ASKED))


def referenced() -> Life:
    spec = life()
    spec.asked["input_reference"] = "reference.png"
    return spec


def unknown() -> Http:
    return error(404, "Video with id 'video_0' not found.", "/videos/video_0", param="video_id")


def poll(n: int, **change: Any) -> Any:
    return lambda s: s.step("poll", n).body.update(change)


def content(variant: str, data: bytes) -> Any:
    return lambda s: setattr(s.step(f"content-{variant}"), "body", data)


def still_there(spec: Life) -> None:
    gone = spec.step("retrieve-deleted")
    gone.status, gone.body = 200, copy.deepcopy(spec.step("poll").body)


def never_completed(spec: Life) -> None:
    for _, http in spec.steps:
        if http.body and isinstance(http.body, dict) and http.body.get("status") == "completed":
            http.body.update(status="in_progress", progress=90, completed_at=None)


MP4 = _media.mp4(64, 36, 1, "x")
PNG = _media.image(1280, 720, "png", "x")

VIOLATIONS: list[V] = [
    V("videos.object.shape", "no progress", life, lambda s: s.created.body.pop("progress"),
      "'progress' is a required property"),
    V("videos.object.shape", "seconds as a number on a poll", life, poll(0, seconds=4), "4"),
    V("videos.object.shape", "a status the API does not have", life, poll(1, status="running"), "'running'"),
    V("videos.create.echoes", "another size", life, lambda s: s.created.body.update(size="720x1280"),
      "'1280x720', as asked"),
    V("videos.create.echoes", "created completed", life, lambda s: s.created.body.update(status="completed"),
      "queued or in_progress"),
    V("videos.status.transitions", "queued again", life, poll(1, status="queued"), "in_progress then queued"),
    V("videos.status.transitions", "failed after completed", life,
      lambda s: s.steps.insert(3, ["poll", get("/videos/x", {**s.step("poll").body, "status": "failed"})]),
      "completed then failed"),
    V("videos.progress.monotonic", "progress going back", life, poll(1, progress=10), "progress 40 then 10"),
    V("videos.progress.monotonic", "completed at 99", life, poll(2, progress=99), "progress 99 with status completed"),
    V("videos.completed.timestamps", "no completed_at", life, poll(2, completed_at=None), "completed_at null"),
    V("videos.completed.timestamps", "completed before created", life, poll(2, completed_at=1), "before created_at"),
    V("videos.retrieve.same", "another model on retrieve", life, poll(0, model="sora-2-pro"), "'sora-2', as created"),
    V("videos.create.input-reference", "the reference refused", referenced,
      lambda s: setattr(s, "created", error(400, "Invalid input_reference.", "/videos", "POST")), "400"),
    V("videos.content.video", "a PNG for the video", life, content("video", PNG), "a png image"),
    V("videos.content.video", "not found", life, lambda s: setattr(s.step("content-video"), "status", 404), "404"),
    V("videos.content.thumbnail", "the MP4 for the thumbnail", life, content("thumbnail", MP4), "a mpeg4 video"),
    V("videos.content.spritesheet", "JSON for the spritesheet", life, content("spritesheet", b'{"url": "x"}'),
      "not an image"),
    V("videos.remix.shape", "no remixed_from_video_id", life,
      lambda s: s.step("remix").body.update(remixed_from_video_id=None), "the video remixed"),
    V("videos.remix.shape", "the same video again", life,
      lambda s: s.step("remix").body.update(id=s.created.body["id"]), "a new video job"),
    V("videos.delete.deleted", "object video", life, lambda s: s.step("delete").body.update(object="video"),
      "'video.deleted'"),
    V("videos.delete.deleted", "still there after delete", life, still_there, "404 for the deleted video"),
    V("videos.list.contains", "the video not listed", life,
      lambda s: s.step("list").body.update(data=[], first_id=None, last_id=None), "among them"),
    *[v for v in page_rows("videos.pages") if not v.rid.endswith("order-reverses")],
    V("videos.retrieve.unknown", "an unknown id answered 400", unknown, lambda s: setattr(s, "status", 400),
      "status 404"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_videos_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("videos.")}


def test_a_video_that_did_not_complete_in_time_skips_what_needs_it() -> None:
    spec = life()
    never_completed(spec)
    for rid in ("videos.completed.timestamps", "videos.content.video", "videos.content.thumbnail",
                "videos.remix.shape"):  # fmt: skip
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "did not complete" in obs.reason, obs
    for rid in ("videos.status.transitions", "videos.progress.monotonic", "videos.object.shape"):
        assert judge(spec.subject(), [rid])[0].status is Status.PASS


# The seeds' example answers: 000 (Video Job Object), 003 (VideoResource, DeletedVideoResource).
SEED_VIDEO = {"id": "video_123", "object": "video", "model": "sora-2", "status": "completed", "progress": 100,
              "created_at": 1712697600, "completed_at": 1712698200, "size": "1024x1808", "seconds": "8",
              "quality": "standard"}  # fmt: skip


def test_the_documented_examples_are_valid() -> None:
    assert not validate("video", SEED_VIDEO)
    assert not validate("video.list", {"object": "list", "data": [SEED_VIDEO], "first_id": "video_123",
                                       "last_id": "video_123", "has_more": False})  # fmt: skip
    assert not validate("video.deleted", {"id": "video_123", "object": "video.deleted", "deleted": True})
    assert not validate("video.create.request", {"model": "sora-2", "prompt": "A calico cat playing a piano on stage"})
    assert not validate("video.remix.request",
                        {"prompt": "Extend the scene with the cat taking a bow to the cheering audience"})  # fmt: skip
    assert validate("video.create.request", {"prompt": "x", "seconds": 4})  # a string, as the API takes it
    failed = {**SEED_VIDEO, "status": "failed", "error": {"code": "moderation_blocked", "message": "blocked"}}
    assert not validate("video", failed)


def test_the_seed_video_passes_the_rules_of_a_finished_job() -> None:
    spec = Life(Http(None, {**SEED_VIDEO, "status": "queued", "progress": 0, "completed_at": None}, path="/videos"),
                [["poll", get("/videos/video_123", SEED_VIDEO)]], {"model": "sora-2", "seconds": "8"})  # fmt: skip
    rules = ["videos.object.shape", "videos.create.echoes", "videos.status.transitions", "videos.progress.monotonic",
             "videos.completed.timestamps", "videos.retrieve.same"]  # fmt: skip
    for obs in judge(spec.subject(), rules):
        assert obs.status is Status.PASS, obs


def test_spent_counts_the_seconds_of_video_started() -> None:
    spec = life()
    assert spent(spec.created.subject()) == {"video_seconds": 4.0}
    assert spent(spec.step("remix").subject()) == {"video_seconds": 4.0}
    assert spent(spec.step("poll").subject()) == {}, "a retrieve starts nothing"
    assert spent(error(400, "no", "/videos", "POST").subject()) == {}


def test_a_server_without_the_videos_api_skips_and_a_broken_create_fails() -> None:
    spec = life()
    spec.created, spec.steps = error(404, "Invalid URL (POST /v1/videos)", "/videos", "POST"), []
    for obs in judge(spec.subject(), ["videos.object.shape", "videos.create.echoes", "videos.status.transitions"]):
        assert obs.status is Status.SKIP and "does not serve" in obs.reason, obs
    spec.created = error(500, "The server had an error.", "/videos", "POST")
    [obs] = judge(spec.subject(), ["videos.object.shape"])
    assert obs.status is Status.FAIL and "500" in obs.failures[0].message, obs
