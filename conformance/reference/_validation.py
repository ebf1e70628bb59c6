"""Request validation: the project's JSON Schemas, with errors worded the way the real API words them.

Two dialects, both copied from recorded answers of api.openai.com:
- chat (`/chat/completions`): `Invalid type for 'temperature': expected a decimal, but got a string instead.`,
  with `param` the JSON path (`messages[0].role`) and a `code` (`invalid_type`, `decimal_above_max_value`);
- embeddings (`/embeddings`): jsonschema's own sentence and the dotted path, `param` and `code` null
  (`'123' is not of type 'integer' - 'dimensions'`), and `'$.input' is invalid. ...` for any bad `input`.

The schemas come from `conformance.schemas` (compiled once there; a missing or broken schema file is a
`ConfigError`, as everywhere else). Cross-field rules (stream_options without stream, ...) live in the handlers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema import ValidationError

from conformance import schemas

from ._errors import ApiError, invalid

CHAT_SCHEMA = "chat.completion.request"
EMBEDDINGS_SCHEMA = "embeddings.request"

INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."

_TYPE_NAMES = {
    "number": "a decimal",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "string": "a string",
    "array": "an array",
    "null": "null",
}


# --- the schemas ------------------------------------------------------------------------------------------


def schema_errors(name: str, body: Any) -> list[ValidationError]:
    """jsonschema's errors of `body` against the request schema `name`, in the schema's order."""
    return list(schemas.validator(name).iter_errors(body))


def schema_properties(name: str) -> frozenset[str]:
    """The top-level property names the request schema `name` declares."""
    properties = schemas.document(name).get("properties")
    return frozenset(properties) if isinstance(properties, dict) else frozenset()


def split_unknown(errors: Iterable[ValidationError]) -> tuple[list[ValidationError], list[str]]:
    """Separate root-level unknown properties (reported after the cross-field rules, as the real API does)."""
    kept: list[ValidationError] = []
    unknown: list[str] = []
    for error in errors:
        if error.validator in ("additionalProperties", "unevaluatedProperties") and not error.absolute_path:
            unknown.extend(_extra_properties(error))
        else:
            kept.append(error)
    return kept, unknown


def unrecognized(names: Sequence[str]) -> ApiError:
    return invalid(f"Unrecognized request argument supplied: {', '.join(names)}")


def _extra_properties(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {}) if isinstance(schema.get("properties"), dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [name for name in instance if name not in known] or ["(unknown)"]


# --- jsonschema errors -> the real API's words ------------------------------------------------------------


def param_of(path: Iterable[Any]) -> str | None:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or None


def describe_chat(error: ValidationError) -> ApiError:
    """One jsonschema error as the chat endpoint's 400."""
    error = _descend(error)
    path = list(error.absolute_path)
    param = param_of(path)
    keyword = error.validator
    value = error.validator_value
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    where = param or "body"

    if keyword == "required":
        missing = [name for name in value if isinstance(instance, dict) and name not in instance]
        name = missing[0] if missing else "?"
        full = param_of([*path, name])
        return invalid(f"Missing required parameter: '{full}'.", full, "missing_required_parameter")
    if keyword == "type":
        return invalid(
            f"Invalid type for '{where}': expected {_expected(value)}, but got {_got(instance)} instead.",
            param,
            "invalid_type",
        )
    if keyword in ("enum", "const"):
        allowed = [v for v in (value if keyword == "enum" else [value]) if v is not None]
        return invalid(
            f"Invalid value: {_show(instance)}. Supported values are: {_listing(allowed)}.",
            param,
            "invalid_value",
        )
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        declared = schema.get("type")
        declared = declared if isinstance(declared, list) else [declared] if declared else []
        if declared:
            kind = "integer" if "integer" in declared and "number" not in declared else "decimal"
        else:
            kind = "integer" if isinstance(instance, int) else "decimal"
        if len(path) == 2 and path[0] == "logit_bias":
            return invalid(
                f"Logit bias value {float(instance)} is invalid or outside of range [-100, 100]", "logit_bias"
            )
        if keyword in ("maximum", "exclusiveMaximum"):
            op = "<=" if keyword == "maximum" else "<"
            return invalid(
                f"Invalid '{where}': {kind} above maximum value. Expected a value {op} {_num(value)}, "
                f"but got {_num(instance)} instead.",
                param,
                f"{kind}_above_max_value",
            )
        op = ">=" if keyword == "minimum" else ">"
        return invalid(
            f"Invalid '{where}': {kind} below minimum value. Expected a value {op} {_num(value)}, "
            f"but got {_num(instance)} instead.",
            param,
            f"{kind}_below_min_value",
        )
    if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
        short = instance if len(instance) <= 10 else f"{instance[:3]}...{instance[-3:]}"
        return invalid(
            f"Invalid property name in '{where}': '{short}' is invalid ({error.message}).",
            param_of([*path, instance]),
            "property_name_above_max_length" if keyword == "maxLength" else "invalid_value",
        )
    if keyword == "minItems" and isinstance(instance, list) and not instance:
        return invalid(
            f"Invalid '{where}': empty array. Expected an array with minimum length {value}, "
            "but got an empty array instead.",
            param,
            "empty_array",
        )
    if keyword in ("minItems", "maxItems"):
        size = len(instance) if isinstance(instance, list) else 0
        long = keyword == "maxItems"
        return invalid(
            f"Invalid '{where}': array too {'long' if long else 'short'}. Expected an array with "
            f"{'maximum' if long else 'minimum'} length {value}, "
            f"but got an array with length {size} instead.",
            param,
            "array_above_max_length" if long else "array_below_min_length",
        )
    if keyword in ("minLength", "maxLength"):
        size = len(instance) if isinstance(instance, str) else 0
        long = keyword == "maxLength"
        return invalid(
            f"Invalid '{where}': string too {'long' if long else 'short'}. Expected a string with "
            f"{'maximum' if long else 'minimum'} length {value}, "
            f"but got a string with length {size} instead.",
            param,
            "string_above_max_length" if long else "string_below_min_length",
        )
    if keyword in ("maxProperties", "minProperties"):
        size = len(instance) if isinstance(instance, dict) else 0
        many = keyword == "maxProperties"
        return invalid(
            f"Invalid '{where}': too {'many' if many else 'few'} properties. Expected an object with at "
            f"{'most' if many else 'least'} {value} properties, "
            f"but got an object with {size} properties instead.",
            param,
            "object_above_max_properties" if many else "object_below_min_properties",
        )
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        if not path:
            return unrecognized(_extra_properties(error))
        names = _extra_properties(error)
        return invalid(f"Unrecognized request argument supplied: {where}.{names[0]}", None, None)
    if keyword in ("anyOf", "oneOf"):
        expected = _branch_types(error)
        if expected:
            return invalid(
                f"Invalid type for '{where}': expected one of {' or '.join(expected)}, but got "
                f"{_got(instance)} instead.",
                param,
                "invalid_type",
            )
    return invalid(f"Invalid '{where}': {error.message}.", param, "invalid_value")


