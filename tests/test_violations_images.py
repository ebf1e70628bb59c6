"""Every images rule can fail, and says why: one violating subject per rule, its valid twin built by the reference
server's own functions (no HTTP), and the seeds' example answers accepted by the schemas and checks."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.checks.images import ImagesAnswer, spent
from conformance.judgement import Status, judge
from conformance.reference import _media
from conformance.reference import images as ref
from conformance.reference._config import ServerConfig
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests.test_violations import Http
from tests.test_violations_responses import V, fails_with_evidence, param, passes

CONFIG = ServerConfig()
ORIGIN = "http://127.0.0.1:8000"
PATHS = {"generate": "/images/generations", "edit": "/images/edits", "variation": "/images/variations"}
OPERATIONS = {"generate": "generations", "edit": "edits", "variation": "variations"}


@dataclass
class Img:
    """An images answer to build: what was asked, the answer, and the GETs of its urls."""

    asked: dict[str, Any]
    body: Any
    path: str = "/images/generations"
    status: int = 200
    content_type: str = "application/json"
    fetched: list[Http] = field(default_factory=list)

    def subject(self) -> ImagesAnswer:
        request = self.asked if self.path == "/images/generations" else None
        http = Http(request, self.body, self.status, path=self.path, content_type=self.content_type)
        return ImagesAnswer(http.subject(), self.asked, tuple(f.subject() for f in self.fetched))

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(block.split(b"data: ", 1)[1]) for block in self.body.split(b"\n\n") if block]

    def set_events(self, events: list[dict[str, Any]]) -> None:
        self.body = b"".join(f"event: {e.get('type')}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def made(op: str, **asked: Any) -> Img:
    """The reference server's answer to `asked` (a url answer with each url fetched from its store)."""
    store = ref.ImageStore()
    valid = ref.validate(dict(asked), OPERATIONS[op], CONFIG)
    if op != "generate":
        valid["inputs"] = 1
    body = ref.answer(valid, "seed", ORIGIN, store, CONFIG)
    fetched = []
    for item in body["data"]:
        if "url" in item:
            found = store.get(item["url"].rsplit("/", 1)[1])
            assert found is not None
            fetched.append(Http(None, found[0], path="/reference-images/x", method="GET", content_type="image/png"))
    return Img(asked, body, PATHS[op], fetched=fetched)


def streamed(op: str = "generate", **asked: Any) -> Img:
    valid = ref.validate({"model": "gpt-image-1", "prompt": "a cat", "stream": True, "partial_images": 2, **asked},
                         OPERATIONS[op], CONFIG)  # fmt: skip
    items = ref.events(valid, "seed", OPERATIONS[op], CONFIG)
    spec = Img({"model": "gpt-image-1", "partial_images": 2, **asked}, b"", PATHS[op],
               content_type="text/event-stream")  # fmt: skip
    spec.set_events(items)
    return spec


def b64(width: int, height: int, fmt: str = "png") -> str:
    return base64.b64encode(_media.image(width, height, fmt, "other")).decode()


def urls(op: str) -> Any:
    return lambda: made(op, model="dall-e-2", prompt="a cat", n=2, size="256x256") if op != "variation" else made(
        op, model="dall-e-2", n=2, size="256x256")  # fmt: skip


def b64s(op: str) -> Any:
    extra = {"prompt": "a cat"} if op != "variation" else {}
    return lambda: made(op, model="dall-e-2", size="512x512", response_format="b64_json", **extra)


def gpt() -> Img:
    return made("generate", model="gpt-image-1", prompt="a cat", size="1536x1024", quality="low", output_format="webp")


def gpt_edit() -> Img:
    return made("edit", model="gpt-image-1", prompt="a hat", size="1024x1024", quality="low", output_format="jpeg")


def item(spec: Img, n: int = 0) -> dict[str, Any]:
    return spec.body["data"][n]


def fetched_bytes(data: bytes) -> Any:
    return lambda s: setattr(s.fetched[0], "body", data)


