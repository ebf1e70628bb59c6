"""The command line: `oai-conformance run | serve | requirements | validate | check-stream | schemas | compare | drift`.

Exit codes: 0 no MUST requirement failed (or: valid), 1 a MUST requirement failed (or: invalid), 2 a usage or
configuration error, an unreachable target, or a file that cannot be read. Errors are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from conformance.exceptions import ConformanceError

PROG = "oai-conformance"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block; one line says enough and keeps exit code 2.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    from conformance.options import add_options

    parser = _Parser(prog=PROG, description="Certify that a server speaks the OpenAI API, with evidence.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="certify a server (default: the bundled reference server)",
        description="Certify a server: run the conformance cases against it and write the certificate.",
        epilog=_features_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_options(run.add_argument)
    run.add_argument("-n", "--workers", default=None, metavar="N", help="run the cases in N processes (pytest-xdist)")
    run.add_argument(
        "-k", "--select", default=None, metavar="EXPR", help="run only the cases matching EXPR (pytest -k)"
    )
    run.add_argument(
        "--baseline", default=None, metavar="FILE", help="compare with an earlier results.json (exit 1 on a regression)"
    )
    run.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="extra arguments for pytest")

    serve = commands.add_parser("serve", help="run the bundled reference server in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", default="8000", help="the port to listen on (default 8000); the API is under /v1")
    serve.add_argument(
        "--api-key-env",
        default=None,
        metavar="VAR",
        help="require the key held in this environment variable (default: no key required)",
    )
    serve.add_argument(
        "--admin-key-env",
        default=None,
        metavar="VAR",
        help="the administration API (/v1/organization) takes only the key held in this environment variable",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one rule on purpose (repeatable; --list-faults names them)",
    )
    serve.add_argument("--list-faults", action="store_true", help="print the faults and exit")
    # transports: webhooks
    serve.add_argument("--webhook-url", default=None, metavar="URL",
                       help="deliver webhooks (background responses and batches that end, SIP calls) to this URL")
    serve.add_argument("--webhook-secret-env", default=None, metavar="VAR",
                       help="sign the webhooks with the whsec_ secret held in this environment variable "
                            "(several, separated by spaces, while one rotates)")  # fmt: skip

    reqs = commands.add_parser("requirements", help="print the requirement catalogue")
    reqs.add_argument("--format", choices=("text", "markdown", "json"), default="text")

    validate = commands.add_parser("validate", help="validate a JSON body against a schema")
    validate.add_argument("--schema", required=True, metavar="NAME", help="a name from `oai-conformance schemas`")
    validate.add_argument("file", metavar="FILE", help="a JSON file, or - for standard input")

    stream = commands.add_parser(
        "check-stream", help="check a captured text/event-stream body against the stream rules"
    )
    stream.add_argument(
        "--kind", choices=("chat", "responses"), required=True, help="a chat completion or a Responses API stream"
    )
    stream.add_argument("--request", default=None, metavar="FILE", help="the JSON request that asked for the stream")
    stream.add_argument("file", metavar="FILE", help="the captured body, or - for standard input")

    commands.add_parser("schemas", help="list the schema names")

    compare = commands.add_parser("compare", help="compare two results.json files (exit 1 on a regression)")
    compare.add_argument("baseline", metavar="BASELINE", help="the results.json of the earlier run")
    compare.add_argument("current", metavar="CURRENT", help="the results.json of the run to judge against it")
    compare.add_argument("--format", choices=("markdown", "json"), default="markdown")

    drift = commands.add_parser("drift", help="compare our schemas with the upstream OpenAPI document")
    drift.add_argument("--upstream", default=None, metavar="URL_OR_PATH", help="default: openai/openai-openapi")
    drift.add_argument(
        "--accepted", default=None, metavar="FILE", help="reviewed differences (default: schemas/ACCEPTED-DRIFT.toml)"
    )
    drift.add_argument("--format", choices=("markdown", "json"), default="markdown")
    drift.add_argument(
        "--update-accepted", action="store_true", help="rewrite the accepted-drift file with every current difference"
    )

    expectations = commands.add_parser("expectations", help="maintain an expectations file")
    actions = expectations.add_subparsers(dest="action", required=True, parser_class=_Parser)
    update = actions.add_parser("update", help="write the expectations of a run's results (keeps existing reasons)")
    update.add_argument("--results", required=True, metavar="FILE", help="a results.json of a run")
    update.add_argument("--out", required=True, metavar="FILE", help="the expectations file to write (or update)")

    from conformance.replay.command import add_parsers as add_replay_parsers

    add_replay_parsers(commands)  # replay, record
    return parser


def _features_epilog() -> str:
    from conformance.requirements import features

    lines = ["features (--features; a feature claims its sub-features; costly ones only when named or --allow-costly):"]
    lines += [f"  {f.name:<22} {f.cost:<6} {f.description}" for f in features().values()]
    lines += [
        "",
        "modes (--mode): compatible (default) fails a run on a MUST violation and warns on a SHOULD one;",
        "strict fails it on either.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_join_dashed_values(list(sys.argv[1:] if argv is None else argv)))
    handler = {
        "run": _run,
        "serve": _serve,
        "requirements": _requirements,
        "validate": _validate,
        "check-stream": _check_stream,
        "schemas": _schemas,
        "compare": _compare,
        "drift": _drift,
        "expectations": _expectations,
        "replay": _replay,
        "record": _record,
    }[args.command]
    try:
        return handler(args)
    except ConformanceError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted")
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say
        sys.stderr.close()
        return 0


def entry() -> NoReturn:
    """The `oai-conformance` command: `main`, then out at once. Every report is written and closed, and the reference
    server's process stopped, when `main` returns: what is left is the interpreter freeing a run's objects one by
    one (~0.5 s after a full run), which nobody waits for (mypy's fast exit does the same)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed by `| head`, or gone
            stream.flush()
    os._exit(code)


# Options whose value may start with "-" (`--features -chat`): argparse would take the value for an option.
_DASHED_VALUES = ("--features",)


def _join_dashed_values(argv: list[str]) -> list[str]:
    """`--features -chat` as `--features=-chat`, which argparse reads as a value."""
    out: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            out += [item, *items]
            break
        if item in _DASHED_VALUES:
            value = next(items, None)
            out.append(item if value is None else f"{item}={value}")
        else:
            out.append(item)
    return out


# run ---------------------------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    import pytest

    from conformance.client import Client
    from conformance.exchange import printable
    from conformance.options import cli_values, pytest_arguments
    from conformance.reports.results import load_results
    from conformance.target import load_target

    if args.expectations:
        from conformance.expectations import load

        load(Path(args.expectations))  # a bad file stops the run before any request
    cli = cli_values(args)
    config = Path(cli["config"]) if cli.get("config") else None
    target = load_target(cli, os.environ, config, Path.cwd())  # a ConfigError stops the run before any request
    baseline = load_results(Path(args.baseline)) if args.baseline else None  # a bad baseline too
    if target.base_url is not None:
        with Client(target) as client:  # type: ignore[arg-type]
            client.check_reachable()
    if problem := target.missing_key():
        raise ConformanceError(problem)

    _check_selection(args)
    from conformance.generation import missing_engine

    if reason := missing_engine():
        print(f"{PROG}: note: {reason}; its requirements are reported as skipped", file=sys.stderr)
    report_dir = Path(args.report_dir or "reports")
    created = not report_dir.exists()
    _report_dir(report_dir)
    # allure writes as the cases run: into a staging folder that replaces allure-results only when the run
    # concludes, so a run stopped for a mistake leaves no half-written reports.
    staging = Path(tempfile.mkdtemp(prefix=".allure-results-", dir=report_dir))
    pytest_args = [
        *cases_args(report_dir),
        "-q",
        "--alluredir",
        str(staging),
        # the CLI imported the package before pytest started: nothing in it needs assertion rewriting
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        # a developer's pytest-benchmark would leave .benchmarks/ in the user's folder
        "-p",
        "no:benchmark",
        # The generated phase calls schemathesis and hypothesis itself; their pytest plugins would only cost each
        # process ~1.3 s of start-up (schemathesis imports itself whole; hypothesis's imports it at the summary).
        "-p",
        "no:schemathesis",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:anyio",  # no case is a coroutine
        # At its end pytest would collect the garbage five times over to find exceptions raised in finalizers
        # (~0.3 s after a full run); Python prints such an exception itself.
        "-p",
        "no:unraisableexception",
        *pytest_arguments(args, leave_out={"report-dir"}),  # cases_args names the report dir
    ]
    if args.workers:
        pytest_args += ["-n", str(args.workers)]
    if args.select:
        pytest_args += ["-k", args.select]
    pytest_args += args.pytest_args

    run = _RunResults()
    try:
        code = pytest.main(pytest_args, plugins=[run])
    finally:
        _keep_allure(staging, report_dir / "allure-results", keep=run.results is not None)
        if created and not any(report_dir.iterdir()):
            report_dir.rmdir()
    if run.fatal:
        return _fail(run.fatal)
    if run.nothing_judged:
        return _fail(f"the run judged nothing: {run.nothing_judged}")
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return _fail(f"no case was selected (-k {args.select!r})" if args.select else "no case was collected")
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return _fail(f"the conformance run stopped: pytest exit code {int(code)} ({pytest.ExitCode(code).name})")
    results = run.results
    if results is None:
        return _fail(f"the run judged nothing and wrote no results to {report_dir} (no case was selected)")
    if results.get("expectations"):
        from conformance.expectations import differences

        for line in differences(results):
            print(f"{PROG}: {printable(line)}")
    print(
        f"{PROG}: {results['verdict']} — certificate: {report_dir / 'certificate.md'} (and .html); "
        f"results: {report_dir / 'results.json'}"
    )
    if baseline is None:
        return int(results["exit_code"])
    return max(int(results["exit_code"]), _compare_with_baseline(baseline, results, args.baseline, report_dir))


class _RunResults:
    """A pytest plugin that hands `run` the results the session built, in memory."""

    results: dict[str, Any] | None = None
    nothing_judged = ""
    fatal = ""

    def pytest_unconfigure(self, config: Any) -> None:
        run = config.pluginmanager.get_plugin("oai-conformance-run")
        self.results = getattr(run, "results", None)
        self.nothing_judged = getattr(run, "nothing_judged", "")
        self.fatal = getattr(run, "fatal", "")


def _compare_with_baseline(baseline: dict[str, Any], results: dict[str, Any], name: str, report_dir: Path) -> int:
    from conformance.reports import compare
    from conformance.reports.writer import write_atomic

    comparison = compare.compare(baseline, results, names=(name, str(report_dir / "results.json")))
    for fmt in ("markdown", "json"):
        write_atomic(report_dir / f"comparison.{'md' if fmt == 'markdown' else fmt}", compare.render(comparison, fmt))
    print(
        f"{PROG}: {len(comparison.regressions)} regression(s), {len(comparison.fixes)} fix(es) against the "
        f"baseline — {report_dir / 'comparison.md'}"
    )
    return comparison.exit_code


def cases_args(report_dir: Path, *cases: str) -> list[str]:
    """pytest arguments that run the bundled cases (all, or the files `cases` under cases/) on their own:
    no ini file, rootdir, conftest.py or cache of the user's (a checkout's own conftest.py, above cases/, imports
    hypothesis: ~1 s of a run's start-up)."""
    from conformance._paths import CASES_DIR

    paths = [str(CASES_DIR / case) for case in cases] or [str(CASES_DIR)]
    return [
        *paths,
        "-c",
        os.devnull,
        "--rootdir",
        str(CASES_DIR),
        "--confcutdir",
        str(CASES_DIR),
        "-p",
        "no:cacheprovider",
        "--oai-report-dir",
        str(report_dir),
    ]


def _keep_allure(staging: Path, final: Path, *, keep: bool) -> None:
    if keep:
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    else:
        shutil.rmtree(staging, ignore_errors=True)


def _report_dir(value: str | Path) -> Path:
    path = Path(value)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConformanceError(f"--report-dir: cannot use {value!r}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise ConformanceError(f"--report-dir: {value!r} is not writable")
    return path


def _check_selection(args: argparse.Namespace) -> None:
    """Options handed to pytest are checked here, so that a mistake is one line of ours, not pytest's usage."""
    from conformance.generation import check_upstream, generation_settings, missing_engine

    settings = generation_settings(examples=args.examples, seed=args.seed, concurrency=args.concurrency,
                                   response_time_limit=args.response_time_limit, upstream=args.upstream)  # fmt: skip
    if settings.upstream is not None and missing_engine() is None:
        check_upstream(settings.upstream)
    workers = args.workers
    if workers is not None and workers != "auto" and not (workers.isdigit() and int(workers) > 0):
        raise ConformanceError(f"--workers: {workers!r} is not a positive number of processes or 'auto'")
    if args.select is not None:
        try:  # pytest's own -k grammar; private, hence the fallback to pytest's message
            from _pytest.mark.expression import Expression
        except ImportError:
            return
        try:
            Expression.compile(args.select)
        except Exception as exc:  # pytest's ParseError
            raise ConformanceError(f"--select: {args.select!r} is not a valid expression: {exc}") from None


# serve -------------------------------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from conformance.reference import FAULTS, ServerConfig, run_forever

    if args.list_faults:
        for name, description in FAULTS.items():
            print(f"{name:<26} {description}")
        return 0
    if not args.port.isdigit() or not 0 <= int(args.port) <= 65535:
        return _fail(f"--port: {args.port!r} is not a port number (0-65535)")
    if unknown := [f for f in args.fault if f not in FAULTS]:
        return _fail(f"--fault: unknown fault {unknown[0]!r} (see {PROG} serve --list-faults)")
    if problem := _cannot_listen(args.host, int(args.port)):
        return _fail(f"--port: cannot listen on {args.host}:{args.port}: {problem}")
    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            return _fail(f"--api-key-env: the environment variable {args.api_key_env} is not set")
    admin_key = None
    if args.admin_key_env:
        admin_key = os.environ.get(args.admin_key_env)
        if not admin_key:
            return _fail(f"--admin-key-env: the environment variable {args.admin_key_env} is not set")
    print(
        f"{PROG}: reference server on http://{args.host}:{args.port}/v1"
        + (f" with faults {', '.join(args.fault)}" if args.fault else ""),
        file=sys.stderr,
    )
    secrets: tuple[str, ...] = ()
    if args.webhook_url is not None:  # transports
        secrets = tuple(os.environ.get(args.webhook_secret_env or "", "").split())
        if not secrets:
            return _fail("--webhook-url: name the environment variable of the signing secret with --webhook-secret-env")
    config = ServerConfig(api_key=key, admin_key=admin_key, faults=frozenset(args.fault), webhook_url=args.webhook_url,
                          webhook_secrets=secrets)  # fmt: skip
    run_forever(config, args.host, int(args.port))
    return 0


def _cannot_listen(host: str, port: int) -> str:
    """Why the server could not listen on host:port (a port in use, an address not of this machine), or ""."""
    import socket

    try:
        with socket.create_server((host, port)):
            return ""
    except OSError as exc:
        return (exc.strerror or str(exc)).split(" (while")[0].lower()


# requirements ------------------------------------------------------------------------------------------------------


def requirements_markdown() -> str:
    """The generated table of docs/requirements.md."""
    from conformance.requirements import catalogue, features

    lines = [
        "# Requirements",
        "",
        "Generated by `oai-conformance requirements --format markdown`; do not edit by hand.",
        "",
    ]
    for feature in features().values():
        reqs = [r for r in catalogue().values() if r.feature == feature.name]
        if not reqs:
            continue
        lines += [
            f"## {feature.name}",
            "",
            f"{feature.description} (cost: {feature.cost})",
            "",
            "| id | level | description | source |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| `{r.id}` | {r.level} | {_cell(r.description)} | {r.source} |" for r in reqs]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _requirements(args: argparse.Namespace) -> int:
    from conformance.checks.rule import check_name
    from conformance.judgement import judge  # noqa: F401  (loading it registers every check)
    from conformance.requirements import catalogue

    if args.format == "markdown":
        print(requirements_markdown(), end="")
    elif args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "level": r.level.value,
                        "feature": r.feature,
                        "description": r.description,
                        "source": r.source,
                        "flags": list(r.flags),
                        "check": check_name(r.id),
                    }
                    for r in catalogue().values()
                ],
                indent=2,
            )
        )
    else:
        for r in catalogue().values():
            print(f"{r.id:<42} {r.level.value:<6} {r.feature:<22} {r.description}")
    return 0


