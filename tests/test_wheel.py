"""The wheel works on its own: it carries the schemas, the cases and the catalogue, and an installed copy in a
clean virtual environment certifies the reference server from a directory that knows nothing of the checkout.

Dependencies are resolved by pip from the index configured on the machine (pip.conf / PIP_* variables), as a
user's install would; this machine's configuration serves them without reaching the internet. The isolated
build fetches hatchling the same way; where that fails the build is retried with --no-isolation, using the
hatchling installed next to the interpreter running these tests.

Building, installing and running take ~20 s of subprocesses: they start in the background with the session's
shared runs (tests/_runs.py), and the test reads what each step did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.schemas import NOT_A_SCHEMA
from tests._runs import STARTING_ENV, after, shared_run

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and none of the outer run's settings: the installed copy alone must do the work.
    env = {k: v for k, v in STARTING_ENV.items()
           if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


@dataclass(frozen=True)
class Step:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def shown(proc: Step | subprocess.CompletedProcess[str]) -> str:
    return (f"{proc.args}\nexit {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")


@dataclass(frozen=True)
class Installed:
    """What the steps of `installed_wheel` did, in their folder: dist/ (the wheel), venv/, elsewhere/."""

    folder: Path
    steps: dict[str, Step]

    @classmethod
    def read(cls, folder: Path) -> Installed:
        steps = json.loads((folder / "steps.json").read_text(encoding="utf-8"))
        return cls(folder, {name: Step(**step) for name, step in steps.items()})

    def step(self, name: str) -> Step:
        assert name in self.steps, f"not run: {name} (an earlier step failed: {list(self.steps)})"
        step = self.steps[name]
        assert step.returncode == 0, shown(step)
        return step


# What a pytest start in a repository that does not use the suite loaded: written where the test reads it.
MODULES_LOADED = """\
import json, sys
from pathlib import Path


