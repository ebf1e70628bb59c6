"""`python -m conformance.reference`: run the reference server in the foreground until Ctrl-C.

python -m conformance.reference --host 127.0.0.1 --port 8000 --api-key-env REF_KEY --fault no-done
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from .app import FAULTS, ServerConfig, create_app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.reference",
        description="Run the bundled OpenAI-compatible reference server (deterministic, not a model).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default 8000; 0 = any free)"
    )
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="require `Authorization: Bearer <key>` with the key read from this environment "
        "variable (default: no authentication)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="break one rule on purpose (repeatable); see --list-faults",
    )
    parser.add_argument("--list-faults", action="store_true", help="print the known faults and exit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list_faults:
        width = max(map(len, FAULTS))
        for name, description in FAULTS.items():
            print(f"{name:<{width}}  {description}")
        return 0
    unknown = [f for f in args.fault if f not in FAULTS]
    if unknown:
        print(f"error: unknown fault {unknown[0]!r} (see --list-faults)", file=sys.stderr)
        return 2
    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            print(
                f"error: --api-key-env: the environment variable {args.api_key_env} is not set",
                file=sys.stderr,
            )
            return 2
    config = ServerConfig(api_key=api_key, faults=frozenset(args.fault))

    import uvicorn

    print(
        f"reference server on http://{args.host}:{args.port}/v1"
        + (f" (faults: {', '.join(sorted(config.faults))})" if config.faults else ""),
        file=sys.stderr,
    )
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            create_app(config),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