# validate, check-stream, schemas -----------------------------------------------------------------------------------


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConformanceError(f"{path}: cannot read: {exc.strerror}") from None


def _read_json(path: str) -> Any:
    try:
        return json.loads(_read(path))
    except ValueError as exc:
        raise ConformanceError(f"{path}: not JSON: {exc}") from None


def _validate(args: argparse.Namespace) -> int:
    from conformance import schemas

    errors = schemas.validate(args.schema, _read_json(args.file))
    if not errors:
        print(f"{args.file}: valid {args.schema}")
        return 0
    for error in errors:
        print(f"{args.file}: {error}")
    return 1


def _check_stream(args: argparse.Namespace) -> int:
    from conformance.checks.chat_stream import REQUEST_RULES, ChatStream
    from conformance.checks.responses_stream import ResponseStream
    from conformance.exchange import printable
    from conformance.judgement import failing, judge
    from conformance.requirements import catalogue

    # No --request: the request is unknown, and the rules that depend on it skip (an empty one would judge them).
    request = _read_json(args.request) if args.request else None
    request = request if isinstance(request, dict) or request is None else {}
    body = _read(args.file)
    stream = ChatStream.from_bytes(body, request) if args.kind == "chat" else ResponseStream.from_bytes(body, request)
    prefixes = ("chat.stream.", "chat.tools.stream-") if args.kind == "chat" else ("responses.stream.",)
    ids = [rid for rid in catalogue() if rid.startswith(prefixes) and rid not in REQUEST_RULES]
    worst = 0
    for obs in judge(stream, ids):
        reason = f"  ({printable(obs.reason)})" if obs.reason else ""
        print(f"{obs.status.value.upper():<5} {obs.requirement}{reason}")
        for failure in obs.failures:
            at = f"{printable(failure.at)}: " if failure.at else ""
            print(f"      {at}{printable(failure.message).replace(chr(10), chr(10) + '      ')}")
        worst = max(worst, 1 if failing(obs.status) else 0)
    if not args.request:
        print("(rules that depend on the request are skipped: --request FILE judges them too)")
    return worst


