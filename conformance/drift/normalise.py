"""One comparable shape for a schema node, whichever way its document spells it.

Both sides are reduced to a `Shape`: the JSON types a value may have (`"null"` among them when it may be null),
the allowed values (enum/const), the properties, the required ones and the items. The spellings that mean the
same thing become the same shape:

- OpenAPI 3.0 `nullable: true`, `type: [..., "null"]`, an `anyOf`/`oneOf` with a `{"type": "null"}` branch and an
  enum holding null all put `"null"` among the types;
- `$ref` chains are followed; a `$ref` beside other keywords is one more `allOf` member;
- `allOf` members are merged: types and enums intersect, required keys add up, and a property declared again
  overrides the earlier declaration (the node's own keywords last), which is how the upstream document layers
  its schemas (`CreateModelResponseProperties` and then `CreateChatCompletionRequest` both declare `top_logprobs`)
  and how code generators read it;
- `oneOf`/`anyOf` branches and `if`/`then`/`else` dispatches are united (properties of any branch, the keys every
  branch requires, the values of every branch); where the node narrows a discriminating property (`type: text`
  over a union of content parts), the branches it rules out are dropped;
- `const` is an enum of one value, and a missing `type` is read from the values, properties or items;
- bounds, `pattern` and `format` are `constraints`: OpenAPI 3.0's `exclusiveMinimum: true` beside `minimum`
  is the 3.1 `exclusiveMinimum` of that value; where allOf layers both bound a value, the tighter bound holds;
  a union keeps a constraint only when every branch it applies to has it (the loosest value);
- everything else (descriptions, examples, `$comment`, `x-*` vendor keys) is left out.

Subschemas stay unread until a diff asks for them (`Expr`), so recursive schemas cost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.exceptions import ConfigError

JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
# The keywords that narrow the values of a type, by the types they apply to.
_NUMBERS, _STRINGS, _ARRAYS = frozenset({"integer", "number"}), frozenset({"string"}), frozenset({"array"})
CONSTRAINTS: dict[str, frozenset[str]] = {
    "minimum": _NUMBERS,
    "maximum": _NUMBERS,
    "exclusiveMinimum": _NUMBERS,
    "exclusiveMaximum": _NUMBERS,
    "minLength": _STRINGS,
    "maxLength": _STRINGS,
    "pattern": _STRINGS,
    "format": _STRINGS | _NUMBERS,
    "minItems": _ARRAYS,
    "maxItems": _ARRAYS,
}
_LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems"})
_UPPER_BOUNDS = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems"})
Constraints = tuple[tuple[str, Any], ...]  # (keyword, value) sorted by keyword: hashable, comparable
_COMBINERS = ("$ref", "allOf", "anyOf", "oneOf", "if", "then", "else")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Node:
    """A schema node in the document it belongs to (refs resolve against that document)."""

    doc: str
    schema: Any


@dataclass(frozen=True)
class AnyOf:
    """Several nodes a value may satisfy one of (a property declared by several branches of a union)."""

    members: tuple[Expr, ...]


@dataclass(frozen=True)
class AllOf:
    """Several nodes a value must satisfy all of (a property declared by a node and again by one of its branches)."""

    members: tuple[Expr, ...]


Expr = Node | AnyOf | AllOf


@dataclass(frozen=True)
class Shape:
    """What a schema node allows, in one spelling. `types` None: any type; `enum` None: any value."""

    types: frozenset[str] | None = None
    enum: frozenset[str] | None = None  # JSON texts of the allowed non-null values
    properties: Mapping[str, Expr] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Expr | None = None
    values: Expr | None = None  # additionalProperties: the values of a map
    name: str | None = None  # the named schema (file or component) this node stands for, if any
    variants: tuple[Shape, ...] = ()  # the branches of a union, kept so that a discriminator can narrow them
    fallback: bool = False  # the catch-all of a value no `if` matched: dropped when a discriminator picks a `then`
    constraints: Constraints = ()  # bounds, pattern and format (see CONSTRAINTS)

    @property
    def nullable(self) -> bool:
        return self.types is not None and "null" in self.types

    @property
    def only_null(self) -> bool:
        return self.types == frozenset({"null"})


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class Side:
    """The documents of one side (our schema files, or the upstream OpenAPI document) and their refs.

    A ref target is a named schema of its own when it is a whole file (our side) or sits right under
    `components` (upstream: `/components/schemas/`); a ref into a file's `$defs` is part of the same object.
    """

    def __init__(self, documents: Mapping[str, Any], *, components: str = "") -> None:
        self.documents = documents
        self.components = components
        self.touched: set[str] = set()  # the named schemas read so far
        # shapes by (document, id of the schema node); the node is kept with its shape so that its id stays its own
        self._shapes: dict[tuple[str, int], tuple[Any, Shape]] = {}

    def resolve(self, ref: str, doc: str) -> tuple[Node, str | None]:
        """The node `ref` points to from document `doc`, and its name when it is a named schema."""
        base, _, pointer = ref.partition("#")
        target = base.rsplit("/", 1)[-1] or doc
        if target not in self.documents:
            raise ConfigError(f"{doc}: $ref {ref!r} names an unknown document")
        node = self.documents[target]
        for part in [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]:
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise ConfigError(f"{doc}: $ref {ref!r} does not resolve") from None
        name: str | None = None
        if self.components and pointer.startswith(self.components):
            name = pointer.removeprefix(self.components)
        elif not self.components and not pointer:
            name = target.removesuffix(".json")
        self.touched.add(name or target.removesuffix(".json"))
        return Node(target, node), name

    def shape(self, expr: Expr, depth: int = 0) -> Shape:
        if depth > _MAX_DEPTH:
            return Shape()
        if isinstance(expr, AnyOf):
            return unite(self.shape(m, depth + 1) for m in expr.members)
        if isinstance(expr, AllOf):
            return merge(self.shape(m, depth + 1) for m in expr.members)
        key = (expr.doc, id(expr.schema))
        cached = self._shapes.get(key)
        if cached is not None and cached[0] is expr.schema:
            return cached[1]
        shape = self._shape(expr, depth)
        if depth == 0 or shape != Shape():  # a shape cut short by the depth limit is not kept
            self._shapes[key] = (expr.schema, shape)
        return shape

    def _shape(self, expr: Node, depth: int) -> Shape:
        schema = expr.schema
        if not isinstance(schema, dict):
            return Shape(types=frozenset()) if schema is False else Shape()
        own = _own(expr.doc, schema)
        # Merged in this order, later declarations of a property overriding earlier ones: the $ref target, the
        # allOf members, the union of the branches, and the node's own keywords last.
        parts: list[Shape] = []
        names: list[str | None] = []
        if isinstance(schema.get("$ref"), str):
            target, name = self.resolve(schema["$ref"], expr.doc)
            parts.append(self.shape(target, depth + 1))
            names.append(name or parts[-1].name)
        members = [m for m in schema.get("allOf") or [] if not _is_conditional(m)]
        parts += [self.shape(Node(expr.doc, m), depth + 1) for m in members]
        names += [p.name for p in parts[len(names) :]]
        branches = [self.shape(Node(expr.doc, b), depth + 1) for k in ("anyOf", "oneOf") for b in schema.get(k) or []]
        for conditional in [schema, *(m for m in schema.get("allOf") or [] if _is_conditional(m))]:
            if "then" in conditional:  # `then` with what `if` matched; `else` (or anything) when it did not
                matched = [self.shape(Node(expr.doc, conditional.get(k, True)), depth + 1) for k in ("if", "then")]
                otherwise = self.shape(Node(expr.doc, conditional.get("else", True)), depth + 1)
                # A missing `else`, or the `else` of an `if` that tests a value (`type: custom`), is the catch-all
                # for every other value; the `else` of an `if` that tests something else (is `role` there?) is an
                # alternative of the same standing as `then`.
                catch_all = "else" not in conditional or self._pins_a_value(matched[0])
                branches += [merge(matched), replace(otherwise, fallback=catch_all)]
        if branches:
            union = unite(branches)
            parts.append(union)
            names.append(union.name)
        parts.append(own)
        shape = self._narrowed(parts)
        if branches and len(parts[-2].variants) > 1:  # each branch with the rest of the node: whole alternatives
            # where node and branch both declare a property, both hold: `type: string` and the branch's `const:
            # message` is `message`; an `audio` the node requires `id` of stays so when a branch says only `object`
            rest = merge([*parts[:-2], own])
            variants = (replace(_conjoin(rest, v), fallback=v.fallback) for v in parts[-2].variants)
            shape = replace(shape, variants=tuple(variants))
        if schema.get("nullable") is True and shape.types is not None:  # OpenAPI 3.0: null is allowed too
            shape = replace(shape, types=shape.types | {"null"})
        # The node stands for a named schema when it only wraps one (a $ref, one allOf member, one non-null branch).
        named = [n for n in names if n]
        return replace(shape, name=named[0] if len(names) == 1 and named and not own.properties else None)

    def _narrowed(self, parts: list[Shape]) -> Shape:
        """The merged parts, without the union branches whose discriminator values the merged node excludes."""
        shape = merge(parts)
        for index, part in enumerate(parts):
            if len(part.variants) > 1:
                kept = [v for v in part.variants if self._fits(v, shape)]
                if len(kept) < len(part.variants):  # a discriminator picked: what no `if` matched is out too
                    kept = [v for v in kept if not v.fallback] or kept
                if 0 < len(kept) < len(part.variants):
                    parts = [*parts[:index], replace(unite(kept), name=part.name), *parts[index + 1 :]]
                    shape = merge(parts)
        return shape

    def _pins_a_value(self, shape: Shape) -> bool:
        """Whether a condition tests the value of a property (an enum or const), not only its presence."""
        return any(self.shape(expr).enum is not None for expr in shape.properties.values())

    def _fits(self, variant: Shape, shape: Shape) -> bool:
        for key, expr in variant.properties.items():
            if key in shape.properties:
                mine, merged = self.shape(expr).enum, self.shape(shape.properties[key]).enum
                if mine is not None and merged is not None and not mine & merged:
                    return False
        return True


def _is_conditional(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    keys = {k for k in schema if not k.startswith(("x-", "$comment")) and k not in ("description", "title")}
    return bool(keys) and keys <= {"if", "then", "else"}


def _own(doc: str, schema: dict[str, Any]) -> Shape:
    """The shape of a node's own keywords, without its refs and combinators."""
    types: frozenset[str] | None = None
    declared = schema.get("type")
    if isinstance(declared, str):
        types = frozenset({declared})
    elif isinstance(declared, list):
        types = frozenset(t for t in declared if isinstance(t, str))
    values: list[Any] | None = None
    if "const" in schema:
        values = [schema["const"]]
    elif isinstance(schema.get("enum"), list):
        values = schema["enum"]
    enum = None
    if values is not None:
        enum = frozenset(json.dumps(v, sort_keys=True) for v in values if v is not None)
        if types is None:
            types = frozenset(json_type(v) for v in values)
    properties = {k: Node(doc, v) for k, v in (schema.get("properties") or {}).items()}
    items = Node(doc, schema["items"]) if isinstance(schema.get("items"), dict) else None
    extra = schema.get("additionalProperties")
    map_values = Node(doc, extra) if isinstance(extra, dict) and extra else None
    if types is None and not any(k in schema for k in _COMBINERS):
        if properties or "required" in schema or "additionalProperties" in schema:
            types = frozenset({"object"})
        elif items is not None:
            types = frozenset({"array"})
    required = frozenset(r for r in schema.get("required") or [] if isinstance(r, str))
    return Shape(types, enum, properties, required, items, map_values, constraints=_constraints(schema))


