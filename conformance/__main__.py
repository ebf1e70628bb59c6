"""`python -m conformance` is `oai-conformance`, for environments whose scripts folder is not on PATH."""

import sys

from conformance.cli import main

sys.exit(main())
