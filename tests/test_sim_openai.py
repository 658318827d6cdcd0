"""The official ``openai`` client against the simulator: each fault raises the SDK's own class.

This is the contract that makes the simulator useful: a fault staged here fails in a user's
code exactly as the real API's failure would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from chatkit.sim import DEFAULT_KEY, SimServer

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def client_for(sim: SimServer) -> Iterator[object]:
    clients: list[openai.OpenAI] = []

    def make(fault: str | None = None, *, timeout: float = 5.0) -> openai.OpenAI:
        base_url = sim.url_for_fault(fault) if fault else sim.base_url
        client = openai.OpenAI(base_url=base_url, api_key=DEFAULT_KEY, max_retries=0,
                               timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_completion(client_for) -> None:
    completion = client_for().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].finish_reason == "stop"
    assert "Say hello" in completion.choices[0].message.content
    assert completion.usage.completion_tokens > 1
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens)


def test_raw_response_headers(client_for) -> None:
    raw = client_for().chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES)
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["openai-version"] == "2020-10-01"
    assert int(raw.headers["openai-processing-ms"]) >= 0
    assert raw.parse().object == "chat.completion"


def test_stream_with_usage(client_for) -> None:
    stream = client_for().chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Say hello" in text
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == len(
        [c for c in chunks if c.choices and c.choices[0].delta.content])


def test_stream_max_tokens_gives_length(client_for) -> None:
    stream = client_for().chat.completions.create(
        model="gpt-4.1", messages=MESSAGES, stream=True, max_tokens=3)
    chunks = list(stream)
    assert chunks[-1].choices[0].finish_reason == "length"
    assert sum(1 for c in chunks if c.choices[0].delta.content) == 3


def test_models(client_for) -> None:
    ids = [m.id for m in client_for().models.list()]
    assert "gpt-4o-mini" in ids
    assert client_for().models.retrieve("o4-mini").id == "o4-mini"
    with pytest.raises(openai.NotFoundError):
        client_for().models.retrieve("gpt-2")


# fault -> (exception class, status or None, error.code, error.type)
STATUS_FAULTS = [
    ("401_invalid_key", openai.AuthenticationError, 401, "invalid_api_key",
     "invalid_request_error"),
    ("403_region", openai.PermissionDeniedError, 403, "unsupported_country_region_territory",
     "request_forbidden"),
    ("404_model", openai.NotFoundError, 404, "model_not_found", "invalid_request_error"),
    ("400_bad_request", openai.BadRequestError, 400, "context_length_exceeded",
     "invalid_request_error"),
    ("415_content_type", openai.BadRequestError, 400, "unsupported_content_type",
     "invalid_request_error"),
    ("429_rate_limit", openai.RateLimitError, 429, "rate_limit_exceeded", "requests"),
    ("429_rate_limit:tokens", openai.RateLimitError, 429, "rate_limit_exceeded", "tokens"),
    ("429_insufficient_quota", openai.RateLimitError, 429, "insufficient_quota",
     "insufficient_quota"),
    ("500", openai.InternalServerError, 500, None, "server_error"),
    ("503_overloaded", openai.InternalServerError, 503, "server_is_overloaded",
     "service_unavailable_error"),
    ("502_html", openai.InternalServerError, 502, None, None),
    ("504_gateway_timeout", openai.InternalServerError, 504, None, None),
]


@pytest.mark.parametrize(("fault", "exc_class", "status", "code", "type_"), STATUS_FAULTS,
                         ids=[row[0] for row in STATUS_FAULTS])
def test_status_faults_raise_the_sdk_class(client_for, fault: str, exc_class: type,
                                           status: int, code: str | None,
                                           type_: str | None) -> None:
    with pytest.raises(exc_class) as info:
        client_for(fault).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    error = info.value
    assert error.status_code == status
    assert (error.code, error.type) == (code, type_)
    if type_ is not None:  # the API's own answers carry a request id; CDN pages do not
        assert error.request_id.startswith("req_")
    else:
        assert error.request_id is None
        # openai 3.x keeps only "Error code: 502" as the message; the HTML page is the body.
        assert error.message == f"Error code: {status}"
        assert f"<title>{status} " in error.body


@pytest.mark.parametrize(("fault", "exc_class"), [
    ("timeout", openai.APITimeoutError),
    ("reset", openai.APIConnectionError),
])
def test_connection_faults(client_for, fault: str, exc_class: type) -> None:
    with pytest.raises(exc_class):
        client_for(fault, timeout=0.5).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES)


def test_stream_cut_raises_during_iteration(client_for) -> None:
    stream = client_for("stream_cut").chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True)
    received = []
    # The 200 arrived, so the SDK raised nothing yet; the cut surfaces while iterating, as
    # APIConnectionError wrapping httpx2's "incomplete chunked read" RemoteProtocolError.
    with pytest.raises(openai.APIConnectionError) as info:
        for chunk in stream:
            received.append(chunk)
    assert received and all(c.choices[0].finish_reason is None for c in received)
    assert "incomplete chunked read" in str(info.value.__cause__)


def test_stream_error_raises_api_error_mid_stream(client_for) -> None:
    stream = client_for("stream_error").chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            received.append(chunk)
    assert received  # some content came first
    assert type(info.value) is openai.APIError  # not an APIStatusError: the status was 200
    assert info.value.type == "server_error"


def test_malformed_json(client_for) -> None:
    # The SDK parses the truncated body with json.loads and lets the JSONDecodeError (a
    # ValueError, not an OpenAIError) escape: code catching only openai.APIError misses it.
    with pytest.raises(json.JSONDecodeError):
        client_for("malformed_json").chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES)


def test_captive_portal(client_for) -> None:
    # An HTML 200 is not JSON: the SDK does not raise, and hands back the page as a str.
    result = client_for("captive_portal").chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES)
    assert isinstance(result, str) and "Guest Wi-Fi" in result


def test_missing_key_and_wrong_key(sim: SimServer) -> None:
    with openai.OpenAI(base_url=sim.base_url, api_key="sk-sim-wrong-key-000000", max_retries=0,
                       timeout=5) as client, pytest.raises(openai.AuthenticationError) as info:
        client.models.list()
    assert info.value.code == "invalid_api_key"
    assert "sk-sim-wrong-key-000000" not in str(info.value.body)


def test_real_rate_limit_from_the_bucket() -> None:
    with SimServer(rpm=2) as sim, openai.OpenAI(
        base_url=sim.base_url, api_key=DEFAULT_KEY, max_retries=0, timeout=5
    ) as client:
        for _ in range(2):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.type == "requests" and info.value.code == "rate_limit_exceeded"
    assert float(info.value.response.headers["retry-after-ms"]) > 0
