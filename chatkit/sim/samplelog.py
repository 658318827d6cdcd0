"""A seeded, realistic request log in chatkit's JSONL contract, fast enough for a million rows.

What the log holds (so the analysis has something true to find):

* four chat models with log-normal time to first token and per-token time (gpt-4o-mini fast,
  gpt-4.1 slower, o4-mini with a long first token), plus a few embeddings and model-list calls;
* about 10% of the model calls through the Responses API (``/v1/responses``), a few of whose
  answers stop at max_output_tokens (status 200, ``error_type`` ``incomplete``);
* streamed and plain requests, ``ttft_ms`` only on streams; DNS/connect/TLS times only on the
  first request of a connection;
* a rate-limit burst: a window in which most requests to one model get 429
  ``rate_limit_exceeded``;
* an outage: a window of 500/502/503 answers and requests with no response at all
  (``ReadTimeout``, ``ConnectError``; status null);
* background noise: a few 500s, 503s, 400 ``context_length_exceeded`` and 429
  ``insufficient_quota`` (never retried);
* retries: a failed retryable attempt is followed, after a backoff, by the same request
  with ``attempt`` one higher (0 = first try), up to attempt 2.

Columns are drawn with numpy, then each line is one ``%`` format of pre-rendered JSON tokens,
which writes about a million rows (~600 MB) in well under a minute.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np

from chatkit.client.requestlog import FIELDS  # the contract's columns: every line has every one
from chatkit.sim.faults import ORGANIZATION
from chatkit.sim.payloads import API_ERROR_MESSAGES as MSG

__all__ = ["FIELDS", "generate_log"]

_DEFAULT_START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
_HOST = "api.openai.com"


@dataclass(frozen=True, slots=True)
class _Model:
    name: str
    share: float
    ttft_ms: float       # median time to first token
    ttft_sigma: float
    tpot_ms: float       # time per output token
    completion: float    # median completion tokens


_MODELS = (
    _Model("gpt-4o-mini", 0.50, 350, 0.35, 9, 180),
    _Model("gpt-4.1", 0.25, 650, 0.40, 22, 260),
    _Model("o4-mini", 0.15, 3800, 0.50, 11, 320),
    _Model("gpt-4o", 0.10, 500, 0.40, 16, 220),
)

# Kinds of request: (endpoint, method, model or None, share)
_CHAT, _EMBED, _LIST = 0, 1, 2
# A model call goes to the Responses API (index 3 here) for a share of the calls, drawn from a
# second generator so that every other column is what it was before the Responses API.
_ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings", "/v1/models", "/v1/responses")
_METHODS = ("POST", "POST", "GET", "POST")
_RESPONSES = 3
_RESPONSES_SHARE = 0.1
#: Of the Responses calls answered 200, the share that stops at max_output_tokens.
_INCOMPLETE_SHARE = 0.03
_INCOMPLETE_FIELDS = ("incomplete", "max_output_tokens",
                      "the response is incomplete (max_output_tokens)")  # as the recorder says

# Outcomes: (status, error_type, error_code, error_message, exception, from_api, retryable)
_OK, _RATE, _QUOTA, _E500, _E502, _E503, _TIMEOUT, _CONNECT, _E400 = range(9)
_OUTCOMES: tuple[tuple[int | None, str | None, str | None, str | None, str | None, bool, bool],
                 ...] = (
    (200, None, None, None, None, True, False),
    (429, "tokens", "rate_limit_exceeded", None, None, True, True),  # message per model
    (429, "insufficient_quota", "insufficient_quota", MSG["insufficient_quota"], None, True,
     False),
    (500, "server_error", None, MSG["server_error"], None, True, True),
    (502, None, None, "502 Bad Gateway", None, False, True),
    (503, "service_unavailable_error", "server_is_overloaded", MSG["overloaded"], None, True,
     True),
    (None, None, None, "The read operation timed out", "ReadTimeout", False, True),
    (None, None, None, "All connection attempts failed", "ConnectError", False, True),
    (400, "invalid_request_error", "context_length_exceeded",
     "This model's maximum context length is 128000 tokens. However, your messages resulted in "
     "131072 tokens. Please reduce the length of the messages.", None, True, False),
)
#: Background failure rates outside any window (outcome -> probability per attempt).
_BACKGROUND = {_E500: 0.002, _E503: 0.0015, _E400: 0.003, _QUOTA: 0.0015}
#: Inside the outage window: the share of attempts that fail, and how.
_OUTAGE_FAIL = 0.55
_OUTAGE_MIX = {_E500: 0.30, _E502: 0.20, _E503: 0.30, _TIMEOUT: 0.12, _CONNECT: 0.08}
_BURST_FAIL = 0.6
_RETRY_SHARE = 0.85
_CLIENT_TIMEOUT_MS = 60_000.0
_BLOCK = 50_000


def generate_log(
    path_or_file: str | os.PathLike[str] | IO[Any],
    *,
    requests: int = 3000,
    seed: int = 0,
    start: datetime | str | None = None,
    span_s: float | None = None,
    outage: tuple[float, float] | None = (0.70, 0.72),
    burst: tuple[float, float] | None = (0.30, 0.33),
    burst_model: str = "gpt-4.1",
) -> int:
    """Write ``requests`` log rows (HTTP attempts) to a path or open file; return the count.

    ``start`` is the first timestamp (default 2026-03-02T08:00:00Z, fixed so that the same
    seed gives the same bytes); ``span_s`` the time the log covers (default 2 s per row).
    ``outage`` and ``burst`` place the two windows as fractions of the span (``None`` leaves
    one out); the burst hits ``burst_model``.
    """
    if requests < 0:
        raise ValueError("requests must be >= 0")
    rng = np.random.default_rng(seed)
    start_dt = _parse_start(start)
    span = float(span_s if span_s is not None else max(requests, 1) * 2.0)
    extra = np.random.default_rng([seed, _RESPONSES])
    calls = {"responses": extra.random(requests) < _RESPONSES_SHARE,
             "incomplete": extra.random(requests) < _INCOMPLETE_SHARE}
    columns = _draw(rng, requests, span, outage, burst, burst_model, calls)
    columns["rid"] = rng.integers(0, 2**63, size=(requests, 2), dtype=np.int64)
    # Render in blocks: a million rendered rows at once would need gigabytes of small strings.
    blocks = (
        "".join(_render({k: v[i:i + _BLOCK] for k, v in columns.items()}, start_dt))
        for i in range(0, requests, _BLOCK)
    )
    return _write(path_or_file, blocks, requests)


def _parse_start(start: datetime | str | None) -> datetime:
    if start is None:
        return _DEFAULT_START
    if isinstance(start, str):
        start = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return start if start.tzinfo else start.replace(tzinfo=timezone.utc)


def _in(window: tuple[float, float] | None, t: np.ndarray, span: float) -> np.ndarray:
    if window is None:
        return np.zeros(t.shape, dtype=bool)
    return (t >= window[0] * span) & (t < window[1] * span)


def _outcomes(rng: np.random.Generator, t: np.ndarray, kind: np.ndarray, model: np.ndarray,
              span: float, outage: tuple[float, float] | None,
              burst: tuple[float, float] | None, burst_index: int) -> np.ndarray:
    """Draw the outcome of each attempt from its time, kind and model."""
    n = t.size
    out = np.full(n, _OK, dtype=np.int8)
    u = rng.random(n)
    edge = 0.0
    for outcome, p in _BACKGROUND.items():
        hit = (u >= edge) & (u < edge + p)
        if outcome in (_E400, _QUOTA):
            hit &= kind == _CHAT
        out[hit] = outcome
        edge += p
    in_burst = _in(burst, t, span) & (model == burst_index) & (kind == _CHAT)
    out[in_burst & (rng.random(n) < _BURST_FAIL)] = _RATE
    in_outage = _in(outage, t, span) & (rng.random(n) < _OUTAGE_FAIL)
    mix = np.array(list(_OUTAGE_MIX), dtype=np.int8)
    weights = np.array(list(_OUTAGE_MIX.values()))
    out[in_outage] = rng.choice(mix, size=int(in_outage.sum()), p=weights / weights.sum())
    return out


def _draw(rng: np.random.Generator, n: int, span: float, outage: tuple[float, float] | None,
          burst: tuple[float, float] | None, burst_model: str,
          calls: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All columns, numeric, one entry per attempt, sorted by time and cut to ``n`` rows;
    ``calls`` are per-call flags (Responses API, incomplete answer) the retries inherit."""
    names = [m.name for m in _MODELS]
    if burst_model not in names:
        raise ValueError(f"burst_model must be one of {', '.join(names)}, not {burst_model!r}")
    burst_index = names.index(burst_model)
    t = np.sort(rng.random(n)) * span                          # seconds from start
    kind = rng.choice(3, size=n, p=[0.95, 0.03, 0.02]).astype(np.int8)
    model = rng.choice(len(_MODELS), size=n, p=[m.share for m in _MODELS]).astype(np.int8)
    stream = (kind == _CHAT) & (rng.random(n) < 0.45)
    prompt = np.rint(rng.lognormal(np.log(600), 0.9, n)).astype(np.int64) + 8
    completion_med = np.array([m.completion for m in _MODELS])[model]
    completion = np.rint(rng.lognormal(np.log(completion_med), 0.7)).astype(np.int64) + 1
    new_conn = rng.random(n) < 0.08
    new_conn[:1] = True

    level: dict[str, Any] = {"t": t, "kind": kind, "model": model, "stream": stream,
                             "prompt": prompt, "completion": completion, "new_conn": new_conn,
                             "attempt": np.zeros(n, dtype=np.int8),
                             "responses": calls["responses"] & (kind == _CHAT),
                             "incomplete": calls["incomplete"]}
    level["outcome"] = _outcomes(rng, t, kind, model, span, outage, burst, burst_index)
    levels = []
    for attempt in range(3):
        level.update(_timings(rng, level))
        levels.append(level)
        retryable = np.array([o[6] for o in _OUTCOMES])[level["outcome"]]
        again = retryable & (rng.random(level["t"].size) < _RETRY_SHARE)
        if attempt == 2 or not again.any():
            break
        child = {key: value[again] for key, value in level.items()}
        was = child["outcome"]
        backoff = np.where(was == _RATE, rng.uniform(1.0, 20.0, was.size),
                           rng.uniform(0.5, 1.0, was.size) * 2.0 ** attempt)
        child["t"] = child["t"] + child["latency"] / 1000 + backoff
        child["attempt"] = child["attempt"] + 1
        # A request that got no response opens a new connection for the retry.
        child["new_conn"] = np.isin(was, (_TIMEOUT, _CONNECT)) | (rng.random(was.size) < 0.08)
        child["outcome"] = _outcomes(rng, child["t"], child["kind"], child["model"], span,
                                     outage, burst, burst_index)
        level = child
    merged = {key: np.concatenate([lv[key] for lv in levels]) for key in levels[0]}
    order = np.argsort(merged["t"], kind="stable")[:n]
    return {key: value[order] for key, value in merged.items()}


