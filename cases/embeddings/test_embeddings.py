"""Embeddings: one input and many, input order, base64, `dimensions`, invalid input."""

import pytest

from conformance.case import EmbeddingPair, requirement

INPUTS = {"one": "The quick brown fox", "many": ["alpha", "beta", "gamma"]}


@requirement("embeddings.list.schema", "embeddings.data.order")
@pytest.mark.parametrize("kind", INPUTS)
def test_embeddings(oai_client, oai_target, oai_judge, kind):
    exchange = oai_client.request(
        "POST", "/embeddings", json={"model": oai_target.model("embeddings"), "input": INPUTS[kind]}
    )
    oai_judge(exchange, "embeddings.list.schema", "embeddings.data.order")


@requirement("embeddings.base64.decodes", "embeddings.list.schema")
def test_base64(oai_client, oai_target, oai_judge):
    body = {"model": oai_target.model("embeddings"), "input": INPUTS["many"]}
    floats = oai_client.request("POST", "/embeddings", json={**body, "encoding_format": "float"})
    encoded = oai_client.request("POST", "/embeddings", json={**body, "encoding_format": "base64"})
    oai_judge(encoded, "embeddings.list.schema")
    oai_judge(EmbeddingPair(floats, encoded), "embeddings.base64.decodes")


@requirement("embeddings.dimensions.honoured")
def test_dimensions(oai_client, oai_target, oai_judge):
    exchange = oai_client.request(
        "POST", "/embeddings", json={"model": oai_target.model("embeddings"), "input": "hello", "dimensions": 8}
    )
    oai_judge(exchange, "embeddings.dimensions.honoured")


@requirement("embeddings.input.invalid", "errors.envelope.schema", "errors.status.never-5xx")
@pytest.mark.parametrize("value", ["", [""], True], ids=["empty-string", "empty-item", "boolean"])
def test_invalid_input(oai_client, oai_target, oai_judge, value):
    exchange = oai_client.request("POST", "/embeddings", json={"model": oai_target.model("embeddings"), "input": value})
    oai_judge(exchange, "embeddings.input.invalid", "errors.envelope.schema", "errors.status.never-5xx")
