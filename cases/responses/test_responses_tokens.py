"""The two operations beside POST /v1/responses: counting a request's input tokens, and compacting a conversation."""

from conformance.case import Lifecycle, requirement

SHORT = "Tell me a joke."
# The same request with ten times the text: more tokens whatever the tokenizer.
LONGER = " ".join([SHORT] * 10)
CONVERSATION = [
    {"role": "user", "content": "Create a one-line greeting for a dog cafe."},
    {"type": "message", "role": "assistant", "status": "completed",
     "content": [{"type": "output_text", "text": "Welcome, friends with paws!", "annotations": []}]},
    {"role": "user", "content": "Make it shorter."},
]  # fmt: skip


def count(oai_client, model: str, text: str):
    return oai_client.request("POST", "/responses/input_tokens", json={"model": model, "input": text})


@requirement("responses.input-tokens.shape", "responses.input-tokens.grows")
def test_input_tokens(oai_client, oai_target, oai_judge):
    model = oai_target.model("responses")
    short = count(oai_client, model, SHORT)
    longer = count(oai_client, model, LONGER)
    oai_judge(short, "responses.input-tokens.shape")
    oai_judge(Lifecycle(short, (("longer", longer),)), "responses.input-tokens.grows")


@requirement("responses.compact.shape", "responses.compact.output")
def test_compact(oai_client, oai_target, oai_judge):
    body = {"model": oai_target.model("responses"), "input": CONVERSATION}
    exchange = oai_client.request("POST", "/responses/compact", json=body)
    oai_judge(exchange, "responses.compact.shape", "responses.compact.output")
