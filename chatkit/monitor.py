"""Repeated small probes of an API, appended to a request log, one live line each.

A probe is one tiny answer (streamed by default, so time to first token is measured) from
the Responses API or chat completions (``api``; by default as ``chatkit doctor`` chooses:
the Responses API for openai and azure, chat elsewhere) or, without a key, a keyless
``GET /models`` (any answer, even 401, shows the
API is reachable and how fast). Every probe goes through :class:`~chatkit.client.
RecordingTransport` without retries, so the log holds exactly one row per probe in the
request-log contract and ``chatkit analyze`` or the log panel can plot hours of it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatkit.checks.api import APIS, default_api
from chatkit.client import NO_RETRY, resilient_client
from chatkit.client.requestlog import RequestLog
from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify
from chatkit.knowledge.sse import percentile
from chatkit.knowledge.validation import validate_request
from chatkit.targets import Target

__all__ = ["Probe", "format_probe", "format_summary", "monitor"]

PROMPT = "Reply with the single word OK."


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe: its number, the log row written for it, and what it means."""

    number: int
    row: Mapping[str, Any]
    finding: Finding

    @property
    def ok(self) -> bool:
        return self.finding.status == "ok"


class _Tee(RequestLog):
    """A request log that also hands each row back to the monitor."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, batched=False)  # each probe's row, as soon as it is made
        self.rows: list[Mapping[str, Any]] = []

    def write(self, row: Mapping[str, Any] | str) -> None:
        super().write(row)
        self.rows.append(json.loads(row) if isinstance(row, str) else row)  # a line: its row


def _request(target: Target, environ: Mapping[str, str] | None, stream: bool, api: str
             ) -> tuple[str, str, dict[str, str], dict[str, Any] | None]:
    headers = target.auth_headers(environ)
    if not headers:
        return "GET", f"{target.url}/models", {}, None
    model = target.model or "gpt-4o-mini"
    if api == "responses":  # 16: the API's smallest max_output_tokens
        answer = {"model": model, "input": PROMPT, "max_output_tokens": 16, "store": False}
        return "POST", f"{target.url}/responses", headers, {**answer, "stream": stream}
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": PROMPT}],
                            "max_tokens": 5}
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return "POST", f"{target.url}/chat/completions", headers, body


def monitor(target: Target, *, log_path: str, every: float = 60.0, count: int | None = None,
            stream: bool = True, api: str | None = None,
            environ: Mapping[str, str] | None = None,
            timeout: float | None = None, sleep: Callable[[float], Any] = time.sleep,
            clock: Callable[[], float] = time.monotonic) -> Iterator[Probe]:
    """Probe ``target`` every ``every`` seconds (``count`` times, or until stopped), append
    one row per probe to ``log_path`` and yield each :class:`Probe` as it completes."""
    import httpx

    api = api or default_api(target.provider)
    if api not in APIS:
        raise UsageError(f"api must be 'responses' or 'chat', not {api!r}")
    method, url, headers, body = _request(target, environ, stream, api)
    # A key no HTTP client can send (a typographic dash, a newline) is named as doctor names
    # it, once, instead of failing inside the client on every probe.
    refused = [f for f in validate_request(body or {}, headers=headers, check="monitor.probe")
               if f.evidence.get("kind") == "client_protocol_error"] if headers else []
    if refused:
        yield Probe(1, {}, refused[0])
        return
    tee = _Tee(log_path)
    limit = timeout if timeout is not None else target.timeout
    started = clock()
    number = 0
    # chatkit's own probes speak httpx; no retries, so one probe is one row
    with resilient_client(target, log_path=tee, policy=NO_RETRY, flavour="httpx",
                          timeout=limit) as client:
        while count is None or number < count:
            if number:
                sleep(max(0.0, started + number * every - clock()))
            number += 1
            before = len(tee.rows)
            try:
                with client.stream(method, url, headers=headers, json=body) as response:
                    for _ in response.iter_raw():
                        pass
            except httpx.HTTPError:
                pass  # the transport recorded it; classify explains it below
            row = tee.rows[-1] if len(tee.rows) > before else {"exception": "NoAttempt"}
            finding = classify(row, check="monitor.probe")
            if method == "GET" and row.get("status") == 401:  # keyless: 401 = reachable
                finding = finding.replace(status="ok", title="API reachable (keyless probe)")
            yield Probe(number, row, finding)


def _clock_of(ts: str | None) -> str:
    if not ts:
        return "--:--:--"
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).strftime("%H:%M:%S")
    except ValueError:
        return ts


def _ms(value: Any) -> str:
    return f"{value:.0f} ms" if isinstance(value, (int, float)) else "-"


def format_probe(probe: Probe) -> str:
    """The live line: time, number, status, latency, time to first token, and the verdict."""
    row = probe.row
    status = str(row.get("status") or row.get("exception") or "-")
    line = (f"{_clock_of(row.get('ts'))}Z  #{probe.number:<4} {status:<12} "
            f"latency {_ms(row.get('latency_ms')):>8}  ttft {_ms(row.get('ttft_ms')):>8}")
    if probe.ok:
        return f"{line}  ok"
    wait = probe.finding.evidence.get("wait")
    return f"{line}  FAIL {probe.finding.title}" + (f" (wait {wait})" if wait else "")


def format_summary(probes: list[Probe]) -> str:
    """One closing line: how many probes failed, latency percentiles of the answered ones."""
    failed = sum(not p.ok for p in probes)
    latencies = [float(p.row["latency_ms"]) for p in probes
                 if p.ok and isinstance(p.row.get("latency_ms"), (int, float))]
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    spread = (f", latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
              if p50 is not None and p95 is not None else "")
    return f"{len(probes)} probes, {failed} failed{spread}"
