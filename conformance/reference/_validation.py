"""Request validation: the project's JSON Schemas, with errors worded the way the real API words them.

Two dialects, both copied from recorded answers of api.openai.com:
- chat (`/chat/completions`): `Invalid type for 'temperature': expected a decimal, but got a string instead.`,
  with `param` the JSON path (`messages[0].role`) and a `code` (`invalid_type`, `decimal_above_max_value`);
- embeddings (`/embeddings`): jsonschema's own sentence and the dotted path, `param` and `code` null
  (`'123' is not of type 'integer' - 'dimensions'`), and `'$.input' is invalid. ...` for any bad `input`.

The schemas come from `conformance.schemas` (compiled once there). When a schema is not available, a small
hand-written check of the same fields stands in (`fallback_chat`, `fallback_embeddings`), so the server never
crashes on a wrongly typed field. Cross-field rules (stream_options without stream, ...) live in the handlers.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from jsonschema import ValidationError

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


@functools.cache
def schema_validator(name: str) -> Any | None:
    """The project's compiled validator for `name`, or None when the schema (or the module) is not there."""
    try:
        from conformance import schemas
    except ImportError:
        return None
    try:
        return schemas.validator(name)
    except Exception:  # a missing or broken schema file: fall back to the hand-written checks
        return None


def schema_errors(name: str, body: Any) -> tuple[list[ValidationError], bool]:
    """(errors, whether a schema judged the body); errors are jsonschema's, in the schema's order."""
    validator = schema_validator(name)
    if validator is None:
        return [], False
    return list(validator.iter_errors(body)), True


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
        "encoding_format",
        "invalid_value",
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


# --- hand-written stand-ins, used when a schema is not available ------------------------------------------

_ROLES = ("system", "user", "assistant", "tool", "function", "developer")
_PART_TYPES = ("text", "image_url", "input_audio", "refusal", "audio", "file")
CHAT_PARAMS = frozenset(
    {
        "model",
        "messages",
        "frequency_penalty",
        "presence_penalty",
        "temperature",
        "top_p",
        "n",
        "max_tokens",
        "max_completion_tokens",
        "seed",
        "stream",
        "stream_options",
        "stop",
        "logprobs",
        "top_logprobs",
        "user",
        "logit_bias",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "store",
        "metadata",
        "service_tier",
        "functions",
        "function_call",
        "modalities",
        "audio",
        "prediction",
        "web_search_options",
        "safety_identifier",
        "prompt_cache_key",
        "verbosity",
    }
)
EMBEDDINGS_PARAMS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})


class _Field:
    __slots__ = ("enum", "high", "kind", "low")

    def __init__(
        self, kind: str, low: float | None = None, high: float | None = None, enum: tuple[str, ...] = ()
    ) -> None:
        self.kind, self.low, self.high, self.enum = kind, low, high, enum


_CHAT_FIELDS = {
    "model": _Field("string"),
    "messages": _Field("array"),
    "frequency_penalty": _Field("number", -2, 2),
    "presence_penalty": _Field("number", -2, 2),
    "temperature": _Field("number", 0, 2),
    "top_p": _Field("number", 0, 1),
    "n": _Field("integer", 1, 128),
    "max_tokens": _Field("integer", 1),
    "max_completion_tokens": _Field("integer", 1),
    "seed": _Field("integer"),
    "stream": _Field("boolean"),
    "logprobs": _Field("boolean"),
    "store": _Field("boolean"),
    "parallel_tool_calls": _Field("boolean"),
    "top_logprobs": _Field("integer", 0, 20),
    "user": _Field("string"),
    "stream_options": _Field("object"),
    "response_format": _Field("object"),
    "tools": _Field("array"),
    "logit_bias": _Field("object"),
    "metadata": _Field("object"),
    "service_tier": _Field("string", enum=("auto", "default", "flex", "scale", "priority")),
}


def _is(kind: str, value: Any) -> bool:
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _field_errors(body: dict[str, Any], fields: dict[str, _Field]) -> Iterator[ApiError]:
    for name, field in fields.items():
        value = body.get(name)
        if value is None:
            continue
        yield from _value_errors(name, value, field)


def _value_errors(where: str, value: Any, field: _Field) -> Iterator[ApiError]:
    if not _is(field.kind, value):
        yield invalid(
            f"Invalid type for '{where}': expected {_TYPE_NAMES[field.kind]}, but got {_got(value)} instead.",
            where,
            "invalid_type",
        )
        return
    kind = "integer" if field.kind == "integer" else "decimal"
    if field.high is not None and value > field.high:
        yield invalid(
            f"Invalid '{where}': {kind} above maximum value. Expected a value <= {_num(field.high)}, "
            f"but got {_num(value)} instead.",
            where,
            f"{kind}_above_max_value",
        )
    if field.low is not None and value < field.low:
        yield invalid(
            f"Invalid '{where}': {kind} below minimum value. Expected a value >= {_num(field.low)}, "
            f"but got {_num(value)} instead.",
            where,
            f"{kind}_below_min_value",
        )
    if field.enum and value not in field.enum:
        yield invalid(
            f"Invalid value: {_show(value)}. Supported values are: {_listing(field.enum)}.",
            where,
            "invalid_value",
        )


