"""Small helpers the tests share: skipping (or, in CI, failing) on a missing tool, and saying
things past pytest's output capture."""

from __future__ import annotations

import os

import pytest


def missing(what: str) -> None:
    """Skip the running test because ``what`` is missing; under CI fail it instead, where a
    skip would hide a broken install (.ci/run installs chromium and curl)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test but {what}")
    pytest.skip(what)


def say(request: pytest.FixtureRequest, *lines: str) -> None:
    """Write lines to the terminal past pytest's output capture (paths and figures a reader
    of the test log needs)."""
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(*lines, sep="\n")
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
