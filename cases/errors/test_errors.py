"""Errors: authentication, unknown models and routes, validation failures, and the error envelope.

Each mistake is one the recordings show the real API answering; `param` is the one the real API names.
"""

import pytest

from conformance.case import chat_body, requirement

ENVELOPE = ("errors.envelope.schema", "errors.status.never-422", "errors.status.never-5xx")


@requirement("errors.auth.missing-key", *ENVELOPE)
def test_missing_key(oai_client, oai_target, oai_judge):
    exchange = oai_client.request("POST", "/chat/completions", json=chat_body(oai_target.model("chat")), api_key=None)
    oai_judge(exchange, "errors.auth.missing-key", *ENVELOPE)


@requirement("errors.auth.wrong-key", *ENVELOPE)
def test_wrong_key(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST",
        "/chat/completions",
        json=chat_body(oai_target.model("chat")),
        api_key="sk-oai-conformance-wrong-key-000000000000",
    )
    oai_judge(exchange, "errors.auth.wrong-key", *ENVELOPE)


@requirement("errors.model.unknown", "errors.model.unknown-code", *ENVELOPE)
@pytest.mark.parametrize("path", ["/chat/completions", "/embeddings"])
def test_unknown_model(oai_client, oai_judge, path):
    body = (
        chat_body("oai-conformance-no-such-model")
        if path == "/chat/completions"
        else {"model": "oai-conformance-no-such-model", "input": "hello"}
    )
    exchange = oai_client.request("POST", path, json=body)
    oai_judge(exchange, "errors.model.unknown", "errors.model.unknown-code", *ENVELOPE)


VALIDATION = ("errors.request.type", "errors.request.param-named", *ENVELOPE)

# (requirement, what is wrong, the body change, the param the real API names)
MISTAKES = [
    ("errors.request.missing-parameter", "no messages", {"messages": None}, "messages"),
    ("errors.request.wrong-type", "temperature a string", {"temperature": "hot"}, "temperature"),
    ("errors.request.wrong-type", "n a string", {"n": "two"}, "n"),
    ("errors.request.wrong-type", "stream a string", {"stream": "yes"}, "stream"),
    ("errors.request.out-of-range", "temperature 5", {"temperature": 5}, "temperature"),
    ("errors.request.out-of-range", "max_tokens 0", {"max_tokens": 0}, "max_tokens"),
    ("errors.request.out-of-range", "presence_penalty -3", {"presence_penalty": -3}, "presence_penalty"),
]


@requirement(
    "errors.request.missing-parameter", "errors.request.wrong-type", "errors.request.out-of-range", *VALIDATION
)
@pytest.mark.parametrize(
    ("rid", "change", "param"), [(r, c, p) for r, _, c, p in MISTAKES], ids=[what for _, what, _, _ in MISTAKES]
)
def test_invalid_parameter(oai_client, oai_target, oai_judge, rid, change, param):
    body = {k: v for k, v in {**chat_body(oai_target.model("chat")), **change}.items() if v is not None}
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, rid, *VALIDATION, expect={"param": param})


@requirement("errors.request.malformed-json", "errors.request.type", *ENVELOPE)
def test_malformed_json(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/chat/completions", content=b'{"model": "' + oai_target.model("chat").encode() + b'", "messages": ['
    )
    oai_judge(exchange, "errors.request.malformed-json", "errors.request.type", *ENVELOPE)


@requirement("errors.route.unknown", *ENVELOPE)
def test_unknown_route(oai_client, oai_judge):
    exchange = oai_client.request("GET", "/oai-conformance-no-such-route")
    oai_judge(exchange, "errors.route.unknown", *ENVELOPE)
