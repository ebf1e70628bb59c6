"""The errors the suite raises on purpose.

    ConformanceError              base class; never raised itself
    ├── ConfigError               a wrong option, environment variable or TOML value (exit 2)
    ├── TargetUnreachable         the server cannot be reached at all (exit 2)
    └── NotApplicable             a check does not apply to this subject (the outcome is SKIP)

Each message is one line that says what is wrong and where it came from; the CLI prints it as is.
"""


class ConformanceError(Exception):
    """Base class of the suite's own errors."""


class ConfigError(ConformanceError):
    """A configuration value is wrong; the message names the option and its source."""


class TargetUnreachable(ConformanceError):
    """The target could not be reached (connection refused, DNS, TLS, timeout on connect)."""


class NotApplicable(ConformanceError):
    """Raised by a check when the subject gives it nothing to judge; the reason is shown as the skip reason."""


def one_line(error: object, *, kind: bool = False) -> str:
    """An error's text on one line (for messages that must stay one line), with its type when `kind`."""
    detail = " ".join(str(error).split())
    return f"{type(error).__name__}: {detail or 'no detail'}" if kind else detail
