"""The Responses API without streaming: the response object, its usage, its cap, function calls."""

import pytest

from conformance.case import LONG_PROMPT, SMALLEST_OUTPUT, WEATHER_TOOL, requirement, responses_body

CREATE = (
    "responses.create.schema",
    "responses.create.completed",
    "responses.create.core-keys",
    "responses.create.all-keys",
    "responses.create.optional-keys",
    "responses.create.created-at",
    "responses.create.usage-adds-up",
    "responses.create.echoes-request",
)


@requirement(*CREATE)
def test_create(oai_client, oai_target, oai_judge):
    body = responses_body(oai_target.model("responses"), instructions="Answer briefly.", metadata={"case": "create"})
    oai_judge(oai_client.request("POST", "/responses", json=body), *CREATE)


@requirement("responses.create.max-output-tokens", "responses.create.schema", "responses.create.echoes-request")
def test_cut_by_max_output_tokens(oai_client, oai_target, oai_judge):
    body = responses_body(oai_target.model("responses"), LONG_PROMPT, max_output_tokens=SMALLEST_OUTPUT)
    oai_judge(
        oai_client.request("POST", "/responses", json=body),
        "responses.create.max-output-tokens",
        "responses.create.schema",
        "responses.create.echoes-request",
    )


@requirement("responses.function-call.shape", "responses.create.schema")
@pytest.mark.parametrize("choice", ["required", "named"])
def test_forced_function_call(oai_client, oai_target, oai_judge, choice):
    body = responses_body(
        oai_target.model("responses"),
        "What is the weather in Paris?",
        tools=[WEATHER_TOOL],
        tool_choice="required" if choice == "required" else {"type": "function", "name": "get_weather"},
    )
    exchange = oai_client.request("POST", "/responses", json=body)
    oai_judge(exchange, "responses.function-call.shape", "responses.create.schema")

