"""Moderations (`POST /v1/moderations`): one result per input, and in each result three category maps that agree
with each other and with `flagged`, scores in [0, 1], the input types an omni model's scores applied to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance import schemas
from conformance.checks.evidence import answer, asked, excerpt, received, schema_violations, status_violations
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

MAPS = ("categories", "category_scores", "category_applied_input_types")
PART_TYPES = {"text": "text", "image_url": "image"}  # a multimodal part's `type` -> the input type it is


def results(body: Any) -> list[tuple[int, dict[str, Any]]]:
    items = body.get("results") if isinstance(body, dict) else None
    return [(n, r) for n, r in enumerate(items) if isinstance(r, dict)] if isinstance(items, list) else []


def _map(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = result.get(name)
    return value if isinstance(value, dict) else None


def inputs(request: dict[str, Any]) -> int:
    """How many results the request's `input` asks for: one for a string or an array of multimodal parts (they
    are classified together), one per string of an array of strings."""
    value = request.get("input")
    if isinstance(value, str):
        return 1
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return len(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return 1
    raise NotApplicable("the request holds no valid `input`")


def input_types(request: dict[str, Any]) -> set[str]:
    """The input types (`text`, `image`) the request sent."""
    value = request.get("input")
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return {"text"}
    if isinstance(value, list):
        return {PART_TYPES.get(str(v.get("type")), str(v.get("type"))) for v in value if isinstance(v, dict)}
    raise NotApplicable("the request holds no valid `input`")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@check("moderations.create.schema")
def moderation_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("moderation", answer(exchange))


@check("moderations.results.per-input")
def results_per_input(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    wanted = inputs(asked(exchange))
    body = answer(exchange)
    got = body.get("results") if isinstance(body, dict) else None
    count = len(got) if isinstance(got, list) else 0
    if count != wanted:
        yield Violation(
            f"Received: {count} results for {wanted} input(s) ({excerpt(asked(exchange).get('input'), 80)})\n"
            f"Expected: {wanted}, one per string (an array of parts is one input)",
            "$.results",
        )


@check("moderations.categories.same-names")
def same_names(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for n, result in results(answer(exchange)):
        maps = {name: m for name in MAPS if (m := _map(result, name)) is not None}
        if "categories" not in maps:
            continue  # a result without categories is moderations.create.schema's failure
        names = set(maps["categories"])
        for name, other in maps.items():
            if name == "categories" or set(other) == names:
                continue
            missing, extra = sorted(names - set(other)), sorted(set(other) - names)
            yield Violation(
                f"Received: {name} without {missing or 'none'} and with {extra or 'none'} not in categories\n"
                f"Expected: {name} naming the same {len(names)} categories as categories",
                f"$.results[{n}].{name}",
            )


@check("moderations.flagged.consistent")
def flagged_consistent(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    for n, result in results(answer(exchange)):
        categories, flagged = _map(result, "categories"), result.get("flagged")
        if categories is None or not isinstance(flagged, bool):
            continue  # the schema's failure
        true = sorted(name for name, value in categories.items() if value is True)
        if flagged != bool(true):
            yield Violation(
                f"Received: flagged {flagged} with categories true: {true or 'none'}\n"
                f"Expected: flagged {bool(true)}, true exactly when a category is true",
                f"$.results[{n}].flagged",
            )


@check("moderations.scores.range")
def scores_range(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for n, result in results(answer(exchange)):
            for name, score in (_map(result, "category_scores") or {}).items():
                if _is_number(score) and not 0 <= score <= 1:
                    yield Violation(
                        f"Received: score {score!r} for {name!r}\nExpected: a number between 0 and 1",
                        f"$.results[{n}].category_scores.{name}",
                    )

    yield from first(problems(), limit=5)


def _omni(exchange: Exchange, body: Any) -> bool:
    models = (body.get("model") if isinstance(body, dict) else None, asked(exchange).get("model"))
    return any(isinstance(m, str) and m.startswith("omni-moderation") for m in models)


@check("moderations.omni.applied-input-types")
def applied_input_types(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    items = results(body)
    carried = any("category_applied_input_types" in r for _, r in items)
    if not carried and not _omni(exchange, body):
        raise NotApplicable("not an omni moderation model, and no category_applied_input_types")
    sent = input_types(asked(exchange))
    for n, result in items:
        applied = result.get("category_applied_input_types")
        at = f"$.results[{n}].category_applied_input_types"
        if not isinstance(applied, dict):
            yield Violation(
                f"Received: category_applied_input_types {excerpt(applied, 80)} from {body.get('model')!r}\n"
                "Expected: an object mapping each category to the input types its score applies to",
                at,
            )
            continue
        for name, types in applied.items():
            unsent = sorted(t for t in types if t not in sent) if isinstance(types, list) else []
            if unsent:
                yield Violation(
                    f"Received: {name!r} applied to {types} for an input of {sorted(sent)}\n"
                    "Expected: only input types the request held",
                    f"{at}.{name}",
                )
                break


@check("moderations.request.missing-input")
def missing_input(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    if "input" in asked(exchange) or exchange.request.json is None:
        raise NotApplicable("the request holds `input`")
    yield from status_violations(exchange, 400, "a moderation request without `input`")


@check("moderations.model.default")
def model_default(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    request = asked(exchange)
    if "model" in request or exchange.request.json is None:
        raise NotApplicable("the request names a model")
    if schemas.validate("moderation.request", request):
        raise NotApplicable("the request is invalid for another reason")
    if exchange.response is None or exchange.response.status != 200:
        yield Violation(f"{received(exchange)}\nExpected: 200, classified by the default model (model is optional)")


@check("moderations.model.unknown", case_bound=True)
def unknown_model(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    status = exchange.response.status if exchange.response is not None else None
    if status not in (400, 404):
        yield Violation(f"{received(exchange)}\nExpected: status 400 or 404 for an unknown model id")
        return
    body = exchange.response.json if exchange.response is not None else None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if status == 404 and code != "model_not_found":
        yield Violation(f"Received: 404 with code {code!r}\nExpected: code 'model_not_found'", "$.error.code")


@check("moderations.id.prefix")
def id_prefix(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    ident = body.get("id") if isinstance(body, dict) else None
    if not isinstance(ident, str) or not ident:
        raise NotApplicable("the answer has no id (moderations.create.schema judges that)")
    if not ident.startswith("modr-"):
        yield Violation(f"Received: id {excerpt(ident, 60)!r}\nExpected: an id starting with 'modr-'", "$.id")
