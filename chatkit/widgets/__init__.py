"""ipywidgets panels that compose chatkit's library functions: no diagnosis happens here.

``DoctorPanel`` (run the checks), ``TriageWizard`` (the guided decision tree), ``LogExplorer``
(load, filter and plot a request log) and ``Notes`` (collect findings, export the report and
the support bundle). Each is a plain class owning its widgets; a notebook shows it by making
it the last expression of a cell. ``connect()`` picks the real service or the simulator for a
notebook's parameters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["DoctorPanel", "LogExplorer", "Notes", "Session", "TriageWizard", "connect"]

_MODULES = {
    "DoctorPanel": "chatkit.widgets.doctor_panel",
    "LogExplorer": "chatkit.widgets.logs",
    "Notes": "chatkit.widgets.notes",
    "Session": "chatkit.widgets.session",
    "TriageWizard": "chatkit.widgets.wizard",
    "connect": "chatkit.widgets.session",
}

if TYPE_CHECKING:
    from chatkit.widgets.doctor_panel import DoctorPanel
    from chatkit.widgets.logs import LogExplorer
    from chatkit.widgets.notes import Notes
    from chatkit.widgets.session import Session, connect
    from chatkit.widgets.wizard import TriageWizard


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'chatkit.widgets' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
