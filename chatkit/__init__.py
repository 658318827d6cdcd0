"""chatkit: find out why ChatGPT or an OpenAI-compatible API doesn't work, and share it safely.

The names a notebook needs are importable from here; heavy modules (pandas, matplotlib,
ipywidgets, httpx) load only when a name that needs them is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it; resolved on first access (PEP 562)
_LAZY: dict[str, str] = {
    "AsyncRecordingTransport": "chatkit.client.transport",
    "ChatkitError": "chatkit.errors",
    "CheckContext": "chatkit.checks.base",
    "DoctorPanel": "chatkit.widgets.doctor_panel",
    "Finding": "chatkit.findings",
    "LogExplorer": "chatkit.widgets.logs",
    "Notes": "chatkit.widgets.notes",
    "RecordingTransport": "chatkit.client.transport",
    "Redactor": "chatkit.redaction.scrub",
    "Report": "chatkit.findings",
    "RetryPolicy": "chatkit.client.policy",
    "ShareReport": "chatkit.share.report",
    "Target": "chatkit.targets",
    "TriageWizard": "chatkit.widgets.wizard",
    "async_resilient_client": "chatkit.client.factory",
    "breakdown": "chatkit.logs.analyze",
    "build_bundle": "chatkit.share.bundle",
    "classify": "chatkit.knowledge.classifier",
    "doctor": "chatkit.checks.runner",
    "explain": "chatkit.knowledge.classifier",
    "load": "chatkit.logs.readers",
    "redact": "chatkit.redaction.files",
    "redact_file": "chatkit.redaction.files",
    "redact_headers": "chatkit.redaction.scrub",
    "redact_url": "chatkit.redaction.scrub",
    "resilient_client": "chatkit.client.factory",
    "run_all": "chatkit.checks.runner",
    "save_report": "chatkit.share.report",
    "summarize": "chatkit.logs.analyze",
    "timeline": "chatkit.logs.analyze",
    "validate_request": "chatkit.knowledge.validation",
}

__all__ = [
    "AsyncRecordingTransport",
    "ChatkitError",
    "CheckContext",
    "DoctorPanel",
    "Finding",
    "LogExplorer",
    "Notes",
    "RecordingTransport",
    "Redactor",
    "Report",
    "RetryPolicy",
    "ShareReport",
    "Target",
    "TriageWizard",
    "__version__",
    "async_resilient_client",
    "breakdown",
    "build_bundle",
    "classify",
    "doctor",
    "explain",
    "load",
    "redact",
    "redact_file",
    "redact_headers",
    "redact_url",
    "resilient_client",
    "run_all",
    "save_report",
    "summarize",
    "timeline",
    "validate_request",
]

if TYPE_CHECKING:
    from chatkit.checks.base import CheckContext
    from chatkit.checks.runner import doctor, run_all
    from chatkit.client.factory import async_resilient_client, resilient_client
    from chatkit.client.policy import RetryPolicy
    from chatkit.client.transport import AsyncRecordingTransport, RecordingTransport
    from chatkit.errors import ChatkitError
    from chatkit.findings import Finding, Report
    from chatkit.knowledge.classifier import classify, explain
    from chatkit.knowledge.validation import validate_request
    from chatkit.logs.analyze import breakdown, summarize, timeline
    from chatkit.logs.readers import load
    from chatkit.redaction.files import redact, redact_file
    from chatkit.redaction.scrub import Redactor, redact_headers, redact_url
    from chatkit.share.bundle import build_bundle
    from chatkit.share.report import ShareReport, save_report
    from chatkit.targets import Target
    from chatkit.widgets.doctor_panel import DoctorPanel
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
