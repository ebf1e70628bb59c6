"""Structured output (`response_format`) and log probabilities."""

from conformance.case import chat_body, requirement

CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
# JSON needs room: a cut object is not JSON, and the rule only judges outputs that finished with `stop`.
ROOM = 60


@requirement("chat.response-format.json-object")
def test_json_object(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        'Give a JSON object {"city": ..., "country": ...} for Paris.',
        response_format={"type": "json_object"},
        max_tokens=ROOM,
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.response-format.json-object")


@requirement("chat.response-format.json-schema")
def test_json_schema(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        "Name the capital of France and its country.",
        max_tokens=ROOM,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": CITY, "strict": True}},
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.response-format.json-schema")


@requirement("chat.logprobs.shape", "chat.logprobs.top-count")
def test_logprobs(oai_client, oai_target, oai_judge):
    body = chat_body(oai_target.model("chat"), logprobs=True, top_logprobs=2, max_tokens=3)
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.logprobs.shape", "chat.logprobs.top-count")
