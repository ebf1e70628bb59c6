"""The generated phase's throughput and cost: `python benchmarks/generated_phase.py [--examples N] [--repeat R]`.

Runs `oai-conformance run -k generated` against the bundled reference server serially and with `-n 2`, and
prints, per setting, the requests the phase sent (the lines of exchanges.jsonl), the wall time of the whole
command (start-up included) and of the pytest session (results.json `duration_s`), the examples per second of
the session, and the tokens the phase would cost on a generation
endpoint (results.json `usage`, counted from the answers as on a paid API). Not part of the test run: a timing
is a measurement, not an assertion.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(workers: int | None, examples: int, report_dir: Path) -> tuple[float, float, int, dict[str, int]]:
    command = [sys.executable, "-m", "conformance", "run", "-k", "generated", "--examples", str(examples)]
    command += ["--report-dir", str(report_dir)] + (["-n", str(workers)] if workers else [])
    started = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True)
    elapsed = time.perf_counter() - started
    results = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    sent = len((report_dir / "exchanges.jsonl").read_text(encoding="utf-8").splitlines())
    return elapsed, float(results["duration_s"]), sent, results.get("usage") or {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10, help="requests per operation and mode (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting; the median is shown")
    args = parser.parse_args()
    columns = ["setting", "requests", "command (median)", "session (median)", "examples/s", "tokens (in + out)"]
    print("| " + " | ".join(columns) + " |")
    print("| --- | --- | --- | --- | --- | --- |")
    for workers in (None, 2):
        commands, sessions, sent, usage = [], [], 0, {}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                elapsed, session, sent, usage = one_run(workers, args.examples, Path(folder))
            commands.append(elapsed)
            sessions.append(session)
        command, session = statistics.median(commands), statistics.median(sessions)
        tokens = f"{usage.get('prompt_tokens', 0)} + {usage.get('completion_tokens', 0)}"
        setting = f"-n {workers}" if workers else "serial"
        print(f"| {setting} | {sent} | {command:.1f} s | {session:.1f} s | {sent / session:.1f} | {tokens} |")


if __name__ == "__main__":
    main()