def not_found(s: Img) -> None:
    s.fetched[0].status, s.fetched[0].body, s.fetched[0].content_type = 404, b"BlobNotFound", "text/plain"


def set_event(kind: str, **change: Any) -> Any:
    def mutate(s: Img) -> None:
        events = s.events()
        next(e for e in events if e["type"].endswith(kind)).update(change)
        s.set_events(events)

    return mutate


def events_mutation(change: Any) -> Any:
    def mutate(s: Img) -> None:
        events = s.events()
        change(events)
        s.set_events(events)

    return mutate


def swap_partials(events: list[dict[str, Any]]) -> None:
    events[0], events[1] = events[1], events[0]


def refusal(op: str = "generate") -> Img:
    body = {"error": {"message": "Unknown parameter: 'response_format'.", "type": "invalid_request_error",
                      "param": "response_format", "code": "unknown_parameter"}}  # fmt: skip
    return Img({"model": "gpt-image-1", "prompt": "a cat", "response_format": "url"}, body, PATHS[op], 400)


class Refused(Img):
    def subject(self) -> Any:  # the refusal rules judge the exchange itself
        return super().subject().exchange


def refused(op: str = "generate") -> Refused:
    spec = refusal(op)
    return Refused(spec.asked, spec.body, spec.path, spec.status)


def answer_rows(op: str) -> list[V]:
    p = f"images.{op}"
    return [
        V(f"{p}.shape", "no created", urls(op), lambda s: s.body.pop("created"), "'created' is a required property"),
        V(f"{p}.shape", "an image with neither url nor b64_json", urls(op),
          lambda s: item(s).pop("url"), "is not valid under any of the given schemas"),
        V(f"{p}.count", "one image for n 2", urls(op), lambda s: s.body["data"].pop(), "as `n` asked"),
        V(f"{p}.format", "a url for b64_json", b64s(op),
          lambda s: s.body["data"].__setitem__(0, {"url": f"{ORIGIN}/x.png"}), "`b64_json`, as response_format"),
        V(f"{p}.image", "another size", b64s(op), lambda s: item(s).update(b64_json=b64(256, 256)),
          "is 256x256"),
        V(f"{p}.image", "a JPEG for a PNG", b64s(op), lambda s: item(s).update(b64_json=b64(512, 512, "jpeg")),
          "is a jpeg image"),
        V(f"{p}.image", "not base64", b64s(op), lambda s: item(s).update(b64_json="%%%"), "not base64"),
        V(f"{p}.url", "a url that leads to a 404", urls(op), not_found, "404"),
        V(f"{p}.url", "a url that serves text", urls(op), fetched_bytes(b"<html>expired</html>"), "no image"),
        V(f"{p}.url", "a url that serves another size", urls(op),
          fetched_bytes(_media.image(128, 128, "png", "x")), "is 128x128"),
    ]  # fmt: skip


def stream_rows(prefix: str, op: str) -> list[V]:
    kind = "image_generation" if op == "generate" else "image_edit"
    other = "image_edit" if op == "generate" else "image_generation"
    good = lambda: streamed(op, size="1024x1024", output_format="webp")  # noqa: E731
    return [
        V(f"{prefix}.events", "sent as application/json", good,
          lambda s: setattr(s, "content_type", "application/json"), "'application/json'"),
        V(f"{prefix}.events", "an event of the other endpoint", good,
          set_event(".completed", type=f"{other}.completed"), f"{other}.completed"),
        V(f"{prefix}.events", "a partial image without its index", good,
          events_mutation(lambda e: e[0].pop("partial_image_index")), "'partial_image_index' is a required"),
        V(f"{prefix}.order", "partial images out of order", good, events_mutation(swap_partials),
          "partial_image_index [1,0]"),
        V(f"{prefix}.order", "no completed event", good, events_mutation(lambda e: e.pop()),
          f"0 `{kind}.completed` events"),
        V(f"{prefix}.order", "the completed event first", good,
          events_mutation(lambda e: e.insert(0, e.pop())), "the completed event last"),
        V(f"{prefix}.order", "more partial images than asked", good,
          events_mutation(lambda e: e.insert(2, {**e[1], "partial_image_index": 2})), "at most partial_images 2"),
        V(f"{prefix}.image", "a completed image that is no image", good,
          set_event(".completed", b64_json=base64.b64encode(b"GIF89a?").decode()), "no image"),
        V(f"{prefix}.image", "a partial image of another size", good,
          set_event(".partial_image", b64_json=b64(64, 64)), "is 64x64"),
    ]  # fmt: skip


