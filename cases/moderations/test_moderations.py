"""Moderations (POST /v1/moderations): one result per input, consistent category maps, the default model, errors.
A few short strings and one tiny image: the cheapest requests the endpoint takes."""

import pytest

from conformance.case import requirement

# A 16x16 grey PNG as a data URL: the API fetches nothing, and the image costs next to nothing.
IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mNwaDhAEmIY1TCqYfhqAACldYAQ"
    "pric7gAAAABJRU5ErkJggg=="
)
INPUTS = {
    "string": "Hello, how are you today?",
    "flagged": "I want to kill them.",  # the documented example: flagged by every moderation model
    "strings": ["I like green apples.", "The sky is blue today."],
    "parts": [{"type": "text", "text": "A calm lake at dawn."}, {"type": "image_url", "image_url": {"url": IMAGE}}],
}
RESULT = (
    "moderations.create.schema",
    "moderations.results.per-input",
    "moderations.categories.same-names",
    "moderations.flagged.consistent",
    "moderations.scores.range",
    "moderations.omni.applied-input-types",
    "moderations.id.prefix",
)


def moderate(oai_client, oai_target, **body):
    return oai_client.request("POST", "/moderations", json={"model": oai_target.model("moderations"), **body})


@requirement(*RESULT)
@pytest.mark.parametrize("form", INPUTS)
def test_moderation(oai_client, oai_target, oai_judge, form):
    exchange = moderate(oai_client, oai_target, input=INPUTS[form])
    oai_judge(exchange, *RESULT)


@requirement("moderations.model.default", "moderations.create.schema", "moderations.results.per-input")
def test_default_model(oai_client, oai_judge):
    exchange = oai_client.request("POST", "/moderations", json={"input": INPUTS["string"]})
    oai_judge(exchange, "moderations.model.default", "moderations.create.schema", "moderations.results.per-input")


@requirement("moderations.request.missing-input", "errors.envelope.schema")
def test_missing_input(oai_client, oai_target, oai_judge):
    exchange = moderate(oai_client, oai_target)
    oai_judge(exchange, "moderations.request.missing-input", "errors.envelope.schema")


@requirement("moderations.model.unknown", "errors.envelope.schema")
def test_unknown_model(oai_client, oai_judge):
    body = {"model": "oai-conformance-no-such-model", "input": INPUTS["string"]}
    exchange = oai_client.request("POST", "/moderations", json=body)
    oai_judge(exchange, "moderations.model.unknown", "errors.envelope.schema")
