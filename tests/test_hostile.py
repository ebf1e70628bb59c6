"""A broken or hostile server cannot hang, exhaust or crash a run: a run against each hostile server of tests/hostile.py
(the cases that read every kind of answer, tests/_runs.EVERY_KIND_OF_ANSWER; the whole bundled suite against the
gigabyte and the HTML servers) ends by itself within a bound computed from its requests, with a certificate, no
traceback, reports that are well-formed, and memory under a few hundred MB. Also: what a server sends never reaches the
terminal or a report raw (markup, ANSI escapes, control characters), and a redirect is the server's answer, never
followed.

The whole-suite runs are `slow`; `test_the_client_bounds_every_hostile_answer` is the quick version of the same
promise, one request at a time through the suite's own client.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.client import Client
from conformance.exchange import Exchange
from tests._runs import EVERY_KIND_OF_ANSWER
from tests.hostile import HostileServer, serve_hostile

KEY_ENV = "OAI_HOSTILE_TEST_KEY"
KEY = "sk-hostile-" + os.urandom(12).hex()

ANSWER_TIME_LIMIT, READ_TIMEOUT, CONNECT_TIMEOUT = 1.0, 3.0, 3.0
BOUNDS = ("--answer-time-limit", f"{ANSWER_TIME_LIMIT:g}", "--read-timeout", f"{READ_TIMEOUT:g}",
          "--connect-timeout", f"{CONNECT_TIMEOUT:g}", "--retries", "0", "--examples", "1")  # fmt: skip
# The longest one answer may take: read until the time limit, plus the read that notices (bytes come at most a read
# timeout apart). A run may take its overhead (start, collection, judgement, reports; generously: the machine is
# shared) and that much per request, shared by what it has in flight at once: `Run.bound()`.
PER_REQUEST = ANSWER_TIME_LIMIT + READ_TIMEOUT
OVERHEAD = 45.0
# A run still going then has hung (or crawls): it is killed and its test fails, naming what was in flight. Below
# the bound of most runs, which is loose: a good run against these servers ends within a minute.
HARD_STOP = 240.0
MEMORY_LIMIT_MB = 400  # any one process of the run (the CLI or a worker), at its peak
TREE_LIMIT_MB = 800  # all of them at once (sampled), with two workers


def _not_json(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def strict_json(text: str) -> Any:
    return json.loads(text, parse_constant=_not_json)


@dataclass
class Run:
    returncode: int | None  # None: killed at the hard stop
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float  # the largest RSS one process of the run was seen at (sampled every 0.1 s)
    tree_mb: float  # the largest sum of the RSS of the run's processes at one time (sampled every 0.1 s)
    out: Path
    in_flight: int  # requests at once: its workers (each runs its cases one by one), or --concurrency

    @property
    def output(self) -> str:
        head = f"exit {self.returncode} after {self.seconds:.1f} s"
        return f"{head}\n--- stdout\n{self.stdout[-20_000:]}\n--- stderr\n{self.stderr[-20_000:]}"

    @property
    def results(self) -> dict[str, Any]:
        return strict_json((self.out / "results.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        path = self.out / "exchanges.jsonl"
        if not path.is_file():
            return []
        return [strict_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def statuses(self) -> dict[str, str]:
        return {r["id"]: r["status"] for r in self.results["requirements"]}

    def failures(self, rid: str) -> list[str]:
        return [f["message"] for r in self.results["requirements"] if r["id"] == rid for f in r["failures"]]

    def bound(self) -> float:
        """How long the run may take: its overhead, and each request at most PER_REQUEST, shared by what it has in
        flight at once."""
        return OVERHEAD + len(self.exchanges) * PER_REQUEST / self.in_flight


def _session_rss(session: int) -> tuple[int, int]:
    """The RSS (bytes) of every process of `session` (the run's: it starts a session of its own) together, and of
    the largest one."""
    total = largest = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()  # from the state on: state ppid pgrp session ...
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session:
            rss = int(fields[21]) * page  # rss, in pages
            total, largest = total + rss, max(largest, rss)
    return total, largest


def run_suite(base_url: str, out: Path, *extra: str, hard_stop: float = HARD_STOP) -> Run:
    """`oai-conformance run` of the bundled suite (`extra` may narrow it) against `base_url`, with small bounds, in a
    subprocess of its own session, watched: its wall time, its memory, and a hard stop."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_")) and k not in ("OPENAI_API_KEY", "PYTHONPATH")
    }
    env[KEY_ENV] = KEY
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "conformance.cli", "run", "--base-url", base_url, "--api-key-env", KEY_ENV,
               "--report-dir", str(out / "reports"), *BOUNDS, *extra]  # fmt: skip
    given = next((name for name in ("-n", "--concurrency") if name in extra), None)
    in_flight = int(extra[extra.index(given) + 1]) if given else 1
    with open(out / "stdout", "wb") as stdout, open(out / "stderr", "wb") as stderr:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=out, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
        tree = peak = 0
        killed = False
        while True:
            # Sampled from /proc, not wait4's ru_maxrss: a child forked by a large test process counts the parent's
            # pages until it execs, so the kernel's peak says how big the test process was, not the run.
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            together, largest = _session_rss(proc.pid)
            tree, peak = max(tree, together), max(peak, largest)
            if not killed and time.monotonic() - started > hard_stop:
                os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group: the CLI and its workers
                killed = True
            time.sleep(0.1)
        seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped above: Popen must not wait for it again
    return Run(
        returncode=None if killed else proc.returncode,
        stdout=(out / "stdout").read_text(encoding="utf-8", errors="backslashreplace"),
        stderr=(out / "stderr").read_text(encoding="utf-8", errors="backslashreplace"),
        seconds=seconds,
        peak_mb=peak / 2**20,
        tree_mb=tree / 2**20,
        out=out / "reports",
        in_flight=in_flight,
    )


