"""The generated phase: requests drawn from the schemas, valid and invalid, and every answer judged.

For each operation of `schemas/openapi.json`, schemathesis and hypothesis draw up to `--oai-examples` requests
(valid ones in positive mode; invalid ones in negative mode, for the operations that take a body), with a fixed
seed; with `--oai-upstream`, valid ones from the upstream document's operation too (what the API documents, which
our schemas may not yet allow). Each is shaped to cost a few tokens (`conformance.cheapen`) and sent through
`oai_client`, then the whole batch is judged at once. Leave the phase out with `-m "not generated"`; run it alone
with `-k generated`.
"""

import functools
from dataclasses import dataclass

import pytest

from conformance.case import not_claimed_reason, requirement
from conformance.cheapen import shape
from conformance.checks.generated import GeneratedExamples, GeneratedExchange
from conformance.draw_cache import stand_in
from conformance.generation import (
    Request,
    draw_ahead,
    draw_requests,
    missing_engine,
    operations,
    send_all,
    upstream_has,
    with_ids,
)
from conformance.provision import NotProvided, kinds_made, provide
from conformance.readahead import among_others

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
              # images and videos: no model role; conformance/cheapen.py names the cheapest model of each
              "images": "chat", "images.edits": "chat", "images.variations": "chat", "videos": "chat",
              "admin": "chat", "admin.audit-logs": "chat", "admin.usage": "chat", "admin.write": "chat"}  # fmt: skip
MODEL_ROLE |= {"containers": "chat"}  # containers (no model: any role's id is unused)
MODEL_ROLE |= {"chatkit": "chat"}  # chatkit (no model either)
# assistants: an assistant names the chat model; threads and runs act on what the run made
MODEL_ROLE |= {"assistants": "chat", "assistants.threads": "chat", "assistants.runs": "chat"}
# fine-tuning: the chat model is the model fine-tuned, and a score_model grader's
MODEL_ROLE |= {"fine-tuning": "chat", "fine-tuning.checkpoint-permissions": "chat", "fine-tuning.graders": "chat"}
MODEL_ROLE |= {"evals": "chat", "evals.runs": "chat", "evals.runs.sampling": "chat"}  # evals
MODEL_ROLE |= {"realtime": "realtime", "realtime.calls": "realtime"}  # transports
MODEL_ROLE |= {"audio.voice-consents": "chat"}  # audio: voice consents (no model: a retrieve)
MODEL_ROLE |= {"graders": "chat"}  # graders: a grader's grading_model
# Which feature's claim covers a streamed round, by the operation's feature.
STREAM_FEATURE = {"chat": "chat.stream", "responses": "responses.stream", "completions": "completions.stream"}

# (operation, mode, streamed): valid streams get a round of their own, since generators seldom draw `stream: true`.
PLAN = [(op, mode, False) for op in operations() if op.generate for mode in op.modes()] + [
    (op, "positive", True) for op in operations() if op.generate and op.event_schema is not None
]
# What the run makes for an operation that moves on by itself within a second (the reference's background response
# finishes 0.5 s after it was made, a batch moves a state every 0.2 s, a vector store's file is processed in 0.3 s):
# such an operation's case runs alone, so that no other case's draw delays its requests past that moment.
TIMED = frozenset({"response.background", "batch", "vector_store.file", "vector_store.file_batch"})
# With --oai-upstream, a round per operation of valid requests drawn from the upstream document, judged as ours.
UPSTREAM = "upstream"


def pytest_generate_tests(metafunc):
    if metafunc.function is not test_generated:
        return
    plan = list(PLAN)
    if metafunc.config.getoption("oai_upstream", None):
        plan += [(op, UPSTREAM, False) for op in operations() if op.generate]
    params = [
        pytest.param(op, mode, streamed, id=f"{mode}{' streamed' if streamed else ''} {op.label}",
                     marks=[pytest.mark.alone] if TIMED.intersection(dict(op.created_by).values()) else [])
        for op, mode, streamed in plan
    ]  # fmt: skip
    metafunc.parametrize(("operation", "mode", "streamed"), params)


def _skip_reason(operation, mode, streamed, target, generation):
    """Why the round sends nothing against this target, or None."""
    if reason := missing_engine():
        return reason
    upstream = generation.upstream if mode == UPSTREAM else None
    if upstream is not None and not upstream_has(operation, upstream):
        return f"the upstream document has no {operation.label}"
    if not target.claims(operation.feature):
        # An administration operation without the admin key: the reason names the variable that is missing.
        return target.admin_unreachable(operation.feature) or not_claimed_reason(operation.feature)
    stream_feature = STREAM_FEATURE.get(operation.feature, "")
    if streamed and not target.claims(stream_feature):
        return not_claimed_reason(stream_feature)
    return None