def pytest_unconfigure(config):
    loaded = {"plugin": config.pluginmanager.has_plugin("oai_conformance"),
              "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("schemathesis", "hypothesis"))}
    Path("loaded.json").write_text(json.dumps(loaded))
"""


@shared_run(read=Installed.read, first=True)  # build, two installs, three commands: the session's longest
def installed_wheel(folder: Path) -> None:
    """Build the wheel into dist/, install it into a fresh venv/, and from elsewhere/ (outside the checkout) ask
    where the package lives, certify the reference server and list the schemas; each step's command and output go
    to steps.json, up to the first that fails."""
    steps: dict[str, dict[str, object]] = {}

    def step(name: str, args: list[str], cwd: Path, timeout: float = 120) -> bool:
        proc = run(args, cwd, timeout)
        steps[name] = {"args": [str(a) for a in proc.args], "returncode": proc.returncode, "stdout": proc.stdout,
                       "stderr": proc.stderr}
        (folder / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
        return proc.returncode == 0

    dist, env_dir, elsewhere = folder / "dist", folder / "venv", folder / "elsewhere"
    dist.mkdir()
    elsewhere.mkdir()
    (folder / "steps.json").write_text("{}", encoding="utf-8")
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)]
    # Where the isolated build could not install hatchling: the one installed here.
    if not step("build", build, dist) and not step("build", [*build[:4], "--no-isolation", *build[4:]], dist):
        return
    venv.EnvBuilder(clear=True).create(env_dir)  # a clean venv: no system site-packages
    python = env_dir / BIN / "python"
    # This interpreter's pip installs into it (pip --python): the venv needs no pip of its own, which would cost
    # seconds to install and play no part in what is tested.
    wheels = [str(p) for p in dist.glob("oai_conformance-*.whl")]
    # --no-compile: the steps below compile what they import, ~2 CPU-s less than byte-compiling every package.
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile"]
    # First the package alone, as a repository that wants only the fixtures and hand-written cases installs it.
    if not step("install", [*install, *wheels], folder, timeout=300):
        return
    script = env_dir / BIN / "oai-conformance"
    step("where", [str(python), "-c", "import conformance, conformance._paths as p, conformance.schemas as s; "
                   "print(conformance.__file__); print(p.CASES_DIR); print(s.SCHEMAS_DIR)"], elsewhere)
    light = elsewhere / "light"
    light.mkdir()
    (light / "test_nothing.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    (light / "conftest.py").write_text(MODULES_LOADED, encoding="utf-8")
    step("light", [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], light)
    # Without the extra only the generated phase differs (no other case or module draws): a few features show it,
    # and every case is still collected and imported. The whole suite runs from the wheel below, with the extra.
    step("certify-alone", [str(script), "run", "--report-dir", "alone", "--features", "models,embeddings,generated"],
         elsewhere, timeout=180)  # fmt: skip
    if not step("install-generated", [*install, *(f"{w}[generated]" for w in wheels)], folder, timeout=300):
        return
    # The keyed run (tests/test_secrets.py) draws the same (one example per round, the same seed and shaping) and
    # keeps it where this run looks: read, not drawn again at the same time.
    after("keyed_run")
    # One example per round of the generated phase: every requirement is judged all the same, and more requests
    # would test the server, not what the wheel carries.
    step("certify", [str(script), "run", "--report-dir", "out", "--examples", "1"], elsewhere, timeout=180)
    step("schemas", [str(script), "schemas"], elsewhere)


def test_wheel_installs_and_certifies_from_anywhere(installed_wheel: Installed):
    installed_wheel.step("build")
    wheels = list((installed_wheel.folder / "dist").glob("oai_conformance-*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]

    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("conformance/bundled/schemas/chat.completion.json",
                     "conformance/bundled/cases/chat/test_chat_stream.py",
                     "conformance/catalogue/features.toml",
                     "conformance/cli.py",
                     "conformance/plugin.py"):
        assert required in names, required
    catalogue = {n for n in names if n.startswith("conformance/catalogue/") and n.endswith(".toml")}
    in_checkout = (REPO / "conformance" / "catalogue").glob("*.toml")
    assert catalogue == {f"conformance/catalogue/{p.name}" for p in in_checkout}
    schemas = {n for n in names if n.startswith("conformance/bundled/schemas/") and n.endswith(".json")}
    assert schemas == {f"conformance/bundled/schemas/{p.name}" for p in (REPO / "schemas").glob("*.json")}
    assert "conformance/bundled/cases/errors/test_errors.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "oai-conformance = conformance.cli:entry" in text
    assert "oai_conformance = conformance.plugin" in text

    installed_wheel.step("install")
    # A directory outside the repository: nothing there but what the wheel installed.
    env_dir, elsewhere = installed_wheel.folder / "venv", installed_wheel.folder / "elsewhere"
    assert REPO not in elsewhere.parents

    where = installed_wheel.step("where")
    package, cases, schemas_dir = (Path(line) for line in where.stdout.splitlines())
    for path in (package, cases, schemas_dir):
        assert env_dir in path.parents, f"{path} is not inside the fresh venv"
    assert cases.parts[-2:] == ("bundled", "cases")
    assert schemas_dir.parts[-2:] == ("bundled", "schemas")

    loaded = json.loads((elsewhere / "light" / "loaded.json").read_text(encoding="utf-8"))
    assert loaded == {"plugin": True, "heavy": []}, shown(installed_wheel.step("light"))

    # Without the generated extra the run judges the rest of what it claims and says which rules it left out, and why.
    alone = installed_wheel.step("certify-alone")
    assert "pip install 'oai-conformance[generated]'" in alone.stderr, shown(alone)
    results = json.loads((elsewhere / "alone" / "results.json").read_text(encoding="utf-8"))
    generated = [r for r in results["requirements"] if r["feature"] == "generated"]
    assert generated and all(r["status"] == "skip" for r in generated), generated
    assert all("oai-conformance[generated]" in " ".join(r["reasons"]) for r in generated), generated
    assert results["summary"]["fail"] == 0 and results["verdict"] == "conformant"
    judged = {r["feature"] for r in results["requirements"] if r["status"] == "pass"}
    assert {"models", "embeddings"} <= judged, judged

    installed_wheel.step("install-generated")
    installed_wheel.step("certify")
    results = json.loads((elsewhere / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "conformant"
    assert results["summary"]["fail"] == 0
    # every MUST passes but those of admin.write and graders, which a run claims only when the user names them
    unclaimed = [r for r in results["requirements"] if r["level"] == "MUST" and r["status"] == "not-claimed"]
    assert unclaimed and {r["feature"] for r in unclaimed} == {"admin.write", "graders"}, unclaimed
    assert results["summary"]["must_passed"] == results["summary"]["must"] - len(unclaimed) > 0
    assert results["tool"] and "0+unknown" not in json.dumps(results["tool"])

    listed = installed_wheel.step("schemas")
    assert set(listed.stdout.split()) == {p.stem for p in (REPO / "schemas").glob("*.json")
                                          if p.name not in NOT_A_SCHEMA}
    assert "chat.completion" in listed.stdout.split()
