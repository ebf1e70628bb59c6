"""Containers: one container over its life (a file copied in by `file_ids`, retrieve, list, its files, delete with
its files), the files put in it (an upload and a copy by `file_id`: retrieve, content byte for byte, list, pages,
delete), and the containers list's pages.

Each container is billed as a code interpreter session, so the run makes three: the life case's, and two that the
pages case walks in pages of one. The containers list is the account's, so it is read filtered by a name of the
run's own. What a case creates it deletes; the ledger deletes the rest (a container's files go with it).
"""

import os

import pytest

from conformance.case import requirement, walk
from conformance.checks.containers import ContainerFileLife, ContainerLife, PutFile, SentContainer

LIFE = (
    "containers.object.shape",
    "containers.create.name",
    "containers.create.expires-after",
    "containers.create.status",
    "containers.create.file-ids",
    "containers.retrieve.same",
    "containers.list.contains",
    "containers.delete.deleted",
    "containers.delete.files-gone",
)
FILE_LIFE = (
    "containers.files.object.shape",
    "containers.files.create.bytes",
    "containers.files.create.container-id",
    "containers.files.create.path",
    "containers.files.create.source",
    "containers.files.create.from-file-id",
    "containers.files.content.round-trip",
    "containers.files.retrieve.same",
    "containers.files.list.contains",
    "containers.files.delete.deleted",
)
PAGES = (
    "containers.pages.limit",
    "containers.pages.has-more",
    "containers.pages.first-last-ids",
    "containers.pages.after-continues",
    "containers.pages.walk-once",
    "containers.pages.order-reverses",
    "containers.pages.invalid-limit",
)
FILE_PAGES = (
    "containers.files.pages.limit",
    "containers.files.pages.has-more",
    "containers.files.pages.first-last-ids",
    "containers.files.pages.after-continues",
    "containers.files.pages.walk-once",
    "containers.files.pages.order-reverses",
    "containers.files.pages.invalid-limit",
)
# CR LF and LF line ends, a tab, multi-byte UTF-8 and no final newline: a server that rewrites text shows.
DATA = "oai-conformance\r\ncontainer round trip\n\tcafé 20€ ✓ no final newline".encode()
COPIED = b"x,y\r\n1,2\n"  # the file copied in when the container is created
BY_ID = b"a file put in by file_id\n\xe2\x9c\x93"
MINUTES = 10


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def upload(oai_client, name: str, data: bytes):
    files = [("purpose", (None, "user_data")), ("file", (name, data, "text/plain"))]
    return oai_client.request("POST", "/files", files=files)


def file_steps(oai_client, path: str, container_id: str):
    """Retrieve, content and the container's list of files, for the file at `path`."""
    return (
        ("retrieve", oai_client.request("GET", path)),
        ("content", oai_client.request("GET", f"{path}/content")),
        ("list", oai_client.request("GET", f"/containers/{container_id}/files", params={"limit": 100})),
    )


def copy_check(oai_client, container_id: str, source_id: str | None):
    """The steps that show what `file_ids` copied in: the container's files, and the bytes of the first."""
    files = oai_client.request("GET", f"/containers/{container_id}/files", params={"limit": 100, "order": "asc"})
    steps = [("files", files)]
    body = files.response.json if files.response is not None and files.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    if source_id:
        steps.append(("source-content", oai_client.request("GET", f"/files/{source_id}/content")))
    if isinstance(data, list) and data and isinstance(data[0], dict) and data[0].get("id"):
        path = f"/containers/{container_id}/files/{data[0]['id']}/content"
        steps.append(("copied-content", oai_client.request("GET", path)))
    return steps


@requirement(*LIFE, *FILE_LIFE, *FILE_PAGES)
def test_container_life(oai_client, oai_judge):
    name = f"oai-conformance-{os.urandom(4).hex()}"
    copied, by_id = upload(oai_client, "oai-conformance-copied.csv", COPIED), upload(oai_client, "by-id.txt", BY_ID)
    sent = SentContainer(name, MINUTES, tuple(filter(None, [made_id(copied)])))
    expires = {"anchor": "last_active_at", "minutes": MINUTES}
    body = {"name": name, "expires_after": expires, "file_ids": [*sent.file_ids]}
    created = oai_client.request("POST", "/containers", json=body)
    ident = made_id(created)
    try:
        if ident is None:
            oai_judge(ContainerLife(created, sent=sent), *LIFE)  # the shape rule says why; the others have nothing
            pytest.skip("the container was not created: its files have nothing to judge")
        base = f"/containers/{ident}"
        steps = [
            ("retrieve", oai_client.request("GET", base)),
            ("list", oai_client.request("GET", "/containers", params={"name": name, "limit": 100})),
            *copy_check(oai_client, ident, made_id(copied)),
        ]
        uploaded_file = ("oai-conformance-round-trip.txt", DATA, "text/plain")
        put = oai_client.request("POST", f"{base}/files", files=[("file", uploaded_file)])
        put_life = file_steps(oai_client, f"{base}/files/{made_id(put)}", ident) if made_id(put) else ()
        copy = oai_client.request("POST", f"{base}/files", json={"file_id": made_id(by_id)})
        copy_life = file_steps(oai_client, f"{base}/files/{made_id(copy)}", ident) if made_id(copy) else ()
        oai_judge(walk(oai_client, f"{base}/files", limit=2), *FILE_PAGES)
        if made_id(put):
            path = f"{base}/files/{made_id(put)}"
            put_life += (
                ("delete", oai_client.request("DELETE", path)),
                ("retrieve-deleted", oai_client.request("GET", path)),
                ("content-deleted", oai_client.request("GET", f"{path}/content")),
            )
        oai_judge(ContainerFileLife(put, put_life, container_id=ident, put=PutFile(uploaded_file[0], DATA)),
                  *(rule for rule in FILE_LIFE if rule != "containers.files.create.from-file-id"))  # fmt: skip
        oai_judge(ContainerFileLife(copy, copy_life, container_id=ident, put=PutFile(None, BY_ID)),
                  "containers.files.create.from-file-id")  # fmt: skip
        steps += [
            ("delete", oai_client.request("DELETE", base)),
            ("retrieve-deleted", oai_client.request("GET", base)),
        ]
        if made_id(copy):
            steps.append(("file-deleted", oai_client.request("GET", f"{base}/files/{made_id(copy)}")))
        oai_judge(ContainerLife(created, tuple(steps), sent=sent), *LIFE)
    finally:
        for exchange in (copied, by_id):
            if made_id(exchange):
                oai_client.request("DELETE", f"/files/{made_id(exchange)}")


@requirement(*PAGES)
def test_containers_list_pages(oai_client, oai_judge):
    # Two containers of a name no other case uses: a page of one walks in two pages.
    name = f"oai-conformance-pages-{os.urandom(4).hex()}"
    made = [oai_client.request("POST", "/containers", json={"name": name}) for _ in range(2)]
    try:
        oai_judge(walk(oai_client, "/containers", limit=1, params={"name": name}), *PAGES)
    finally:
        for exchange in made:
            if made_id(exchange):
                oai_client.request("DELETE", f"/containers/{made_id(exchange)}")
