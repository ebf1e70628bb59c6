"""`oai-conformance drift`: small crafted documents show each kind of difference, and the spellings that mean the
same thing (nullable, $ref chains, allOf, vendor keys, descriptions) show none; then a run over the real upstream
document in ../shared/upstream, when it is there."""

from __future__ import annotations

import copy
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _shared import SHARED
from test_cli import assert_one_line_error, cli, free_port

from conformance import drift
from conformance.exceptions import ConfigError
from conformance.schemas import SCHEMAS_DIR

UPSTREAM = SHARED / "upstream" / "openapi.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": f"{name}.json", **body}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": schema_ref}}}}


OURS: dict[str, dict[str, Any]] = {
    "thing": _schema(
        "thing",
        {
            "type": "object",
            "required": ["id", "kind"],
            "$comment": "ours",
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "kind": {"enum": ["a", "b"]},
                "note": {"type": ["string", "null"]},
                "usage": {"anyOf": [{"$ref": "thing.usage.json"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "$defs": {"tag": {"type": "string"}},
        },
    ),
    "thing.usage": _schema(
        "thing.usage", {"type": "object", "properties": {"n": {"type": "integer", "format": "int64", "minimum": 0}}}
    ),
    "thing.event": _schema(
        "thing.event",
        {
            "oneOf": [
                {"type": "object", "required": ["type"], "properties": {"type": {"const": "thing.created"}}},
                {
                    "type": "object",
                    "required": ["type", "thing"],
                    "properties": {"type": {"const": "thing.done"}, "thing": {"$ref": "thing.json"}},
                },
            ]
        },
    ),
    "openapi": {
        "openapi": "3.1.0",
        "paths": {
            "/things/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {"schema": {"$ref": "thing.json"}},
                                "text/event-stream": {
                                    "schema": {"type": "string"},
                                    "x-oai-item-schema": {"$ref": "thing.event.json"},
                                },
                            }
                        }
                    }
                }
            }
        },
    },
}


