"""Structured output (`response_format`) and log probabilities."""

from conformance.case import chat_body, requirement

# Every string is an enum (which the API's strict mode supports): a grammar built from the schema then ends
# when the object closes, so a model that follows it must finish. With free strings it need not: a grammar-led
# model may write a string (or whitespace) until the token limit, and a cut output is not judged.
CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "enum": ["Paris", "Rome", "Madrid"]},
        "country": {"type": "string", "enum": ["France", "Italy", "Spain"]},
    },
    "required": ["city", "country"],
    "additionalProperties": False,
}
# A worked example in the prompt: a small base model (Gemma 3 270M) copies its form and closes the object in ~20
# tokens; asked without one, it wanders off into more keys or whitespace until it is cut (a generic-JSON grammar
# lets it).
EXAMPLE = '{"city": "Rome", "country": "Italy"}'
# JSON needs room: a cut object is not JSON, and the rules only judge outputs that finished with `stop`. The
# json_object grammar is generic JSON, unbounded: the room is for the answer the prompt asks for.
ROOM = 60
# The schema's grammar is bounded: CITY's object has 9 places where JSON allows whitespace, and llama.cpp's grammar
# allows at most 22 characters in each (one or two newlines, then up to 20 spaces or tabs); with the longest
# values, the rest is 36 characters. So a grammar-following model finishes within 234 tokens, even at one
# character a token. A limit, not a cost: the API answers in ~12 tokens.
SCHEMA_ROOM = 240


@requirement("chat.response-format.json-object")
def test_json_object(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        f"Name the capital of France and its country as a JSON object, like {EXAMPLE}.",
        response_format={"type": "json_object"},
        max_tokens=ROOM,
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.response-format.json-object")


@requirement("chat.response-format.json-schema")
def test_json_schema(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        f"Name the capital of France and its country as JSON, like {EXAMPLE}.",
        max_tokens=SCHEMA_ROOM,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": CITY, "strict": True}},
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.response-format.json-schema")


@requirement("chat.logprobs.shape", "chat.logprobs.top-count")
def test_logprobs(oai_client, oai_target, oai_judge):
    body = chat_body(oai_target.model("chat"), logprobs=True, top_logprobs=2, max_tokens=3)
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.logprobs.shape", "chat.logprobs.top-count")
