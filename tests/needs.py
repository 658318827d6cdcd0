"""Skip a test whose tool is missing on a developer's machine; fail it in CI, where a skip
would hide a broken install (.ci/run installs chromium and curl)."""

from __future__ import annotations

import os

import pytest


def missing(what: str) -> None:
    """Skip (or, under CI, fail) the running test because ``what`` is missing."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test but {what}")
    pytest.skip(what)