def upstream_doc() -> dict[str, Any]:
    """The same objects, spelled the upstream way: OpenAPI 3.0 `nullable`, ref chains, allOf layers, vendor keys,
    descriptions and examples everywhere, events as an anyOf of refs with a discriminator."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "upstream", "version": "1"},
        "paths": {
            "/things/{thing_id}": {
                "get": {
                    "operationId": "getThing",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                                "text/event-stream": {"schema": {"$ref": "#/components/schemas/ThingEvent"}},
                            },
                        }
                    },
                },
                "delete": {"operationId": "deleteThing", "responses": {"200": {"description": "OK"}}},
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "allOf": [
                        {"$ref": "#/components/schemas/ThingBase"},
                        {
                            "type": "object",
                            "properties": {
                                "note": {
                                    "type": "string",
                                    "nullable": True,
                                    "description": "A note.",
                                    "example": "hi",
                                    "x-stainless-nullable": True,
                                },
                            },
                        },
                    ],
                    "x-oaiMeta": {"name": "The thing object", "example": "{}"},
                },
                "ThingBase": {
                    "type": "object",
                    "description": "A thing.",
                    "required": ["kind", "id"],
                    "properties": {
                        "id": {"$ref": "#/components/schemas/ThingId"},
                        "kind": {"type": "string", "enum": ["b", "a"], "x-stainless-const": False},
                        "note": {"type": "string"},
                        "usage": {"allOf": [{"$ref": "#/components/schemas/Usage"}], "nullable": True},
                        "tags": {"type": "array", "items": {"type": "string", "description": "A tag."}},
                        "labels": {"$ref": "#/components/schemas/Labels"},
                    },
                },
                "ThingId": {"$ref": "#/components/schemas/IdString"},
                "IdString": {"type": "string", "description": "An id.", "examples": ["t_1"], "minLength": 1},
                "Labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "Usage": {
                    "type": "object",
                    "properties": {"n": {"type": "integer", "format": "int64", "minimum": 0}},
                    "$comment": "upstream",
                },
                "ThingEvent": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/ThingCreated"},
                        {"$ref": "#/components/schemas/ThingDone"},
                    ],
                    "discriminator": {"propertyName": "type"},
                },
                "ThingCreated": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"type": "string", "enum": ["thing.created"]}},
                },
                "ThingDone": {
                    "type": "object",
                    "required": ["type", "thing"],
                    "properties": {
                        "type": {"type": "string", "enum": ["thing.done"]},
                        "thing": {"$ref": "#/components/schemas/Thing"},
                    },
                },
            }
        },
    }


def _check(
    tmp_path: Path, upstream: dict[str, Any], accepted: str | None = None, ours: dict[str, dict[str, Any]] | None = None
) -> drift.DriftReport:
    schemas = tmp_path / "schemas"
    schemas.mkdir(exist_ok=True)
    for name, document in (ours or OURS).items():
        (schemas / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "upstream.json").write_text(json.dumps(upstream), encoding="utf-8")
    accepted_path = None
    if accepted is not None:
        accepted_path = tmp_path / "accepted.toml"
        accepted_path.write_text(accepted, encoding="utf-8")
    return drift.check(str(tmp_path / "upstream.json"), accepted_path, schemas_dir=schemas)


def _found(report: drift.DriftReport) -> set[tuple[str, str, str, str]]:
    return {d.key for d in report.new}


def test_the_same_objects_spelled_differently_show_no_difference(tmp_path):
    report = _check(tmp_path, upstream_doc())
    assert _found(report) == set(), drift.render(report, "markdown")
    assert report.exit_code == 0
    assert report.pairs["thing"] == ["Thing"] and report.pairs["thing.usage"] == ["Usage"]
    assert report.coverage.covered == ["GET /things/{}"] and report.coverage.missing == ["DELETE /things/{}"]
    assert report.coverage.share == 0.5


def _edited(path: list[Any], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    document = upstream_doc()
    node = document["components"]["schemas"]
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    elif isinstance(node, list) and path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    return document


BASE = ["ThingBase", "properties"]


@pytest.mark.parametrize(
    ("upstream", "expected"),
    [
        pytest.param(
            _edited([*BASE, "colour"], {"type": "string"}),
            ("thing", "colour", "property-added", ""),
            id="property-added",
        ),
        pytest.param(
            _edited([*BASE, "tags"], delete=True), ("thing", "tags", "property-removed", ""), id="property-removed"
        ),
        pytest.param(
            _edited(["ThingBase", "required"], ["id"]), ("thing", "kind", "required-removed", ""), id="required-removed"
        ),
        pytest.param(
            _edited(["ThingBase", "required"], ["id", "kind", "tags"]),
            ("thing", "tags", "required-added", ""),
            id="required-added",
        ),
        pytest.param(
            _edited(["Usage", "properties", "n"], {"type": "number"}),
            ("thing.usage", "n", "type", "ours integer, upstream number"),
            id="type",
        ),
        pytest.param(
            _edited([*BASE, "tags", "items"], {"type": "integer"}),
            ("thing", "tags[]", "type", "ours string, upstream integer"),
            id="type-of-items",
        ),
        pytest.param(
            _edited(["Labels", "additionalProperties"], {"type": "integer"}),
            ("thing", "labels{}", "type", "ours string, upstream integer"),
            id="type-of-map-values",
        ),
        pytest.param(
            _edited([*BASE, "kind", "enum"], ["a", "b", "c"]), ("thing", "kind", "enum-added", '"c"'), id="enum-added"
        ),
        pytest.param(
            _edited([*BASE, "kind", "enum"], ["a"]), ("thing", "kind", "enum-removed", '"b"'), id="enum-removed"
        ),
        pytest.param(
            _edited([*BASE, "kind"], {"type": "string"}),
            ("thing", "kind", "enum-open", "ours lists 2 value(s), the other side any"),
            id="enum-open",
        ),
        pytest.param(
            _edited(["Thing", "allOf", 1, "properties", "note", "nullable"], False),
            ("thing", "note", "nullable", "ours nullable, upstream not"),
            id="nullable",
        ),
        pytest.param(
            _edited(
                ["ThingEvent", "anyOf", 2],
                {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"type": "string", "enum": ["thing.deleted"]}},
                },
            ),
            ("thing.event", "type", "event-type-added", '"thing.deleted"'),
            id="event-type-added",
        ),
        pytest.param(
            _edited(["Usage", "properties", "n", "maximum"], 10),
            ("thing.usage", "n", "constraint-added", "maximum: upstream 10"),
            id="constraint-added",
        ),
        pytest.param(
            _edited(["IdString", "minLength"], delete=True),
            ("thing", "id", "constraint-removed", "minLength: ours 1"),
            id="constraint-removed",
        ),
        pytest.param(
            _edited(["IdString", "minLength"], 2),
            ("thing", "id", "constraint", "minLength: ours 1, upstream 2"),
            id="constraint-changed",
        ),
        pytest.param(
            _edited(["IdString", "pattern"], "^t_"),
            ("thing", "id", "constraint-added", 'pattern: upstream "^t_"'),
            id="constraint-pattern",
        ),
        pytest.param(
            _edited(["Usage", "properties", "n", "format"], "int32"),
            ("thing.usage", "n", "constraint", 'format: ours "int64", upstream "int32"'),
            id="constraint-format",
        ),
        pytest.param(
            _edited([*BASE, "tags", "maxItems"], 5),
            ("thing", "tags", "constraint-added", "maxItems: upstream 5"),
            id="constraint-of-an-array",
        ),
    ],
)
def test_each_kind_of_difference(tmp_path, upstream, expected):
    report = _check(tmp_path, upstream)
    assert _found(report) == {expected}, drift.render(report, "markdown")
    assert report.exit_code == 1


def test_an_operation_upstream_dropped(tmp_path):
    upstream = upstream_doc()
    upstream["paths"] = {"/other": upstream["paths"].pop("/things/{thing_id}")}
    report = _check(tmp_path, upstream)
    assert _found(report) == {("openapi", "GET /things/{}", "operation-removed", "")}
    assert report.coverage.share == 0.0


@pytest.mark.parametrize(
    "trap",
    [
        pytest.param({"type": ["string", "null"]}, id="type-list-null"),
        pytest.param({"anyOf": [{"type": "string"}, {"type": "null"}]}, id="anyOf-null"),
        pytest.param({"oneOf": [{"$ref": "#/components/schemas/Note"}, {"type": "null"}]}, id="oneOf-ref-null"),
        pytest.param({"allOf": [{"$ref": "#/components/schemas/Note"}], "nullable": True}, id="allOf-nullable"),
        pytest.param({"$ref": "#/components/schemas/NullableNote"}, id="ref-chain-nullable"),
        pytest.param(
            {
                "type": "string",
                "enum": None,
                "nullable": True,
                "x-whatever": {"type": "integer"},
                "$comment": "c",
                "examples": [None],
            },
            id="vendor-keys",
        ),
    ],
)
def test_spellings_of_a_nullable_string_show_no_difference(tmp_path, trap):
    upstream = upstream_doc()
    schemas = upstream["components"]["schemas"]
    schemas["Note"] = {"type": "string", "description": "d"}
    schemas["NullableNote"] = {"$ref": "#/components/schemas/NullableNote2"}
    schemas["NullableNote2"] = {"type": "string", "nullable": True}
    trap = {k: v for k, v in trap.items() if v is not None}
    schemas["Thing"]["allOf"][1]["properties"]["note"] = trap
    report = _check(tmp_path, upstream)
    assert _found(report) == set(), drift.render(report, "markdown")


def test_a_discriminator_narrows_a_union(tmp_path):
    """Our parts are one if/then dispatch narrowed where used (`type: text`); upstream lists the text part only."""
    ours = copy.deepcopy(OURS)
    ours["thing"]["properties"]["parts"] = {
        "type": "array",
        "items": {"$ref": "#/$defs/part", "properties": {"type": {"enum": ["text"]}}},
    }
    ours["thing"]["$defs"]["part"] = {
        "type": "object",
        "required": ["type"],
        "allOf": [
            {
                "if": {"properties": {"type": {"const": kind}}},
                "then": {"required": ["type", kind], "properties": {"type": {"const": kind}, kind: {"type": "string"}}},
            }
            for kind in ("text", "image")
        ],
    }
    upstream = upstream_doc()
    upstream["components"]["schemas"]["ThingBase"]["properties"]["parts"] = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["type", "text"],
            "properties": {"type": {"type": "string", "enum": ["text"]}, "text": {"type": "string"}},
        },
    }
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == set(), drift.render(report, "markdown")


ACCEPT_C = """
[[accepted]]
object = "thing"
at = "kind"
kind = "enum-added"
detail = '"c"'
reason = "DECISIONS.md: kinds"
"""
STALE = """
[[accepted]]
object = "thing"
at = "gone"
kind = "property-removed"
reason = "it was there once"
"""


def test_accepted_differences_pass_and_stale_entries_are_reported(tmp_path):
    upstream = _edited([*BASE, "kind", "enum"], ["a", "b", "c"])
    report = _check(tmp_path, upstream, ACCEPT_C + STALE)
    assert not report.new
    assert [(d.key, reason) for d, reason in report.accepted] == [
        (("thing", "kind", "enum-added", '"c"'), "DECISIONS.md: kinds")
    ]
    assert [a.difference.at for a in report.stale] == ["gone"]
    # A stale entry is news: upstream changed under a reviewed difference. A night of only that alerts too.
    assert report.exit_code == 1
    text = drift.render(report, "markdown")
    assert "## Stale accepted entries (1)" in text and "it was there once" in text
    data = json.loads(drift.render(report, "json"))
    assert data["exit_code"] == 1 and data["stale"][0]["reason"] == "it was there once"
    assert data["accepted"][0]["reason"] == "DECISIONS.md: kinds"  # the reviewed table: in the JSON
    assert _check(tmp_path, upstream, ACCEPT_C).exit_code == 0
    # another new value is new drift, although an earlier one was accepted
    report = _check(tmp_path, _edited([*BASE, "kind", "enum"], ["a", "b", "c", "d"]), ACCEPT_C)
    assert _found(report) == {("thing", "kind", "enum-added", '"d"')} and report.exit_code == 1


@pytest.mark.parametrize(
    ("accepted", "problem"),
    [
        ("[[accepted]]\nobject = 'thing'\nat = 'kind'\nkind = 'enum-added'\n", "reason"),
        ("[[accepted]]\nobject = 'thing'\nkind = 'renamed'\nreason = 'x'\n", "kind 'renamed'"),
        ("[[accepted]]\nobject = 'thing'\nkind = 'type'\nreason = 'x'\nwhy = 'y'\n", "unknown keys"),
        ("[[accepted]]\nobject = 'thing'\nat = 'usage*'\nreason = 'any kind'\n", "needs a kind"),
        ("[[accepted]\n", "not a TOML file"),
    ],
)
def test_a_broken_accepted_file_names_the_entry(tmp_path, accepted, problem):
    with pytest.raises(ConfigError, match=problem):
        _check(tmp_path, upstream_doc(), accepted)


def test_update_accepted_keeps_reasons(tmp_path):
    upstream = _edited([*BASE, "kind", "enum"], ["a", "b", "c", "d"])
    report = _check(tmp_path, upstream, ACCEPT_C)
    path = drift.update_accepted(report, tmp_path / "accepted.toml")
    text = path.read_text(encoding="utf-8")
    assert 'reason = "DECISIONS.md: kinds"' in text and 'detail = "\\"d\\""\nreason = ""' in text


# --- the command line: a URL, a path, errors ---------------------------------------------------------------------


@pytest.fixture
def served(tmp_path) -> Iterator[str]:
    """A 127.0.0.1 HTTP server that serves a small upstream document at /openapi.json."""
    body = json.dumps(upstream_doc()).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/openapi.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cli_fetches_a_url(tmp_path, served):
    proc = cli(tmp_path, "drift", "--upstream", f"{served}/openapi.json", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data["upstream"].endswith("/openapi.json")
    assert data["coverage"]["upstream_operations"] == 2 and data["coverage"]["covered"] == 0
    assert_one_line_error(cli(tmp_path, "drift", "--upstream", f"{served}/missing.json"), "404")


def test_cli_unreachable_url_and_bad_files(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/openapi.json"
    assert_one_line_error(cli(tmp_path, "drift", "--upstream", url), url)
    assert_one_line_error(cli(tmp_path, "drift", "--upstream", str(tmp_path / "nope.json")), "nope.json")
    (tmp_path / "list.json").write_text("[]")
    assert_one_line_error(cli(tmp_path, "drift", "--upstream", str(tmp_path / "list.json")), "OpenAPI")
    (tmp_path / "bad.toml").write_text("[[accepted]]\nobject = 'x'\n")
    assert_one_line_error(
        cli(tmp_path, "drift", "--upstream", str(tmp_path / "list.json"), "--accepted", str(tmp_path / "bad.toml")),
        "bad.toml",
    )


# --- the real upstream document -----------------------------------------------------------------------------------

needs_upstream = pytest.mark.skipif(not UPSTREAM.is_file(), reason=f"no upstream document at {UPSTREAM}")


@needs_upstream
def test_drift_over_the_upstream_document(tmp_path):
    started = time.perf_counter()
    report = drift.check(str(UPSTREAM))
    assert time.perf_counter() - started < 30
    assert len(report.coverage.upstream) > 200 and 0 < report.coverage.share < 1
    assert {"POST /chat/completions", "POST /embeddings", "GET /models"} <= set(report.coverage.covered)
    assert {"chat.completion", "chat.completion.chunk", "chat.usage", "model", "error"} <= set(report.pairs)
    # every difference is a reviewed one (the test below proves it through the command line)
    assert not report.new, drift.render(report, "markdown")
    assert not report.stale


@needs_upstream
def test_cli_drift_with_the_accepted_file_exits_0(tmp_path):
    proc = cli(tmp_path, "drift", "--upstream", str(UPSTREAM), "--accepted", str(SCHEMAS_DIR / "ACCEPTED-DRIFT.toml"))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "No news" in proc.stdout and "upstream operations" in proc.stdout
    assert len(proc.stdout.splitlines()) < 40, "a clean night is a few lines"
    # without it, the reviewed differences are new drift again
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    proc = cli(tmp_path, "drift", "--upstream", str(UPSTREAM), "--accepted", str(empty), "--format", "json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["new"]


# --- unions: our if/then dispatch by `type` against upstream's discriminated oneOf ---------------------------------


def _dispatched(*, open_: bool) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """`thing.parts[]` both ways: ours an if/then dispatch on `type` over a `type: string` node (open: any other
    type passes, as our unknown-item rule does), upstream a oneOf of three refs with a discriminator. Each kind of
    part requires its own keys, and `x` is a string in one part and a nullable integer in another."""
    ours = copy.deepcopy(OURS)
    ours["thing"]["properties"]["parts"] = {"type": "array", "items": {"$ref": "#/$defs/part"}}
    branches = {
        "a": {"required": ["type", "x"], "properties": {"type": {"const": "a"}, "x": {"type": "string"}}},
        "b": {
            "required": ["type", "x", "y"],
            "properties": {"type": {"const": "b"}, "x": {"type": ["integer", "null"]}, "y": {"type": "string"}},
        },
        "c": {"required": ["type"], "properties": {"type": {"const": "c"}, "z": {"type": "boolean"}}},
    }
    ours["thing"]["$defs"]["part"] = {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string"} if open_ else {"enum": ["a", "b", "c"]}},
        "allOf": [{"if": {"properties": {"type": {"const": k}}}, "then": v} for k, v in branches.items()],
    }
    upstream = upstream_doc()
    schemas = upstream["components"]["schemas"]
    for kind, branch in branches.items():
        properties = copy.deepcopy(branch["properties"])
        properties["type"] = {"type": "string", "enum": [kind]}
        if kind == "b":
            properties["x"] = {"type": "integer", "nullable": True}
        schemas[f"Part{kind.upper()}"] = {"type": "object", "required": branch["required"], "properties": properties}
    schemas["ThingBase"]["properties"]["parts"] = {
        "type": "array",
        "items": {
            "oneOf": [{"$ref": f"#/components/schemas/Part{k.upper()}"} for k in branches],
            "discriminator": {"propertyName": "type"},
        },
    }
    return ours, upstream


def test_a_dispatch_by_type_meets_a_discriminated_union_alternative_by_alternative(tmp_path):
    """Merged into one object, the three parts would differ (`x` nullable on one side only when the branches
    are united differently; `y` required by b only; a key every known part requires missing from an open union's
    required keys): compared alternative by alternative, they do not."""
    ours, upstream = _dispatched(open_=False)
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == set(), drift.render(report, "markdown")
    # our open dispatch (any other type passes) is the one difference, said once at the discriminator
    ours, upstream = _dispatched(open_=True)
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == {("thing", "parts[].type", "enum-open", "ours also accepts any other value")}
    # a difference inside one alternative is named by it; an alternative only upstream has is a new value
    schemas = upstream["components"]["schemas"]
    schemas["PartB"]["properties"]["w"] = {"type": "string"}
    schemas["PartD"] = {"type": "object", "properties": {"type": {"type": "string", "enum": ["d"]}}}
    schemas["ThingBase"]["properties"]["parts"]["items"]["oneOf"].append({"$ref": "#/components/schemas/PartD"})
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == {
        ("thing", "parts[].type", "enum-open", "ours also accepts any other value"),
        ("thing", "parts[].type", "enum-added", '"d"'),
        ("thing", "parts[][type=b].w", "property-added", ""),
    }, drift.render(report, "markdown")


def test_a_named_schema_in_every_branch_of_a_union_is_still_that_schema(tmp_path):
    """Both events carry a `thing`: a difference of Thing is thing's own, not thing.event's once per event."""
    ours = copy.deepcopy(OURS)
    created = ours["thing.event"]["oneOf"][0]
    created["properties"]["thing"] = {"$ref": "thing.json"}
    ours["thing.event"]["oneOf"][0] = {**created, "properties": {**created["properties"]}}
    del ours["thing.event"]["oneOf"][0]["properties"]["type"]  # no discriminator: the branches are merged
    ours["thing.event"]["oneOf"][1]["properties"]["type"] = {"type": "string"}
    upstream = _edited([*BASE, "colour"], {"type": "string"})
    events = upstream["components"]["schemas"]
    events["ThingCreated"]["properties"] = {"thing": {"$ref": "#/components/schemas/Thing"}}
    events["ThingDone"]["properties"]["type"] = {"type": "string"}
    report = _check(tmp_path, upstream, ours=ours)
    assert ("thing", "colour", "property-added", "") in _found(report)
    assert not [d for d in report.new if d.object == "thing.event"], drift.render(report, "markdown")


# --- group entries in the accepted file ----------------------------------------------------------------------------


def test_a_group_entry_covers_what_its_pattern_says_and_no_more(tmp_path):
    ours, upstream = _dispatched(open_=True)
    schemas = upstream["components"]["schemas"]
    schemas["PartB"]["properties"]["w"] = {"type": "string"}
    schemas["PartB"]["properties"]["v"] = {"type": "string"}
    schemas["PartB"]["required"] = [*schemas["PartB"]["required"], "v"]
    schemas["PartC"]["properties"]["w"] = {"type": "string"}
    groups = """
