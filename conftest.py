"""Root pytest configuration of the project's own tests (the conformance cases need none: the plugin serves them).

Hypothesis runs derandomized in CI, so a failure there reproduces on a developer's machine.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
