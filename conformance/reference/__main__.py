"""`python -m conformance.reference FD`: the reference server's own process, started by `runner.serve_apart`."""

import sys

from conformance.reference.runner import serve_from_parent

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("python -m conformance.reference is started by a run, with a listening socket's descriptor; "
             "to serve the reference server yourself: oai-conformance serve")  # fmt: skip
serve_from_parent(int(sys.argv[1]))
