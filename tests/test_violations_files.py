"""Every files and uploads rule can fail, and says why: one violating subject per rule.

As in test_violations_chat_store.py: each row names a requirement, the violation, a factory of a VALID subject
(built by the reference server's own store functions, no HTTP) and one mutation that breaks the rule. The seeds'
example file objects and the upstream upload examples are accepted by the schemas.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.files import FileLifecycle, SentFile
from conformance.checks.uploads import UploadLifecycle
from conformance.judgement import Status, judge
from conformance.reference import files as ref
from conformance.reference import uploads as ref_uploads
from conformance.reference._config import ServerConfig
from conformance.reference._ids import Ids
from conformance.requirements import Level, catalogue
from conformance.schemas import validate
from tests.test_violations import Http, answer
from tests.test_violations_responses import V, page_rows

DATA = "oai-conformance\r\nround trip\n\tcafé 20€ no final newline".encode()
FIRST, SECOND = b"first part\r\n", b"second part\n"
CONFIG = ServerConfig()


def error(status: int, message: str, path: str, method: str = "GET", param: str | None = None) -> Http:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return Http(None, body, status, path=path, method=method)


@dataclass
class FileLife:
    created: Http
    steps: list[list[Any]]  # [name, Http]
    sent: SentFile

    def subject(self) -> FileLifecycle:
        steps = tuple((name, http.subject()) for name, http in self.steps)
        return FileLifecycle(self.created.subject(), steps, sent=self.sent)

    def step(self, name: str) -> Http:
        return next(http for what, http in self.steps if what == name)


def get(path: str, body: Any, content_type: str = "application/json") -> Http:
    return Http(None, body, path=path, method="GET", content_type=content_type)


def file_life() -> FileLife:
    store = ref.FileStore(Ids())
    sent = SentFile("oai-conformance-life.txt", "user_data", DATA)
    made = store.add(sent.purpose, sent.filename, sent.data)
    other = store.add("assistants", "other.txt", b"another purpose")
    path = f"/files/{made['id']}"
    stored = store.get(made["id"])
    assert stored is not None
    steps = [
        ["retrieve", get(path, ref.answered(stored, CONFIG))],
        ["content", get(f"{path}/content", ref.content(stored, CONFIG), "application/octet-stream")],
        ["list", get("/files", ref.listing({}, store, CONFIG))],
        ["created", Http(None, other, path="/files")],
        ["list-purpose", get("/files?purpose=user_data", ref.listing({"purpose": "user_data"}, store, CONFIG))],
        ["delete", Http(None, {"id": made["id"], "object": "file", "deleted": True}, path=path, method="DELETE")],
        ["retrieve-deleted", error(404, f"No such File object: {made['id']}", path, param="id")],
        ["content-deleted", error(404, f"No such File object: {made['id']}", f"{path}/content", param="id")],
    ]
    return FileLife(Http(None, made, path="/files"), steps, sent)


def expiring() -> FileLife:
    store = ref.FileStore(Ids())
    sent = SentFile("oai-conformance-expiry.txt", "user_data", b"expires in a day", expires_after=86_400)
    made = store.add(sent.purpose, sent.filename, sent.data, expires_after=86_400)
    return FileLife(Http(None, made, path="/files"), [["retrieve", get(f"/files/{made['id']}", dict(made))]], sent)


def refused() -> Http:
    return error(400, "Invalid value for 'purpose'.", "/files", "POST", "purpose")


def answered(step: str, status: int, body: Any) -> Any:
    """Replace the answer of one step of a lifecycle."""

    def mutate(spec: Any) -> None:
        http = spec.step(step)
        http.status, http.body = status, copy.deepcopy(body)

    return mutate


def still_there(spec: FileLife) -> None:
    gone = spec.step("retrieve-deleted")
    gone.status, gone.body = 200, spec.created.body


# --- uploads ------------------------------------------------------------------------------------------------


@dataclass
class UploadLife:
    created: Http
    steps: list[list[Any]]
    parts: tuple[bytes, ...] = ()

    def subject(self) -> UploadLifecycle:
        steps = tuple((name, http.subject()) for name, http in self.steps)
        return UploadLifecycle(self.created.subject(), steps, parts=self.parts)

    def step(self, name: str) -> Http:
        return next(http for what, http in self.steps if what == name)


class Made:
    """A reference upload store and the upload created in it."""

    def __init__(self, size: int) -> None:
        self.ids, self.store, self.files = Ids(), ref_uploads.UploadStore(), ref.FileStore(Ids())
        self.request = {
            "filename": "oai-conformance.txt",
            "purpose": "user_data",
            "bytes": size,
            "mime_type": "text/plain",
        }
        self.body = ref_uploads.create(self.request, self.ids, self.store)
        self.path = f"/uploads/{self.body['id']}"

    def part(self, data: bytes) -> Http:
        return Http(
            None, ref_uploads.add_part(self.body["id"], data, self.ids, self.store, CONFIG), path=f"{self.path}/parts"
        )

    def complete(self, part_ids: list[str], md5: str | None = None) -> Http:
        request: dict[str, Any] = {"part_ids": part_ids, **({"md5": md5} if md5 else {})}
        done = ref_uploads.complete(self.body["id"], request, self.store, self.files, CONFIG)
        return Http(request, done, path=f"{self.path}/complete")

    def created(self) -> Http:
        return Http(self.request, self.body, path="/uploads")


def upload_life() -> UploadLife:
    made = Made(len(FIRST) + len(SECOND))
    first, second = made.part(FIRST), made.part(SECOND)
    order = [second.body["id"], first.body["id"]]
    done = made.complete(order, hashlib.md5(SECOND + FIRST).hexdigest())
    stored = made.files.get(done.body["file"]["id"])
    assert stored is not None
    content = get(f"/files/{stored.body['id']}/content", stored.data, "application/octet-stream")
    return UploadLife(made.created(), [["part", first], ["part", second], ["complete", done], ["content", content]],
                      (FIRST, SECOND))  # fmt: skip


def wrong_md5() -> UploadLife:
    made = Made(len(FIRST))
    part = made.part(FIRST)
    request = {"part_ids": [part.body["id"]], "md5": hashlib.md5(b"other").hexdigest()}
    done = error(400, "The md5 checksum given does not match the bytes uploaded.", f"{made.path}/complete", "POST")
    done.request = request
    return UploadLife(made.created(), [["part", part], ["complete-md5", done]], (FIRST,))


def beyond() -> UploadLife:
    made = Made(len(FIRST))
    part = made.part(FIRST)
    over = error(400, "Adding this Part would make the Upload too large.", f"{made.path}/parts", "POST", "data")
    return UploadLife(made.created(), [["part", part], ["part-over", over]], (FIRST, SECOND))


def beyond_refused_at_completion() -> UploadLife:
    spec = beyond()
    spec.step("part-over").status, spec.step("part-over").body = (
        200,
        {"id": "part_2", "object": "upload.part", "created_at": 1_719_186_911, "upload_id": spec.created.body["id"]},
    )
    done = error(400, "The Parts add up to more bytes than the Upload.", f"{spec.created.body['id']}/complete", "POST")
    spec.steps.append(["complete-over", done])
    return spec


def cancelled() -> UploadLife:
    made = Made(len(FIRST))
    part = made.part(FIRST)
    cancel = Http(None, ref_uploads.cancel(made.body["id"], made.store, CONFIG), path=f"{made.path}/cancel")
    late = error(400, "Cannot add a Part to an Upload with status 'cancelled'.", f"{made.path}/parts", "POST")
    done = error(400, "Cannot complete an Upload with status 'cancelled'.", f"{made.path}/complete", "POST")
    done.request = {"part_ids": [part.body["id"]]}
    steps = [["part", part], ["cancel", cancel], ["part-cancelled", late], ["complete-cancelled", done]]
    return UploadLife(made.created(), steps, (FIRST,))


COMPLETED = {"id": "upload_1", "object": "upload", "bytes": 12, "created_at": 1_719_184_911, "filename": "a.txt",
             "purpose": "user_data", "status": "completed", "expires_at": 1_719_188_511,
             "file": {"id": "file-1", "object": "file", "bytes": 12, "created_at": 1_719_184_911, "filename": "a.txt",
                      "purpose": "user_data", "status": "processed"}}  # fmt: skip
PART = {"id": "part_1", "object": "upload.part", "created_at": 1_719_184_911, "upload_id": "upload_1"}


VIOLATIONS: list[V] = [
    V("files.object.shape", "no status", file_life, lambda s: s.created.body.pop("status"),
      "'status' is a required property"),
    V("files.object.shape", "bytes as a string on retrieve", file_life,
      lambda s: s.step("retrieve").body.update(bytes="16"), "'16'"),
    V("files.create.bytes", "one byte more", file_life, lambda s: s.created.body.update(bytes=len(DATA) + 1),
      "the size of the file sent"),
    V("files.create.filename", "another name", file_life, lambda s: s.created.body.update(filename="upload"),
      "the name the file was sent with"),
    V("files.create.purpose", "another purpose", file_life, lambda s: s.created.body.update(purpose="assistants"),
      "the purpose it was sent with"),
    V("files.create.status", "status error", file_life, lambda s: s.created.body.update(status="error"),
      "for a valid file just uploaded"),
    V("files.create.expires-at", "expires_after ignored", expiring, lambda s: s.created.body.pop("expires_at"),
      "86400 s after created_at"),
    V("files.content.round-trip", "CR LF rewritten", file_life,
      lambda s: setattr(s.step("content"), "body", DATA.replace(b"\r\n", b"\n")), "at byte 15"),
    V("files.retrieve.same", "renamed on retrieve", file_life,
      lambda s: s.step("retrieve").body.update(filename="renamed.txt"), "as the upload answered"),
    V("files.delete.deleted", "still there after delete", file_life, still_there, "404 for the deleted file"),
    V("files.list.contains", "the file not listed", file_life,
      lambda s: s.step("list").body.update(data=[], first_id=None, last_id=None), "among them"),
    V("files.list.purpose-filter", "the filter ignored", file_life,
      lambda s: s.step("list-purpose").body["data"].append(s.step("created").body), "of another purpose"),
    V("files.create.wrong-purpose", "a made-up purpose accepted", refused, answer(200, COMPLETED["file"]),
      "status 400"),
    V("files.create.empty", "an empty file refused with a flat error", refused,
      answer(400, {"object": "error", "message": "empty", "code": 400}), "'error' is a required property"),
    V("files.create.bad-jsonl", "a bad batch file refused with 422", refused,
      answer(422, {"detail": [{"loc": ["body", "file"], "msg": "bad line"}]}), "422"),
    *page_rows("files.pages"),
    V("uploads.object.shape", "no expires_at", upload_life, lambda s: s.created.body.pop("expires_at"),
      "'expires_at' is a required property"),
    V("uploads.object.shape", "status done on complete", upload_life,
      lambda s: s.step("complete").body.update(status="done"), "'done'"),
    V("uploads.create.pending", "created as completed", upload_life,
      lambda s: s.created.body.update(status="completed"), "'pending'"),
    V("uploads.create.pending", "bytes not echoed", upload_life, lambda s: s.created.body.update(bytes=1),
      "as asked"),
    V("uploads.part.shape", "a part of another upload", upload_life,
      lambda s: s.step("part").body.update(upload_id="upload_other"), "the upload"),
    V("uploads.complete.file", "completed without the file", upload_life,
      lambda s: s.step("complete").body.update(file=None), "the File the upload became"),
    V("uploads.complete.order", "parts joined in the order added", upload_life,
      lambda s: setattr(s.step("content"), "body", FIRST + SECOND), "part_ids order"),
    V("uploads.complete.md5", "a wrong md5 accepted", wrong_md5, answered("complete-md5", 200, COMPLETED),
      "status 400"),
    V("uploads.complete.size", "parts beyond bytes completed", beyond_refused_at_completion,
      answered("complete-over", 200, COMPLETED), "a 4xx refusal"),
    V("uploads.complete.size", "a part beyond bytes refused with 500", beyond,
      lambda s: setattr(s.step("part-over"), "status", 500), "a 4xx refusal"),
    V("uploads.complete.cancelled", "a cancelled upload completed", cancelled,
      answered("complete-cancelled", 200, COMPLETED), "completing a cancelled upload"),
    V("uploads.cancel.cancelled", "cancel answers pending", cancelled,
      lambda s: s.step("cancel").body.update(status="pending"), "'cancelled'"),
    V("uploads.cancel.cancelled", "a part accepted after the cancel", cancelled,
      answered("part-cancelled", 200, PART), "a part added to a cancelled upload"),
]  # fmt: skip


def _param(v: V) -> Any:
    return pytest.param(v, id=f"{v.rid}: {v.what}")


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    spec = v.good()
    v.mutate(spec)
    [obs] = judge(spec.subject(), [v.rid])
    wanted = Status.FAIL if catalogue()[v.rid].level is Level.MUST else Status.WARN
    assert obs.status is wanted, obs
    assert obs.failures
    for failure in obs.failures:
        assert failure.requirement == v.rid
        assert "Received:" in failure.message and "Expected:" in failure.message, failure.message
    assert v.shows in "\n".join(str(f) for f in obs.failures), f"{v.shows!r} not quoted in {obs.failures}"


@pytest.mark.parametrize("v", [_param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    [obs] = judge(v.good().subject(), [v.rid])
    assert obs.status is Status.PASS, obs


def test_every_files_and_uploads_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith(("files.", "uploads."))}


LOOSER = [
    ("uploads.complete.size", "parts beyond bytes accepted, the completion refused", beyond_refused_at_completion),
    ("files.delete.deleted", "no content-deleted step", lambda: _without(file_life(), "content-deleted")),
]


def _without(spec: FileLife, name: str) -> FileLife:
    spec.steps = [s for s in spec.steps if s[0] != name]
    return spec


@pytest.mark.parametrize(("rid", "what", "spec"), LOOSER, ids=[f"{r}: {w}" for r, w, _ in LOOSER])
def test_looser_answers_pass(rid: str, what: str, spec: Any) -> None:
    [obs] = judge(spec().subject(), [rid])
    assert obs.status is Status.PASS, obs


def test_a_failed_upload_skips_what_needs_the_file_and_fails_the_shape() -> None:
    spec = file_life()
    spec.created = refused()
    spec.steps = []
    assert judge(spec.subject(), ["files.object.shape"])[0].status is Status.FAIL
    for rid in ("files.create.bytes", "files.retrieve.same", "files.content.round-trip"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and obs.reason, obs


# The seeds' file objects (000 File Object, 003 Upload File Response, 002 List files, 002 Delete file) and
# upstream's upload examples.
SEED_FILE = {
    "id": "file-abc123",
    "object": "file",
    "bytes": 120000,
    "created_at": 1677610602,
    "filename": "salesOverview.pdf",
    "purpose": "assistants",
    "status": "processed",
    "status_details": None,
}
SEED_LIST = {
    "data": [
        {
            "id": "file-abc123",
            "object": "file",
            "bytes": 175,
            "created_at": 1613677385,
            "filename": "train.jsonl",
            "purpose": "fine-tune",
            "status": "processed",
        }
    ],
    "object": "list",
}
UPLOAD_EXAMPLE = {"id": "upload_abc123", "object": "upload", "bytes": 2147483648, "created_at": 1719184911,
                  "filename": "training_examples.jsonl", "purpose": "fine-tune", "status": "completed",
                  "expires_at": 1719127296, "file": {"id": "file-xyz321", "object": "file", "bytes": 2147483648,
                                                     "created_at": 1719186911, "filename": "training_examples.jsonl",
                                                     "purpose": "fine-tune", "status": "processed"}}  # fmt: skip


def test_the_documented_examples_are_valid() -> None:
    assert not validate("file", SEED_FILE)
    assert not validate("file", {**SEED_FILE, "expires_at": 1680202602, "purpose": "evals"})
    assert not validate("file.list", SEED_LIST)
    assert not validate("file.deleted", {"id": "file-abc123", "object": "file", "deleted": True})
    assert not validate("upload", UPLOAD_EXAMPLE)
    assert not validate("upload", {**UPLOAD_EXAMPLE, "status": "pending", "file": None})
    assert not validate("upload.part", {"id": "part_def456", "object": "upload.part", "created_at": 1719186911,
                                        "upload_id": "upload_abc123"})  # fmt: skip
    assert not validate("upload.create.request", {"filename": "training_examples.jsonl", "purpose": "fine-tune",
                                                  "bytes": 2147483648, "mime_type": "text/jsonl"})  # fmt: skip
    assert not validate(
        "upload.complete.request", {"part_ids": ["part_def456"], "md5": "d41d8cd98f00b204e9800998ecf8427e"}
    )
    expiring_upload = {"anchor": "created_at", "seconds": 3600}
    assert not validate(
        "file.create.request", {"file": "<file>", "purpose": "user_data", "expires_after": expiring_upload}
    )
    for bad in (
        {"file": "<file>"},
        {"file": "<file>", "purpose": "batch_output"},
        {"file": "<file>", "purpose": "x"},
        {"file": "<file>", "purpose": "batch", "expires_after": {"anchor": "created_at", "seconds": 60}},
    ):
        assert validate("file.create.request", bad), bad
    assert validate("upload.create.request", {"filename": "a", "purpose": "user_data", "bytes": 0, "mime_type": "x"})


def test_the_reference_answers_are_valid() -> None:
    spec = upload_life()
    assert not validate("upload", spec.created.body)
    assert not validate("upload", spec.step("complete").body)
    assert not validate("upload.part", spec.step("part").body)
    life = file_life()
    assert not validate("file", life.created.body) and not validate("file.list", life.step("list").body)
    assert copy.deepcopy(life.step("content").body) == DATA
