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
    "run_all": "chatkit.checks",
    # what a failure means (issue 3)
    "classify": "chatkit.classify",
    "explain": "chatkit.classify",
    # notebook panels (ipywidgets loads only when one is first used)
    "DoctorPanel": "chatkit.widgets.doctor",
    "Notes": "chatkit.widgets.notes",
    "TriageWizard": "chatkit.widgets.wizard",
}

__all__ = sorted([*_LAZY, "__version__"])

if TYPE_CHECKING:
    from chatkit.checks import doctor, run_all
    from chatkit.classify import classify, explain
    from chatkit.errors import ChatkitError
    from chatkit.findings import Finding, Report
    from chatkit.redact import redact_url
    from chatkit.targets import Target
    from chatkit.widgets.doctor import DoctorPanel
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
