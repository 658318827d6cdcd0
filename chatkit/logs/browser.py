"""Browser diagnosis from a HAR: what in the browser itself broke the page.

Reads the extra columns the HAR reader adds (``user_agent``, ``cookie_bytes``,
``resource_type``, ``from_cache``, ``service_worker``, ``mime_type``) next to the contract's.
Network errors the browser reports (``net::ERR_*``: blocked by an extension, certificate, DNS)
are already failure rows and are explained by the failure findings; this module adds what a
request log alone does not say: oversized cookies (431), an outdated browser, a stale
service-worker/cached app, failed WebSocket/EventSource connections, and CORS blocks (an HTTP
status together with ``net::ERR_FAILED``: the server answered, the browser hid the answer).

The browser's currency is judged on the HAR's own date against the release table of
:mod:`chatkit.logs.releases` (Chrome, Edge, Firefox, Opera, Safari, Safari on iOS, Samsung
Internet), so a HAR recorded in 2015 is judged against 2015's browsers and one from 2027
against 2027's; the rule does not go stale.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

from chatkit.knowledge.classifier import explain
from chatkit.logs.releases import BROWSERS, currency

if TYPE_CHECKING:
    from chatkit.findings import Finding
    from chatkit.logs.columns import Columns

__all__ = ["COOKIE_LIMIT_BYTES", "browser_findings", "current_stable", "parse_user_agent"]

#: Cookie headers past this many bytes are near what servers and CDNs accept (8-16 KB).
COOKIE_LIMIT_BYTES = 8 * 1024
# majors released after the user's that are still fine: rapid-release browsers ship every
# four weeks and auto-update within days; Safari and Samsung Internet ship a major a year or so
_BEHIND = {"Chrome": 2, "Edge": 2, "Firefox": 2, "Opera": 2, "Safari": 1, "Safari iOS": 1,
           "Samsung Internet": 1}

# Tried in order: the browsers that wrap Chromium or WebKit say so before "Chrome"/"Safari".
# Mobile variants whose numbers follow their own scheme (Edge and Opera on phones, Firefox on
# iOS) are not judged.
_UA = (
    (None, re.compile(r"EdgA/|EdgiOS/|FxiOS/|OPT/|Opera Mini|^(?=.*OPR/).*(?:Mobile|Android)")),
    ("Edge", re.compile(r"Edge?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"Firefox/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari iOS", re.compile(r"Version/(\d+)[\d.]* Mobile/\S+ Safari\b")),
    ("Safari", re.compile(r"Version/(\d+)[\d.]* Safari\b")),
)


def parse_user_agent(user_agent: str) -> tuple[str, int] | None:
    """(browser, major version) from a User-Agent string, or None (unknown or not judged)."""
    user_agent = user_agent.replace("+", " ")  # some logs write the spaces of a UA as '+'
    for name, pattern in _UA:
        match = pattern.search(user_agent)
        if match:
            return (name, int(match.group(1))) if name else None
    return None


def current_stable(browser: str, on: date) -> int:
    """The newest stable major of ``browser`` on a given day (from the release table)."""
    found = currency(browser, 0, on)
    if found is None:
        raise KeyError(f"no release table for {browser!r}; known: {', '.join(BROWSERS)}")
    return found.current


def browser_findings(cols: Columns) -> list[Finding]:
    """Findings about the browser that recorded a HAR (empty for other logs)."""
    findings: list[Finding] = []
    for check in (_cookies, _old_browser, _stale_cache, _realtime, _cors):
        finding = check(cols)
        if finding is not None:
            findings.append(finding)
    return findings


def _host(cols: Columns, rows: np.ndarray) -> str | None:
    if "host" not in cols.frame or rows.size == 0:
        return None
    hosts = cols.frame["host"].iloc[rows].dropna()
    return str(hosts.mode().iloc[0]) if len(hosts) else None


def _cookies(cols: Columns) -> Finding | None:
    sizes = cols.frame["cookie_bytes"].to_numpy(dtype="float64", na_value=np.nan)
    big = np.flatnonzero((sizes >= COOKIE_LIMIT_BYTES) | (cols.status == 431))
    if big.size == 0:
        return None
    largest = float(np.nanmax(sizes[big])) if not np.isnan(sizes[big]).all() else float("nan")
    refused = int((cols.status[big] == 431).sum())
    kb = "?" if largest != largest else f"{largest / 1024:.0f}"
    host = _host(cols, big)
    title = (f"Cookies for {host} are {kb} KB" + (f" and {refused} request(s) got 431" if refused
                                                 else "") + ": clear cookies for the site")
    return explain("cookie_bloat", check="browser.cookies",
                   status="fail" if refused else "warn", title=title,
                   evidence={"host": host, "cookie_kb": kb, "requests": int(big.size),
                             "status_431": refused})


def _old_browser(cols: Columns) -> Finding | None:
    agents = cols.frame["user_agent"].dropna()
    if agents.empty or cols.n == 0:
        return None
    parsed = parse_user_agent(str(agents.mode().iloc[0]))
    if parsed is None:
        return None
    browser, version = parsed
    ts = cols.ts[~np.isnan(cols.ts)]
    day = (datetime.fromtimestamp(ts.max() / 1000, tz=timezone.utc).date() if ts.size
           else datetime.now(timezone.utc).date())
    found = currency(browser, version, day)
    if found is None or found.released is None or found.behind <= _BEHIND[browser]:
        return None  # unknown, too new for the table, or recent enough
    about = "about " if found.estimated else ""
    return explain("old_browser", check="browser.version", status="warn",
                   title=f"{browser} {version} is out of date (current is {about}"
                         f"{found.current})",
                   evidence={"browser": browser, "version": version, "current": found.current,
                             "majors_behind": found.behind,
                             "released_on": found.released.isoformat(),
                             "recorded_on": day.isoformat()})


def _stale_cache(cols: Columns) -> Finding | None:
    frame = cols.frame
    kind = frame["resource_type"].astype("object").fillna("").to_numpy()
    mime = frame["mime_type"].astype("object").fillna("").to_numpy()
    script = (kind == "script") | np.array(["javascript" in m for m in mime], dtype=bool)
    cached = (frame["service_worker"].fillna(False).to_numpy(dtype=bool) |
              frame["from_cache"].notna().to_numpy())
    missing = script & ((cols.status == 404) | (cols.failed & ~cached))
    served = script & cached
    if not (served.any() and missing.any()):
        return None
    rows = np.flatnonzero(missing)
    detail = f"{int(served.sum())} script(s) from cache, {rows.size} script(s) missing or failed"
    return explain("service_worker_stale", check="browser.cache", status="warn",
                   title=f"Stale cached app: {detail}",
                   evidence={"host": _host(cols, rows), "cached_scripts": int(served.sum()),
                             "failed_scripts": int(rows.size)}, detail=detail)


def _realtime(cols: Columns) -> Finding | None:
    kind = cols.frame["resource_type"].astype("object").fillna("").to_numpy()
    mime = cols.frame["mime_type"].astype("object").fillna("").to_numpy()
    socket = kind == "websocket"
    stream = (kind == "eventsource") | (mime == "text/event-stream")
    bad = (socket & (cols.status != 101)) | (stream & cols.failed)
    if not bad.any():
        return None
    rows = np.flatnonzero(bad)
    transport = "WebSocket" if socket[rows].any() else "EventSource (server-sent events)"
    exceptions = cols.frame["exception"].iloc[rows].dropna().astype(str)
    statuses = [str(int(s)) for s in cols.status[rows] if s == s]
    detail = exceptions.iloc[0] if len(exceptions) else (
        f"HTTP {statuses[0]}" if statuses else "no response")
    host = _host(cols, rows)
    return explain("realtime_connection_failed", check="browser.realtime", status="fail",
                   title=f"{rows.size} {transport} connection(s) to {host} failed ({detail})",
                   evidence={"host": host, "transport": transport, "failures": int(rows.size),
                             "detail": detail})


def cors_rows(cols: Columns) -> np.ndarray:
    """Rows with an HTTP status *and* Chrome's net::ERR_FAILED: the answer came, CORS hid it."""
    exceptions = cols.frame["exception"].astype("object").fillna("").to_numpy() \
        if "exception" in cols.frame else np.full(cols.n, "", dtype=object)
    return np.flatnonzero((cols.code > 0) & (exceptions == "net::ERR_FAILED"))


def _cors(cols: Columns) -> Finding | None:
    rows = cors_rows(cols)
    if rows.size == 0:
        return None
    host = _host(cols, rows)
    status = int(cols.code[rows[0]])
    return explain("cors_blocked", check="browser.cors", status="fail",
                   title=f"{rows.size} request(s) to {host} blocked by CORS (HTTP {status} "
                   "with net::ERR_FAILED)",
                   evidence={"host": host, "status": status, "requests": int(rows.size),
                             "detail": "net::ERR_FAILED"})
