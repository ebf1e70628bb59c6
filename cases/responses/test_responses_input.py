"""What a Responses request may carry besides text: structured output (`text.format` json_schema), assistant
messages labelled with `phase`, and images (a data URL, a file id)."""

from conformance.case import requirement, responses_body

CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"],
    "additionalProperties": False,
}
# A 1x1 transparent PNG: the smallest image any vision model takes, as a data URL.
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
# A file id no server has: the API's ids are `file-` and at most 64 characters.
NO_FILE = "file-oaiconformance00000000000000000000"


def looking_at(image: dict) -> list[dict]:
    return [{"role": "user", "content": [{"type": "input_text", "text": "Describe this image in one word."}, image]}]


@requirement("responses.text.json-schema", "responses.create.schema")
def test_json_schema_output(oai_client, oai_target, oai_judge):
    body = responses_body(
        oai_target.model("responses"),
        "Name the capital of France and its country.",
        text={"format": {"type": "json_schema", "name": "city", "schema": CITY, "strict": True}},
    )
    exchange = oai_client.request("POST", "/responses", json=body)
    oai_judge(exchange, "responses.text.json-schema", "responses.create.schema")


@requirement("responses.input.phase", "responses.create.schema")
def test_assistant_messages_with_phase(oai_client, oai_target, oai_judge):
    # What a client sends when it replays an earlier answer's items: the assistant's messages keep their phase.
    replay = [
        {"role": "user", "content": "Say OK."},
        {"type": "message", "role": "assistant", "phase": "commentary",
         "content": [{"type": "output_text", "text": "Thinking about it."}]},
        {"type": "message", "role": "assistant", "phase": "final_answer",
         "content": [{"type": "output_text", "text": "OK"}]},
        {"role": "user", "content": "Say it once more."},
    ]  # fmt: skip
    exchange = oai_client.request("POST", "/responses", json=responses_body(oai_target.model("responses"), replay))
    oai_judge(exchange, "responses.input.phase", "responses.create.schema")


@requirement("responses.input.image", "responses.create.schema")
def test_image_as_data_url(oai_client, oai_target, oai_judge):
    body = responses_body(oai_target.model("responses"), looking_at({"type": "input_image", "image_url": PIXEL}))
    oai_judge(oai_client.request("POST", "/responses", json=body), "responses.input.image", "responses.create.schema")


@requirement("responses.input.image-unknown-file", "errors.envelope.schema")
def test_image_of_a_file_the_server_does_not_have(oai_client, oai_target, oai_judge):
    body = responses_body(oai_target.model("responses"), looking_at({"type": "input_image", "file_id": NO_FILE}))
    exchange = oai_client.request("POST", "/responses", json=body)
    oai_judge(exchange, "responses.input.image-unknown-file", "errors.envelope.schema")