def fallback_chat(body: dict[str, Any]) -> Iterator[ApiError]:
    """The chat request fields the server relies on, checked by hand (the schema's stand-in)."""
    for name in ("model", "messages"):
        if name not in body:
            yield invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    yield from _field_errors(body, _CHAT_FIELDS)
    messages = body.get("messages")
    if isinstance(messages, list):
        if not messages:
            yield invalid(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
                "empty array instead.",
                "messages",
                "empty_array",
            )
        for i, message in enumerate(messages):
            yield from _message_errors(f"messages[{i}]", message)
    stop = body.get("stop")
    if stop is not None:
        if not (isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))):
            yield invalid(
                f"Invalid type for 'stop': expected one of a string or array of strings, but got {_got(stop)} instead.",
                "stop",
                "invalid_type",
            )
        elif isinstance(stop, list) and len(stop) > 4:
            yield invalid(
                f"Invalid 'stop': array too long. Expected an array with maximum length 4, but got an "
                f"array with length {len(stop)} instead.",
                "stop",
                "array_above_max_length",
            )
    options = body.get("stream_options")
    if isinstance(options, dict) and options.get("include_usage") is not None:
        yield from _value_errors("stream_options.include_usage", options["include_usage"], _Field("boolean"))
    yield from _response_format_errors(body.get("response_format"))
    tools = body.get("tools")
    if isinstance(tools, list):
        for i, tool in enumerate(tools):
            yield from _tool_errors(f"tools[{i}]", tool)
    yield from _tool_choice_errors(body.get("tool_choice"))
    bias = body.get("logit_bias")
    if isinstance(bias, dict):
        for value in bias.values():
            if not _is("number", value) or not -100 <= value <= 100:
                yield invalid(f"Logit bias value {value} is invalid or outside of range [-100, 100]", "logit_bias")
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        if len(metadata) > 16:
            yield invalid(
                f"Invalid 'metadata': too many properties. Expected an object with at most 16 properties, "
                f"but got an object with {len(metadata)} properties instead.",
                "metadata",
                "object_above_max_properties",
            )
        for key, value in metadata.items():
            yield from _value_errors(f"metadata.{key}", value, _Field("string"))


def _message_errors(where: str, message: Any) -> Iterator[ApiError]:
    if not isinstance(message, dict):
        yield from _value_errors(where, message, _Field("object"))
        return
    role = message.get("role")
    if "role" not in message:
        yield invalid(f"Missing required parameter: '{where}.role'.", f"{where}.role", "missing_required_parameter")
        return
    if role not in _ROLES:
        yield invalid(
            f"Invalid value: {_show(role)}. Supported values are: {_listing(_ROLES)}.",
            f"{where}.role",
            "invalid_value",
        )
        return
    content = message.get("content")
    if "content" not in message and role in ("system", "user", "developer", "tool"):
        yield invalid(
            f"Missing required parameter: '{where}.content'.",
            f"{where}.content",
            "missing_required_parameter",
        )
    elif content is None and role in ("system", "user", "developer", "tool"):
        yield invalid(
            f"Invalid type for '{where}.content': expected one of a string or array of objects, but got null instead.",
            f"{where}.content",
            "invalid_type",
        )
    elif content is not None and not isinstance(content, str | list):
        yield invalid(
            f"Invalid type for '{where}.content': expected one of a string or array of objects, but got "
            f"{_got(content)} instead.",
            f"{where}.content",
            "invalid_type",
        )
    elif isinstance(content, list):
        for j, part in enumerate(content):
            at = f"{where}.content[{j}]"
            if not isinstance(part, dict):
                yield from _value_errors(at, part, _Field("object"))
            elif "type" not in part:
                yield invalid(f"Missing required parameter: '{at}.type'.", f"{at}.type", "missing_required_parameter")
            elif part["type"] not in _PART_TYPES:
                yield invalid(
                    f"Invalid value: {_show(part['type'])}. Supported values are: {_listing(_PART_TYPES)}.",
                    f"{at}.type",
                    "invalid_value",
                )
            elif part["type"] in ("text", "refusal"):
                key = part["type"]
                if key not in part:
                    yield invalid(
                        f"Missing required parameter: '{at}.{key}'.",
                        f"{at}.{key}",
                        "missing_required_parameter",
                    )
                else:
                    yield from _value_errors(f"{at}.{key}", part[key], _Field("string"))
    if role == "tool":
        if "tool_call_id" not in message:
            yield invalid(
                f"Missing required parameter: '{where}.tool_call_id'.",
                f"{where}.tool_call_id",
                "missing_required_parameter",
            )
        else:
            yield from _value_errors(f"{where}.tool_call_id", message["tool_call_id"], _Field("string"))
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            yield from _value_errors(f"{where}.tool_calls", calls, _Field("array"))
        else:
            for j, call in enumerate(calls):
                at = f"{where}.tool_calls[{j}]"
                if not isinstance(call, dict):
                    yield from _value_errors(at, call, _Field("object"))
                    continue
                for key in ("id", "type", "function"):
                    if key not in call:
                        yield invalid(
                            f"Missing required parameter: '{at}.{key}'.",
                            f"{at}.{key}",
                            "missing_required_parameter",
                        )
    if message.get("name") is not None:
        yield from _value_errors(f"{where}.name", message["name"], _Field("string"))


