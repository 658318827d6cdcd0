"""The simulator as an HTTP server: routes, validation errors, fault selection, lifecycle."""

from __future__ import annotations

import http.client
import json
import socket
import time

import httpx
import pytest

from chatkit.errors import UsageError
from chatkit.sim import DEFAULT_KEY, DEFAULT_MODELS, SimServer, serve

AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


def _error(response: httpx.Response) -> dict[str, object]:
    error = response.json()["error"]
    assert list(error) == ["message", "type", "param", "code"]
    return error


def test_default_key_is_not_a_real_key_shape() -> None:
    import re

    assert DEFAULT_KEY.startswith("sk-")
    assert not re.search(r"sk-(proj-)?[A-Za-z0-9]{32,}", DEFAULT_KEY)


def test_urls(sim: SimServer) -> None:
    assert sim.root_url == f"http://127.0.0.1:{sim.port}"
    assert sim.base_url == sim.root_url + "/v1"
    assert sim.url_for_fault("slow:1500") == sim.root_url + "/fault/slow:1500/v1"
    with pytest.raises(UsageError):
        sim.url_for_fault("no_such_fault")


def test_models_list_and_one(sim_http: httpx.Client) -> None:
    listing = sim_http.get("/v1/models").json()
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == list(DEFAULT_MODELS)
    assert set(listing["data"][0]) == {"id", "object", "created", "owned_by"}
    one = sim_http.get("/v1/models/gpt-4.1").json()
    assert one == {**one, "id": "gpt-4.1", "object": "model"}
    missing = sim_http.get("/v1/models/gpt-9")
    assert missing.status_code == 404
    assert _error(missing)["code"] == "model_not_found"


def test_completion_headers(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    headers = response.headers
    assert headers["x-request-id"].startswith("req_") and len(headers["x-request-id"]) == 36
    assert headers["openai-version"] == "2020-10-01"
    assert headers["openai-organization"]
    assert int(headers["openai-processing-ms"]) >= 0
    for name in ("limit-requests", "limit-tokens", "remaining-requests", "remaining-tokens",
                 "reset-requests", "reset-tokens"):
        assert headers[f"x-ratelimit-{name}"]
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")


def test_missing_key(sim: SimServer) -> None:
    response = httpx.post(sim.base_url + "/chat/completions", json=CHAT)
    assert response.status_code == 401
    error = _error(response)
    assert str(error["message"]).startswith("You didn't provide an API key.")
    assert error["code"] is None


def test_wrong_key_is_masked(sim: SimServer) -> None:
    key = "sk-abcdefghijklmnopqrstuvwxyz"
    response = httpx.get(sim.base_url + "/models", headers={"Authorization": f"Bearer {key}"})
    error = _error(response)
    assert response.status_code == 401 and error["code"] == "invalid_api_key"
    assert "Incorrect API key provided: sk-abc" in str(error["message"])
    assert "wxyz." in str(error["message"]) and key not in response.text


def test_any_key_when_keys_empty() -> None:
    with SimServer(keys=()) as sim:
        response = httpx.get(sim.base_url + "/models", headers={"Authorization": "Bearer x"})
    assert response.status_code == 200


def test_invalid_url(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completion", json=CHAT)
    assert response.status_code == 404
    assert _error(response) == {"message": "Invalid URL (POST /v1/chat/completion)",
                                "type": "invalid_request_error", "param": None, "code": None}
    assert sim_http.get("/v1/chat/completions").status_code == 404


def test_bad_json(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", content=b"{not json",
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = _error(response)
    assert str(error["message"]).startswith("We could not parse the JSON body of your request.")


def test_wrong_content_type(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", content=json.dumps(CHAT),
                             headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "unsupported_content_type"
    assert str(error["message"]).startswith("Unsupported content type: 'text/plain'.")
    # charset parameters are fine, and a missing Content-Type is read as JSON
    ok = sim_http.post("/v1/chat/completions", content=json.dumps(CHAT),
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 200


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"messages": CHAT["messages"]}, "model", "missing_required_parameter"),
    ({"model": "gpt-4o-mini"}, "messages", "missing_required_parameter"),
    ({"model": "gpt-4o-mini", "messages": []}, "messages", "empty_array"),
    ({"model": "gpt-4o-mini", "messages": "hi"}, "messages", "invalid_type"),
    ({"model": "gpt-4o-mini", "messages": [{"role": "bot", "content": "x"}]},
     "messages[0].role", "invalid_value"),
    ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}, {"content": "y"}]},
     "messages[1].role", "missing_required_parameter"),
])
def test_parameter_errors_name_the_param(sim_http: httpx.Client, body: dict[str, object],
                                         param: str, code: str) -> None:
    response = sim_http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = _error(response)
    assert (error["param"], error["code"], error["type"]) == (param, code,
                                                             "invalid_request_error")


def test_unknown_model(sim_http: httpx.Client) -> None:
    response = sim_http.post("/v1/chat/completions", json={**CHAT, "model": "gpt-5x"})
    assert response.status_code == 404
    assert _error(response)["message"] == (
        "The model `gpt-5x` does not exist or you do not have access to it.")


