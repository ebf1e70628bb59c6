"""Stored responses: retrieve, delete, continue with previous_response_id, input items and their pages,
function-call round trips and background responses."""

import time

import pytest

from conformance.case import WEATHER_TOOL, Lifecycle, requirement, responses_body, walk

# How long a background response may take to finish before the case stops polling.
BACKGROUND_WAIT = 60.0
PAGES = (
    "responses.input-items.pages.limit",
    "responses.input-items.pages.has-more",
    "responses.input-items.pages.first-last-ids",
    "responses.input-items.pages.after-continues",
    "responses.input-items.pages.walk-once",
    "responses.input-items.pages.order-reverses",
    "responses.input-items.pages.invalid-limit",
)


def create(oai_client, oai_target, **extra):
    return oai_client.request("POST", "/responses", json=responses_body(oai_target.model("responses"), **extra))


def created_id(exchange) -> str:
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        pytest.skip(f"creating a response failed, so the stored-response rules cannot be judged: {exchange.response}")
    return body["id"]


@requirement(
    "responses.retrieve.same",
    "responses.delete.deleted",
    "responses.previous.continues",
    "responses.input-items.lists-input",
)
def test_stored_response_life(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, instructions="Answer briefly.", store=True)
    ident = created_id(made)
    steps = [
        ("retrieve", oai_client.request("GET", f"/responses/{ident}")),
        ("input_items", oai_client.request("GET", f"/responses/{ident}/input_items")),
        ("continue", create(oai_client, oai_target, content="And then?", previous_response_id=ident)),
        ("delete", oai_client.request("DELETE", f"/responses/{ident}")),
        ("retrieve-deleted", oai_client.request("GET", f"/responses/{ident}")),
    ]
    oai_judge(
        Lifecycle(made, tuple(steps)),
        "responses.retrieve.same",
        "responses.delete.deleted",
        "responses.previous.continues",
        "responses.input-items.lists-input",
    )


@requirement(*PAGES)
def test_input_items_pages(oai_client, oai_target, oai_judge):
    # Seven input items: four pages of two.
    messages = [{"role": "user", "content": f"Item {n}: say OK."} for n in range(1, 8)]
    ident = created_id(create(oai_client, oai_target, content=messages))
    oai_judge(walk(oai_client, f"/responses/{ident}/input_items", limit=2), *PAGES)


@requirement("responses.previous.unknown", "errors.envelope.schema")
def test_unknown_previous_response(oai_client, oai_target, oai_judge):
    exchange = create(oai_client, oai_target, previous_response_id="resp_0000000000000000000000000000000000000000")
    oai_judge(exchange, "responses.previous.unknown", "errors.envelope.schema")


@requirement("responses.retrieve.unknown", "errors.envelope.schema")
def test_unknown_response(oai_client, oai_judge):
    exchange = oai_client.request("GET", "/responses/resp_0000000000000000000000000000000000000000")
    oai_judge(exchange, "responses.retrieve.unknown", "errors.envelope.schema")


@requirement("responses.function-call.round-trip", "responses.function-call.shape")
def test_function_call_round_trip(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, content="What is the weather in Paris?", tools=[WEATHER_TOOL],
                  tool_choice="required")  # fmt: skip
    ident = created_id(made)
    call = next((i for i in made.response.json.get("output") or [] if i.get("type") == "function_call"), None)
    if call is None:
        oai_judge(made, "responses.function-call.shape")
        pytest.skip("no function_call to answer (responses.function-call.shape reports it)")
    answer = [{"type": "function_call_output", "call_id": call.get("call_id"), "output": "Sunny, 21 degrees."}]
    if oai_target.claims("responses.store"):
        follow = create(oai_client, oai_target, content=answer, tools=[WEATHER_TOOL], previous_response_id=ident)
    else:  # a server that keeps no responses gets the whole conversation again, as the API also allows
        history = [{"role": "user", "content": "What is the weather in Paris?"}, call, *answer]
        follow = create(oai_client, oai_target, content=history, tools=[WEATHER_TOOL])
    oai_judge(made, "responses.function-call.shape")
    oai_judge(Lifecycle(made, (("call-output", follow),)), "responses.function-call.round-trip")


@requirement("responses.background.lifecycle")
def test_background_response(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, background=True, store=True)
    ident = created_id(made)
    polls = []
    deadline = time.monotonic() + BACKGROUND_WAIT
    while time.monotonic() < deadline:
        polls.append(("poll", oai_client.request("GET", f"/responses/{ident}")))
        body = polls[-1][1].response.json if polls[-1][1].response is not None else None
        if not isinstance(body, dict) or body.get("status") not in ("queued", "in_progress"):
            break
        time.sleep(0.25)
    oai_judge(Lifecycle(made, tuple(polls)), "responses.background.lifecycle")


# Alone: its cancel must arrive before the response ends by itself (0.5 s on the reference server), which no other
# case in flight may delay.
@pytest.mark.alone
@requirement("responses.background.cancel")
def test_cancel_background_response(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, background=True, store=True)
    cancel = oai_client.request("POST", f"/responses/{created_id(made)}/cancel")
    after = oai_client.request("GET", f"/responses/{created_id(made)}")  # had it finished before the cancel?
    oai_judge(Lifecycle(made, (("cancel", cancel), ("after", after))), "responses.background.cancel")
