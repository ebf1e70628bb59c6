"""Chat completions without streaming: shape, usage, token limits, n, stop and the developer role."""

from conformance.case import chat_body, requirement

SHAPE = (
    "chat.completion.schema",
    "chat.completion.created-seconds",
    "chat.completion.model-present",
    "chat.completion.model-related",
    "chat.completion.choice-indices",
    "chat.completion.finish-reason",
    "chat.completion.not-empty",
    "chat.completion.null-keys",
    "chat.usage.adds-up",
)


@requirement(*SHAPE)
def test_completion(oai_client, oai_target, oai_judge):
    exchange = oai_client.request("POST", "/chat/completions", json=chat_body(oai_target.model("chat")))
    oai_judge(exchange, *SHAPE)


@requirement("chat.max-tokens.length", "chat.usage.adds-up")
def test_max_tokens(oai_client, oai_target, oai_judge):
    exchange = oai_client.request("POST", "/chat/completions", json=chat_body(oai_target.model("chat"), max_tokens=2))
    oai_judge(exchange, "chat.max-tokens.length", "chat.usage.adds-up")


@requirement("chat.max-completion-tokens.length")
def test_max_completion_tokens(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/chat/completions", json=chat_body(oai_target.model("chat"), max_completion_tokens=2)
    )
    oai_judge(exchange, "chat.max-completion-tokens.length")


@requirement("chat.token-limits.both-rejected", "errors.request.param-named", "errors.envelope.schema")
def test_both_token_limits(oai_client, oai_target, oai_judge):
    body = chat_body(oai_target.model("chat"), max_tokens=2, max_completion_tokens=2)
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(
        exchange,
        "chat.token-limits.both-rejected",
        "errors.request.param-named",
        "errors.envelope.schema",
        expect={"param": "max_tokens"},
    )


@requirement("chat.n.choices", "chat.completion.choice-indices")
def test_n_two(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/chat/completions", json=chat_body(oai_target.model("chat"), n=2, max_tokens=2)
    )
    oai_judge(exchange, "chat.n.choices", "chat.completion.choice-indices")


@requirement("chat.stop.honoured")
def test_stop(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        "Reply with exactly these words: alpha beta gamma delta",
        stop=["gamma"],
        max_tokens=12,
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.stop.honoured")


@requirement("chat.developer-role.accepted", "chat.completion.schema")
def test_developer_role(oai_client, oai_target, oai_judge):
    body = chat_body(
        oai_target.model("chat"),
        messages=[
            {"role": "developer", "content": "Answer in one word."},
            {"role": "user", "content": "Say hello."},
        ],
    )
    exchange = oai_client.request("POST", "/chat/completions", json=body)
    oai_judge(exchange, "chat.developer-role.accepted", "chat.completion.schema")
