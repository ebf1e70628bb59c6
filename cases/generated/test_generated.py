"""The generated phase: requests drawn from the schemas, valid and invalid, and every answer judged.

For each operation of `schemas/openapi.json`, schemathesis and hypothesis draw up to `--oai-examples` requests
(valid ones in positive mode; invalid ones in negative mode, for the operations that take a body), with a fixed
seed. Each is shaped to cost a few tokens (`conformance.cheapen`) and sent through `oai_client`, then the whole
batch is judged at once. Leave the phase out with `-m "not generated"`; run it alone with `-k generated`.
"""

import pytest

from conformance.case import not_claimed_reason, requirement
from conformance.cheapen import shape
from conformance.checks.generated import GeneratedExamples, GeneratedExchange
from conformance.generation import Request, draw_requests, missing_engine, operations, send_all
from conformance.provision import NotProvided, provide

pytestmark = pytest.mark.generated

POSITIVE = ("generated.valid.answered", "generated.valid.accepted")
NEGATIVE = ("generated.invalid.rejected",)
ALWAYS = ("generated.status.never-5xx", "generated.response.time-limit", "generated.connection.intact")
# The model a generated request names, by the operation's feature.
MODEL_ROLE = {"chat": "chat", "chat.store": "chat", "embeddings": "embeddings", "models": "chat",
              "responses": "responses", "responses.store": "responses", "responses.background": "responses",
              "responses.input-tokens": "responses", "responses.compact": "responses", "models.delete": "chat",
              "conversations": "responses", "completions": "completions", "moderations": "moderations",
              "vector-stores": "responses",
              "files": "chat", "uploads": "chat", "batches": "embeddings",
              "realtime": "realtime", "realtime.calls": "realtime"}  # fmt: skip
# Which feature's claim covers a streamed round, by the operation's feature.
STREAM_FEATURE = {"chat": "chat.stream", "responses": "responses.stream", "completions": "completions.stream"}

# (operation, mode, streamed): valid streams get a round of their own, since generators seldom draw `stream: true`.
PLAN = [(op, mode, False) for op in operations() if op.generate for mode in op.modes()] + [
    (op, "positive", True) for op in operations() if op.generate and op.event_schema is not None
]


@requirement(*POSITIVE, *NEGATIVE, *ALWAYS)
@pytest.mark.parametrize(
    ("operation", "mode", "streamed"),
    PLAN,
    ids=[f"{mode}{' streamed' if streamed else ''} {op.label}" for op, mode, streamed in PLAN],
)
def test_generated(operation, mode, streamed, oai_client, oai_target, oai_judge, oai_generation):
    if reason := missing_engine():
        pytest.skip(reason)
    if not oai_target.claims(operation.feature):
        pytest.skip(not_claimed_reason(operation.feature))
    stream_feature = STREAM_FEATURE.get(operation.feature, "")
    if streamed and not oai_target.claims(stream_feature):
        pytest.skip(not_claimed_reason(stream_feature))
    model = oai_target.model(MODEL_ROLE[operation.feature])
    # Valid requests name a model the server has, and the objects the run made for them (both modes: an invalid
    # body must be refused for what it is, not for a path that names nothing); otherwise whatever was drawn.
    kinds: dict[str, str] = {}  # what was made, by kind: the objects a shaped body may name (cheapen.py)
    try:
        made = provide(dict(operation.created_by), oai_client, oai_target, kinds)
    except NotProvided as reason:
        pytest.skip(str(reason))
    path_parameters = {name: model for name in operation.path_parameters if name == "model"} | made
    streaming = "on" if streamed else "drawn" if oai_target.claims(stream_feature) else "off"

    def send(request: Request) -> GeneratedExchange:
        exchange = oai_client.request(
            request.method, request.path, content=request.body, files=request.files, params=request.query or None
        )
        return GeneratedExchange(
            exchange,
            operation.label,
            mode,
            operation.response_schema,
            operation.request_schema,
            operation.event_schema,
            operation.error_schema,
        )

    requests = draw_requests(
        operation,
        mode,
        oai_generation,
        shape=lambda body: shape(operation, mode, body, model=model, stream=streaming, made=kinds),
        path_parameters=path_parameters if mode == "positive" else made or None,
    )
    examples = send_all(requests, send, oai_generation.concurrency)
    ids = (*POSITIVE, *ALWAYS) if mode == "positive" else (*NEGATIVE, *ALWAYS)
    oai_judge(
        GeneratedExamples(operation.label, mode, tuple(examples)),
        *ids,
        expect={"response_time_limit": oai_generation.response_time_limit},
    )
