"""A row of the knowledge table, and the dashboard pages its remedies name."""

from __future__ import annotations

from dataclasses import dataclass

from chatkit.findings import Category

OPENAI_KEYS = "https://platform.openai.com/api-keys"
OPENAI_BILLING = "https://platform.openai.com/settings/organization/billing"
OPENAI_LIMITS = "https://platform.openai.com/settings/organization/limits"
OPENAI_STATUS = "https://status.openai.com"


@dataclass(frozen=True, slots=True)
class Cause:
    """One row of the knowledge table.

    ``cause``, ``remedy`` and ``title`` may hold ``{placeholders}`` (``{host}``, ``{param}``,
    ...) filled from a Finding's evidence; a missing one reads "(unknown host)".
    """

    kind: str  # stable id, e.g. "dns_not_found", "rate_limit", "insufficient_quota"
    category: Category  # network | service | browser | account | integration
    cause: str  # why (may use {placeholders} filled from evidence)
    remedy: str  # what to do, concrete: which header/setting/dashboard page, how long to wait
    retryable: bool | None
    title: str  # short human sentence
