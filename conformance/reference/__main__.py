"""`python -m conformance.reference FD`: the reference server's own process, started by `runner.serve_apart`."""

import sys

from conformance.reference.runner import serve_from_parent

serve_from_parent(int(sys.argv[1]))