def test_keep_alive_two_requests_one_connection(sim: SimServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        conn.request("GET", "/v1/models", headers=AUTH)
        first = conn.getresponse()
        assert first.status == 200 and first.read()
        sock = conn.sock
        conn.request("POST", "/v1/chat/completions", body=json.dumps(CHAT),
                     headers={**AUTH, "Content-Type": "application/json"})
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read())["object"] == "chat.completion"
        assert conn.sock is sock  # the same socket carried both
    finally:
        conn.close()


def test_fault_selection_precedence() -> None:
    with SimServer(fault="500") as sim, httpx.Client(headers=AUTH, timeout=5) as client:
        assert client.get(sim.base_url + "/models").status_code == 500
        # the path prefix beats the server-wide fault, the header beats both
        assert client.get(sim.url_for_fault("503_overloaded") + "/models").status_code == 503
        assert client.get(sim.url_for_fault("503_overloaded") + "/models",
                          headers={"x-chatkit-fault": "403_region"}).status_code == 403
        assert client.get(sim.base_url + "/models",
                          headers={"x-chatkit-fault": "none"}).status_code == 200
        unknown = client.get(sim.base_url + "/models", headers={"x-chatkit-fault": "bogus"})
        assert unknown.status_code == 400 and _error(unknown)["code"] == "unknown_fault"


def test_control_api(sim: SimServer) -> None:
    with httpx.Client(base_url=sim.root_url, headers=AUTH, timeout=5) as client:
        assert client.post("/_sim/fault", json={"fault": "503_overloaded"}).json() == {
            "fault": "503_overloaded", "status": "operational"}
        assert sim.fault == "503_overloaded"
        assert client.get("/v1/models").status_code == 503
        assert client.post("/_sim/fault", json={"fault": None}).json()["fault"] is None
        assert client.get("/v1/models").status_code == 200
        assert client.post("/_sim/status", json={"state": "major_outage"}).status_code == 200
        assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "major"
        assert client.post("/_sim/fault", json={"fault": "nope"}).status_code == 400
        assert client.post("/_sim/status", json={"state": "on_fire"}).status_code == 400
        assert client.get("/_sim/state").json() == {"fault": None, "status": "major_outage"}


def test_python_setters(sim: SimServer, sim_http: httpx.Client) -> None:
    sim.set_fault("404_model")
    assert sim_http.post("/v1/chat/completions", json=CHAT).status_code == 404
    sim.set_fault(None)
    assert sim_http.post("/v1/chat/completions", json=CHAT).status_code == 200
    with pytest.raises(UsageError):
        sim.set_status("sideways")


def test_latency(sim: SimServer) -> None:
    with SimServer(latency_ms=150) as slow, httpx.Client(headers=AUTH) as client:
        started = time.perf_counter()
        assert client.get(slow.base_url + "/models").status_code == 200
        assert time.perf_counter() - started >= 0.15


def test_serve_yields_base_url_and_stops() -> None:
    with serve(fault="500") as base_url:
        assert base_url.endswith("/v1")
        assert httpx.get(base_url + "/models", headers=AUTH).status_code == 500
    port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_start_is_listening_on_return_and_stop_is_idempotent() -> None:
    sim = SimServer().start()
    try:
        with socket.create_connection(("127.0.0.1", sim.port), timeout=1):
            pass
        assert "SimServer http://127.0.0.1" in repr(sim)
    finally:
        sim.stop()
    sim.stop()
    assert "stopped" in repr(sim)
    with pytest.raises(RuntimeError):
        _ = sim.base_url


def test_stop_closes_idle_keep_alive_connections(sim: SimServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    try:
        conn.request("GET", "/v1/models", headers=AUTH)
        conn.getresponse().read()
        started = time.perf_counter()
        sim.stop()
        assert time.perf_counter() - started < 2
    finally:
        conn.close()


def test_serve_forever_stops_from_another_thread() -> None:
    import threading

    sim = SimServer()
    thread = threading.Thread(target=sim.serve_forever)
    thread.start()
    for _ in range(200):  # serve_forever binds on its own thread; wait for the URL
        try:
            url = sim.base_url
            break
        except RuntimeError:
            time.sleep(0.01)
    assert httpx.get(url + "/models", headers=AUTH).status_code == 200
    sim.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_index(sim: SimServer) -> None:
    index = httpx.get(sim.root_url + "/").json()
    assert index["base_url"] == sim.base_url and "timeout" in index["faults"]


def test_ctrl_c_stops_the_foreground_server() -> None:
    import os
    import signal
    import subprocess
    import sys

    script = (
        "from chatkit.sim import SimServer\n"
        "sim = SimServer().start()\n"
        "print(sim.base_url, flush=True)\n"
        "sim.serve_forever()\n"
        "print('stopped', flush=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                          env=env) as proc:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert httpx.get(base_url + "/models", headers=AUTH).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and out.strip() == "stopped"