@dataclass(frozen=True)
class _Drawing:
    """What the round's draw is given (`draw_requests`), and the stand-ins it names for the objects the run makes."""

    mode: str  # positive or negative (an upstream round draws valid requests)
    upstream: str | None
    arguments: dict  # shape, path_parameters, shaped_by
    standing_in: dict  # path parameter -> its stand-in
    kinds_standing_in: dict  # kind of object a body names -> its stand-in


def _drawing(operation, mode, streamed, target, generation):
    upstream = generation.upstream if mode == UPSTREAM else None
    mode = "positive" if mode == UPSTREAM else mode
    stream_feature = STREAM_FEATURE.get(operation.feature, "")
    model = target.model(MODEL_ROLE[operation.feature])
    # Valid requests name a model the server has, and the objects the run makes for them (both modes: an invalid
    # body must be refused for what it is, not for a path that names nothing); otherwise whatever was drawn. The
    # objects are drawn as stand-ins, their ids put in after: a draw that names none of this run's ids is kept, and
    # read by a run that draws the same (conformance.draw_cache); and the objects are made after the draw, so that
    # a job that moves on by itself (TIMED) is still where it was made when the requests reach it.
    created_by = dict(operation.created_by)
    standing_in = {name: stand_in(f"path-{name}") for name in created_by}
    kinds_standing_in = {kind: stand_in(f"kind-{kind}") for kind in kinds_made(created_by)}
    path_parameters = {name: model for name in operation.path_parameters if name == "model"} | standing_in
    # "off" too where the operation cannot stream: shape reads it only for the operations that can, and a draw kept
    # under one value serves every target (the bundled server's claims and a --base-url target's differ there).
    streaming = "on" if streamed else "drawn" if stream_feature and target.claims(stream_feature) else "off"
    arguments = {
        # A partial, not a lambda: it pickles, so the drawing can go to a process of its own.
        "shape": functools.partial(
            shape, operation, mode, model=model, stream=streaming, made=kinds_standing_in, upstream=upstream is not None
        ),
        "path_parameters": path_parameters if mode == "positive" else standing_in or None,
        "shaped_by": {"model": model, "stream": streaming, "kinds": sorted(kinds_standing_in)},
    }
    return _Drawing(mode, upstream, arguments, standing_in, kinds_standing_in)


def oai_draw_ahead(items, target, generation):
    """Start the draws of this module's rounds among `items` (the session's, in their order), which the run would
    draw as it reaches them: the plugin calls it as the session starts, so the hand-written cases overlap them."""
    for item in items:
        operation, mode, streamed = (item.callspec.params[name] for name in ("operation", "mode", "streamed"))
        if mode == UPSTREAM or _skip_reason(operation, mode, streamed, target, generation):
            continue
        drawing = _drawing(operation, mode, streamed, target, generation)
        draw_ahead(operation, drawing.mode, generation, **drawing.arguments)


@requirement(*POSITIVE, *NEGATIVE, *ALWAYS)
def test_generated(operation, mode, streamed, oai_client, oai_target, oai_judge, oai_generation):
    if reason := _skip_reason(operation, mode, streamed, oai_target, oai_generation):
        pytest.skip(reason)
    drawing = _drawing(operation, mode, streamed, oai_target, oai_generation)
    mode = drawing.mode

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

    requests = draw_requests(operation, mode, oai_generation, upstream=drawing.upstream, **drawing.arguments)
    kinds: dict[str, str] = {}  # what was made, by kind: the objects a shaped body may name (cheapen.py)
    try:
        made = provide(dict(operation.created_by), oai_client, oai_target, kinds)
    except NotProvided as reason:
        pytest.skip(str(reason))
    kinds_standing_in, standing_in = drawing.kinds_standing_in, drawing.standing_in
    assert kinds.keys() == kinds_standing_in.keys(), f"provision.ALSO_MADE is wrong: {sorted(kinds)} were made"
    made_ids = {standing_in[name]: made[name] for name in made} | {kinds_standing_in[k]: kinds[k] for k in kinds}
    requests = with_ids(requests, made_ids)
    # Beside other cases' bodies, the requests in flight are already as many as --concurrency allows: more threads
    # would only wait for a turn.
    examples = send_all(requests, send, 1 if among_others() else oai_generation.concurrency)
    ids = (*POSITIVE, *ALWAYS) if mode == "positive" else (*NEGATIVE, *ALWAYS)
    oai_judge(
        GeneratedExamples(operation.label, mode, tuple(examples)),
        *ids,
        expect={"response_time_limit": oai_generation.response_time_limit},
    )
