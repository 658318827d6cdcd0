"""The measurements: one module per measured thing, each returning Findings.

Each check group (``dns``, ``tcp``, ``tls``, ``proxy``, ``http``, ``control``, ``status``,
``api``) is one or more ``async`` functions ``check(target, ctx) -> list[Finding]`` registered
with :func:`~chatkit.checks.base.register`. A check never raises for a failed measurement
(that is a Finding). :func:`~chatkit.checks.runner.run_all` runs them concurrently into a
:class:`~chatkit.findings.Report`.
"""

from __future__ import annotations

from chatkit.checks.base import GROUPS, Check, CheckContext, register
from chatkit.checks.probe import probe_client
from chatkit.checks.runner import GROUP_ORDER, available_groups, doctor, run_all

__all__ = [
    "GROUPS",
    "GROUP_ORDER",
    "Check",
    "CheckContext",
    "available_groups",
    "doctor",
    "probe_client",
    "register",
    "run_all",
]
