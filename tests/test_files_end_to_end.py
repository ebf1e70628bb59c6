"""Files and uploads end to end: the official `openai` SDK drives the reference server's /v1/files and /v1/uploads
routes, and each files or uploads fault of the reference server is caught through client, cases, plugin and
reports."""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance.reference import FAULTS
from tests._runs import assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-files-" + os.urandom(8).hex()
CASES = ("files/test_files.py", "uploads/test_uploads.py")
# Bytes a text-mode round trip would change: CR LF, LF, a NUL, bytes that are not UTF-8, no final newline.
DATA = b"line one\r\nline two\n\x00\xff\xfe end"

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "files-bytes-wrong": ["files.create.bytes"],
    "files-content-altered": ["files.content.round-trip"],
    "files-retrieve-renamed": ["files.retrieve.same"],
    "files-delete-kept": ["files.delete.deleted"],
    "files-purpose-filter-ignored": ["files.list.purpose-filter"],
    "files-list-unfiltered-empty": ["files.list.contains"],
    "files-after-ignored": ["files.pages.after-continues", "files.pages.walk-once"],
    "files-expires-ignored": ["files.create.expires-at"],
    "files-wrong-purpose-accepted": ["files.create.wrong-purpose"],
    "files-empty-accepted": ["files.create.empty"],
    "files-bad-jsonl-accepted": ["files.create.bad-jsonl"],
    "uploads-parts-unordered": ["uploads.complete.order"],
    "uploads-md5-ignored": ["uploads.complete.md5"],
    "uploads-cancelled-completable": ["uploads.complete.cancelled"],
    "uploads-oversize-accepted": ["uploads.complete.size"],
    "uploads-complete-no-file": ["uploads.complete.file"],
    "uploads-cancel-pending": ["uploads.cancel.cancelled"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_uploads_reads_lists_and_deletes_a_file(client) -> None:
    made = client.files.create(file=("round-trip.txt", DATA), purpose="user_data")
    assert (made.object, made.bytes, made.filename, made.purpose) == ("file", len(DATA), "round-trip.txt", "user_data")
    assert made.status == "processed" and made.id.startswith("file-") and made.expires_at is None
    assert client.files.retrieve(made.id) == made
    assert client.files.content(made.id).content == DATA, "byte for byte"
    assert made.id in [f.id for f in client.files.list(purpose="user_data")]
    assert made.id not in [f.id for f in client.files.list(purpose="assistants")]
    deleted = client.files.delete(made.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (made.id, "file", True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.files.content(made.id)


def test_the_sdk_sends_expires_after_and_pages_through_the_list(client) -> None:
    made = [
        client.files.create(
            file=(f"page-{n}.jsonl", b'{"n": %d}\n' % n), purpose="evals",
            expires_after={"anchor": "created_at", "seconds": 3600},
        )
        for n in range(3)
    ]  # fmt: skip
    assert all(f.expires_at == f.created_at + 3600 for f in made)
    walked = [f.id for f in client.files.list(purpose="evals", limit=2, order="asc")]
    assert walked == [f.id for f in made], "the SDK follows `after` over two pages"
    newest_first = client.files.list(purpose="evals", limit=2)
    assert [f.id for f in newest_first.data] == [made[2].id, made[1].id] and newest_first.has_more is True
    for f in made:
        client.files.delete(f.id)


def test_the_sdk_sees_refused_uploads_as_bad_requests(client) -> None:
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.files.create(file=("empty.txt", b""), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="not valid JSON"):
        client.files.create(file=("batch.jsonl", b'{"custom_id": "1"}\nnot json\n'), purpose="batch")
    assert client.files.list().data == [], "nothing was kept"


def test_the_sdk_uploads_in_parts_completes_and_cancels(client) -> None:
    first, second = b"first\r\n", b"second\x00\n"
    upload = client.uploads.create(filename="parts.txt", purpose="user_data", bytes=15, mime_type="text/plain")
    assert (upload.status, upload.bytes, upload.object, upload.file) == ("pending", 15, "upload", None)
    one = client.uploads.parts.create(upload.id, data=first)
    two = client.uploads.parts.create(upload.id, data=second)
    assert (one.object, one.upload_id) == ("upload.part", upload.id)
    with pytest.raises(openai.BadRequestError, match="md5"):
        client.uploads.complete(upload.id, part_ids=[two.id, one.id], md5=hashlib.md5(b"other").hexdigest())
    done = client.uploads.complete(upload.id, part_ids=[two.id, one.id], md5=hashlib.md5(second + first).hexdigest())
    assert done.status == "completed" and done.file is not None
    assert (done.file.bytes, done.file.filename, done.file.purpose) == (15, "parts.txt", "user_data")
    assert client.files.content(done.file.id).content == second + first, "in part_ids order"
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(upload.id, data=b"late")
    client.files.delete(done.file.id)

    other = client.uploads.create(filename="no.txt", purpose="user_data", bytes=1, mime_type="text/plain")
    with pytest.raises(openai.BadRequestError, match="more than"):
        client.uploads.parts.create(other.id, data=b"two")
    cancelled = client.uploads.cancel(other.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="cancelled"):
        client.uploads.complete(other.id, part_ids=[])


def test_the_sdk_uploads_a_file_chunked(client, tmp_path) -> None:
    if not hasattr(client.uploads, "upload_file_chunked"):
        pytest.skip("this openai SDK has no uploads.upload_file_chunked")
    path = tmp_path / "chunked.bin"
    data = os.urandom(100) + DATA
    path.write_bytes(data)
    done = client.uploads.upload_file_chunked(file=path, mime_type="application/octet-stream", purpose="user_data",
                                              part_size=16)  # fmt: skip
    assert done.status == "completed" and done.file is not None and done.file.filename == "chunked.bin"
    assert client.files.content(done.file.id).content == data, "eight parts, joined in order"
    client.files.delete(done.file.id)


def test_every_files_and_uploads_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith(("files-", "uploads-"))}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith(("files.", "uploads."))}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 30
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    kinds = [c["kind"] for c in resources["created"]]
    assert kinds.count("upload") == 4 and kinds.count("file") == 7, "6 uploaded, 1 made by a completed upload"