[[accepted]]
object = "thing"
at = "parts[][type=b].*"
kind = "property-added"
reason = "every property part b adds"

[[accepted]]
object = "thing"
at = "parts[].type"
kind = "enum-open"
reason = "our open dispatch"

[[accepted]]
object = "thing"
at = "*.nothing"
kind = "property-added"
reason = "matches nothing: stale"
"""
    report = _check(tmp_path, upstream, groups, ours=ours)
    assert {(d.at, d.kind) for d, _ in report.accepted} == {
        ("parts[][type=b].w", "property-added"),
        ("parts[].type", "enum-open"),
    }
    # part c is not covered; part b's `v`, which upstream requires, is news even inside the group (issue 18)
    assert _found(report) == {
        ("thing", "parts[][type=c].w", "property-added", ""),
        ("thing", "parts[][type=b].v", "property-added", "required upstream"),
    }
    assert [a.difference.at for a in report.stale] == ["*.nothing"]
    rows = {row["at"]: row["entry"] for row in json.loads(drift.render(report, "json"))["accepted"]}
    assert rows["parts[][type=b].w"] == {"at": "parts[][type=b].*", "kind": "property-added", "detail": None}
    # --update-accepted keeps the groups as they are and adds single entries for the rest
    text = drift.update_accepted(report, tmp_path / "accepted.toml").read_text(encoding="utf-8")
    assert text.count("[[accepted]]") == 4 and 'at = "parts[][type=b].*"' in text and "*.nothing" not in text
    assert 'at = "parts[][type=c].w"' in text and 'detail = "required upstream"' in text


def test_a_required_key_without_a_declaration_is_still_a_property(tmp_path):
    """Upstream sometimes requires a key it does not declare (`response_id` of the audio events): not removed."""
    ours = copy.deepcopy(OURS)
    ours["thing"]["required"] = ["id", "kind", "tags"]
    upstream = _edited(["ThingBase", "required"], ["id", "kind", "tags"])
    del upstream["components"]["schemas"]["ThingBase"]["properties"]["tags"]
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == set(), drift.render(report, "markdown")


def test_a_property_declared_by_a_node_and_again_by_its_branch_is_both(tmp_path):
    """Our node requires `o.id`; the branch for `a` says only that `o` is an object. Both hold in JSON Schema, so
    part a still requires `o.id`, as upstream's PartA does."""
    ours, upstream = _dispatched(open_=False)
    inner = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    part = ours["thing"]["$defs"]["part"]
    part["properties"]["o"] = inner
    part["allOf"][0]["then"]["properties"]["o"] = {"type": "object"}
    for name in ("PartA", "PartB", "PartC"):
        upstream["components"]["schemas"][name]["properties"]["o"] = inner
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == set(), drift.render(report, "markdown")


