"""Models: the list, retrieving every listed id, using listed ids, an unknown id, and deleting a fine-tuned model
that does not exist (a run never deletes a model it did not create, and it cannot create one)."""

import pytest

from conformance.case import MODEL_ROLES, ModelProbes, listed_ids, not_claimed_reason, requirement

# Using a listed id costs a generation of one token; a few ids show whether the list is real.
USE_AT_MOST = 3
RETRIEVE_AT_MOST = 200
# The feature whose claim makes a role's model one the server must list, where the role is not named as a feature.
ROLE_FEATURE = {"speech": "audio.speech", "transcription": "audio.transcriptions",
                "transcription-stream": "audio.transcriptions.stream"}  # fmt: skip


@requirement("models.list.shape", "models.list.not-empty", "models.list.contains-configured")
def test_list(oai_client, oai_target, oai_judge):
    listing = oai_client.request("GET", "/models")
    # only the models of claimed features: a server that claims no embeddings need not list the default one
    configured = [oai_target.model(role) for role in MODEL_ROLES if oai_target.claims(ROLE_FEATURE.get(role, role))]
    oai_judge(
        listing,
        "models.list.shape",
        "models.list.not-empty",
        "models.list.contains-configured",
        expect={"models": configured},
    )


@requirement("models.retrieve.listed")
def test_retrieve_listed(oai_client, oai_judge):
    listing = oai_client.request("GET", "/models")
    ids = listed_ids(listing)[:RETRIEVE_AT_MOST]
    probes = [(model, oai_client.request("GET", f"/models/{model}")) for model in ids]
    oai_judge(ModelProbes(listing, probes), "models.retrieve.listed")


@requirement("models.use.listed")
def test_use_listed(oai_client, oai_judge):
    listing = oai_client.request("GET", "/models")
    probes = [
        (
            model,
            oai_client.request(
                "POST",
                "/chat/completions",
                json={"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1},
            ),
        )
        for model in listed_ids(listing)[:USE_AT_MOST]
    ]
    oai_judge(ModelProbes(listing, probes), "models.use.listed")


UNKNOWN_RULES = ("errors.model.unknown-code", "errors.request.type", "errors.request.param-named",
                 "errors.envelope.schema")


@requirement("models.retrieve.unknown", *UNKNOWN_RULES)
def test_retrieve_unknown(oai_client, oai_target, oai_judge):
    # The errors rules alone would send it to a server that claims errors but not models.
    if not oai_target.claims("models"):
        pytest.skip(not_claimed_reason("models"))
    exchange = oai_client.request("GET", "/models/oai-conformance-no-such-model")
    oai_judge(exchange, "models.retrieve.unknown", *UNKNOWN_RULES, expect={"param": "model"})


DELETE_RULES = ("models.delete.unknown", "models.delete.unknown-code")
DELETE_ERROR_RULES = ("errors.request.type", "errors.request.param-named", "errors.envelope.schema",
                      "errors.status.never-5xx")


@requirement(*DELETE_RULES, *DELETE_ERROR_RULES)
def test_delete_unknown_fine_tuned(oai_client, oai_target, oai_judge):
    # Only ever a made-up fine-tuned id of the configured chat model: a run must never delete a model it did not
    # create (on a compatible server, DELETE may remove a local model), and it cannot create one.
    if not oai_target.claims("models.delete"):
        pytest.skip(not_claimed_reason("models.delete"))
    exchange = oai_client.request("DELETE", f"/models/ft:{oai_target.model('chat')}:oai-conformance::nonexist")
    # openai/openai-node#14: the real API's refusal names `model`.
    oai_judge(exchange, *DELETE_RULES, *DELETE_ERROR_RULES, expect={"param": "model"})