def _timings(rng: np.random.Generator, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Latency, TTFB, TTFT, connection phases and byte counts for one level of attempts."""
    n = c["t"].size
    kind, outcome, model = c["kind"], c["outcome"], c["model"]
    ttft_med = np.array([m.ttft_ms for m in _MODELS])[model]
    ttft_sig = np.array([m.ttft_sigma for m in _MODELS])[model]
    tpot = np.array([m.tpot_ms for m in _MODELS])[model]
    ttft = rng.lognormal(np.log(ttft_med), ttft_sig)
    latency = ttft + c["completion"] * tpot * rng.lognormal(0.0, 0.15, n)
    latency = np.where(kind == _EMBED, rng.lognormal(np.log(120), 0.3, n), latency)
    latency = np.where(kind == _LIST, rng.lognormal(np.log(90), 0.3, n), latency)
    # Failed attempts end early (or at the client's timeout).
    latency = np.where(outcome == _RATE, rng.lognormal(np.log(60), 0.4, n), latency)
    latency = np.where(np.isin(outcome, (_QUOTA, _E400)), rng.lognormal(np.log(80), 0.4, n),
                       latency)
    latency = np.where(np.isin(outcome, (_E500, _E503)), rng.lognormal(np.log(700), 0.8, n),
                       latency)
    latency = np.where(outcome == _E502, rng.lognormal(np.log(250), 0.5, n), latency)
    latency = np.where(outcome == _TIMEOUT, _CLIENT_TIMEOUT_MS + rng.uniform(0, 30, n), latency)
    latency = np.where(outcome == _CONNECT, rng.lognormal(np.log(40), 0.5, n), latency)
    ok = outcome == _OK
    streamed_ok = ok & c["stream"]
    ttfb = np.where(streamed_ok, ttft * rng.uniform(0.85, 0.98, n),
                    latency - rng.uniform(0.5, 8.0, n))
    dns = rng.lognormal(np.log(6), 0.8, n)
    connect = rng.lognormal(np.log(18), 0.4, n)
    tls = rng.lognormal(np.log(42), 0.35, n)
    phases = c["new_conn"]
    setup = np.where(phases, dns + np.where(outcome == _CONNECT, 0, connect + tls), 0)
    latency = latency + setup
    ttfb = np.maximum(ttfb, 0.5) + setup
    request_bytes = np.where(kind == _LIST, 0, c["prompt"] * 4 + 180)
    ok_bytes = np.where(c["stream"], c["completion"] * 190 + 400, c["completion"] * 4 + 620)
    ok_bytes = np.where(kind == _EMBED, 33_000, np.where(kind == _LIST, 2_400, ok_bytes))
    error_bytes = np.where(outcome == _E502, 167, 260)
    return {
        "latency": latency,
        "ttfb": ttfb,
        "ttft": ttft + setup,
        "dns": dns,
        "connect": connect,
        "tls": tls,
        "request_bytes": request_bytes,
        "response_bytes": np.where(ok, ok_bytes, error_bytes),
    }


# --- rendering -------------------------------------------------------------------------------


def _q(value: str | None) -> str:
    """A JSON token for a string or null, escaped as json.dumps would."""
    return "null" if value is None else json.dumps(value)


def _pick(tokens: Sequence[str], index: np.ndarray) -> list[str]:
    return np.asarray(tokens, dtype=object)[index].tolist()


def _ints(values: np.ndarray, null: np.ndarray) -> list[str]:
    out = np.asarray(list(map(str, values.astype(np.int64).tolist())), dtype=object)
    out[null] = "null"
    return out.tolist()


def _floats(values: np.ndarray, null: np.ndarray) -> list[str]:
    out = np.asarray(list(map(repr, np.round(values, 1).tolist())), dtype=object)
    out[null] = "null"
    return out.tolist()


def _render(c: dict[str, np.ndarray], start: datetime) -> list[str]:
    """One JSON line per row, built from pre-rendered tokens."""
    n = c["t"].size
    if n == 0:
        return []
    outcome, kind, model = c["outcome"], c["kind"], c["model"]
    origin = np.datetime64(start.astimezone(timezone.utc).replace(tzinfo=None), "ms")
    stamps = np.datetime_as_string(origin + np.rint(c["t"] * 1000).astype("timedelta64[ms]"),
                                   unit="ms")
    ts = [f'"{s}Z"' for s in stamps.tolist()]
    model_tokens = [_q(m.name) for m in _MODELS]
    model_col = np.asarray([*model_tokens, _q("text-embedding-3-small"), "null"], dtype=object)
    model_index = np.where(kind == _CHAT, model, np.where(kind == _EMBED, len(_MODELS),
                                                           len(_MODELS) + 1))
    endpoint = np.where(c["responses"], _RESPONSES, kind)
    table = _OUTCOMES
    status = np.array([o[0] or 0 for o in table])[outcome]
    no_response = np.isin(outcome, (_TIMEOUT, _CONNECT))
    ok = outcome == _OK
    stopped = ok & c["responses"] & c["incomplete"]
    # The 429 message names the model, like the real one; index by model for that outcome.
    rate_messages = [
        MSG["rate_limit"].format(model=m.name, org=ORGANIZATION, what="tokens", abbr="TPM",
                                 limit=30000, used=29937, requested=385, wait="644ms")
        for m in _MODELS
    ]
    message_tokens = [_q(o[3]) for o in table] + [_q(m) for m in rate_messages]
    message_index = np.where(outcome == _RATE, len(table) + model, outcome)
    from_api = np.array([o[5] for o in table])[outcome]
    hexes = c["rid"].tobytes().hex()
    request_ids = [f'"req_{hexes[i:i + 32]}"' for i in range(0, 32 * n, 32)]
    request_id = np.asarray(request_ids, dtype=object)
    request_id[~from_api] = "null"
    urls = [_q(f"https://{_HOST}{e}") for e in _ENDPOINTS]
    phases = ~c["new_conn"]
    connect_missing = phases | (outcome == _CONNECT)
    streamed_ok = ok & c["stream"]
    usage_missing = ~ok | (kind == _LIST)
    error_type, error_code, message = (_pick([_q(o[1]) for o in table], outcome),
                                       _pick([_q(o[2]) for o in table], outcome),
                                       _pick(message_tokens, message_index))
    for index in np.flatnonzero(stopped).tolist():
        error_type[index], error_code[index], message[index] = map(_q, _INCOMPLETE_FIELDS)
    columns = [
        ts,
        _pick([_q(m) for m in _METHODS], endpoint),
        _pick(urls, endpoint),
        [_q(_HOST)] * n,
        _pick([_q(e) for e in _ENDPOINTS], endpoint),
        [_q("openai")] * n,
        model_col[model_index].tolist(),
        _pick(["false", "true"], c["stream"].astype(np.int8)),
        list(map(str, c["attempt"].tolist())),
        _ints(status, no_response),
        error_type,
        error_code,
        message,
        _pick([_q(o[4]) for o in table], outcome),
        _floats(c["latency"], np.zeros(n, dtype=bool)),
        _floats(c["ttfb"], no_response),
        _floats(c["ttft"], ~streamed_ok),
        _floats(c["dns"], phases),
        _floats(c["connect"], connect_missing),
        _floats(c["tls"], connect_missing),
        _ints(c["request_bytes"], np.zeros(n, dtype=bool)),
        _ints(c["response_bytes"], no_response),
        _ints(c["prompt"], usage_missing),
        _ints(c["completion"], usage_missing | (kind == _EMBED)),
        request_id.tolist(),
    ]
    template = "{" + ",".join(f'"{name}":%s' for name in FIELDS) + "}\n"
    return [template % row for row in zip(*columns, strict=True)]


def _write(path_or_file: str | os.PathLike[str] | IO[Any], blocks: Iterator[str],
           count: int) -> int:
    if isinstance(path_or_file, (str, os.PathLike)):
        with Path(path_or_file).open("w", encoding="utf-8", newline="\n") as handle:
            for text in blocks:
                handle.write(text)
        return count
    binary = isinstance(path_or_file, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(
        path_or_file, "mode", "")
    for text in blocks:
        path_or_file.write(text.encode() if binary else text)
    return count
