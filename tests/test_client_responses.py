"""The official client's ``responses.create`` and ``embeddings.create`` through resilient_client
against the simulator: every fault, plain and streamed, and what the request log says."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from support import jsonl_rows

from chatkit.client import async_resilient_client, resilient_client
from chatkit.client.requestlog import FIELDS
from chatkit.knowledge.classifier import classify
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.sim.faults import FAULTS

HTTP = pytest.importorskip("httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx")


_OPENED: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


def _client(url: str, log: Path) -> openai.OpenAI:
    http = resilient_client(url, log_path=str(log), sleep=lambda s: None,
                            timeout=HTTP.Timeout(0.3, connect=1.0))
    client = openai.OpenAI(base_url=url, api_key=DEFAULT_KEY, max_retries=0, http_client=http)
    _OPENED.append(client)
    return client


def test_a_recorded_responses_stream_has_ttft_tokens_and_a_clean_end(server: SimServer,
                                                                     tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    client = _client(server.base_url, log)
    events = list(client.responses.create(model="gpt-4.1", input="Say hello", stream=True))
    usage = events[-1].response.usage
    plain = client.responses.create(model="gpt-4o-mini", input="Say hello")
    streamed, answered = jsonl_rows(log)
    assert list(streamed) == list(FIELDS)
    assert streamed["endpoint"] == "/v1/responses" and streamed["stream"] is True
    assert streamed["model"] == "gpt-4.1" and streamed["status"] == 200
    assert 0 < streamed["ttfb_ms"] <= streamed["ttft_ms"] <= streamed["latency_ms"]
    assert (streamed["prompt_tokens"], streamed["completion_tokens"]) == (
        usage.input_tokens, usage.output_tokens)
    assert streamed["exception"] is None and streamed["error_type"] is None
    assert classify(streamed).status == "ok"
    assert answered["stream"] is False and answered["ttft_ms"] is None
    assert answered["completion_tokens"] == plain.usage.output_tokens
    assert answered["prompt_tokens"] == plain.usage.input_tokens


def test_embeddings_are_recorded(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    result = _client(server.base_url, log).embeddings.create(
        model="text-embedding-3-small", input=["one", "two"])
    (row,) = jsonl_rows(log)
    assert row["endpoint"] == "/v1/embeddings" and row["model"] == "text-embedding-3-small"
    assert row["prompt_tokens"] == result.usage.prompt_tokens
    assert row["completion_tokens"] is None and row["status"] == 200


# fault -> (what responses.create raises, or None; attempts logged; kind of the last row)
_PLAIN: dict[str, tuple[type[BaseException] | tuple[type[BaseException], ...] | None, int,
                        str]] = {
    "slow": (None, 1, "ok"),
    "401_invalid_key": (openai.AuthenticationError, 1, "invalid_api_key"),
    "403_region": (openai.PermissionDeniedError, 1, "unsupported_region"),
    "404_model": (openai.NotFoundError, 1, "model_not_found"),
    "400_bad_request": (openai.BadRequestError, 1, "context_length_exceeded"),
    "400_content_type": (openai.BadRequestError, 1, "unsupported_content_type"),
    "415_content_type": (openai.BadRequestError, 1, "unsupported_content_type"),
    "429_rate_limit": (openai.RateLimitError, 3, "rate_limit"),
    "429_insufficient_quota": (openai.RateLimitError, 1, "insufficient_quota"),
    "500": (openai.InternalServerError, 3, "server_error"),
    "502_html": (openai.InternalServerError, 3, "bad_gateway"),
    "503_overloaded": (openai.InternalServerError, 3, "server_overloaded"),
    "504_gateway_timeout": (openai.InternalServerError, 3, "gateway_timeout"),
    "timeout": (openai.APITimeoutError, 3, "read_timeout"),
    "reset": (openai.APIConnectionError, 3, "connection_reset"),
    "stream_cut": (openai.APIConnectionError, 1, "stream_cut"),
    "stream_error": (openai.InternalServerError, 3, "server_error"),
    "response_failed": (openai.InternalServerError, 3, "server_error"),
    "malformed_json": ((openai.APIResponseValidationError, ValueError), 1, "malformed_json"),
    "captive_portal": (None, 1, "captive_portal"),
    "flaky": (None, 0, ""),
    "incomplete": (None, 1, "response_incomplete"),
}


def test_every_fault_is_covered() -> None:
    assert set(_PLAIN) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(_PLAIN))
def test_every_fault_on_a_plain_response(server: SimServer, tmp_path: Path, fault: str) -> None:
    raises, attempts, kind = _PLAIN[fault]
    spec = {"slow": "slow:20", "timeout": "timeout:2000", "flaky": "flaky:0.5"}.get(fault, fault)
    log = tmp_path / "log.jsonl"
    client = _client(server.url_for_fault(spec), log)
    if raises is None:
        client.responses.create(model="gpt-4o-mini", input="hi")
    else:
        with pytest.raises(raises):
            client.responses.create(model="gpt-4o-mini", input="hi")
    rows = jsonl_rows(log)
    assert all(r["endpoint"].endswith("/v1/responses") for r in rows)
    assert all(r["model"] == "gpt-4o-mini" for r in rows)
    if fault == "flaky":
        assert rows[-1]["status"] == 200
        return
    assert [r["attempt"] for r in rows] == list(range(attempts))
    assert classify(rows[-1]).evidence["kind"] == kind


# fault -> (raises while iterating, or None; the last event's type; kind of the row)
_STREAMED = {
    "stream_cut": (openai.APIConnectionError, None, "stream_cut"),
    "stream_error": (None, "error", "stream_error"),
    "response_failed": (None, "response.failed", "response_failed"),
    "incomplete:max_output_tokens": (None, "response.incomplete", "response_incomplete"),
    "incomplete:content_filter": (None, "response.incomplete", "response_content_filter"),
    "slow:20": (None, "response.completed", "ok"),
}


@pytest.mark.parametrize("fault", sorted(_STREAMED))
def test_stream_faults_are_recorded_with_their_outcome(server: SimServer, tmp_path: Path,
                                                       fault: str) -> None:
    raises, last, kind = _STREAMED[fault]
    log = tmp_path / "log.jsonl"
    client = _client(server.url_for_fault(fault), log)
    events: list[Any] = []
    if raises is None:
        events = list(client.responses.create(model="gpt-4o-mini", input="hi", stream=True))
        assert events[-1].type == last
    else:
        with pytest.raises(raises):
            events.extend(client.responses.create(model="gpt-4o-mini", input="hi",
                                                  stream=True))
    (row,) = jsonl_rows(log)
    assert row["status"] == 200 and row["stream"] is True and row["ttft_ms"] is not None
    assert classify(row).evidence["kind"] == kind
    if fault.startswith("incomplete:"):
        assert (row["error_type"], row["error_code"]) == ("incomplete", fault.split(":")[1])
        assert row["completion_tokens"] == events[-1].response.usage.output_tokens
    if fault == "response_failed":
        assert (row["error_type"], row["error_code"]) == ("response.failed", "server_error")


@pytest.mark.parametrize("fault", ["stream_cut", "stream_error", "500", "404_model"])
def test_embedding_faults_are_recorded(server: SimServer, tmp_path: Path, fault: str) -> None:
    log = tmp_path / "log.jsonl"
    with pytest.raises(openai.APIError):
        _client(server.url_for_fault(fault), log).embeddings.create(
            model="text-embedding-3-small", input="hi")
    rows = jsonl_rows(log)
    assert rows and all(r["endpoint"].endswith("/v1/embeddings") for r in rows)
    assert classify(rows[-1]).status == "fail"


def test_the_async_client_records_responses_streams(server: SimServer, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"

    async def run() -> list[Any]:
        http = async_resilient_client(server.url_for_fault("incomplete:content_filter"),
                                      log_path=str(log))
        async with openai.AsyncOpenAI(base_url=server.url_for_fault("incomplete:content_filter"),
                                      api_key=DEFAULT_KEY, max_retries=0,
                                      http_client=http) as client:
            stream = await client.responses.create(model="gpt-4o", input="hi", stream=True)
            return [event async for event in stream]

    events = asyncio.run(run())
    (row,) = jsonl_rows(log)
    assert events[-1].type == "response.incomplete"
    assert (row["error_type"], row["error_code"]) == ("incomplete", "content_filter")
    assert row["ttft_ms"] is not None and row["completion_tokens"] == (
        events[-1].response.usage.output_tokens)
    assert classify(row).evidence["kind"] == "response_content_filter"