def _constraints(schema: dict[str, Any]) -> Constraints:
    found = {k: schema[k] for k in CONSTRAINTS if _is_value(schema.get(k))}
    for bound in ("minimum", "maximum"):  # OpenAPI 3.0: a boolean `exclusiveMinimum` qualifies `minimum`
        exclusive = "exclusiveM" + bound[1:]
        if schema.get(exclusive) is True and bound in found:
            found[exclusive] = found.pop(bound)
    return tuple(sorted(found.items()))


def _is_value(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))


def _tighter(keyword: str, a: Any, b: Any) -> Any:
    """Both bounds hold (allOf): the narrower one; a pattern or format declared again overrides."""
    if keyword in _LOWER_BOUNDS:
        return max(a, b)
    if keyword in _UPPER_BOUNDS:
        return min(a, b)
    return b


def _merge_constraints(a: Constraints, b: Constraints) -> Constraints:
    merged = dict(a)
    for keyword, value in b:
        merged[keyword] = _tighter(keyword, merged[keyword], value) if keyword in merged else value
    return tuple(sorted(merged.items()))


def _unite_constraints(shapes: list[Shape]) -> Constraints:
    """One of the branches holds (anyOf): a constraint stays when every branch it may apply to has it, and then
    its loosest value (a pattern or format only when every such branch has the same)."""
    united: dict[str, Any] = {}
    for keyword, applies in CONSTRAINTS.items():
        relevant = [dict(s.constraints) for s in shapes if s.types is None or s.types & applies]
        if not relevant or any(keyword not in c for c in relevant):
            continue
        values = [c[keyword] for c in relevant]
        if keyword in _LOWER_BOUNDS:
            united[keyword] = min(values)
        elif keyword in _UPPER_BOUNDS:
            united[keyword] = max(values)
        elif len(set(values)) == 1:
            united[keyword] = values[0]
    return tuple(sorted(united.items()))