def _expectations(args: argparse.Namespace) -> int:
    from conformance.expectations import load, update
    from conformance.reports.results import load_results
    from conformance.reports.writer import write_atomic

    results = load_results(Path(args.results))
    out = Path(args.out)
    previous = load(out) if out.is_file() else None
    if not out.parent.is_dir():
        raise ConformanceError(f"--out: the folder {str(out.parent)!r} does not exist")
    write_atomic(out, update(results, previous, args.results))
    print(f"{PROG}: wrote {out}")
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from conformance import schemas

    for name in schemas.names():
        print(name)
    return 0


# replay, record (conformance/replay/command.py) ------------------------------------------------------------------


def _replay(args: argparse.Namespace) -> int:
    from conformance.replay.command import replay_command

    return replay_command(args)


def _record(args: argparse.Namespace) -> int:
    from conformance.replay.command import record_command

    return record_command(args)


# compare, drift -----------------------------------------------------------------------------------------------------


def _compare(args: argparse.Namespace) -> int:
    from conformance.reports import compare

    comparison = compare.compare_files(Path(args.baseline), Path(args.current))
    print(compare.render(comparison, args.format), end="")
    return comparison.exit_code


def _drift(args: argparse.Namespace) -> int:
    from conformance import drift

    report = drift.check(args.upstream, Path(args.accepted) if args.accepted else None)
    if args.update_accepted:
        path = drift.update_accepted(report, Path(args.accepted) if args.accepted else None)
        print(f"{PROG}: wrote {path}; give each new entry a reason", file=sys.stderr)
        return 0
    print(drift.render(report, args.format), end="")
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