def describe_embeddings(error: ValidationError) -> ApiError:
    """One jsonschema error as the embeddings endpoint's 400 (its words are jsonschema's own)."""
    path = list(error.absolute_path)
    if path and path[0] == "input":
        return invalid(INPUT_INVALID)
    if error.validator == "required":
        missing = [n for n in error.validator_value if isinstance(error.instance, dict) and n not in error.instance]
        name = missing[0] if missing else "?"
        return invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    if path == ["encoding_format"]:
        return bad_encoding_format(error.instance)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and not path:
        return unrecognized(_extra_properties(error))
    dotted = ".".join(str(p) for p in path)
    return invalid(f"{error.message} - '{dotted}'" if dotted else error.message)


def bad_encoding_format(value: Any) -> ApiError:
    shown = value if isinstance(value, str) else json.dumps(value)
    return invalid(
        f"Invalid value for 'encoding_format' = {shown}. Supported values: ['float', 'base64'].",
        None,  # `param` and `code` null, as recorded for 123, "" and "unknown" (tests/test_replay.py)
        None,
    )


def _descend(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the error of the branch the instance was meant for (as the real API reports it)."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        if _branch_types(error):
            return error
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else 0, []).append(sub)
        # Drop branches of the wrong type, then branches rejected only for their discriminator.
        candidates = [errs for errs in branches.values() if not _wrong_type(errs, error)]
        candidates = candidates or list(branches.values())
        meant = [errs for errs in candidates if not _discriminator_only(errs, error)]
        if not meant:
            merged = _merged_enum(candidates, error)
            if merged is not None:
                return merged
            meant = candidates
        chosen = min(meant, key=len)
        chosen.sort(key=lambda e: (len(e.absolute_path), e.validator != "required"))
        error = chosen[0]
    return error