def _response_format_errors(fmt: Any) -> Iterator[ApiError]:
    if not isinstance(fmt, dict):
        return
    kinds = ("text", "json_object", "json_schema")
    if "type" not in fmt:
        yield invalid(
            "Missing required parameter: 'response_format.type'.",
            "response_format.type",
            "missing_required_parameter",
        )
    elif fmt["type"] not in kinds:
        yield invalid(
            f"Invalid value: {_show(fmt['type'])}. Supported values are: {_listing(kinds)}.",
            "response_format.type",
            "invalid_value",
        )
    elif fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if spec is None:
            yield invalid(
                "Missing required parameter: 'response_format.json_schema'.",
                "response_format.json_schema",
                "missing_required_parameter",
            )
        elif not isinstance(spec, dict):
            yield from _value_errors("response_format.json_schema", spec, _Field("object"))
        elif "name" not in spec:
            yield invalid(
                "Missing required parameter: 'response_format.json_schema.name'.",
                "response_format.json_schema.name",
                "missing_required_parameter",
            )
        else:
            yield from _value_errors("response_format.json_schema.name", spec["name"], _Field("string"))
            if spec.get("schema") is not None:
                yield from _value_errors("response_format.json_schema.schema", spec["schema"], _Field("object"))


def _tool_errors(where: str, tool: Any) -> Iterator[ApiError]:
    if not isinstance(tool, dict):
        yield from _value_errors(where, tool, _Field("object"))
        return
    if tool.get("type") != "function":
        if "type" not in tool:
            yield invalid(f"Missing required parameter: '{where}.type'.", f"{where}.type", "missing_required_parameter")
        elif tool.get("type") != "custom":
            yield invalid(
                f"Invalid value: {_show(tool['type'])}. Supported values are: 'function' and 'custom'.",
                f"{where}.type",
                "invalid_value",
            )
        return
    function = tool.get("function")
    if function is None:
        yield invalid(
            f"Missing required parameter: '{where}.function'.",
            f"{where}.function",
            "missing_required_parameter",
        )
    elif not isinstance(function, dict):
        yield from _value_errors(f"{where}.function", function, _Field("object"))
    elif "name" not in function:
        yield invalid(
            f"Missing required parameter: '{where}.function.name'.",
            f"{where}.function.name",
            "missing_required_parameter",
        )
    else:
        yield from _value_errors(f"{where}.function.name", function["name"], _Field("string"))
        if function.get("parameters") is not None:
            yield from _value_errors(f"{where}.function.parameters", function["parameters"], _Field("object"))


def _tool_choice_errors(choice: Any) -> Iterator[ApiError]:
    if choice is None:
        return
    modes = ("none", "auto", "required")
    if isinstance(choice, str):
        if choice not in modes:
            yield invalid(
                f"Invalid value: {_show(choice)}. Supported values are: {_listing(modes)}.",
                "tool_choice",
                "invalid_value",
            )
    elif isinstance(choice, dict):
        function = choice.get("function")
        if choice.get("type") == "function" and not (
            isinstance(function, dict) and isinstance(function.get("name"), str)
        ):
            yield invalid(
                "Missing required parameter: 'tool_choice.function.name'.",
                "tool_choice.function.name",
                "missing_required_parameter",
            )
    else:
        yield invalid(
            f"Invalid type for 'tool_choice': expected one of a string or an object, but got {_got(choice)} instead.",
            "tool_choice",
            "invalid_type",
        )


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


def fallback_embeddings(body: dict[str, Any]) -> Iterator[ApiError]:
    """The embeddings request fields, checked by hand, worded as the real endpoint words them."""
    for name in ("model", "input"):
        if name not in body:
            yield invalid(f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    if "input" in body and not valid_embeddings_input(body["input"]):
        yield invalid(INPUT_INVALID)
    model = body.get("model")
    if "model" in body and not isinstance(model, str):
        yield invalid(f"{json.dumps(model)} is not of type 'string' - 'model'")
    dims = body.get("dimensions")
    if dims is not None:
        if not _token(dims):
            yield invalid(f"{_py_repr(dims)} is not of type 'integer' - 'dimensions'")
        elif dims < 1:
            yield invalid(f"{dims} is less than the minimum of 1 - 'dimensions'")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        yield invalid(f"{_py_repr(user)} is not of type 'string' - 'user'")


def _py_repr(value: Any) -> str:
    return repr(value)
