"""The provider's own word: what its status page says."""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    # Service status (chatkit.checks.status)
    Cause("status_outage", "service",
          "{page} reports {description}: {incidents}",
          "nothing to fix on your side: wait for the provider, retry with exponential backoff, "
          "and follow {link}",
          True, "provider outage"),
    Cause("status_degraded", "service",
          "{page} reports {description}: {incidents}",
          "expect slower answers and some errors: retry with backoff, raise timeouts, follow "
          "{link}",
          True, "provider degraded"),
    Cause("status_maintenance", "service",
          "{page} reports maintenance: {incidents}",
          "some requests may fail until it ends: retry later; follow {link}",
          True, "provider maintenance"),
    Cause("status_unknown", "service",
          "the status page {url} could not be read ({detail}): its status is unknown, which is "
          "not the same as down",
          "open the status page in a browser; the provider may have moved it",
          None, "status page unreadable"),
)
