"""Models: the list, retrieving each listed id, using each as `model`, and deleting a fine-tuned model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from conformance.checks.evidence import answer, received, schema_violations, status_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


@dataclass(frozen=True)
class ModelProbes:
    """The listing and one exchange per listed id (a retrieval, or a request that uses the id as `model`)."""

    listing: Exchange
    probes: Sequence[tuple[str, Exchange]]

    @property
    def exchange(self) -> Exchange:
        return self.listing


def listed_ids(listing: Exchange) -> list[str]:
    body = listing.response.json if listing.response is not None else None
    data = body.get("data") if isinstance(body, dict) else None
    return [m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str)]


@check("models.list.shape")
def list_shape(listing: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("models.list", answer(listing))


@check("models.list.not-empty")
def list_not_empty(listing: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(listing)
    if not listed_ids(listing):
        yield Violation(f"Received: {len(body.get('data') or [])} models with an id\nExpected: at least one", "$.data")


@check("models.list.contains-configured")
def contains_configured(listing: Exchange, ctx: Context) -> Iterator[Violation]:
    answer(listing)
    ids = set(listed_ids(listing))
    for model in ctx.expect.get("models", ()):
        if model not in ids:
            yield Violation(
                f"Received: a list without {model!r}\nExpected: the configured model {model!r} listed", "$.data"
            )


@check("models.retrieve.listed")
def retrieve_listed(subject: ModelProbes, ctx: Context) -> Iterator[Violation]:
    if not subject.probes:
        raise NotApplicable("the list named no model to retrieve")
    for model, exchange in subject.probes:
        if exchange.response is None or exchange.response.status != 200:
            yield Violation(f"{received(exchange)}\nExpected: 200 for the listed id {model!r}", "", exchange.index)
            continue
        body = exchange.response.json
        for v in schema_violations("model", body):
            yield v._replace(exchange=exchange.index)
        if isinstance(body, dict) and body.get("id") != model:
            yield Violation(f"Received: id {body.get('id')!r}\nExpected: id {model!r}", "$.id", exchange.index)


@check("models.use.listed")
def use_listed(subject: ModelProbes, ctx: Context) -> Iterator[Violation]:
    if not subject.probes:
        raise NotApplicable("the list named no model to use")
    for model, exchange in subject.probes:
        response = exchange.response
        error = response.json.get("error") if response is not None and isinstance(response.json, dict) else None
        unknown = isinstance(error, dict) and error.get("code") == "model_not_found"
        if response is None or response.status >= 500 or unknown:
            yield Violation(
                f"{received(exchange)}\nExpected: the listed id {model!r} known as `model` (not model_not_found)",
                "",
                exchange.index,
            )


@check("models.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "retrieving an unknown model id")


@check("models.delete.unknown", case_bound=True)
def delete_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "deleting a fine-tuned model id that does not exist")


# The real API has answered a refused deletion with code null (openai/openai-node#14) and an unknown model with
# model_not_found: either is the API's; anything else names a cause no client of the API knows.
DELETE_UNKNOWN_CODES = ("model_not_found", None)


@check("models.delete.unknown-code", case_bound=True)
def delete_unknown_code(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if exchange.response is None or exchange.response.status < 400:
        raise NotApplicable("the deletion was not refused (models.delete.unknown judges that)")
    body = exchange.response.json
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise NotApplicable("the answer has no error object (errors.envelope.schema judges that)")
    if error.get("code") not in DELETE_UNKNOWN_CODES:
        yield Violation(
            f"Received: code {error.get('code')!r}\nExpected: code 'model_not_found' or null", "$.error.code"
        )


def deleted_model(exchange: Exchange) -> str | None:
    """The model id a `DELETE .../models/{model}` names (None for any other request)."""
    path = urlsplit(exchange.request.url).path
    _, found, model = path.rpartition("/models/")
    if exchange.request.method.upper() != "DELETE" or not found or not model:
        return None
    return unquote(model)
