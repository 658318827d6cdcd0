"""The resilient recording client: retry policy, transports, the request log, connection timing.

:func:`resilient_client` is the front door; :mod:`~chatkit.client.policy` decides what to
retry, :mod:`~chatkit.client.transport` records each attempt in a
:mod:`~chatkit.client.requestlog`. Everything the request path needs is imported here, when
the client is built, never while a request is in flight.
"""

from __future__ import annotations

from chatkit.client.factory import async_resilient_client, resilient_client
from chatkit.client.policy import NO_RETRY, RetryPolicy
from chatkit.client.requestlog import RequestLog, flush_logs
from chatkit.client.transport import AsyncRecordingTransport, RecordingTransport

__all__ = [
    "NO_RETRY",
    "AsyncRecordingTransport",
    "RecordingTransport",
    "RequestLog",
    "RetryPolicy",
    "async_resilient_client",
    "flush_logs",
    "resilient_client",
]