def test_an_if_that_tests_presence_makes_then_and_else_alternatives_of_equal_standing(tmp_path):
    """Our request items: without `type`, an item with `role` is a message and any other an item reference; with
    `type`, the type picks. Upstream: a oneOf whose alternatives leave `type` optional. The `else` of the `role`
    test is an alternative like its `then` (not a catch-all that yields to what a type picks): the reference
    without `type` counts, so `type` is optional in both alternatives, as upstream says."""
    ours, upstream = _dispatched(open_=False)
    message = {"required": ["x"], "properties": {"type": {"const": "a"}, "x": {"type": "string"}}}
    reference = {"required": ["y"], "properties": {"type": {"enum": ["b", None]}, "y": {"type": "string"}}}
    other = {"required": ["type"], "properties": {"type": {"const": "c"}, "z": {"type": "boolean"}}}
    typed = [{"if": {"required": ["type"], "properties": {"type": {"const": k}}}, "then": v} for k, v in
             (("a", message), ("b", reference), ("c", other))]  # fmt: skip
    untyped = {
        "if": {"not": {"required": ["type"]}},
        "then": {"if": {"required": ["x"]}, "then": message, "else": reference},
    }
    ours["thing"]["$defs"]["part"] = {
        "type": "object",
        "properties": {"type": {"enum": ["a", "b", "c"]}},
        "allOf": [untyped, *typed],
    }
    schemas = upstream["components"]["schemas"]
    schemas["PartA"]["required"] = ["x"]
    schemas["PartB"] = {
        "type": "object",
        "required": ["y"],
        "properties": {"type": {"type": "string", "enum": ["b"]}, "y": {"type": "string"}},
    }
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == set(), drift.render(report, "markdown")


