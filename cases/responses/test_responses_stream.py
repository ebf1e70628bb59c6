"""Responses streams: the event state machine, for text, for a cut, and for a function call."""

import pytest

from conformance.case import (
    LONG_PROMPT,
    SMALLEST_OUTPUT,
    WEATHER_TOOL,
    ResponseStream,
    not_claimed_reason,
    requirement,
    responses_body,
)

EVERY_STREAM = (
    "responses.stream.content-type",
    "responses.stream.event-json",
    "responses.stream.event-schema",
    "responses.stream.known-types",
    "responses.stream.created-first",
    "responses.stream.in-progress-second",
    "responses.stream.sequence-number",
    "responses.stream.event-name",
    "responses.stream.event-name-present",
    "responses.stream.no-done",
    "responses.stream.one-terminal",
    "responses.stream.terminal-status",
    "responses.stream.usage-adds-up",
    "responses.stream.item-order",
    "responses.stream.final-output",
    "responses.stream.terminal-keys",
)


def streamed(oai_client, body):
    return ResponseStream.from_exchange(oai_client.request("POST", "/responses", json={**body, "stream": True}))


@requirement(*EVERY_STREAM, "responses.stream.text-adds-up")
def test_text_stream(oai_client, oai_target, oai_judge):
    stream = streamed(oai_client, responses_body(oai_target.model("responses")))
    oai_judge(stream, *EVERY_STREAM, "responses.stream.text-adds-up")


@requirement(*EVERY_STREAM, "responses.stream.max-output-tokens", "responses.stream.text-adds-up")
def test_stream_cut_by_max_output_tokens(oai_client, oai_target, oai_judge):
    body = responses_body(oai_target.model("responses"), LONG_PROMPT, max_output_tokens=SMALLEST_OUTPUT)
    oai_judge(
        streamed(oai_client, body), *EVERY_STREAM, "responses.stream.max-output-tokens", "responses.stream.text-adds-up"
    )


@requirement(*EVERY_STREAM, "responses.stream.arguments-add-up")
def test_function_call_stream(oai_client, oai_target, oai_judge):
    if not oai_target.claims("responses.tools"):
        pytest.skip(not_claimed_reason("responses.tools"))
    body = responses_body(
        oai_target.model("responses"), "What is the weather in Paris?", tools=[WEATHER_TOOL], tool_choice="required"
    )
    oai_judge(streamed(oai_client, body), *EVERY_STREAM, "responses.stream.arguments-add-up")
