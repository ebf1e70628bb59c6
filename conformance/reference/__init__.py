"""The bundled reference server: a small deterministic ASGI server that speaks the OpenAI API correctly.

It is the default target of `oai-conformance run` and the known-good target of the project's own tests. It is
not a model: it echoes, counts and stores. Its faults (`FAULTS`) make it break one rule at a time, so the
project's tests can show each check failing.
"""

from .app import FAULTS, ServerConfig, create_app
from .chatkit import CHATKIT_WORKFLOW  # chatkit
from .runner import RunningServer, ServerProcess, run_forever, serve, serve_apart

__all__ = [
    "CHATKIT_WORKFLOW",
    "FAULTS",
    "RunningServer",
    "ServerConfig",
    "ServerProcess",
    "create_app",
    "run_forever",
    "serve",
    "serve_apart",
]
