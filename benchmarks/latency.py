"""How long a certification takes against a slow server, and how close it comes to what the latency allows.

Starts the reference server and, in front of it, a proxy that waits LATENCY before it forwards each request (as
a remote API or a CPU model would answer), then times `oai-conformance run` through the proxy for each setting
and prints its wall time, the requests it sent, and the floor: requests x latency / requests in flight (what
the latency alone costs; start-up and judging come on top).

    python benchmarks/latency.py [--latency 0.3] [--settings "concurrency=1" "concurrency=4" "concurrency=8 workers=2"]

A setting is `concurrency=N` (requests in flight per process: cases read ahead and the generated phase's
examples) and `workers=N` (pytest-xdist processes). Not a test: the figures go to the README.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.reference import ServerConfig, serve


def proxy_app(upstream: str, latency: float) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=120)

    async def forward(request: Request) -> Response:
        await asyncio.sleep(latency)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = await client.request(
            request.method, request.url.path, params=request.query_params, content=await request.body(),
            headers=headers,
        )  # fmt: skip
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-encoding",
                                                                              "transfer-encoding")}  # fmt: skip
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    methods = ["GET", "POST", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def slow_proxy(upstream: str, latency: float) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(proxy_app(upstream, latency), host="127.0.0.1", port=port,
                                          log_level="warning", limit_concurrency=256))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def certify(base_url: str, setting: dict[str, str], folder: Path) -> tuple[float, int]:
    out = folder / "-".join(f"{k}{v}" for k, v in setting.items())
    args = [sys.executable, "-m", "conformance", "run", "--base-url", f"{base_url}/v1", "--no-api-key",
            "--report-dir", str(out), "--concurrency", setting.get("concurrency", "1")]  # fmt: skip
    if setting.get("workers", "1") != "1":
        args += ["--workers", setting["workers"]]
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return seconds, int(results["usage"]["requests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds added before each answer")
    parser.add_argument("--settings", nargs="+", default=["concurrency=1", "concurrency=4", "concurrency=8",
                                                          "concurrency=4 workers=2"])  # fmt: skip
    args = parser.parse_args()
    settings = [dict(part.split("=", 1) for part in s.split()) for s in args.settings]
    with tempfile.TemporaryDirectory() as tmp, serve(ServerConfig()) as reference:
        upstream = reference.base_url.removesuffix("/v1")
        with slow_proxy(upstream, args.latency) as proxy:
            print(f"latency {args.latency:.3f} s per answer")
            for setting in settings:
                seconds, requests = certify(proxy, setting, Path(tmp))
                in_flight = int(setting.get("concurrency", "1")) * int(setting.get("workers", "1"))
                floor = requests * args.latency / in_flight
                label = " ".join(f"{k}={v}" for k, v in setting.items())
                print(f"{label:28} {seconds:6.1f} s   {requests} requests   floor {floor:5.1f} s "
                      f"({requests} x {args.latency:g} s / {in_flight} in flight)")  # fmt: skip


if __name__ == "__main__":
    main()