def test_the_upstream_fetch_retries_a_transient_answer() -> None:
    """The drift fetch goes through the suite's one retry policy: a 503 with Retry-After: 0, then the document."""
    import http.server
    import threading

    from conformance.drift import _fetch
    from conformance.retry import RetryPolicy

    answers = [(503, b'{"error": {"message": "busy"}}'), (200, b'{"openapi": "3.1.0", "paths": {}}')]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.pop(0)
            self.send_response(status)
            self.send_header("retry-after", "0")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        text = _fetch(f"http://127.0.0.1:{server.server_port}/openapi.json", 5.0, RetryPolicy(retries=2))
    finally:
        server.shutdown()
    assert text == '{"openapi": "3.1.0", "paths": {}}' and answers == []


# --- what a nightly reviewer is told (issue 18) ----------------------------------------------------------------


# Upstream has one operation we do not wire (DELETE /things/{thing_id}): reviewed as not covered.
NOT_COVERED_NONE = 'not_covered = ["DELETE /things/{}"]\n'


def test_a_new_upstream_operation_is_news(tmp_path):
    upstream = upstream_doc()
    report = _check(tmp_path, upstream, NOT_COVERED_NONE)
    assert report.new_operations == [] and report.exit_code == 0
    upstream["paths"]["/things"] = {"post": {"responses": {"200": _json("#/components/schemas/Thing")}}}
    report = _check(tmp_path, upstream, NOT_COVERED_NONE)
    assert report.new_operations == ["POST /things"] and report.exit_code == 1
    assert "## New upstream operations (1)" in drift.render(report, "markdown")
    assert json.loads(drift.render(report, "json"))["coverage"]["new_operations"] == ["POST /things"]
    # reviewed as not covered: no longer news
    assert _check(tmp_path, upstream, 'not_covered = ["DELETE /things/{}", "POST /things"]\n').exit_code == 0
    # a file without the list (an older one) reports none
    assert _check(tmp_path, upstream, "").new_operations == []
    # an operation reviewed as not covered that is covered now (or gone upstream) is news too: the list is stale
    report = _check(tmp_path, upstream, 'not_covered = ["DELETE /things/{}", "POST /things", "GET /models"]\n')
    assert report.stale_not_covered == ["GET /models"] and report.exit_code == 1
    assert "## Stale `not_covered` entries (1)" in drift.render(report, "markdown")


