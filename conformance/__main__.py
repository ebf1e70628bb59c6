"""`python -m conformance` is `oai-conformance`, for environments whose scripts folder is not on PATH."""

from conformance.cli import entry

entry()
