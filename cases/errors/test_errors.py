"""Errors: authentication, unknown models, objects and routes, validation failures, a prompt longer than the
model's context, and the error envelope, each judged for the status, type and code the real API gives.

Each mistake is one the real API is known to answer (the recordings, the seeds); `param` is the one it names. A
case that sends to a feature's endpoint skips when the server does not claim that feature: an unclaimed feature
gets no request at all (its 404s would only blame the envelope rules for a route the server never offered).
"""

import pytest

from conformance.case import chat_body, not_claimed_reason, requirement
from conformance.retry import StillTransient

ENVELOPE = ("errors.envelope.schema", "errors.status.never-422", "errors.status.never-5xx")
# Judged on every answer below; only a 429 that outlived the retries gives it something to judge (see `send`).
RATE_LIMIT = "errors.rate-limit.code"
UNKNOWN_MODEL = "oai-conformance-no-such-model"


def claimed(oai_target, feature):
    if not oai_target.claims(feature):
        pytest.skip(not_claimed_reason(feature))


def send(oai_client, oai_judge, method, path, **kwargs):
    """One request. A 429 still answered after the last retry stops the case as in every case (its other rules are
    ERROR), but its code is judged first: it is the only 429 a run ever holds, and no run provokes one."""
    try:
        exchange = oai_client.request(method, path, **kwargs)
    except StillTransient:
        oai_judge(oai_client.exchanges[-1], RATE_LIMIT)
        raise
    oai_judge(exchange, RATE_LIMIT)
    return exchange


def keyed_request(oai_target):
    """What the key cases send: a chat request, as the API's own examples; GET /models for a server that claims
    no chat (both cost nothing when refused)."""
    if oai_target.claims("chat"):
        return {"method": "POST", "path": "/chat/completions", "json": chat_body(oai_target.model("chat"))}
    if oai_target.claims("models"):
        return {"method": "GET", "path": "/models"}
    pytest.skip(f"{not_claimed_reason('chat')}, nor 'models': no endpoint to send a key to")


@requirement("errors.auth.missing-key", "errors.auth.missing-key-code", "errors.request.type", RATE_LIMIT, *ENVELOPE)
def test_missing_key(oai_client, oai_target, oai_judge):
    exchange = send(oai_client, oai_judge, **keyed_request(oai_target), api_key=None)
    oai_judge(exchange, "errors.auth.missing-key", "errors.auth.missing-key-code", "errors.request.type", *ENVELOPE)


@requirement("errors.auth.wrong-key", "errors.auth.wrong-key-code", "errors.request.type", RATE_LIMIT, *ENVELOPE)
def test_wrong_key(oai_client, oai_target, oai_judge):
    exchange = send(
        oai_client, oai_judge, **keyed_request(oai_target), api_key="sk-oai-conformance-wrong-key-000000000000"
    )
    oai_judge(exchange, "errors.auth.wrong-key", "errors.auth.wrong-key-code", "errors.request.type", *ENVELOPE)


# The endpoints whose unknown `model` the real API answers 404 model_not_found (recorded for chat and embeddings;
# the legacy completions share them). Not /moderations (400 or 404: no source) nor /responses (400, now 404).
UNKNOWN_MODEL_REQUESTS = [
    ("chat", "/chat/completions", chat_body(UNKNOWN_MODEL)),
    ("embeddings", "/embeddings", {"model": UNKNOWN_MODEL, "input": "hello"}),
    ("completions", "/completions", {"model": UNKNOWN_MODEL, "prompt": "Say OK.", "max_tokens": 1}),
]
UNKNOWN_MODEL_RULES = ("errors.model.unknown", "errors.model.unknown-code", "errors.request.type", *ENVELOPE)


@requirement(*UNKNOWN_MODEL_RULES, RATE_LIMIT)
@pytest.mark.parametrize(
    ("feature", "path", "body"), UNKNOWN_MODEL_REQUESTS, ids=[path for _, path, _ in UNKNOWN_MODEL_REQUESTS]
)
def test_unknown_model(oai_client, oai_target, oai_judge, feature, path, body):
    claimed(oai_target, feature)
    exchange = send(oai_client, oai_judge, "POST", path, json=body)
    oai_judge(exchange, *UNKNOWN_MODEL_RULES)


# Ids of the real API's shapes (prefix and length) that no server issued, per feature that stores objects.
UNKNOWN_OBJECTS = [
    ("responses.store", "/responses/resp_" + "0" * 50),
    ("chat.store", "/chat/completions/chatcmpl-" + "0" * 29),
    ("conversations", "/conversations/conv_" + "0" * 48),
]
UNKNOWN_OBJECT_RULES = ("errors.object.unknown", "errors.request.type", *ENVELOPE)


