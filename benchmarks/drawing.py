"""What drawing the generated phase's requests costs: `python benchmarks/drawing.py [--examples N] [--rounds R]`.

Each round draws every operation and mode of `schemas/openapi.json` (what a first run draws; nothing is sent) in a
fresh process, once as the suite draws (`generation.on_a_roomy_stack`) and once with a plain call in its place, in
turns, and prints the median user and system CPU seconds of each and the digest of what each drew: the two must
draw the same requests. On CPython before 3.13 the plain call pays for python/cpython#142183 (a chunk of the frame
stack mapped and unmapped at every crossing of its edge), which shows as system time. Not a test: the figures go to
the README.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
from pathlib import Path

DRAW_ALL = """
import hashlib, pickle, sys
from conformance import generation
if sys.argv[2] == "plain":
    generation.on_a_roomy_stack = lambda function, *args: function(*args)
settings = generation.GenerationSettings(draws=None, examples=int(sys.argv[1]))
digest = hashlib.sha256()
for operation in generation.operations():
    if operation.generate:
        standing_in = {name: f"oai-stand-in-{name}-" for name in operation.path_parameters}
        for mode in operation.modes():
            for request in generation._draw(operation, mode, settings, lambda body: body, standing_in, None):
                digest.update(pickle.dumps(vars(request)))
print(digest.hexdigest()[:16])
"""


def one_draw(examples: int, how: str) -> tuple[float, float, str]:
    """(user s, system s, digest of the requests) of drawing everything in a process of its own."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", DRAW_ALL, str(examples), how], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, check=False)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the drawing process failed: {done.stderr.strip().splitlines()[-1:]}")
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10, help="requests per operation and mode (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown")
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float, str]]] = {"roomy": [], "plain": []}
    for _ in range(args.rounds):
        for how in figures:
            figures[how].append(one_draw(args.examples, how))
    print("| call | user s (median) | system s (median) | CPU s (median) | requests digest |")
    print("| --- | --- | --- | --- | --- |")
    for how, rows in figures.items():
        digests = {digest for _, _, digest in rows}
        user, system = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
        cpu = statistics.median(r[0] + r[1] for r in rows)
        print(f"| {how} | {user:.2f} | {system:.2f} | {cpu:.2f} | {', '.join(sorted(digests))} |")
    if len({digest for rows in figures.values() for _, _, digest in rows}) != 1:
        raise SystemExit("the two calls drew different requests")


if __name__ == "__main__":
    main()
