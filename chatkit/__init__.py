"""chatkit: find out why ChatGPT or an OpenAI-compatible API doesn't work, and share it safely.

The names a notebook needs are importable from here; heavy modules (pandas, matplotlib,
ipywidgets, httpx) load only when a name that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first access (PEP 562)
_LAZY: dict[str, str] = {
    "ChatkitError": "chatkit.errors",
    "Finding": "chatkit.findings",
    "Report": "chatkit.findings",
    "Target": "chatkit.targets",
    "doctor": "chatkit.checks",
    "redact_url": "chatkit.redact",
    # sharing safely (issue 6): redaction, reports, the support bundle
    "Redactor": "chatkit.redact",
    "ShareReport": "chatkit.report",
    "build_bundle": "chatkit.bundle",
    "redact": "chatkit.redact",
    "redact_file": "chatkit.redact_files",
    "redact_headers": "chatkit.redact",
    "save_report": "chatkit.report",
    "run_all": "chatkit.checks",
    # network and service diagnostics (issue 4)
    "CheckContext": "chatkit.checks",
    # what a failure means (issue 3)
    "classify": "chatkit.classify",
    "explain": "chatkit.classify",
    "RetryPolicy": "chatkit.client",
    "RecordingTransport": "chatkit.client",
    "AsyncRecordingTransport": "chatkit.client",
    "resilient_client": "chatkit.client",
    "async_resilient_client": "chatkit.client",
    "validate_request": "chatkit.validate",
    # request logs (issue 5): one frame from any log, and the answers in it
    "breakdown": "chatkit.logs",
    "load": "chatkit.logs",
    "summarize": "chatkit.logs",
    "timeline": "chatkit.logs",
    # notebook panels (ipywidgets loads only when one is first used)
    "DoctorPanel": "chatkit.widgets.doctor",
    "LogExplorer": "chatkit.widgets.logs",
    "Notes": "chatkit.widgets.notes",
    "TriageWizard": "chatkit.widgets.wizard",
}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:
    from chatkit.bundle import build_bundle
    from chatkit.checks import CheckContext, doctor, run_all
    from chatkit.classify import classify, explain
    from chatkit.client import (
        AsyncRecordingTransport,
        RecordingTransport,
        RetryPolicy,
        async_resilient_client,
        resilient_client,
    )
    from chatkit.errors import ChatkitError
    from chatkit.findings import Finding, Report
    from chatkit.logs import breakdown, load, summarize, timeline
    from chatkit.redact import Redactor, redact_headers, redact_url
    from chatkit.redact_files import redact, redact_file
    from chatkit.report import ShareReport, save_report
    from chatkit.targets import Target
    from chatkit.validate import validate_request
    from chatkit.widgets.doctor import DoctorPanel
    from chatkit.widgets.logs import LogExplorer
    from chatkit.widgets.notes import Notes
    from chatkit.widgets.wizard import TriageWizard


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chatkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
