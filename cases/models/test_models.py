"""Models: the list, retrieving every listed id, using listed ids, and an unknown id."""

from conformance.case import MODEL_ROLES, ModelProbes, listed_ids, requirement

# Using a listed id costs a generation of one token; a few ids show whether the list is real.
USE_AT_MOST = 3
RETRIEVE_AT_MOST = 200


@requirement("models.list.shape", "models.list.not-empty", "models.list.contains-configured")
def test_list(oai_client, oai_target, oai_judge):
    listing = oai_client.request("GET", "/models")
    # only the models of claimed features: a server that claims no embeddings need not list the default one
    configured = [oai_target.model(role) for role in MODEL_ROLES if oai_target.claims(role)]
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


@requirement("models.retrieve.unknown", "errors.envelope.schema")
def test_retrieve_unknown(oai_client, oai_judge):
    exchange = oai_client.request("GET", "/models/oai-conformance-no-such-model")
    oai_judge(exchange, "models.retrieve.unknown", "errors.envelope.schema")
