"""What installing oai-conformance costs every pytest start in a repository that does not use it.

Runs `pytest -q` over one trivial test in a fresh folder, several times per configuration, and prints the
median wall time of each: everything loaded; our plugin left out (`-p no:oai_conformance`); the plugins our
dependencies register left out; and both. The difference between the first two is our plugin's own cost.

    python benchmarks/plugin_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THIRD_PARTY = ("schemathesis", "hypothesispytest", "allure_pytest", "anyio")
CONFIGURATIONS = {
    "everything": [],
    "without oai_conformance": ["-p", "no:oai_conformance"],
    "without the dependencies' plugins": [a for name in THIRD_PARTY for a in ("-p", f"no:{name}")],
    "without either": ["-p", "no:oai_conformance", *[a for name in THIRD_PARTY for a in ("-p", f"no:{name}")]],
}


def median_seconds(args: list[str], folder: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=folder,
                       capture_output=True, check=True)  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_x.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
        figures = {name: median_seconds(args, folder, repeat) for name, args in CONFIGURATIONS.items()}
    for name, seconds in figures.items():
        print(f"{seconds:6.3f} s  {name}")
    ours = figures["without the dependencies' plugins"] - figures["without either"]
    print(f"{ours:6.3f} s  oai_conformance's own cost (median of {repeat} runs each)")


if __name__ == "__main__":
    main()
