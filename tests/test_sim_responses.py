"""``/v1/responses`` and ``/v1/embeddings`` of the simulator, read by the official client and
compared with recordings of the live API (tests/data/real/responses/)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from chatkit.errors import UsageError
from chatkit.sim import DEFAULT_KEY, SimServer
from chatkit.sim.faults import parse_fault

REAL = Path(__file__).parent / "data" / "real" / "responses"


def _events(text: str) -> list[dict]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


@pytest.fixture
def client_for(sim: SimServer) -> Iterator[object]:
    clients: list[openai.OpenAI] = []

    def make(fault: str | None = None) -> openai.OpenAI:
        base_url = sim.url_for_fault(fault) if fault else sim.base_url
        client = openai.OpenAI(base_url=base_url, api_key=DEFAULT_KEY, max_retries=0,
                               timeout=5.0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_plain_response(client_for) -> None:
    response = client_for().responses.create(model="gpt-4o-mini", input="Say hello")
    assert response.id.startswith("resp_") and response.status == "completed"
    assert "Say hello" in response.output_text
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_plain_response_has_the_recorded_fields(sim_http: httpx.Client) -> None:
    ours = sim_http.post("/v1/responses", json={"model": "gpt-4o", "input": "hi"}).json()
    real = json.loads((REAL / "response_plain_gpt4o.json").read_text())
    assert set(real) - {"reasoning", "text"} <= set(ours)
    assert set(real["usage"]) == set(ours["usage"])
    assert set(real["output"][0]) == set(ours["output"][0])


def test_stream_follows_the_recorded_sequence(sim_http: httpx.Client) -> None:
    answer = sim_http.post("/v1/responses", json={"model": "gpt-4.1", "input": "hi",
                                                  "stream": True})
    ours = _events(answer.text)
    real = _events((REAL / "stream_text_gpt41.sse").read_text())

    def shape(events: list[dict]) -> list[str]:  # deltas collapsed: their count differs
        kinds = [e["type"] for e in events]
        return [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]

    assert shape(ours) == shape(real)
    assert [e["sequence_number"] for e in ours] == list(range(len(ours)))
    first = {e["type"]: e for e in reversed(real)}
    for mine in ours:
        assert set(mine) == set(first[mine["type"]]), mine["type"]
        for key in ("item", "part"):
            if key in mine:
                assert set(mine[key]) == set(first[mine["type"]][key]), mine["type"]
    assert "data: [DONE]" not in answer.text
    assert "event: response.completed\n" in answer.text


def test_stream_with_the_official_client(client_for) -> None:
    stream = client_for().responses.create(model="gpt-4o-mini", input="Say hello", stream=True)
    events = list(stream)
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text
    assert events[-1].response.usage.output_tokens == sum(
        e.type == "response.output_text.delta" for e in events)


@pytest.mark.parametrize("stream", [False, True])
def test_max_output_tokens_makes_it_incomplete(client_for, stream: bool) -> None:
    client = client_for()
    if not stream:
        response = client.responses.create(model="gpt-4o", input="hi", max_output_tokens=16,
                                           instructions="x" * 10)
        assert response.status in ("completed", "incomplete")
    response = client.responses.create(
        model="gpt-4o", input="a much longer question " * 8, max_output_tokens=16,
        stream=stream)
    if stream:
        events = list(response)
        assert events[-1].type == "response.incomplete"
        response = events[-1].response
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.output_tokens == 16


@pytest.mark.parametrize("reason", ["max_output_tokens", "content_filter"])
def test_incomplete_fault(client_for, reason: str) -> None:
    events = list(client_for(f"incomplete:{reason}").responses.create(
        model="gpt-4o-mini", input="hi", stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == reason
    plain = client_for(f"incomplete:{reason}").responses.create(model="gpt-4o-mini", input="hi")
    assert plain.status == "incomplete" and plain.incomplete_details.reason == reason


def test_incomplete_fault_on_chat(client_for) -> None:
    chat = client_for("incomplete:content_filter").chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].finish_reason == "content_filter"


def test_response_failed_fault(client_for) -> None:
    events = list(client_for("response_failed").responses.create(
        model="gpt-4o-mini", input="hi", stream=True))
    assert events[-1].type == "response.failed"
    assert events[-1].response.error.code == "server_error"
    assert any(e.type == "response.output_text.delta" for e in events)
    with pytest.raises(openai.InternalServerError):
        client_for("response_failed").responses.create(model="gpt-4o-mini", input="hi")


def test_stream_error_fault_sends_an_error_event(client_for) -> None:
    events = list(client_for("stream_error").responses.create(
        model="gpt-4o-mini", input="hi", stream=True))
    assert events[-1].type == "error" and events[-1].code == "server_error"
    assert events[-1].sequence_number == len(events) - 1


def test_stream_cut_fault(client_for) -> None:
    with pytest.raises(openai.APIError):  # httpx's RemoteProtocolError, wrapped
        list(client_for("stream_cut").responses.create(model="gpt-4o-mini", input="hi",
                                                       stream=True))


def test_unknown_previous_response_id(client_for) -> None:
    client = client_for()
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o-mini", input="hi",
                                previous_response_id="resp_unknown")
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"
    first = client.responses.create(model="gpt-4o-mini", input="hi")
    second = client.responses.create(model="gpt-4o-mini", input="and?",
                                     previous_response_id=first.id)
    assert second.previous_response_id == first.id
    unstored = client.responses.create(model="gpt-4o-mini", input="hi", store=False)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o-mini", input="x",
                                previous_response_id=unstored.id)


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"input": "hi"}, "model", "missing_required_parameter"),
    ({"model": "gpt-4o", "input": [{"type": "nonsense"}]}, "input[0]", "invalid_value"),
    ({"model": "gpt-4o", "input": [{"role": "robot", "content": "x"}]}, "input[0].role",
     "invalid_value"),
    ({"model": "gpt-4o", "input": "x", "max_output_tokens": 1}, "max_output_tokens",
     "integer_below_min_value"),
])
def test_bad_requests(sim_http: httpx.Client, body: dict, param: str, code: str) -> None:
    answer = sim_http.post("/v1/responses", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code,
                                                               "invalid_request_error")


def test_max_output_tokens_message_is_the_apis(sim_http: httpx.Client) -> None:
    answer = sim_http.post("/v1/responses", json={"model": "gpt-4o", "input": "x",
                                                  "max_output_tokens": 1})
    real = json.loads((REAL / "error_400_max_output_tokens_below_min.json").read_text())
    assert answer.json() == real


def test_embeddings_with_the_official_client(client_for) -> None:
    client = client_for()
    result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 1536
    again = client.embeddings.create(model="text-embedding-3-small", input="a",
                                     encoding_format="float", dimensions=8)
    assert len(again.data[0].embedding) == 8
    assert result.usage.prompt_tokens == result.usage.total_tokens > 0
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="gpt-4o", input="a")


def test_embeddings_have_the_recorded_shape(sim_http: httpx.Client) -> None:
    ours = sim_http.post("/v1/embeddings", json={"model": "text-embedding-3-small",
                                                 "input": ["x"], "encoding_format": "base64"})
    real = json.loads((REAL / "embeddings_response_base64.json").read_text())
    body = ours.json()
    assert set(body) == set(real) and set(body["usage"]) == set(real["usage"])
    assert set(body["data"][0]) == set(real["data"][0])
    vector = struct.unpack("<1536f", base64.b64decode(body["data"][0]["embedding"]))
    assert abs(sum(v * v for v in vector) - 1) < 1e-3
    missing = sim_http.post("/v1/embeddings", json={"model": "nonexistent", "input": ["x"]})
    assert missing.status_code == 404
    assert missing.json() == json.loads((REAL / "embeddings_404_model_not_found.json")
                                        .read_text()) | {"error": missing.json()["error"]}
    assert missing.json()["error"]["code"] == "model_not_found"


_ERRORS = {"401_invalid_key": openai.AuthenticationError,
           "403_region": openai.PermissionDeniedError,
           "404_model": openai.NotFoundError, "400_bad_request": openai.BadRequestError,
           "429_rate_limit": openai.RateLimitError,
           "429_insufficient_quota": openai.RateLimitError,
           "500": openai.InternalServerError, "502_html": openai.InternalServerError,
           "503_overloaded": openai.InternalServerError,
           "504_gateway_timeout": openai.InternalServerError,
           "stream_error": openai.InternalServerError}


@pytest.mark.parametrize("endpoint", ["responses", "embeddings"])
@pytest.mark.parametrize("fault", sorted(_ERRORS))
def test_every_error_fault_reaches_both_endpoints(client_for, endpoint: str, fault: str) -> None:
    client = client_for(fault)
    with pytest.raises(_ERRORS[fault]):
        if endpoint == "responses":
            client.responses.create(model="gpt-4o-mini", input="hi")
        else:
            client.embeddings.create(model="text-embedding-3-small", input="hi")


@pytest.mark.parametrize("fault", ["reset", "timeout:200", "malformed_json"])
def test_connection_level_faults_on_embeddings(client_for, fault: str) -> None:
    with pytest.raises((openai.APIConnectionError, openai.APIResponseValidationError,
                        json.JSONDecodeError, ValueError)):
        client_for(fault).embeddings.create(model="text-embedding-3-small", input="hi",
                                            encoding_format="float")


def test_incomplete_fault_takes_a_reason() -> None:
    assert parse_fault("incomplete") == (parse_fault("incomplete")[0], "max_output_tokens")
    with pytest.raises(UsageError):
        parse_fault("incomplete:tired")
