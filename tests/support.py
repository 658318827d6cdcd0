"""Small helpers the tests share: skipping (or, in CI, failing) on a missing tool, saying
things past pytest's output capture, reading a JSONL log."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from chatkit.client import flush_logs


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


def jsonl_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file (a request log the recorder wrote), after the rows the
    recorders still hold are written, as chatkit's own readers do."""
    flush_logs()
    return [json.loads(line) for line in path.read_text().splitlines()]