def _wrong_type(errors: list[ValidationError], parent: ValidationError) -> bool:
    depth = len(parent.absolute_path)
    return any(e.validator == "type" and len(e.absolute_path) == depth for e in errors)


def _discriminator_only(errors: list[ValidationError], parent: ValidationError) -> bool:
    depth = len(parent.absolute_path)
    return any(e.validator in ("enum", "const") and len(e.absolute_path) == depth + 1 for e in errors)


def _merged_enum(branches: list[list[ValidationError]], parent: ValidationError) -> ValidationError | None:
    """All branches rejected one property's value: one enum error listing every branch's values."""
    depth = len(parent.absolute_path)
    allowed: list[Any] = []
    first: ValidationError | None = None
    for errs in branches:
        for e in errs:
            if e.validator in ("enum", "const") and len(e.absolute_path) == depth + 1:
                if first is None:
                    first = e
                if list(e.absolute_path) != list(first.absolute_path):
                    return None
                values = e.validator_value if e.validator == "enum" else [e.validator_value]
                allowed.extend(v for v in values if v not in allowed)
    if first is None:
        return None
    merged = ValidationError(
        first.message,
        validator="enum",
        validator_value=allowed,
        instance=first.instance,
        schema={"enum": allowed},
        path=first.absolute_path,
    )
    return merged


def _branch_types(error: ValidationError) -> list[str]:
    """When every branch failed on the instance's type alone: the expected types, else []."""
    depth = len(error.absolute_path)
    names: list[str] = []
    for sub in error.context or ():
        if sub.validator != "type" or len(sub.absolute_path) != depth:
            return []
        for kind in sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]:
            name = _TYPE_NAMES.get(kind, str(kind))
            if kind != "null" and name not in names:
                names.append(name)
    return names


def _expected(kinds: Any) -> str:
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"] or ["null"]
    names = [_TYPE_NAMES.get(k, str(k)) for k in kinds]
    return names[0] if len(names) == 1 else "one of " + " or ".join(names)


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _listing(values: Sequence[Any]) -> str:
    shown = [_show(v) for v in values]
    if len(shown) <= 1:
        return "".join(shown)
    if len(shown) == 2:
        return f"{shown[0]} and {shown[1]}"
    return ", ".join(shown[:-1]) + f", and {shown[-1]}"


# --- embeddings input ------------------------------------------------------------------------------------


def valid_embeddings_input(value: Any) -> bool:
    """A non-empty string, or a non-empty list of: non-empty strings, token ids, or non-empty token lists."""
    if isinstance(value, str):
        return value != ""
    if not isinstance(value, list) or not value or len(value) > 2048:
        return False
    if all(isinstance(v, str) for v in value):
        return all(v != "" for v in value)
    if all(_token(v) for v in value):
        return True
    return all(isinstance(v, list) and v and all(_token(t) for t in v) for v in value)


def _token(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
