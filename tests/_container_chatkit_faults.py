"""The containers and ChatKit faults of the reference server, each as (request, what the fault breaks in its answer),
for tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not.

Each request makes the objects it reads (a server per fault set is shared by the requests of this module); a
comparison of two answers is returned as one JSON answer holding both.
"""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx

from conformance.reference import CHATKIT_WORKFLOW
from tests._reference_calls import call_reference, reference_app

KEY = "sk-test-containers-chatkit-0123456789"
HEADERS = {"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "chatkit_beta=v1"}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
NAMES = itertools.count(1)

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def _app(faults: Faults) -> Any:
    return reference_app(faults, KEY)


def call(faults: Faults, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return call_reference(_app(faults), method, path, HEADERS, **kwargs)


def both(**answers: Any) -> httpx.Response:
    return httpx.Response(200, json=answers)


# --- containers ---------------------------------------------------------------------------------------------


def container(faults: Faults, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = call(faults, "POST", "/containers", json={"name": "a", **body}).json()
    return made


def put(faults: Faults, data: bytes = b"abcd", name: str = "a.txt") -> tuple[str, httpx.Response]:
    ident = container(faults)["id"]
    return ident, call(faults, "POST", f"/containers/{ident}/files", files={"file": (name, data)})


def _copied(faults: Faults) -> httpx.Response:
    source = call(faults, "POST", "/files", files={"file": ("s.txt", b"abcd")}, data={"purpose": "user_data"}).json()
    ident = container(faults, file_ids=[source["id"]])["id"]
    return call(faults, "GET", f"/containers/{ident}/files")


def _by_file_id(faults: Faults) -> httpx.Response:
    source = call(faults, "POST", "/files", files={"file": ("s.txt", b"abcd")}, data={"purpose": "user_data"}).json()
    ident = container(faults)["id"]
    return call(faults, "POST", f"/containers/{ident}/files", json={"file_id": source["id"]})


def _listed(faults: Faults) -> httpx.Response:
    name = f"listed-{next(NAMES)}"
    container(faults, name=name)
    return call(faults, "GET", "/containers", params={"name": name})


def _deleted_then(faults: Faults, read: Callable[[str, str], str]) -> httpx.Response:
    ident, made = put(faults)
    call(faults, "DELETE", f"/containers/{ident}")
    return call(faults, "GET", read(ident, made.json()["id"]))


def _second_page(faults: Faults) -> httpx.Response:
    name = f"pages-{next(NAMES)}"
    container(faults, name=name)
    container(faults, name=name)
    first = call(faults, "GET", "/containers", params={"name": name, "limit": 1, "order": "asc"}).json()
    return call(faults, "GET", "/containers", params={"name": name, "limit": 1, "order": "asc",
                                                      "after": first["last_id"]})  # fmt: skip


def _file_second_page(faults: Faults) -> httpx.Response:
    ident, _ = put(faults)
    for n in range(2):
        call(faults, "POST", f"/containers/{ident}/files", files={"file": (f"{n}.txt", b"x")})
    first = call(faults, "GET", f"/containers/{ident}/files", params={"limit": 2, "order": "asc"}).json()
    return call(faults, "GET", f"/containers/{ident}/files", params={"limit": 2, "order": "asc",
                                                                     "after": first["last_id"]})  # fmt: skip


def _retrieved_file(faults: Faults) -> httpx.Response:
    ident, made = put(faults)
    return both(made=made.json(), got=call(faults, "GET", f"/containers/{ident}/files/{made.json()['id']}").json())


def _file_gone(faults: Faults) -> httpx.Response:
    ident, made = put(faults)
    path = f"/containers/{ident}/files/{made.json()['id']}"
    call(faults, "DELETE", path)
    return call(faults, "GET", path)


def _created(faults: Faults) -> httpx.Response:
    return call(faults, "POST", "/containers", json={"name": "a"})


def _request_container(response: httpx.Response) -> str:
    return response.request.url.path.split("/")[3]


def _after_repeated(response: httpx.Response) -> bool:
    data = response.json()["data"]
    return bool(data) and data[0]["id"] == response.request.url.params["after"]


CONTAINER_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "containers-object-wrong": (_created, lambda r: r.json()["object"] != "container"),
    "containers-name-dropped": (_created, lambda r: r.json()["name"] != "a"),
    "containers-expires-ignored": (
        lambda f: call(f, "POST", "/containers",
                       json={"name": "a", "expires_after": {"anchor": "last_active_at", "minutes": 5}}),
        lambda r: r.json()["expires_after"]["minutes"] != 5,
    ),
    "containers-status-expired": (_created, lambda r: r.json()["status"] != "running"),
    "containers-file-ids-ignored": (_copied, lambda r: len(r.json()["data"]) != 1),
    "containers-retrieve-renamed": (lambda f: call(f, "GET", f"/containers/{container(f)['id']}"),
                                    lambda r: r.json()["name"] != "a"),
    "containers-list-stale": (_listed, lambda r: r.json()["data"] == []),
    "containers-delete-kept": (lambda f: _deleted_then(f, lambda c, _: f"/containers/{c}"),
                               lambda r: r.status_code != 404),
    "containers-delete-files-kept": (lambda f: _deleted_then(f, lambda c, i: f"/containers/{c}/files/{i}"),
                                     lambda r: r.status_code != 404),
    "containers-after-ignored": (_second_page, _after_repeated),
    "containers-files-bytes-wrong": (lambda f: put(f)[1], lambda r: r.json()["bytes"] != 4),
    "containers-files-wrong-container": (lambda f: put(f)[1],
                                         lambda r: r.json()["container_id"] != _request_container(r)),
    "containers-files-path-bare": (lambda f: put(f)[1], lambda r: r.json()["path"] != "/mnt/data/a.txt"),
    "containers-files-source-assistant": (lambda f: put(f)[1], lambda r: r.json()["source"] != "user"),
    "containers-files-file-id-empty": (_by_file_id, lambda r: r.json()["bytes"] != 4),
    "containers-files-content-altered": (
        lambda f: call(f, "GET", "/containers/{}/files/{}/content".format(*_ids(put(f, b"a\nb")))),
        lambda r: r.content != b"a\nb",
    ),
    "containers-files-retrieve-shifted": (_retrieved_file,
                                          lambda r: r.json()["got"]["created_at"] != r.json()["made"]["created_at"]),
    "containers-files-not-listed": (lambda f: call(f, "GET", f"/containers/{put(f)[0]}/files"),
                                    lambda r: r.json()["data"] == []),
    "containers-files-delete-kept": (_file_gone, lambda r: r.status_code != 404),
    "containers-files-page-repeat": (_file_second_page, _after_repeated),
}  # fmt: skip


def _ids(made: tuple[str, httpx.Response]) -> tuple[str, str]:
    return made[0], made[1].json()["id"]


# --- chatkit ------------------------------------------------------------------------------------------------


def session(faults: Faults, workflow: str = CHATKIT_WORKFLOW, **body: Any) -> httpx.Response:
    return call(faults, "POST", "/chatkit/sessions", json={"workflow": {"id": workflow}, "user": "u", **body})


def _cancelled(faults: Faults) -> httpx.Response:
    return call(faults, "POST", f"/chatkit/sessions/{session(faults).json()['id']}/cancel")


CHATKIT_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "chatkit-session-object-wrong": (session, lambda r: r.json()["object"] != "chatkit.session"),
    "chatkit-session-no-secret": (session, lambda r: not r.json().get("client_secret")),
    "chatkit-session-workflow-wrong": (session, lambda r: r.json()["workflow"]["id"] != CHATKIT_WORKFLOW),
    "chatkit-session-expiry-ignored": (
        lambda f: session(f, expires_after={"anchor": "created_at", "seconds": 60}),
        lambda r: r.json()["expires_at"] - time.time() > 120,
    ),
    "chatkit-session-rate-limit-ignored": (lambda f: session(f, rate_limits={"max_requests_per_1_minute": 3}),
                                           lambda r: r.json()["max_requests_per_1_minute"] != 3),
    "chatkit-session-expired-at-once": (session, lambda r: r.json()["status"] != "active"),
    "chatkit-cancel-ignored": (_cancelled, lambda r: r.json()["status"] != "cancelled"),
    "chatkit-unknown-workflow-accepted": (lambda f: session(f, "wf_none"), lambda r: r.status_code == 200),
    "chatkit-threads-no-status": (lambda f: call(f, "GET", "/chatkit/threads"),
                                  lambda r: any("status" not in t for t in r.json()["data"])),
    "chatkit-threads-user-filter-ignored": (
        lambda f: call(f, "GET", "/chatkit/threads", params={"user": "someone-else"}),
        lambda r: any(t["user"] != "someone-else" for t in r.json()["data"]),
    ),
    "chatkit-thread-retrieve-shifted": (lambda f: both(listed=call(f, "GET", "/chatkit/threads").json()["data"][-1],
                                                       got=call(f, "GET", "/chatkit/threads/cthr_demo_1").json()),
                                        lambda r: r.json()["got"]["created_at"] != r.json()["listed"]["created_at"]),
    "chatkit-thread-items-wrong-thread": (lambda f: call(f, "GET", "/chatkit/threads/cthr_demo_3/items"),
                                          lambda r: any(i["thread_id"] != "cthr_demo_3" for i in r.json()["data"])),
    "chatkit-thread-items-after-ignored": (
        lambda f: call(f, "GET", "/chatkit/threads/cthr_demo_3/items", params={"order": "asc",
                                                                               "after": "cthi_demo_3_1"}),
        _after_repeated,
    ),
    "chatkit-threads-unknown-200": (lambda f: call(f, "GET", "/chatkit/threads/cthr_none"),
                                    lambda r: r.status_code == 200),
    "chatkit-files-type-wrong": (lambda f: call(f, "POST", "/chatkit/files", files={"file": ("a.png", PNG,
                                                                                              "image/png")}),
                                 lambda r: r.json()["type"] != "image"),
}  # fmt: skip
