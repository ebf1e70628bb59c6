"""What judging costs a request, measured in pairs: a plain httpx loop, the suite's client, and the client plus the
judgement of a completion, round after round against one reference server in a process of its own.

    python benchmarks/judged_ratio.py [--rounds 30] [--requests 50]

pytest-benchmark (test_throughput.py) times each loop in a block of its own, minutes apart on a shared machine, so
the ratio of two blocks carries the machine's drift (1.2x one session, 0.9x the next). Here the three loops take
turns within each round, the ratio is taken round by round, and the median of those ratios is printed with the
median times. Not a test: the figures go to the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from test_throughput import COMPLETION_RULES, KEY_ENV

from conformance.case import chat_body
from conformance.checks.rule import Context
from conformance.client import Client
from conformance.judgement import judge
from conformance.reference import ServerConfig, serve_apart
from conformance.target import Target

KEY = "sk-bench-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=50, help="requests per loop")
    args = parser.parse_args()
    os.environ[KEY_ENV] = KEY
    body = chat_body("gpt-4o-mini")
    with (
        serve_apart(ServerConfig(api_key=KEY)) as server,
        httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as plain,
        Client(Target(base_url=server.base_url, api_key_env=KEY_ENV)) as suite,
    ):
        url = server.base_url + "/chat/completions"

        def plain_loop() -> None:
            for _ in range(args.requests):
                plain.post(url, json=body).raise_for_status()

        def client_loop() -> None:
            for _ in range(args.requests):
                suite.request("POST", "/chat/completions", json=body)

        def judged_loop() -> None:
            for _ in range(args.requests):
                judge(suite.request("POST", "/chat/completions", json=body), COMPLETION_RULES, Context())

        loops: dict[str, Callable[[], None]] = {"plain": plain_loop, "client": client_loop, "judged": judged_loop}
        for loop in loops.values():  # warm: connections open, validators built
            loop()
        times: dict[str, list[float]] = {name: [] for name in loops}
        for _ in range(args.rounds):
            for name, loop in loops.items():
                started = time.perf_counter()
                loop()
                times[name].append(time.perf_counter() - started)
    per_request = {name: statistics.median(spent) / args.requests * 1e6 for name, spent in times.items()}
    print(f"{args.rounds} rounds of {args.requests} requests; median per request:", end="")
    print("".join(f" {name} {micros:.0f} us;" for name, micros in per_request.items()))
    for name in ("client", "judged"):
        ratios = [mine / floor for mine, floor in zip(times[name], times["plain"], strict=True)]
        print(f"{name}/plain, round by round: median {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