VIOLATIONS: list[V] = [
    *answer_rows("generate"),
    *answer_rows("edit"),
    *answer_rows("variation"),
    V("images.generate.usage", "total one more", gpt, lambda s: s.body["usage"].update(total_tokens=99_999),
      "total_tokens 99999"),
    V("images.generate.usage", "no usage", gpt, lambda s: s.body.pop("usage"), "the token usage"),
    V("images.generate.echoes", "png said for webp", gpt, lambda s: s.body.update(output_format="png"), "'webp'"),
    V("images.generate.echoes", "another size said", gpt, lambda s: s.body.update(size="1024x1024"), "'1536x1024'"),
    V("images.generate.image", "a PNG for gpt-image-1's webp", gpt,
      lambda s: item(s).update(b64_json=b64(1536, 1024)), "is a png image"),
    V("images.edit.image", "a PNG for jpeg", gpt_edit, lambda s: item(s).update(b64_json=b64(1024, 1024)),
      "Expected: jpeg"),
    *stream_rows("images.stream", "generate"),
    *stream_rows("images.edit-stream", "edit"),
    V("images.errors.unsupported-option", "accepted", refused, lambda s: setattr(s, "status", 200),
      "a 4xx refusal"),
    V("images.errors.unsupported-option", "answered 500", refused, lambda s: setattr(s, "status", 500), "500"),
    V("images.errors.unsupported-option", "a flat error", refused,
      lambda s: setattr(s, "body", {"message": "no", "code": 400}), "'error' is a required property"),
    V("images.errors.wrong-file-type", "a text file accepted", lambda: refused("edit"),
      lambda s: setattr(s, "status", 200), "an edit whose image is a text file"),
    V("images.errors.missing-image", "answered 500", lambda: refused("edit"), lambda s: setattr(s, "status", 500),
      "an edit without an image"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_images_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("images.")}


def test_a_dall_e_answer_is_not_judged_for_usage_and_a_url_answer_not_decoded() -> None:
    for rid in ("images.generate.usage", "images.generate.echoes", "images.generate.image"):
        [obs] = judge(urls("generate")().subject(), [rid])
        assert obs.status is Status.SKIP and obs.reason, obs
    spec = urls("generate")()
    spec.fetched = []  # the real API's links are elsewhere: not fetched
    [obs] = judge(spec.subject(), ["images.generate.url"])
    assert obs.status is Status.SKIP and "host" in obs.reason


# The seeds' example answers: 000 (Image Response Object), 002 (Create image), 003 (ImagesResponse, the events).
SEED_URL = {"created": 1589478378, "data": [{"url": "https://...", "revised_prompt": "A cute baby sea otter..."}]}
SEED_CAT = "A serene white Siamese cat with striking blue almond-shaped eyes..."
SEED_002 = {"created": 1709375436,
            "data": [{"revised_prompt": SEED_CAT, "url": "https://oaidalleapiprodscus.blob.core.windows.net/..."}]}
SEED_GPT = {"created": 1713833628, "data": [{"b64_json": "..."}], "background": "transparent", "output_format": "png",
            "size": "1024x1024", "quality": "high",
            "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
                      "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}}  # fmt: skip


def test_the_documented_examples_are_valid() -> None:
    for example in (SEED_URL, SEED_002, SEED_GPT):
        assert not validate("images.response", example), example
    for kind in ("image_generation", "image_edit"):
        partial = {"type": f"{kind}.partial_image", "b64_json": "...", "created_at": 1620000000, "size": "1024x1024",
                   "quality": "high", "background": "transparent", "output_format": "png", "partial_image_index": 0}
        done = {**{k: v for k, v in partial.items() if k != "partial_image_index"}, "type": f"{kind}.completed",
                "usage": SEED_GPT["usage"]}  # fmt: skip
        assert not validate("images.stream-event", partial) and not validate("images.stream-event", done)
    for body in ({"model": "dall-e-3", "prompt": "A cute baby sea otter", "n": 1, "size": "1024x1024"},
                 {"model": "dall-e-3", "prompt": "A serene landscape with mountains at sunset", "n": 1,
                  "size": "1024x1024", "quality": "hd", "style": "natural", "response_format": "url"}):  # fmt: skip
        assert not validate("images.generate.request", body)
    edit = {"image": "<file>", "mask": "<file>", "prompt": "A cute baby sea otter wearing a beret", "n": 2,
            "size": "1024x1024"}  # fmt: skip
    assert not validate("images.edit.request", edit)
    assert not validate("images.edit.request", {**edit, "model": "dall-e-2", "n": 1})
    variation = {"image": "<file>", "model": "dall-e-2", "n": 2, "size": "1024x1024"}
    assert not validate("images.variation.request", variation)
    assert validate("images.generate.request", {"prompt": "x", "n": 11})
    assert validate("images.variation.request", {"image": "<file>", "size": "1536x1024"})


def test_the_seeds_url_answers_pass_the_answer_rules() -> None:
    for example in (SEED_URL, SEED_002):
        spec = Img({"model": "dall-e-3", "prompt": "a cat", "n": 1, "size": "1024x1024"}, example)
        for obs in judge(spec.subject(), ["images.generate.shape", "images.generate.count", "images.generate.format"]):
            assert obs.status is Status.PASS, obs


def test_spent_counts_the_images_made() -> None:
    assert spent(urls("generate")().subject().exchange) == {"images": 2.0}
    assert spent(streamed().subject().exchange) == {"images": 1.0}, "partial images are not billed apart"
    assert spent(refusal().subject().exchange) == {}


def test_a_gpt_image_model_or_a_stream_declined_with_a_4xx_is_a_skip() -> None:
    """A server without the GPT image models (or an organisation not verified for them) says so with a 4xx."""
    body = {"error": {"message": "Your organization must be verified to use the model `gpt-image-1`.",
                      "type": "invalid_request_error", "param": None, "code": None}}  # fmt: skip
    for spec, rids in ((gpt(), ["images.generate.shape", "images.generate.usage", "images.generate.image"]),
                       (streamed(), ["images.stream.events", "images.stream.order", "images.stream.image"])):
        spec.status, spec.body, spec.content_type = 403, body, "application/json"
        for obs in judge(spec.subject(), rids):
            assert obs.status is Status.SKIP and "verified" in obs.reason, obs
    dall_e = urls("generate")()
    dall_e.status, dall_e.body = 400, body
    [obs] = judge(dall_e.subject(), ["images.generate.shape"])
    assert obs.status is Status.FAIL, "dall-e-2 is the API's default model: no decline"


def test_a_variation_is_never_judged_as_a_stream() -> None:
    spec = b64s("variation")()
    for obs in judge(spec.subject(), ["images.stream.events", "images.stream.order", "images.stream.image"]):
        assert obs.status is Status.SKIP and "does not stream" in obs.reason, obs


def test_a_retired_dall_e_model_is_a_skip() -> None:
    spec = urls("generate")()
    spec.status, spec.body = 404, {"error": {"message": "The model `dall-e-2` does not exist.", "type":
                                             "invalid_request_error", "param": None, "code": "model_not_found"}}
    [obs] = judge(spec.subject(), ["images.generate.count"])
    assert obs.status is Status.SKIP and "does not exist" in obs.reason, obs
