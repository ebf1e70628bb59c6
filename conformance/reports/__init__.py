"""Reports of a run: the versioned results document, JUnit XML, and the human certificate."""

from conformance.reports.certificate import render_html, render_markdown
from conformance.reports.junit import render_junit
from conformance.reports.results import RESULTS_FORMAT, RESULTS_VERSION, build_results, load_results
from conformance.reports.writer import write_reports

__all__ = [
    "RESULTS_FORMAT",
    "RESULTS_VERSION",
    "build_results",
    "load_results",
    "render_html",
    "render_junit",
    "render_markdown",
    "write_reports",
]