def _intersect_types(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    both = set(a & b)
    if ("number" in a and "integer" in b) or ("integer" in a and "number" in b):
        both.add("integer")
    return frozenset(both)


def merge(shapes: Iterable[Shape]) -> Shape:
    """What a value satisfying every shape may be (allOf); a property declared again overrides the earlier one."""
    result = Shape()
    variants: list[tuple[Shape, ...]] = []
    for s in shapes:
        if result.types is None or s.types is None:
            types = s.types if result.types is None else result.types
        else:
            types = _intersect_types(result.types, s.types)
        enum = s.enum if result.enum is None else result.enum if s.enum is None else result.enum & s.enum
        result = Shape(
            types,
            enum,
            {**result.properties, **s.properties},
            result.required | s.required,
            s.items or result.items,
            s.values or result.values,
            constraints=_merge_constraints(result.constraints, s.constraints),
        )
        if s.variants:
            variants.append(s.variants)
    return replace(result, variants=variants[0] if len(variants) == 1 else ())


def _conjoin(node: Shape, branch: Shape) -> Shape:
    """A node and one of its branches, both holding: merged, a property both declare being both declarations."""
    merged = merge([node, branch])
    both = {k: AllOf((node.properties[k], e)) for k, e in branch.properties.items() if k in node.properties}
    return replace(merged, properties={**merged.properties, **both})


def unite(shapes: Iterable[Shape]) -> Shape:
    """What a value satisfying one of the shapes may be (anyOf, oneOf, if/then/else)."""
    shapes = list(shapes)
    if not shapes:
        return Shape()
    types: frozenset[str] | None = frozenset()
    for s in shapes:
        types = None if types is None or s.types is None else types | s.types
    valued = [s for s in shapes if not s.only_null]
    enum: frozenset[str] | None = frozenset()
    for s in valued:
        enum = None if enum is None or s.enum is None else enum | s.enum
    properties: dict[str, Expr] = {}
    for s in valued:
        for key, expr in s.properties.items():
            properties[key] = AnyOf((*_members(properties[key]), expr)) if key in properties else expr
    objects = [s for s in valued if s.types is None or "object" in s.types]  # `required` binds only objects
    required = frozenset.intersection(*(s.required for s in objects)) if objects else frozenset()
    named = {s.name for s in shapes if not s.only_null}  # the same named schema reached several ways is still it
    return Shape(
        types,
        enum if valued else None,
        properties,
        required,
        _either(s.items for s in valued),
        _either(s.values for s in valued),
        name=named.pop() if len(named) == 1 else None,
        variants=tuple(valued) if len(valued) > 1 else (),
        constraints=_unite_constraints(valued),
    )


def _either(exprs: Iterable[Expr | None]) -> Expr | None:
    found = [e for e in exprs if e is not None]
    return None if not found else found[0] if len(found) == 1 else AnyOf(tuple(found))


def _members(expr: Expr) -> tuple[Expr, ...]:
    return expr.members if isinstance(expr, AnyOf) else (expr,)
