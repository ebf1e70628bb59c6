"""Containers end to end: the official `openai` SDK drives the reference server's /v1/containers routes, and each
containers fault of the reference server is caught through client, cases, plugin and reports."""

from __future__ import annotations

import os
import textwrap

import httpx
import pytest

from conformance.reference import FAULTS, ServerConfig, serve
from tests._runs import KEY_ENV, assert_caught, certify
from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

pytest_plugins = ["pytester"]

KEY = "sk-containers-" + os.urandom(8).hex()
CASES = ("containers/test_containers.py",)
DATA = b"line one\r\nline two\n\x00\xff\xfe end"

# fault -> the requirements its run must fail (warn, for a SHOULD rule)
CAUGHT = {
    "containers-object-wrong": ["containers.object.shape"],
    "containers-name-dropped": ["containers.create.name"],
    "containers-expires-ignored": ["containers.create.expires-after"],
    "containers-status-expired": ["containers.create.status"],
    "containers-file-ids-ignored": ["containers.create.file-ids"],
    "containers-retrieve-renamed": ["containers.retrieve.same"],
    "containers-list-stale": ["containers.list.contains"],
    "containers-delete-kept": ["containers.delete.deleted"],
    "containers-delete-files-kept": ["containers.delete.files-gone"],
    "containers-after-ignored": ["containers.pages.after-continues", "containers.pages.walk-once"],
    "containers-files-bytes-wrong": ["containers.files.create.bytes"],
    "containers-files-wrong-container": ["containers.files.create.container-id"],
    "containers-files-path-bare": ["containers.files.create.path"],
    "containers-files-source-assistant": ["containers.files.create.source"],
    "containers-files-file-id-empty": ["containers.files.create.from-file-id"],
    "containers-files-content-altered": ["containers.files.content.round-trip"],
    "containers-files-retrieve-shifted": ["containers.files.retrieve.same"],
    "containers-files-not-listed": ["containers.files.list.contains"],
    "containers-files-delete-kept": ["containers.files.delete.deleted"],
    "containers-files-page-repeat": ["containers.files.pages.after-continues", "containers.files.pages.walk-once"],
}


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_creates_reads_lists_and_deletes_a_container(client) -> None:
    source = client.files.create(file=("copied.csv", b"a,b\n1,2\n"), purpose="user_data")
    made = client.containers.create(name="sdk", expires_after={"anchor": "last_active_at", "minutes": 5},
                                    file_ids=[source.id])  # fmt: skip
    assert (made.object, made.name, made.status) == ("container", "sdk", "running")
    assert made.expires_after is not None and (made.expires_after.anchor, made.expires_after.minutes) == (
        "last_active_at", 5)  # fmt: skip
    assert client.containers.retrieve(made.id).model_dump() == made.model_dump()
    assert made.id in [c.id for c in client.containers.list(limit=100)]
    copied = client.containers.files.list(made.id).data
    assert [(f.bytes, f.path, f.source) for f in copied] == [(8, "/mnt/data/copied.csv", "user")]
    assert client.containers.delete(made.id) is None, "the SDK reads no body"
    with pytest.raises(openai.NotFoundError):
        client.containers.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.containers.files.retrieve(copied[0].id, container_id=made.id)
    client.files.delete(source.id)


def test_the_sdk_puts_reads_pages_and_deletes_container_files(client) -> None:
    box = client.containers.create(name="files")
    uploaded = client.containers.files.create(box.id, file=("data.bin", DATA))
    assert (uploaded.object, uploaded.bytes, uploaded.container_id, uploaded.path) == (
        "container.file", len(DATA), box.id, "/mnt/data/data.bin")  # fmt: skip
    source = client.files.create(file=("by-id.txt", b"by id"), purpose="user_data")
    by_id = client.containers.files.create(box.id, file_id=source.id)
    assert by_id.bytes == 5 and by_id.path == "/mnt/data/by-id.txt"
    assert client.containers.files.retrieve(uploaded.id, container_id=box.id).model_dump() == uploaded.model_dump()
    assert client.containers.files.content.retrieve(uploaded.id, container_id=box.id).content == DATA
    assert client.containers.files.content.retrieve(by_id.id, container_id=box.id).content == b"by id"
    walked = [f.id for f in client.containers.files.list(box.id, limit=1, order="asc")]
    assert walked == [uploaded.id, by_id.id], "the SDK follows `after` over two pages"
    assert client.containers.files.delete(uploaded.id, container_id=box.id) is None
    with pytest.raises(openai.NotFoundError):
        client.containers.files.content.retrieve(uploaded.id, container_id=box.id)
    client.containers.delete(box.id)
    client.files.delete(source.id)


def test_the_api_answers_deletions_with_a_body_and_refuses_mistakes(client) -> None:
    box = client.containers.create(name="plain")
    headers = {"Authorization": f"Bearer {KEY}"}
    base = str(client.base_url).rstrip("/")
    with pytest.raises(openai.BadRequestError):
        client.containers.create(name="bad", expires_after={"anchor": "created_at", "minutes": 5})  # type: ignore[typeddict-item]
    with pytest.raises(openai.NotFoundError):
        client.containers.files.create(box.id, file_id="file-none")
    with pytest.raises(openai.BadRequestError):
        client.containers.files.list(box.id, limit=0)
    deleted = httpx.delete(f"{base}/containers/{box.id}", headers=headers)
    assert deleted.json() == {"id": box.id, "object": "container.deleted", "deleted": True}


def test_every_containers_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("containers-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    results = certify(pytester, monkeypatch, frozenset({fault}), CASES, "--oai-retries", "0", only=rules)
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_the_same_cases_pass_without_a_fault(pytester, monkeypatch) -> None:
    results = certify(pytester, monkeypatch, frozenset(), CASES, "--oai-retries", "0")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("containers.")}
    assert judged == dict.fromkeys(judged, "pass") and len(judged) == 33
    assert results["verdict"] == "conformant"
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    kinds = [c["kind"] for c in resources["created"]]
    assert kinds.count("container") == 3 and kinds.count("container.file") == 2 and kinds.count("file") == 2


INTERRUPTED = """
    import os, signal

    import pytest

    @pytest.mark.requirement("containers.create.name")
    def test_creates_then_is_interrupted(oai_client, oai_judge):
        made = oai_client.request("POST", "/containers", json={"name": "interrupted"}).response.json
        oai_client.request("POST", f"/containers/{made['id']}/files", files=[("file", ("a.txt", b"a"))])
        os.kill(os.getpid(), signal.SIGINT)
"""


def test_an_interrupted_run_deletes_its_containers(pytester, monkeypatch) -> None:
    from tests.test_ledger import children_get_the_default_sigint

    monkeypatch.setenv(KEY_ENV, KEY)
    pytester.makepyfile(test_interrupted=textwrap.dedent(INTERRUPTED))
    with serve(ServerConfig(api_key=KEY)) as server, children_get_the_default_sigint():
        result = pytester.runpytest_subprocess(
            "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "--oai-report-dir", "out",
            "--oai-allow-costly",
        )
        assert result.ret != 0
        left = httpx.get(f"{server.base_url}/containers", headers={"Authorization": f"Bearer {KEY}"}).json()
        assert left["data"] == [], result.stdout.str()[-1500:]
