"""One certification: install (cached), start on a free port, wait, run the suite, stop, publish.

The suite writes its reports to `reports/<server>/` (or `--report-dir`). Without `check`, a run that completed
(the server alive to the end, the suite's exit code 0 or 1) is then published: its results, certificate and
server.json are copied into `docs/compatibility/<server>/`, so a failed or interrupted run never replaces a
published certificate. With `check`, nothing is published and the run is compared strictly with the server's
expectations and suspected false alarms (certify/compare.py): any difference makes the exit code 1 and is printed
as a diff line.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from certify.compare import differences, false_alarms
from certify.lifecycle import CertifyError, Process, free_port, running, signals_raise, wait_ready
from certify.recipe import KEY_ENV, Launch, Recipe, Upstream
from certify.served import not_served

ROOT = Path(__file__).resolve().parent.parent
COMPATIBILITY = ROOT / "docs" / "compatibility"
REPORTS = ROOT / "reports"


@dataclass
class Timings:
    install_s: float = 0.0
    startup_s: float = 0.0
    run_s: float = 0.0


def expectations_file(recipe: Recipe) -> Path:
    return COMPATIBILITY / recipe.name / "expectations.toml"


def certify(recipe: Recipe, check: bool = False, report_dir: Path | None = None) -> int:
    """Certify one server; returns the suite's exit code (0: no unexpected MUST failure)."""
    timings = Timings()
    report_dir = report_dir or REPORTS / recipe.name
    with signals_raise(), contextlib.ExitStack() as servers:  # stops every server started, the last one first
        upstream = None
        if recipe.upstream is not None:
            upstream_launch, upstream_key, _ = serve(recipe.upstream, servers, None, Timings())
            upstream = Upstream(upstream_launch.base_url, upstream_key, recipe.upstream.models)
        launch, key, server = serve(recipe, servers, upstream, timings)
        say(f"running the suite against {launch.base_url}")
        started = time.monotonic()
        code = subprocess.call(
            suite_command(recipe, launch.base_url, report_dir),
            env={**os.environ, KEY_ENV: key},
            cwd=ROOT,
        )
        timings.run_s = time.monotonic() - started
        if server.popen.poll() is not None:  # the results would blame the API for a crash
            raise CertifyError(
                f"the server exited (code {server.popen.returncode}) during the run; the reports in "
                f"{report_dir} are not a certificate; its log ({server.log}) ends with:\n{server.tail()}"
            )
        unserved = not_served(launch.base_url, key, recipe.features)
    say(f"{recipe.name} stopped")
    if code not in (0, 1):
        return code
    write_about(recipe, report_dir, timings, unserved)
    if check:
        return check_run(recipe, report_dir)
    publish(report_dir, COMPATIBILITY / recipe.name)
    say(
        f"{recipe.name}: install {timings.install_s:.0f} s, start-up {timings.startup_s:.1f} s, "
        f"run {timings.run_s:.0f} s; exit code {code}; reports in {report_dir}"
    )
    return code


def serve(
    recipe: Recipe, servers: contextlib.ExitStack, upstream: Upstream | None, timings: Timings
) -> tuple[Launch, str, Process]:
    """Install `recipe` (cached), start it on a free port under `servers`, and wait until it is ready."""
    started = time.monotonic()
    say(f"installing {recipe.name} {recipe.version} (cached after the first time)")
    folder = recipe.install()
    timings.install_s = time.monotonic() - started
    port = free_port()
    key = "sk-certify-" + secrets.token_hex(16)  # a fresh key per run, known only to the server and its clients
    launch = recipe.launch(folder, port, key, upstream)
    log = folder / "logs" / f"{recipe.name}-{port}.log"
    say(f"starting {recipe.name} on 127.0.0.1:{port} (log: {log})")
    server = servers.enter_context(running(launch.command, launch.env, log, launch.cwd))
    timings.startup_s = wait_ready(server, launch.ready_url, launch.ready_timeout, launch.ready_headers)
    say(f"{recipe.name} (pid {server.pid}) ready after {timings.startup_s:.1f} s")
    return launch, key, server


def check_run(recipe: Recipe, report_dir: Path) -> int:
    """0 when the run matches the expectations and the suspected false alarms exactly, else 1 and the diff."""
    from conformance.expectations import load

    results = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    path = expectations_file(recipe)
    expectations = load(path) if path.is_file() else None
    suspected = set(false_alarms(COMPATIBILITY / recipe.name / "suspected-false-alarms.toml"))
    lines = differences(results, expectations, suspected)
    for line in lines:
        print(f"certify: {line}", flush=True)
    say(f"{recipe.name}: the run {'departs from' if lines else 'matches'} docs/compatibility/{recipe.name}/")
    return 1 if lines else 0


def suite_command(recipe: Recipe, base_url: str, report_dir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "conformance.cli",
        "run",
        *("--base-url", base_url),
        *("--api-key-env", KEY_ENV),
        *("--features", ",".join(recipe.features)),
        *("--name", recipe.name),
        *("--report-dir", str(report_dir)),
        *("--workers", str(recipe.workers)),
        *recipe.run_options,
    ]
    for role, model in recipe.models.items():
        command += ["--model", f"{role}={model}"]
    expectations = expectations_file(recipe)
    if expectations.is_file():
        command += ["--expectations", str(expectations.relative_to(ROOT))]
    return command


def write_about(recipe: Recipe, report_dir: Path, timings: Timings, unserved: dict[str, str]) -> None:
    """server.json beside the results: which server and version, how configured, how long each step took, and
    which features it does not serve (certify/served.py)."""
    about = {
        "server": recipe.name,
        "version": recipe.version,
        "notes": recipe.notes,
        "command": f"python -m certify {recipe.name}",
        "timings_s": {k: round(v, 1) for k, v in vars(timings).items()},
        "not_served": unserved,
    }
    (report_dir / "server.json").write_text(json.dumps(about, indent=2) + "\n", encoding="utf-8")


PUBLISHED = ("results.json", "certificate.md", "certificate.html", "server.json")


def publish(report_dir: Path, folder: Path) -> None:
    """Copy the public part of a completed run into the compatibility folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED:
        shutil.copy2(report_dir / name, folder / name)
    say(f"published {', '.join(PUBLISHED)} to {folder}")


def say(message: str) -> None:
    print(f"certify: {message}", file=sys.stderr, flush=True)
