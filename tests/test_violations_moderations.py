"""Every moderations rule (`POST /v1/moderations`) can fail, and says why: one violating subject per rule.

As in test_violations.py, each row names a requirement, the violation (the pytest id), a factory of a VALID
subject and one mutation that breaks the rule; the check must PASS the valid subject and FAIL (MUST) or WARN
(SHOULD) the mutated one, quoting what was received and what was expected. Valid answers are written the way the
real API answers (every category in every map, `modr-` ids); seed 000's example answer is accepted as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from conformance.judgement import Status, judge
from conformance.reference import moderations as ref
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from tests.test_violations import Http, Mutation, answer, drop, mutated, put

MODEL = "omni-moderation-latest"
CATEGORIES = ref.CATEGORIES
IMAGE = "data:image/png;base64,iVBORw0KGgo="
PARTS = [{"type": "text", "text": "A calm lake."}, {"type": "image_url", "image_url": {"url": IMAGE}}]

# Seed 000, Moderations API › Moderation Response (a text-moderation model: 11 categories, no applied types).
SEED_EXAMPLE: dict[str, Any] = {
    "id": "modr-abc123",
    "model": "text-moderation-007",
    "results": [{
        "flagged": False,
        "categories": {"sexual": False, "hate": False, "harassment": False, "self-harm": False,
                       "sexual/minors": False, "hate/threatening": False, "violence/graphic": False,
                       "self-harm/intent": False, "self-harm/instructions": False,
                       "harassment/threatening": False, "violence": False},
        "category_scores": {"sexual": 0.000014, "hate": 0.000005, "harassment": 0.000041, "self-harm": 0.000003,
                            "sexual/minors": 0.000001, "hate/threatening": 0.000001, "violence/graphic": 0.000006,
                            "self-harm/intent": 0.000001, "self-harm/instructions": 0.000001,
                            "harassment/threatening": 0.000002, "violence": 0.000014},
    }],
}  # fmt: skip


def result(flagged: tuple[str, ...] = (), types: tuple[str, ...] = ("text",)) -> dict[str, Any]:
    """An omni result: every category in the three maps, `flagged` categories true with a high score."""
    return {
        "flagged": bool(flagged),
        "categories": {c: c in flagged for c in CATEGORIES},
        "category_scores": {c: 0.91 if c in flagged else 0.00012 for c in CATEGORIES},
        "category_applied_input_types": {c: list(types) for c in CATEGORIES},
    }


def moderation(value: Any = "Hello, how are you today?", results: list[dict[str, Any]] | None = None,
               **ask: Any) -> Http:
    body = {"id": "modr-4f1c2a9e0b7d", "model": MODEL, "results": results if results is not None else [result()]}
    return Http({"model": MODEL, "input": value, **ask}, body, path="/moderations")


def flagged() -> Http:
    return moderation("I want to kill them.", [result(("violence", "harassment/threatening"))])


def strings() -> Http:
    return moderation(["I like green apples.", "The sky is blue."], [result(), result()])


def parts() -> Http:
    return moderation(PARTS, [result(types=("text", "image"))])


def text_model() -> Http:
    return Http({"model": "text-moderation-latest", "input": "Hello"}, copy.deepcopy(SEED_EXAMPLE),
                path="/moderations")


def error(status: int, message: str, param: str | None, code: str | None, request: dict[str, Any]) -> Http:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    return Http(request, body, status, path="/moderations")


def missing_input() -> Http:
    return error(400, "Missing required parameter: 'input'.", "input", "missing_required_parameter",
                 {"model": MODEL})


def no_model() -> Http:
    http = moderation()
    del http.request["model"]
    return http


UNKNOWN = "oai-conformance-no-such-model"


def unknown_model() -> Http:
    return error(404, f"The model `{UNKNOWN}` does not exist or you do not have access to it.", None,
                 "model_not_found", {"model": UNKNOWN, "input": "Hello"})


def unknown_model_400() -> Http:
    return error(400, f"Invalid value for 'model' = {UNKNOWN}.", "model", None, {"model": UNKNOWN, "input": "Hello"})


class V(NamedTuple):
    rid: str
    what: str
    good: Callable[[], Http]
    mutate: Mutation
    shows: str = ""


VIOLATIONS: list[V] = [
    V("moderations.create.schema", "no results", moderation, drop("body.results"),
      shows="'results' is a required property"),
    V("moderations.create.schema", "flagged as a string", moderation, put("body.results.0.flagged", "false"),
      shows="'false'"),
    V("moderations.create.schema", "a category left out of categories", moderation,
      drop("body.results.0.categories.hate"), shows="'hate' is a required property"),
    V("moderations.create.schema", "an empty model (row 16)", moderation, put("body.model", ""), shows="''"),
    V("moderations.results.per-input", "two strings, one result", strings, drop("body.results.1"),
      shows="1 results for 2 input(s)"),
    V("moderations.results.per-input", "text and image parts, one result per part", parts,
      lambda s: s.body["results"].append(result()), shows="2 results for 1 input(s)"),
    V("moderations.categories.same-names", "a category without a score", moderation,
      drop("body.results.0.category_scores.violence/graphic"), shows="violence/graphic"),
    V("moderations.categories.same-names", "an applied-types map of other names", moderation,
      put("body.results.0.category_applied_input_types", {"violence": ["text"]}), shows="harassment"),
    V("moderations.flagged.consistent", "a category true, flagged false", flagged,
      put("body.results.0.flagged", False), shows="violence"),
    V("moderations.flagged.consistent", "flagged with no category true", moderation,
      put("body.results.0.flagged", True), shows="flagged True"),
    V("moderations.scores.range", "scores as percentages", flagged,
      put("body.results.0.category_scores.violence", 91.0), shows="91.0"),
    V("moderations.scores.range", "a negative score (a logit)", moderation,
      put("body.results.0.category_scores.hate", -3.2), shows="-3.2"),
    V("moderations.omni.applied-input-types", "an omni result without applied types", moderation,
      drop("body.results.0.category_applied_input_types"), shows="omni-moderation-latest"),
    V("moderations.omni.applied-input-types", "image applied to a text-only input", moderation,
      put("body.results.0.category_applied_input_types.violence", ["text", "image"]), shows="'image'"),
    V("moderations.request.missing-input", "no input answered 200", missing_input,
      answer(200, SEED_EXAMPLE), shows="200"),
    V("moderations.request.missing-input", "no input answered 422", missing_input,
      answer(422, {"detail": [{"loc": ["body", "input"], "msg": "Field required"}]}), shows="422"),
    V("moderations.model.default", "no model rejected with 400", no_model,
      answer(400, missing_input().body | {"error": {**missing_input().body["error"], "param": "model"}}),
      shows="400"),
    V("moderations.model.unknown", "an unknown model served (row 8)", unknown_model, answer(200, SEED_EXAMPLE),
      shows="200"),
    V("moderations.model.unknown", "a 404 without the code", unknown_model, put("body.error.code", None),
      shows="model_not_found"),
    V("moderations.id.prefix", "a chat completion id", moderation, put("body.id", "chatcmpl-123"),
      shows="chatcmpl-123"),
]


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


def violating(v: V) -> Any:
    spec = v.good()
    v.mutate(spec)
    return spec.subject()


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    [obs] = judge(violating(v), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
        evidence = failure.message.split("Received:", 1)[1].split("Expected:", 1)[0]
        assert evidence.strip(), f"no evidence after Received: {failure.message!r}"
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


def test_every_moderations_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {rid for rid in catalogue() if rid.startswith("moderations.")}


NOT_APPLICABLE = [
    ("moderations.omni.applied-input-types", "a text-moderation model without applied types", text_model),
    ("moderations.request.missing-input", "the request holds input", moderation),
    ("moderations.model.default", "the request names a model", moderation),
    ("moderations.model.default", "no model and no input either", missing_input),
    ("moderations.results.per-input", "no input", lambda: Http({"model": MODEL}, SEED_EXAMPLE, path="/moderations")),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in NOT_APPLICABLE])
def test_not_applicable_is_skip(rid: str, spec: Callable[[], Http]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.SKIP, obs
    assert obs.reason


LOOSER = [
    *[(rid, "seed 000's example answer (text-moderation-007)", text_model) for rid in (
        "moderations.create.schema", "moderations.results.per-input", "moderations.categories.same-names",
        "moderations.flagged.consistent", "moderations.scores.range", "moderations.id.prefix")],
    ("moderations.create.schema", "illicit null from a text model",
     mutated(text_model, put("body.results.0.categories.illicit", None))),
    ("moderations.create.schema", "undocumented fields and a new category",
     mutated(moderation, put("body.undocumented", {"x": 1}), put("body.results.0.categories.new/category", False),
             put("body.results.0.category_scores.new/category", 0.0))),
    ("moderations.scores.range", "scores of exactly 0 and 1",
     mutated(flagged, put("body.results.0.category_scores.violence", 1),
             put("body.results.0.category_scores.hate", 0))),
    ("moderations.omni.applied-input-types", "an image-only input: text categories apply to nothing",
     lambda: moderation([PARTS[1]], [{**result(types=("image",)),
                                       "category_applied_input_types": {c: ["image"] if c in ref.IMAGE_CATEGORIES
                                                                        else [] for c in CATEGORIES}}])),
    ("moderations.model.unknown", "a 400 for an unknown model", unknown_model_400),
    ("moderations.results.per-input", "an array of parts is one input", parts),
    ("moderations.flagged.consistent", "flagged with two categories true (seed 002)", flagged),
]


@pytest.mark.parametrize(("rid", "spec"), [pytest.param(r, s, id=f"{r}: {w}") for r, w, s in LOOSER])
def test_real_api_looseness_passes(rid: str, spec: Callable[[], Http]) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.PASS, obs


def test_the_seed_example_is_a_valid_moderation_and_the_documented_requests_are_valid() -> None:
    assert not validate("moderation", SEED_EXAMPLE)
    for value in ("Sample text to check for policy violations.", ["a", "b"], PARTS, ""):
        assert not validate("moderation.request", {"input": value}), value
        assert not validate("moderation.request", {"model": "text-moderation-latest", "input": value}), value
    for bad in ({}, {"input": []}, {"input": None}, {"input": ["a", PARTS[0]]}, {"input": [{"type": "audio"}]},
                {"input": "x", "model": ""}, {"input": "x", "temperature": 0}):
        assert validate("moderation.request", bad), bad


def test_the_reference_results_are_valid_and_consistent() -> None:
    from conformance.reference._config import ServerConfig

    for text, has_text, has_image in (("Hello", True, False), ("I want to kill them.", True, False),
                                      ("", False, True)):
        item = ref.classify(text, has_text, has_image, ServerConfig())
        assert not validate("moderation", {"id": "modr-1", "model": MODEL, "results": [item]})
        assert item["flagged"] == any(item["categories"].values())
    assert ref.classify("I want to kill them.", True, False, ServerConfig())["categories"]["violence"] is True

