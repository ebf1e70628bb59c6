"""`python -m conformance` is `oai-conformance`, for environments whose scripts folder is not on PATH."""

from conformance.cli import entry

if __name__ == "__main__":  # not when a spawned process (conformance.generation's drawing) imports it
    entry()
