"""A small, deterministic instance generator: one value valid against a JSON Schema.

It serves tool-call arguments and `response_format: json_schema` output. It covers the subset of JSON Schema
that function parameters and structured outputs use (the subset OpenAI's strict mode accepts): `type` (one or
a list), `enum`, `const`, `properties` + `required`, `items`, `anyOf`/`oneOf`/`allOf`, local `$ref` into
`$defs`/`definitions`, and the usual bounds (`minimum`, `minLength`, `minItems`, ...). Anything else
yields a value of the declared type; a schema that is not an object yields `{}`.
"""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 12


def instance_for(schema: Any, text: str = "x") -> Any:
    """One instance valid against `schema`; strings are filled with `text` where the schema allows it."""
    return _Generator(schema if isinstance(schema, dict) else {}, text or "x").value(schema, 0)


def object_for(schema: Any, text: str = "x") -> dict[str, Any]:
    """Like `instance_for`, but always an object (tool arguments and structured outputs are objects)."""
    value = instance_for(schema, text)
    return value if isinstance(value, dict) else {}


class _Generator:
    def __init__(self, root: dict[str, Any], text: str) -> None:
        self.root = root
        self.text = text

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in ref.lstrip("#").strip("/").split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def value(self, schema: Any, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None if schema is False else {}
        if "$ref" in schema:
            merged = {**self.resolve(schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.value(merged, depth + 1)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                rest = {k: v for k, v in schema.items() if k != key}
                # Prefer a branch that is not `null`, so the output says something.
                chosen = next((b for b in branches if not _is_null(b)), branches[0])
                return self.value({**rest, **chosen} if isinstance(chosen, dict) else rest, depth + 1)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in all_of:
                if isinstance(part, dict):
                    merged = _merge(merged, part)
            return self.value(merged, depth + 1)

        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
        if kind is None:
            if "properties" in schema or "required" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
            else:
                kind = "object" if depth == 0 else "string"
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind == "string":
            return self.string(schema)
        if kind == "integer":
            return _number(schema, integer=True)
        if kind == "number":
            return _number(schema, integer=False)
        if kind == "boolean":
            return True
        return None

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        found = schema.get("properties")
        properties: dict[str, Any] = found if isinstance(found, dict) else {}
        listed = schema.get("required")
        required = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
        out: dict[str, Any] = {}
        for name in required:
            out[name] = self.value(properties.get(name, {}), depth + 1)
        least = schema.get("minProperties")
        min_properties = least if isinstance(least, int) else 0
        for name, sub in properties.items():
            if len(out) >= min_properties:
                break
            out.setdefault(name, self.value(sub, depth + 1))
        return out

    def array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        found = schema.get("prefixItems")
        prefix: list[Any] = found if isinstance(found, list) else []
        items = schema.get("items", {})
        count = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        out = [self.value(sub, depth + 1) for sub in prefix[:count]]
        while len(out) < count:
            out.append(self.value(items if isinstance(items, dict) else {}, depth + 1))
        return out

    def string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2025-01-01T00:00:00Z"
        if fmt == "date":
            return "2025-01-01"
        if fmt == "email":
            return "x@example.com"
        if fmt in ("uri", "url"):
            return "https://example.com"
        if fmt == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        text = self.text if "pattern" not in schema else "x"
        low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
        high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        if len(text) < low:
            text = text + "x" * (low - len(text))
        if high is not None and len(text) > high:
            text = text[:high]
        return text


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(value, dict):
            out["properties"] = {**out.get("properties", {}), **value}
        elif key == "required" and isinstance(value, list):
            out["required"] = [*out.get("required", []), *value]
        else:
            out.setdefault(key, value)
    return out


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    value: float = 1
    low = schema.get("minimum")
    high = schema.get("maximum")
    ex_low = schema.get("exclusiveMinimum")
    ex_high = schema.get("exclusiveMaximum")
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(ex_low, int | float) and not isinstance(ex_low, bool) and value <= ex_low:
        value = ex_low + 1 if integer else ex_low + 0.5
    if isinstance(high, int | float) and value > high:
        value = high
    if isinstance(ex_high, int | float) and not isinstance(ex_high, bool) and value >= ex_high:
        value = ex_high - 1 if integer else ex_high - 0.5
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0 and value % multiple:
        value = multiple * max(1, round(value / multiple))
    if integer:
        return int(value)
    return value