@requirement(*UNKNOWN_OBJECT_RULES, RATE_LIMIT)
@pytest.mark.parametrize(("feature", "path"), UNKNOWN_OBJECTS, ids=[feature for feature, _ in UNKNOWN_OBJECTS])
def test_unknown_object(oai_client, oai_target, oai_judge, feature, path):
    claimed(oai_target, feature)
    exchange = send(oai_client, oai_judge, "GET", path)
    oai_judge(exchange, *UNKNOWN_OBJECT_RULES)


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
    "errors.request.missing-parameter", "errors.request.wrong-type", "errors.request.out-of-range", *VALIDATION,
    RATE_LIMIT,
)  # fmt: skip
@pytest.mark.parametrize(
    ("rid", "change", "param"), [(r, c, p) for r, _, c, p in MISTAKES], ids=[what for _, what, _, _ in MISTAKES]
)
def test_invalid_parameter(oai_client, oai_target, oai_judge, rid, change, param):
    claimed(oai_target, "chat")
    body = {k: v for k, v in {**chat_body(oai_target.model("chat")), **change}.items() if v is not None}
    exchange = send(oai_client, oai_judge, "POST", "/chat/completions", json=body)
    oai_judge(exchange, rid, *VALIDATION, expect={"param": param})


@requirement("errors.request.malformed-json", "errors.request.type", RATE_LIMIT, *ENVELOPE)
def test_malformed_json(oai_client, oai_target, oai_judge):
    claimed(oai_target, "chat")
    content = b'{"model": "' + oai_target.model("chat").encode() + b'", "messages": ['
    exchange = send(oai_client, oai_judge, "POST", "/chat/completions", content=content)
    oai_judge(exchange, "errors.request.malformed-json", "errors.request.type", *ENVELOPE)


# A prompt of CONTEXT_WORDS words, each a single token for every tokenizer a server is likely to use (tiktoken's
# cl100k and o200k split on words first; SentencePiece keeps these whole): past the 128k context of the default
# model (gpt-4o-mini) with room to spare, and under a first-tier account's tokens per minute (200k for it), so the
# real API refuses it as too long, before any generation: nothing is billed, in one request of ~540 kB.
CONTEXT_WORDS = 150_000
COMMON_WORDS = ("the", "of", "and", "to", "in", "is", "it", "that", "was", "for", "on", "are", "as", "with", "at")
# Chat models of the real API whose context holds that prompt (gpt-4.1: 1M tokens, gpt-5: 400k, the o-series and
# codex: 200k): it would be answered and billed (~150k input tokens), not refused, so it is not sent to them.
LARGER_CONTEXTS = ("gpt-4.1", "gpt-5", "o1", "o3", "o4", "codex")
CONTEXT_RULES = ("errors.request.context-length", "errors.request.type", "errors.request.param-named", *ENVELOPE)


@requirement(*CONTEXT_RULES, RATE_LIMIT)
def test_context_length_exceeded(oai_client, oai_target, oai_judge):
    claimed(oai_target, "chat")
    model = oai_target.model("chat")
    if model.rsplit("/", 1)[-1].startswith(LARGER_CONTEXTS):
        pytest.skip(f"the context of {model!r} holds the {CONTEXT_WORDS}-token prompt: it would be billed, not refused")
    text = " ".join(COMMON_WORDS[i % len(COMMON_WORDS)] for i in range(CONTEXT_WORDS))
    try:
        # max_tokens 1: a server that truncates the prompt instead generates a single token.
        exchange = send(oai_client, oai_judge, "POST", "/chat/completions", json=chat_body(model, text, max_tokens=1))
    except StillTransient as exc:
        # An account whose tokens-per-minute limit is below the prompt gets 429 "Request too large" however long
        # it waits: that says nothing about the context, and is no reason to fail the run.
        pytest.skip(f"{exc}: a rate limit below the prompt's size leaves the context rule nothing to judge")
    # The recorded refusal names `messages` (scenario max_tokens=1000000000).
    oai_judge(exchange, *CONTEXT_RULES, expect={"param": "messages"})


@requirement("errors.route.unknown", "errors.request.type", RATE_LIMIT, *ENVELOPE)
def test_unknown_route(oai_client, oai_judge):
    exchange = send(oai_client, oai_judge, "GET", "/oai-conformance-no-such-route")
    oai_judge(exchange, "errors.route.unknown", "errors.request.type", *ENVELOPE)
