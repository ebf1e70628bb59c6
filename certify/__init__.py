"""Certify real OpenAI-compatible servers: install, start, run the suite, stop, publish (`python -m certify`)."""
