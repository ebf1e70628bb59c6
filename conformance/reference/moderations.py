"""`POST /v1/moderations`: validation and a deterministic classification.

The server is not a classifier. Each input (a string, or an array of parts taken together) gets, for every
category of the omni models, a small score derived from its text, unless one of a few trigger words raises it
(`kill` scores violence 0.97); a category is flagged at 0.5 or above, and the result is flagged when one is.
`category_applied_input_types` names `text` for every category when the input held text, and `image` for the
categories the omni models score on images when it held an image. A request without `model` is classified by
omni-moderation-latest, as the API's default.
"""

from __future__ import annotations

import zlib
from typing import Any

from starlette.responses import Response

from ._config import ServerConfig
from ._errors import invalid, model_not_found
from ._ids import Ids
from ._validation import describe_chat, schema_errors, split_unknown, unrecognized
from .chat import _kind, dumps

SCHEMA = "moderation.request"
DEFAULT_MODEL = "omni-moderation-latest"
CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
# The categories the omni models also score on images.
IMAGE_CATEGORIES = frozenset(
    {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
)
TRIGGERS: dict[str, dict[str, float]] = {
    "kill": {"violence": 0.97, "harassment/threatening": 0.63, "harassment": 0.3},
}
THRESHOLD = 0.5


def validate(body: Any, config: ServerConfig) -> dict[str, Any]:
    """The body as a dict, or an ApiError in the order the other endpoints report them."""
    if not isinstance(body, dict):
        raise invalid(
            f"Invalid type for body: expected an object, but got {_kind(body)} instead.", None, "invalid_type"
        )
    model = body.get("model")
    if model == "":
        raise invalid("You must provide a model parameter.", "model")
    if "model" not in body and config.has("moderations-model-required"):
        raise invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if isinstance(model, str) and config.model(model) is None and not config.has("unknown-model-200"):
        raise model_not_found(model)
    kept, unknown = split_unknown(schema_errors(SCHEMA, body))
    if kept:
        raise describe_chat(kept[0])
    if unknown:
        raise unrecognized(unknown[:1])
    return body


def _inputs(value: Any) -> list[tuple[str, bool, bool]]:
    """(text, has text, has an image) per input: each string of an array is one, an array of parts is one."""
    if isinstance(value, str):
        return [(value, True, False)]
    if all(isinstance(v, str) for v in value):
        return [(v, True, False) for v in value]
    texts = [p["text"] for p in value if p.get("type") == "text"]
    return [(" ".join(texts), bool(texts), any(p.get("type") == "image_url" for p in value))]


def _score(category: str, text: str) -> float:
    base = (zlib.crc32(f"{category}\0{text}".encode()) % 1000 + 1) / 1_000_000  # 1e-6 .. 1e-3
    words = text.lower().split()
    raised = [TRIGGERS[w][category] for w in TRIGGERS if category in TRIGGERS[w] and any(w in x for x in words)]
    return max([base, *raised])


def classify(text: str, has_text: bool, has_image: bool, config: ServerConfig) -> dict[str, Any]:
    scores = {c: _score(c, text) for c in CATEGORIES}
    categories = {c: s >= THRESHOLD for c, s in scores.items()}
    applied = {
        c: (["text"] if has_text else []) + (["image"] if has_image and c in IMAGE_CATEGORIES else [])
        for c in CATEGORIES
    }
    flagged = any(categories.values()) and not config.has("moderations-flagged-inconsistent")
    if config.has("moderations-scores-percent"):
        scores = {c: round(s * 100, 6) for c, s in scores.items()}
    if config.has("moderations-score-missing"):
        del scores["violence/graphic"]
    result: dict[str, Any] = {"flagged": flagged, "categories": categories, "category_scores": scores}
    if not config.has("moderations-no-applied-types"):
        result["category_applied_input_types"] = applied
    return result


def moderate(body: dict[str, Any], config: ServerConfig, ids: Ids) -> Response:
    results = [classify(text, t, i, config) for text, t, i in _inputs(body["input"])]
    if config.has("moderations-one-result"):
        results = results[:1]
    answer = {
        "id": "modr-" + ids.completion().removeprefix("chatcmpl-"),
        "model": str(body.get("model") or DEFAULT_MODEL),
        "results": results,
    }
    return Response(dumps(answer), media_type="application/json")
