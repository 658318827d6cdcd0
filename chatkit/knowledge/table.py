"""The knowledge table: every cause chatkit knows, assembled from the section files.

Each file of :mod:`chatkit.knowledge.sections` holds the rows of one part of the world, in the
order a reader meets them: names, reaching the host, proxies, TLS, the API's answers, what
other providers and gateways answer, the provider's status, the browser, request-log
patterns, the triage wizard's answers.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause
from chatkit.knowledge.sections import (
    browser,
    connection,
    dns,
    http_api,
    networks,
    providers,
    proxy,
    request_log,
    responses,
    sdk,
    service,
    tls,
    triage,
    web,
)

SECTIONS: tuple[tuple[Cause, ...], ...] = (
    dns.ROWS, connection.ROWS, proxy.ROWS, tls.ROWS, http_api.ROWS, responses.ROWS,
    providers.ROWS, service.ROWS, browser.ROWS, web.ROWS, networks.ROWS, request_log.ROWS,
    triage.ROWS, sdk.ROWS,
)


def _index(*sections: tuple[Cause, ...]) -> dict[str, Cause]:
    table: dict[str, Cause] = {}
    for section in sections:
        for row in section:
            if row.kind in table:
                raise RuntimeError(f"knowledge: kind {row.kind!r} appears twice in KNOWLEDGE")
            table[row.kind] = row
    return table


#: kind -> row: every cause chatkit knows.
KNOWLEDGE: dict[str, Cause] = _index(*SECTIONS)