def _hung(run: Run, server: HostileServer) -> str:
    last = (run.exchanges[-1:] or [{}])[0].get("request", {})
    in_flight = ", ".join(f"{s.method} {s.path}" for s in server.in_flight) or "nothing"
    return (f"the run against {server.name!r} did not end within {HARD_STOP:.0f} s and was killed (peak RSS "
            f"{run.peak_mb:.0f} MB, {run.tree_mb:.0f} MB at once); {len(run.exchanges)} exchanges recorded, the last "
            f"{last.get('method')} {last.get('url')}; in flight at the server: {in_flight}\n{run.output}")  # fmt: skip


def assert_bounded(run: Run, server: HostileServer, exits: tuple[int, ...] = (1,)) -> None:
    """The run ended by itself, within its bound, with well-formed reports, no traceback, and little memory."""
    assert run.returncode is not None, _hung(run, server)
    text = run.stdout + run.stderr
    assert "Traceback" not in text and "INTERNALERROR" not in text, run.output
    assert run.returncode in exits, run.output
    for name in ("results.json", "certificate.md", "certificate.html", "junit.xml", "exchanges.jsonl"):
        assert (run.out / name).is_file(), f"no {name}\n{run.output}"
    assert run.results["exit_code"] == run.returncode  # strict JSON: no NaN or Infinity got through to it
    ET.parse(run.out / "junit.xml")  # well-formed XML 1.0: no control character got through to it either
    assert run.seconds < run.bound(), f"{run.seconds:.1f} s for {len(run.exchanges)} requests\n{run.output}"
    limit = ANSWER_TIME_LIMIT + READ_TIMEOUT + 1
    slow = [(e["request"]["method"], e["request"]["url"], e["response"]["elapsed"])
            for e in run.exchanges if e["response"] and e["response"]["elapsed"] > limit]  # fmt: skip
    assert not slow, f"answers read past their bounds: {slow}"
    assert run.peak_mb < MEMORY_LIMIT_MB, f"a process of the run peaked at {run.peak_mb:.0f} MB"
    assert run.tree_mb < TREE_LIMIT_MB, f"the run's processes held {run.tree_mb:.0f} MB at once"


def _say(run: Run, name: str) -> None:
    """One line per run, for whoever reads the output (-s, or -rA)."""
    print(f"\n[hostile {name}] exit {run.returncode} in {run.seconds:.1f} s (bound {run.bound():.0f} s), "
          f"{len(run.exchanges)} exchanges, peak RSS {run.peak_mb:.0f} MB, at once {run.tree_mb:.0f} MB")  # fmt: skip


# --- the whole suite against each hostile server -------------------------------------------------------------------

