"""What installing oai-conformance costs every pytest start in a repository that does not use it.

Builds the wheel once and three fresh virtual environments: pytest alone; pytest and the package as a repository
that wants the fixtures and hand-written cases installs it (`pip install oai-conformance`); and with the generated
phase's extra (`pip install 'oai-conformance[generated]'`, which is what every install was before the extra
existed). In each, runs `pytest -q` over one trivial test in a fresh folder several times and prints the median
wall time, and the difference to pytest alone: what the install costs each pytest start.

    python benchmarks/plugin_startup.py [--repeat 7]

Dependencies come from the index pip is configured with; the first run fills pip's cache (a minute or two).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def median_seconds(python: Path, folder: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder,
                       capture_output=True, check=True)  # fmt: skip
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def environment(root: Path, name: str, requirements: list[str]) -> Path:
    venv.EnvBuilder(clear=True).create(root / name)
    python = root / name / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", *requirements],
                   check=True, capture_output=True)  # fmt: skip
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "dist"), str(REPO)],
                       check=True, capture_output=True)  # fmt: skip
        wheel = str(next((root / "dist").glob("oai_conformance-*.whl")))
        pytest_version = f"pytest=={__import__('pytest').__version__}"
        environments = {
            "pytest alone": environment(root, "bare", [pytest_version]),
            "oai-conformance": environment(root, "package", [pytest_version, wheel]),
            "oai-conformance[generated]": environment(root, "generated", [pytest_version, f"{wheel}[generated]"]),
        }
        folder = root / "repository"
        folder.mkdir()
        (folder / "test_x.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
        figures = {name: median_seconds(python, folder, repeat) for name, python in environments.items()}
    bare = figures["pytest alone"]
    for name, seconds in figures.items():
        extra = "" if name == "pytest alone" else f"   (+{seconds - bare:.3f} s)"
        print(f"{seconds:6.3f} s  {name}{extra}")
    print(f"median of {repeat} pytest starts each")


if __name__ == "__main__":
    main()
