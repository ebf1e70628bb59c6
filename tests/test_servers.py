"""Real third-party servers, certified afresh and compared with their reviewed expectations files.

Each test runs `python -m certify SERVER --check`: install (cached under ~/.cache/oai-conformance, keyed by
version; CI fills the caches in the background while the other tests run), start on a free port of 127.0.0.1,
run the whole suite, stop the server's process group. The check is strict: a requirement that fails and is not
in docs/compatibility/SERVER/expectations.toml (or suspected-false-alarms.toml), or that is listed and now
passes, fails the test, and the diff says which (a new server version, or a change of the suite, shows here
first).

Llama Stack (files and vector stores; chat and embeddings routed to the llama-server) is here: its install takes
~20 s (480 MB) once the llama-server is built, its run ~20 s with the cases one at a time.

fakellm and mockllm (mock chat servers, `chat` only) are here: each installs in ~30 s and certifies in ~15 s.
litellm-media (LiteLLM's install again, with mocked image models: `images` only) certifies in ~20 s.
local-tts (speech with a Piper voice on CPU) installs in ~1 min (470 MB) and certifies in ~10 s;
litellm-local-tts (LiteLLM in front of it) in 15-35 s.

Not here, their certificates made by hand (`python -m certify SERVER`): faster-whisper (Whisper tiny.en on CPU,
the cases one at a time: 30 s to 3.5 min a run with other work on the machine, most of it transcribing the 25 MB
upload), litellm-faster-whisper (LiteLLM in front of it: 36 s to 5 min), llama-server-gemma
(the same llama-server with Gemma 3 270M: ~10 min a run on 2 shared cores), llama-cpp-python (its own server: a
~10 min compile). vLLM is not here either: its environment is 3.4 GB and its start-up ~40 s; its certificate is
made by hand (`python -m certify vllm`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from certify.servers import CHECKED_IN_CI

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize("server", CHECKED_IN_CI)
def test_a_fresh_run_matches_the_expectations(server: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "certify", server, "--check", "--report-dir", str(tmp_path / server)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,  # the first run on a machine builds llama-server (~4.5 min on 2 idle cores)
        check=False,
    )
    diff = [line for line in proc.stdout.splitlines() if line.startswith(("certify: +", "certify: -"))]
    assert proc.returncode == 0, (
        f"{server} no longer matches docs/compatibility/{server}/expectations.toml "
        f"(exit {proc.returncode}):\n" + "\n".join(diff or [proc.stdout[-3000:], proc.stderr[-3000:]])
    )
    assert (tmp_path / server / "results.json").is_file()
    assert "certify: error" not in proc.stderr


def test_ci_installs_in_the_background_what_it_certifies() -> None:
    """.ci/run starts the installs of exactly the servers CI certifies (else a test waits on a cold build)."""
    line = next(x for x in (REPO / ".ci" / "run").read_text().splitlines() if x.startswith("for server in "))
    installed = line.removeprefix("for server in ").removesuffix("; do").split()
    assert sorted(installed) == sorted(CHECKED_IN_CI)