# The server, and what its run sends: the trickles make every answer wait for the time limit, so eight requests in
# flight share them (the cases read ahead, each bounded on its own: 15 s, against 50 s for two workers one by one);
# the gigabyte answers are the ones that test memory with more than one process, over the whole suite (the
# log of every exchange kept to the end); the HTML answers take the whole suite through every family's refusals.
HOSTILE = {
    "trickle": ("--concurrency", "8", *EVERY_KIND_OF_ANSWER),
    "trickle-headers": ("--concurrency", "8", *EVERY_KIND_OF_ANSWER),
    "gigabyte": ("-n", "2"),
    "invalid-utf8": EVERY_KIND_OF_ANSWER,
    "deep": EVERY_KIND_OF_ANSWER,
    "nan": EVERY_KIND_OF_ANSWER,
    "huge-number": EVERY_KIND_OF_ANSWER,
    "duplicate-keys": EVERY_KIND_OF_ANSWER,
    "html": (),
    "lying-length": EVERY_KIND_OF_ANSWER,
    "reset": EVERY_KIND_OF_ANSWER,
    "huge-headers": EVERY_KIND_OF_ANSWER,
}
# Every one of them breaks a MUST (exit 1), but duplicate keys: JSON allows them (RFC 8259 says names SHOULD be
# unique), and the suite reads the last value, which is the right one here, so the run may be conformant.
EXITS = {"duplicate-keys": (0, 1)}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_server_cannot_hang_exhaust_or_crash_a_run(tmp_path: Path, name: str) -> None:
    with serve_hostile(name, KEY) as server:
        run = run_suite(server.base_url, tmp_path, *HOSTILE[name])
        _say(run, name)
        assert_bounded(run, server, EXITS.get(name, (1,)))
    # The trouble is the server's finding, and the verdict says so as the exit code does.
    verdict = "conformant" if run.returncode == 0 else "not conformant"
    assert run.results["verdict"] == verdict, run.results["summary"]


ENDLESS_RULES = ("chat.stream.done-last", "chat.stream.finish-reason-once", "responses.stream.one-terminal")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "two workers"])
def test_an_endless_stream_ends_at_the_answer_time_limit(tmp_path: Path, workers: tuple[str, ...]) -> None:
    with serve_hostile("endless", KEY) as server:
        run = run_suite(server.base_url, tmp_path, *workers, *EVERY_KIND_OF_ANSWER)
        _say(run, "endless" + (" -n 2" if workers else ""))
        assert_bounded(run, server)
    statuses = run.statuses()
    assert {rid: statuses.get(rid) for rid in ENDLESS_RULES} == dict.fromkeys(ENDLESS_RULES, "fail")
    stopped = [e for e in run.exchanges if e.get("bound")]
    assert stopped, "no answer was stopped by the time limit"
    assert all(e["bound"].startswith("the answer did not end within 1 s (answer time limit)") for e in stopped)
    assert all("stopped reading" in e["error"] for e in stopped)
    # The certificate names the bound that stopped the streams, with the rules they fail.
    assert "answer time limit" in (run.out / "certificate.md").read_text(encoding="utf-8")
    for rid in ("chat.stream.done-last", "responses.stream.one-terminal"):
        assert any("answer time limit" in message for message in run.failures(rid)), run.failures(rid)
    # Only the streams were endless: the embeddings (never streamed) pass.
    embeddings = {rid: s for rid, s in statuses.items() if rid.startswith("embeddings.")}
    assert embeddings and set(embeddings.values()) <= {"pass", "skip"}, embeddings


# --- one request at a time, through the suite's client -------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    base_url: str
    headers: dict[str, str]
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    retries: int = 0
    answer_time_limit: float = ANSWER_TIME_LIMIT

    def api_key(self) -> str:
        return KEY


_CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 8}
REQUESTS = {
    "chat": ("/chat/completions", _CHAT),
    "chat stream": ("/chat/completions", {**_CHAT, "stream": True}),
    "embeddings": ("/embeddings", {"model": "text-embedding-3-small", "input": "OK"}),
    "responses stream": ("/responses", {"model": "gpt-4o-mini", "input": "OK", "stream": True}),
}