def test_update_accepted_records_the_operations_not_covered(tmp_path):
    upstream = upstream_doc()
    upstream["paths"]["/things"] = {"post": {"responses": {"200": _json("#/components/schemas/Thing")}}}
    report = _check(tmp_path, upstream, NOT_COVERED_NONE)
    path = drift.update_accepted(report, tmp_path / "accepted.toml")
    assert 'not_covered = [\n    "DELETE /things/{}",\n    "POST /things",\n]' in path.read_text()
    assert _check(tmp_path, upstream, path.read_text()).exit_code == 0


def test_the_upstream_may_be_yaml_and_the_report_names_its_version(tmp_path):
    yaml = pytest.importorskip("yaml")
    schemas = tmp_path / "schemas"
    _check(tmp_path, upstream_doc())  # writes our schemas
    source = tmp_path / "openapi.yaml"
    document = upstream_doc()
    for operation in document["paths"]["/things/{thing_id}"].values():  # YAML's `200:` is a number
        operation["responses"] = {int(status): answer for status, answer in operation["responses"].items()}
    source.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert "\n        200:\n" in source.read_text(encoding="utf-8")
    report = drift.check(str(source), schemas_dir=schemas)
    assert not report.new and report.version == "1" and len(report.digest) == 64
    assert f"sha256 `{report.digest[:16]}`" in drift.render(report, "markdown")
    assert json.loads(drift.render(report, "json"))["upstream_sha256"] == report.digest
    source.write_text("paths: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"neither JSON .* nor YAML"):
        drift.check(str(source), schemas_dir=schemas)


def test_a_clean_night_is_a_few_lines(tmp_path):
    report = _check(tmp_path, _edited([*BASE, "kind", "enum"], ["a", "b", "c"]), ACCEPT_C)
    text = drift.render(report, "markdown")
    assert report.exit_code == 0 and "No news" in text and len(text.splitlines()) < 15, text
    assert "DECISIONS.md: kinds" not in text  # the reviewed table is in the JSON


def test_a_schema_without_an_upstream_counterpart_is_news_until_reviewed(tmp_path):
    ours = copy.deepcopy(OURS)
    ours["orphan"] = _schema("orphan", {"type": "object", "properties": {"x": {"type": "string"}}})
    ours["openapi"]["paths"]["/orphans"] = {"post": {"responses": {"200": _json("orphan.json")}}}
    report = _check(tmp_path, upstream_doc(), "", ours=ours)
    assert report.uncompared == ["orphan"] and report.new_unpaired == ["orphan"] and report.exit_code == 1
    assert "## Schemas without an upstream counterpart (1)" in drift.render(report, "markdown")
    reviewed = '[[unpaired]]\nobject = "orphan"\nreason = "upstream has no such operation"\n'
    report = _check(tmp_path, upstream_doc(), reviewed, ours=ours)
    assert report.new_unpaired == [] and [d.kind for d in report.new] == ["operation-removed"]  # /orphans itself
    # reviewed as unpaired, but compared now: the entry is stale news
    (tmp_path / "without").mkdir()
    report = _check(tmp_path / "without", upstream_doc(), reviewed)
    assert report.stale_unpaired == ["orphan"] and report.exit_code == 1
    with pytest.raises(ConfigError, match="unpaired"):
        _check(tmp_path, upstream_doc(), '[[unpaired]]\nobject = "orphan"\n', ours=ours)


# --- issue 18: constraints, statuses, headers, content types; broad entries; events paired by MAPPING ------------


def test_an_openapi_3_0_exclusive_bound_is_the_3_1_one(tmp_path):
    """`minimum: 0, exclusiveMinimum: true` is `exclusiveMinimum: 0`: ours says `minimum: 0`, so both differ."""
    report = _check(tmp_path, _edited(["Usage", "properties", "n", "exclusiveMinimum"], True))
    assert _found(report) == {
        ("thing.usage", "n", "constraint-added", "exclusiveMinimum: upstream 0"),
        ("thing.usage", "n", "constraint-removed", "minimum: ours 0"),
    }
    assert report.exit_code == 1


def test_layers_and_unions_of_bounds(tmp_path):
    """allOf layers both hold (the tighter bound); a union bounds a value only when every branch of its type does,
    and a null branch does not count. Spelled so, upstream's `id` has the same bound as ours."""
    upstream = _edited(["IdString"], {"allOf": [{"type": "string", "minLength": 0}, {"minLength": 1}]})
    upstream["components"]["schemas"]["Thing"]["allOf"][1]["properties"]["note"] = {
        "anyOf": [{"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 9}, {"type": "null"}]
    }
    ours = copy.deepcopy(OURS)
    ours["thing"]["properties"]["note"] = {"type": ["string", "null"], "maxLength": 9}
    assert _found(_check(tmp_path, upstream, ours=ours)) == set()
    upstream["components"]["schemas"]["Thing"]["allOf"][1]["properties"]["note"]["anyOf"][1] = {"type": "string"}
    found = _found(_check(tmp_path, upstream, ours=ours))
    assert found == {("thing", "note", "constraint-removed", "maxLength: ours 9")}


TOO_MANY = {
    "description": "Rate limited",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def _ours_answering(status: str, answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ours = copy.deepcopy(OURS)
    ours["openapi"]["paths"]["/things/{id}"]["get"]["responses"][status] = answer
    return ours


def _upstream_answering(status: str, answer: dict[str, Any]) -> dict[str, Any]:
    upstream = upstream_doc()
    upstream["components"]["responses"] = {"TooManyRequests": answer}
    responses = upstream["paths"]["/things/{thing_id}"]["get"]["responses"]
    responses[status] = {"$ref": "#/components/responses/TooManyRequests"}
    return upstream


def test_a_status_upstream_adds_is_named(tmp_path):
    report = _check(tmp_path, _upstream_answering("429", TOO_MANY))
    assert _found(report) == {("openapi", "GET /things/{}", "status-added", "429")} and report.exit_code == 1
    assert "status-added: 429" in drift.render(report, "markdown")


def test_a_status_upstream_does_not_document_is_named(tmp_path):
    ours = _ours_answering("404", {"content": {"application/json": {"schema": {"type": "object"}}}})
    report = _check(tmp_path, upstream_doc(), ours=ours)
    assert _found(report) == {("openapi", "GET /things/{}", "status-removed", "404")} and report.exit_code == 1


def test_a_response_header_upstream_adds_is_named(tmp_path):
    """Upstream adds Retry-After to the 429 both document (through a `$ref` to components.responses)."""
    ours = _ours_answering("429", {"content": {"application/json": {"schema": {"type": "object"}}}})
    report = _check(tmp_path, _upstream_answering("429", TOO_MANY), ours=ours)
    assert _found(report) == {("openapi", "GET /things/{} 429", "header-added", "retry-after")}
    assert report.exit_code == 1
    # the same header on our side, spelled in another case: no difference
    ours["openapi"]["paths"]["/things/{id}"]["get"]["responses"]["429"]["headers"] = {"retry-after": {}}
    assert _found(_check(tmp_path, _upstream_answering("429", TOO_MANY), ours=ours)) == set()


def test_a_content_type_upstream_drops_is_named_not_stale(tmp_path):
    """Upstream's 200 loses `text/event-stream`: the content type is named, and the event schema it carried, left
    without a counterpart, is news too; with an entry accepting the event differences, that entry would be stale."""
    upstream = upstream_doc()
    del upstream["paths"]["/things/{thing_id}"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    report = _check(tmp_path, upstream)
    assert _found(report) == {("openapi", "GET /things/{} 200", "media-type-removed", "text/event-stream")}
    assert report.new_unpaired == ["thing.event"] and report.exit_code == 1


def test_a_content_type_upstream_adds_is_named(tmp_path):
    upstream = upstream_doc()
    upstream["paths"]["/things/{thing_id}"]["get"]["responses"]["200"]["content"]["application/x-ndjson"] = {}
    upstream["paths"]["/things/{thing_id}"]["get"]["requestBody"] = {"content": {"multipart/form-data": {}}}
    report = _check(tmp_path, upstream)
    assert _found(report) == {
        ("openapi", "GET /things/{} 200", "media-type-added", "application/x-ndjson"),
        ("openapi", "GET /things/{} request", "media-type-added", "multipart/form-data"),
    }
    assert report.exit_code == 1


def _newly_required(upstream: dict[str, Any], name: str) -> dict[str, Any]:
    base = upstream["components"]["schemas"]["ThingBase"]
    base["properties"][name] = {"type": "string"}
    base["required"] = [*base["required"], name]
    return upstream


BROAD = """
[[accepted]]
object = "thing"
at = "*"
kind = "property-added"
reason = "every property upstream adds"
"""


def test_a_newly_required_property_says_so_and_surfaces_under_a_broad_entry(tmp_path):
    upstream = _newly_required(_edited([*BASE, "colour"], {"type": "string"}), "size")
    report = _check(tmp_path, upstream, BROAD)
    assert [d.key for d, _ in report.accepted] == [("thing", "colour", "property-added", "")]
    assert _found(report) == {("thing", "size", "property-added", "required upstream")} and report.exit_code == 1
    assert "property-added: required upstream" in drift.render(report, "markdown")
    # only an entry naming it accepts it
    exact = '[[accepted]]\nobject = "thing"\nat = "size"\nkind = "property-added"\ndetail = "required upstream"\n'
    assert _check(tmp_path, upstream, BROAD + exact + 'reason = "reviewed"\n').exit_code == 0


def test_a_type_change_surfaces_under_a_broad_entry(tmp_path):
    """The issue's case: `usage.n` turning into a string is not absorbed by an entry for every difference of usage:
    such an entry cannot be written, and a group of another kind does not cover it."""
    upstream = _edited(["Usage", "properties", "n"], {"type": "string"})
    groups = '[[accepted]]\nobject = "thing.usage"\nat = "*"\nkind = "property-added"\nreason = "new counts"\n'
    report = _check(tmp_path, upstream, groups)
    assert _found(report) == {("thing.usage", "n", "type", "ours integer, upstream string")} and report.exit_code == 1
    for broad, problem in [
        ('at = "*"\n', "needs a kind"),
        ('at = "*"\nkind = "type"\n', "names its path without `[*]` and its detail"),
        ('at = "n*"\nkind = "type"\ndetail = "ours integer, upstream string"\n', "without `[*]`"),
        ('at = "n"\nkind = "type"\n', "and its detail"),
        ('at = "{n,m}"\nkind = "enum-removed"\n', "and its detail"),
        ('at = "*"\nkind = "nullable"\ndetail = "ours nullable, upstream not"\n', "without `[*]`"),
    ]:
        with pytest.raises(ConfigError, match=problem):
            _check(tmp_path, upstream, f'[[accepted]]\nobject = "thing.usage"\n{broad}reason = "broad"\n')
    # an entry naming the change accepts it; the next change of the same value is news again (and the entry stale)
    exact = '[[accepted]]\nobject = "thing.usage"\nat = "n"\nkind = "type"\ndetail = "ours integer, upstream string"\n'
    assert _check(tmp_path, upstream, exact + 'reason = "reviewed"\n').exit_code == 0
    report = _check(tmp_path, _edited(["Usage", "properties", "n"], {"type": "boolean"}), exact + 'reason = "r"\n')
    assert _found(report) == {("thing.usage", "n", "type", "ours integer, upstream boolean")} and report.stale


def test_a_removed_enum_value_surfaces_under_a_group_of_another_kind(tmp_path):
    upstream = _edited([*BASE, "kind", "enum"], ["a"])
    groups = '[[accepted]]\nobject = "thing"\nat = "*"\nkind = "enum-added"\nreason = "values upstream adds"\n'
    report = _check(tmp_path, upstream, groups)
    assert _found(report) == {("thing", "kind", "enum-removed", '"b"')} and report.exit_code == 1


def test_webhook_bodies_and_mapped_events_are_paired(tmp_path):
    """Our webhook body meets the union of upstream's `webhooks` bodies: a webhook upstream adds is an event
    type, named."""
    ours = copy.deepcopy(OURS)
    ours["webhook.event"] = _schema(
        "webhook.event",
        {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["thing.created", "thing.done"]}},
            "allOf": [
                {"if": {"properties": {"type": {"const": k}}}, "then": {"properties": {"data": {"type": "object"}}}}
                for k in ("thing.created", "thing.done")
            ],
        },
    )
    upstream = upstream_doc()

    def hook(kind: str) -> dict[str, Any]:
        body = {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": [kind]}, "data": {"type": "object"}},
        }
        return {"post": {"requestBody": {"content": {"application/json": {"schema": body}}}, "responses": {}}}

    upstream["webhooks"] = {"thing_created": hook("thing.created"), "thing_done": hook("thing.done")}
    report = _check(tmp_path, upstream, ours=ours)
    assert report.pairs["webhook.event"] == ["webhooks"] and "webhook.event" not in report.uncompared
    assert _found(report) == set(), drift.render(report, "markdown")
    upstream["webhooks"]["thing_deleted"] = hook("thing.deleted")
    report = _check(tmp_path, upstream, ours=ours)
    assert _found(report) == {("webhook.event", "type", "event-type-added", '"thing.deleted"')}
    assert {"realtime.client-event", "realtime.server-event"} <= set(drift.MAPPING)
