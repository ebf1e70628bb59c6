"""`schemas/openapi.json`: a valid OpenAPI 3.1 document whose every `$ref` resolves, wiring every operation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import schemathesis
from schemathesis.core.result import Ok

from conformance import schemas
from conformance.generation import OPENAPI, operations
from conformance.provision import MAKERS
from conformance.schemas import SCHEMAS_DIR, names
from tests._shared import SHARED

DOCUMENT = json.loads((SCHEMAS_DIR / OPENAPI).read_text(encoding="utf-8"))


def load(document: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(copy.deepcopy(document), config=schemathesis.Config())


def pointer(document: Any, fragment: str) -> Any:
    target = document
    for part in [p for p in fragment.lstrip("/").split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


def test_it_is_a_valid_openapi_3_1_document():
    assert DOCUMENT["openapi"].startswith("3.1.")
    load(DOCUMENT).validate()  # schemathesis checks it against the OpenAPI 3.1 meta-schema


def test_a_broken_document_is_refused():
    """The control: the validation above can fail."""
    broken = copy.deepcopy(DOCUMENT)
    broken["paths"]["/models"]["get"]["responses"] = "none"
    with pytest.raises(Exception, match=r"responses|not of type|object"):
        load(broken).validate()


def test_every_ref_resolves_to_a_schema_file_and_a_pointer_in_it():
    found = list(schemas.refs(DOCUMENT))
    assert found
    for ref in found:
        file, _, fragment = ref.partition("#")
        if not file:
            pointer(DOCUMENT, fragment)  # KeyError: a local ref to nothing
            continue
        assert file.endswith(".json") and file.removesuffix(".json") in names(), f"{ref}: no schema file {file}"
        pointer(json.loads((SCHEMAS_DIR / file).read_text(encoding="utf-8")), fragment)


# Every documented operation is wired. Seed 000's /v1/graders exists nowhere else (not upstream, not the SDK, not
# seed 003): all six are wired under the feature `graders`, claimed only by name (DECISIONS.md: graders-seed-000);
# voice consents are read from the account's list, as a run cannot make one.


DOCUMENTED = SHARED / "documented-operations.tsv"


@pytest.mark.skipif(not DOCUMENTED.is_file(), reason=f"no {DOCUMENTED}")
def test_every_documented_operation_is_wired():
    rows = [line.split("\t") for line in DOCUMENTED.read_text(encoding="utf-8").splitlines()]
    documented = {f"{method} {path.removeprefix('/v1')}" for method, path, *_ in rows[1:]}
    wired = {op.label for op in operations()}
    assert documented - wired == set()
    assert wired <= documented | {"POST /responses/input_tokens", "POST /responses/compact"}, wired - documented


def test_every_path_parameter_names_a_model_or_an_object_the_run_creates():
    for op in operations():
        created = dict(op.created_by)
        for name in op.path_parameters:
            assert name == "model" or created.get(name) in MAKERS, f"{op.label}: {{{name}}} names nothing the run makes"


def test_every_operation_is_wired():
    wired = {op.label: op for op in operations()}
    assert wired["POST /chat/completions"].request_schema == "chat.completion.request"
    assert wired["POST /chat/completions"].response_schema == "chat.completion"
    assert wired["POST /chat/completions"].event_schema == "chat.completion.chunk"
    assert wired["POST /completions"].request_schema == "completion.request"
    assert wired["POST /completions"].response_schema == "completion"
    assert wired["POST /completions"].event_schema == "completion.chunk"
    assert wired["POST /embeddings"].request_schema == "embeddings.request"
    assert wired["POST /embeddings"].response_schema == "embeddings.list"
    assert wired["POST /moderations"].request_schema == "moderation.request"
    assert wired["POST /moderations"].response_schema == "moderation"
    assert wired["POST /moderations"].event_schema is None
    assert wired["GET /models"].response_schema == "models.list"
    assert wired["GET /chat/completions"].response_schema == "chat.completion.list"
    assert wired["GET /chat/completions"].feature == "chat.store"
    assert wired["GET /chat/completions"].request_schema is None
    assert wired["GET /models/{model}"].response_schema == "model"
    assert wired["POST /responses"].request_schema == "response.create.request"
    assert wired["POST /responses"].response_schema == "response"
    assert wired["POST /responses"].event_schema == "response.stream-event"
    assert wired["POST /conversations"].request_schema == "conversation.create.request"
    assert wired["POST /conversations"].response_schema == "conversation"
    assert wired["POST /batches"].request_schema == "batch.create.request"
    assert wired["POST /batches"].response_schema == "batch"
    assert not wired["POST /batches"].generate, "a valid body names a file the run uploaded: never generated"
    assert wired["GET /batches"].response_schema == "batch.list"
    assert dict(wired["GET /batches/{batch_id}"].created_by) == {"batch_id": "batch"}
    assert dict(wired["POST /batches/{batch_id}/cancel"].created_by) == {"batch_id": "batch"}
    for op in operations():
        responses = DOCUMENT["paths"][op.path][op.method.lower()]["responses"]
        assert {"401", "429", "500"} <= set(responses), op.label
        assert "200" in responses or (op.label, set(responses) & {"200", "201"}) == ("POST /realtime/calls", {"201"})
        assert op.error_schema == "error"


def test_schemathesis_sees_every_operation():
    loaded = schemathesis.openapi.from_path(SCHEMAS_DIR / OPENAPI, config=schemathesis.Config())
    assert all(isinstance(r, Ok) for r in loaded.get_all_operations())  # an unresolvable file ref is an Err
    seen = {f"{r.ok().method.upper()} {r.ok().path}" for r in loaded.get_all_operations()}
    assert seen == {op.label for op in operations()}


def test_an_operation_whose_answer_is_not_json_is_never_generated():
    """transports: a Realtime call answers SDP or nothing, which the generated phase has no schema to judge by."""
    plain = [op for op in operations() if not op.response_schema]
    assert {op.label for op in plain} >= {"POST /realtime/calls", "POST /realtime/calls/{call_id}/hangup"}
    assert not [op.label for op in plain if op.generate]