# Those that keep the client waiting until the time limit (or longer) take seconds: slow.
_SLOW = frozenset({"endless", "trickle", "trickle-headers", "gigabyte"})


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in _SLOW else n for n in ("endless", *HOSTILE)]
)
def test_the_client_bounds_every_hostile_answer(name: str) -> None:
    """Each request to a hostile server comes back as an exchange, within the answer time limit and the read that
    notices it: never an exception, never a wait on the server's terms."""
    limit = ANSWER_TIME_LIMIT + READ_TIMEOUT + 1
    got: dict[str, tuple[Exchange | BaseException, float]] = {}
    with serve_hostile(name, KEY) as server:

        def send() -> None:
            with Client(_Settings(server.base_url, {})) as client:  # type: ignore[arg-type]
                for what, (path, body) in REQUESTS.items():
                    started = time.monotonic()
                    try:
                        got[what] = (client.request("POST", path, json=body), time.monotonic() - started)
                    except BaseException as exc:  # the point: nothing may escape
                        got[what] = (exc, time.monotonic() - started)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        thread.join(len(REQUESTS) * limit + 5)
        in_flight = [f"{s.method} {s.path}" for s in server.in_flight]
        answered = {
            what: (r.error if isinstance(r, Exchange) else repr(r), round(s, 1)) for what, (r, s) in got.items()
        }
    assert not thread.is_alive(), f"still waiting for {in_flight} after {len(REQUESTS) * limit + 5:.0f} s: {answered}"
    assert not [(what, r) for what, (r, _) in got.items() if isinstance(r, BaseException)], got
    assert [(what, round(s, 1)) for what, (_, s) in got.items() if s > limit] == []
    # Each kept at most the body limit, and says what went wrong when something did.
    for what, (exchange, _) in got.items():
        assert isinstance(exchange, Exchange)
        if exchange.response is not None:
            assert len(exchange.response.body) <= 32 * 1024 * 1024 + 1024 * 1024, what


def test_the_hostile_servers_answer_the_models_list_as_the_reference_does() -> None:
    import httpx

    with serve_hostile("endless", KEY) as server:
        answer = httpx.get(f"{server.base_url}/models", headers={"authorization": f"Bearer {KEY}"}, timeout=5)
    assert answer.status_code == 200
    assert {m["id"] for m in answer.json()["data"]} >= {"gpt-4o-mini", "text-embedding-3-small"}


# --- what a server sends reaches no terminal or report raw ---------------------------------------------------------

_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")  # C0 (but \t \n \r), DEL, C1


@pytest.mark.slow
def test_markup_and_control_characters_from_a_server_reach_no_terminal_or_report_raw(tmp_path: Path) -> None:
    with serve_hostile("markup", KEY) as server:
        run = run_suite(server.base_url, tmp_path, "-k", "chat or embeddings or responses_stream")
        assert_bounded(run, server)
    html = (run.out / "certificate.html").read_text(encoding="utf-8")
    markdown = (run.out / "certificate.md").read_text(encoding="utf-8")
    junit = (run.out / "junit.xml").read_bytes().decode("utf-8", errors="backslashreplace")
    # The hostile value is reported (else this test would show nothing) ...
    assert "HOSTILE-RED" in markdown and "HOSTILE-RED" in html and "HOSTILE-RED" in run.stdout
    # ... never as markup in the HTML certificate ...
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # ... and never with its control characters raw, where a terminal or a viewer would act on them: shown escaped.
    texts = {"stdout": run.stdout, "stderr": run.stderr, "certificate.md": markdown, "certificate.html": html,
             "junit.xml": junit}  # fmt: skip
    raw = {where: sorted({hex(ord(c)) for c in _RAW_CONTROL.findall(text)}) for where, text in texts.items()}
    assert not any(raw.values()), raw
    assert "\\x1b[31mHOSTILE-RED" in markdown and "\\x1b[31mHOSTILE-RED" in run.stdout


# --- a redirect is the server's answer -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_redirect_to_another_origin_is_the_answer_and_never_followed(tmp_path: Path) -> None:
    with (
        serve_hostile("plain", KEY) as elsewhere,
        serve_hostile("redirect", KEY, location=f"{elsewhere.origin}/v1/chat/completions") as server,
    ):
        run = run_suite(server.base_url, tmp_path, "-k", "chat")
        assert_bounded(run, server)
        seen_elsewhere = elsewhere.seen
    assert seen_elsewhere == [], "the other origin was sent " + ", ".join(
        f"{s.method} {s.path} ({'with' if 'authorization' in s.headers else 'without'} Authorization)"
        for s in seen_elsewhere
    )
    chat = [
        e
        for e in run.exchanges
        if e["request"]["method"] == "POST" and e["request"]["url"].endswith("/v1/chat/completions")
    ]
    assert chat and all(e["response"] and e["response"]["status"] == 307 for e in chat), chat[:2]
    assert all(e["attempts"] == 1 for e in chat)
    failed = [r["id"] for r in run.results["requirements"] if r["status"] == "fail"]
    assert any(rid.startswith("chat.") for rid in failed), failed
