"""Moderations end to end: the official `openai` SDK drives the reference server's `POST /v1/moderations`, and
each moderations fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-moderations-" + os.urandom(8).hex()
MODEL = "omni-moderation-latest"
CASES = "moderations/test_moderations.py"
IMAGE = "data:image/png;base64,iVBORw0KGgo="

# fault -> the requirements its run must fail
CAUGHT = {
    "moderations-score-missing": ["moderations.categories.same-names"],
    "moderations-flagged-inconsistent": ["moderations.flagged.consistent"],
    "moderations-scores-percent": ["moderations.scores.range"],
    "moderations-one-result": ["moderations.results.per-input"],
    "moderations-no-applied-types": ["moderations.omni.applied-input-types"],
    "moderations-model-required": ["moderations.model.default"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_reads_a_moderation_of_a_string(client) -> None:
    moderation = client.moderations.create(model=MODEL, input="I want to kill them.")
    assert moderation.id.startswith("modr-") and moderation.model == MODEL
    [result] = moderation.results
    assert result.flagged is True
    assert result.categories.violence is True and result.categories.hate is False
    assert result.categories.illicit is False
    assert 0.5 <= result.category_scores.violence <= 1
    assert result.category_applied_input_types is not None
    assert result.category_applied_input_types.violence == ["text"]


def test_the_sdk_reads_one_result_per_string_and_uses_the_default_model(client) -> None:
    moderation = client.moderations.create(input=["I like green apples.", "The sky is blue."])
    assert moderation.model == MODEL
    assert [r.flagged for r in moderation.results] == [False, False]
    assert all(0 <= s <= 1 for r in moderation.results for s in r.category_scores.model_dump().values())


def test_the_sdk_sends_text_and_image_parts(client) -> None:
    moderation = client.moderations.create(
        model=MODEL,
        input=[{"type": "text", "text": "A calm lake."}, {"type": "image_url", "image_url": {"url": IMAGE}}],
    )
    [result] = moderation.results
    applied = result.category_applied_input_types
    assert applied is not None
    assert applied.violence == ["text", "image"] and applied.hate == ["text"]


def test_the_sdk_raises_on_the_documented_errors(client) -> None:
    with pytest.raises(openai.NotFoundError) as found:
        client.moderations.create(model="oai-conformance-no-such-model", input="x")
    assert found.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.moderations.create(model=MODEL, input=[])
    assert bad.value.param == "input"


def test_every_moderations_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("moderations-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("moderations.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 10
    assert results["verdict"] == "conformant"
