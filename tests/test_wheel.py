"""The wheel works on its own: it carries the schemas, the cases and the catalogue, and an installed copy in a
clean virtual environment certifies the reference server from a directory that knows nothing of the checkout.

Dependencies are resolved by pip from the index configured on the machine (pip.conf / PIP_* variables), as a
user's install would; this machine's configuration serves them without reaching the internet. The isolated
build fetches hatchling the same way; where that fails the build is retried with --no-isolation, using the
hatchling installed next to the interpreter running these tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conformance.schemas import NOT_A_SCHEMA

REPO = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"

pytestmark = pytest.mark.slow


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and none of the outer run's settings: the installed copy alone must do the work.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"))}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return (f"{proc.args}\nexit {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")


def build_wheel(outdir: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    proc = run([sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(REPO)], cwd=outdir)
    if proc.returncode != 0:  # the isolated build could not install hatchling: use the one installed here
        proc = run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir),
                    str(REPO)], cwd=outdir)
    assert proc.returncode == 0, shown(proc)
    wheels = list(outdir.glob("oai_conformance-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_installs_and_certifies_from_anywhere(tmp_path: Path):
    wheel = build_wheel(tmp_path / "dist")

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
    assert "oai-conformance = conformance.cli:main" in text
    assert "oai_conformance = conformance.plugin" in text

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)  # a clean venv: no system site-packages
    python = env_dir / BIN / "python"
    proc = run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, shown(proc)

    # A directory outside the repository: nothing there but what the wheel installed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert REPO not in elsewhere.parents

    where = run([str(python), "-c", "import conformance, conformance._paths as p, conformance.schemas as s; "
                 "print(conformance.__file__); print(p.CASES_DIR); print(s.SCHEMAS_DIR)"], cwd=elsewhere)
    assert where.returncode == 0, shown(where)
    package, cases, schemas_dir = (Path(line) for line in where.stdout.splitlines())
    for path in (package, cases, schemas_dir):
        assert env_dir in path.parents, f"{path} is not inside the fresh venv"
    assert cases.parts[-2:] == ("bundled", "cases")
    assert schemas_dir.parts[-2:] == ("bundled", "schemas")

    script = env_dir / BIN / "oai-conformance"
    certify = run([str(script), "run", "--report-dir", "out"], cwd=elsewhere, timeout=180)
    assert certify.returncode == 0, shown(certify)
    results = json.loads((elsewhere / "out" / "results.json").read_text(encoding="utf-8"))
    assert results["verdict"] == "conformant"
    assert results["summary"]["fail"] == 0
    assert results["summary"]["must_passed"] == results["summary"]["must"] > 0
    assert results["tool"] and "0+unknown" not in json.dumps(results["tool"])

    listed = run([str(script), "schemas"], cwd=elsewhere)
    assert listed.returncode == 0, shown(listed)
    assert set(listed.stdout.split()) == {p.stem for p in (REPO / "schemas").glob("*.json")
                                          if p.name not in NOT_A_SCHEMA}
    assert "chat.completion" in listed.stdout.split()
