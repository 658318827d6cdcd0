"""classify: every case from hand-built responses and exceptions; the table is complete."""

from __future__ import annotations

import json
import socket
import ssl
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.resolver
import httpx
import pytest

from chatkit.errors import UsageError
from chatkit.findings import CATEGORIES
from chatkit.knowledge.cause import Cause
from chatkit.knowledge.classifier import classify, explain
from chatkit.knowledge.patterns import EXCEPTION_KINDS, HTTP_RULES, NET_ERRORS
from chatkit.knowledge.ratelimits import parse_retry_after
from chatkit.knowledge.table import KNOWLEDGE


def _exported_exceptions(module: Any, names: list[str] | None = None) -> list[type]:
    names = names if names is not None else list(getattr(module, "__all__", vars(module)))
    found = []
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, type) and issubclass(value, BaseException) and \
                value.__module__.split(".")[0] == module.__name__.split(".")[0]:
            found.append(value)
    return found


# --- the table --------------------------------------------------------------------------------


def test_every_row_has_a_category_title_cause_and_remedy() -> None:
    for kind, row in KNOWLEDGE.items():
        assert isinstance(row, Cause) and row.kind == kind
        assert row.category in CATEGORIES, kind
        assert row.title.strip() and row.cause.strip() and row.remedy.strip(), kind
        assert row.retryable in (True, False, None), kind


def test_every_lookup_table_points_at_a_row() -> None:
    targets = [*EXCEPTION_KINDS.values(), *NET_ERRORS.values(), *(r.kind for r in HTTP_RULES)]
    missing = sorted({kind for kind in targets if kind not in KNOWLEDGE})
    assert missing == []


def _httpx2() -> Any:
    try:
        import httpx2
    except ImportError:  # openai < 3 does not pull it in
        pytest.skip("httpx2 is not installed (it comes with openai >= 3)")
    return httpx2


@pytest.mark.parametrize("name", ["httpx", "httpx2"])
def test_every_exported_http_exception_has_a_row(name: str) -> None:
    module = httpx if name == "httpx" else _httpx2()
    classes = _exported_exceptions(module)
    assert len(classes) > 20
    unmapped = [c.__name__ for c in classes if c.__name__ not in EXCEPTION_KINDS]
    assert unmapped == []


@pytest.mark.parametrize("module", [dns.exception, dns.resolver, dns.query, dns.message, dns.name])
def test_every_dnspython_exception_has_a_row(module: Any) -> None:
    classes = [v for v in vars(module).values() if isinstance(v, type)
               and issubclass(v, BaseException) and v.__module__ == module.__name__]
    assert classes
    unmapped = [c.__qualname__ for c in classes
                if c.__qualname__ not in EXCEPTION_KINDS
                and f"{c.__module__}.{c.__qualname__}" not in EXCEPTION_KINDS]
    assert unmapped == []


def test_explain_fills_placeholders_and_rejects_unknown_kinds() -> None:
    finding = explain("dns_not_found", check="dns.resolve", evidence={"host": "api.example"})
    assert "api.example" in (finding.cause or "")
    assert finding.evidence["kind"] == "dns_not_found"
    assert finding.category == "network" and finding.retryable is None
    assert "(unknown host)" in (explain("dns_not_found", check="x").cause or "")
    with pytest.raises(UsageError, match="unknown failure kind"):
        explain("no_such_kind", check="x")


# --- HTTP answers -------------------------------------------------------------------------


def _response(status: int, error: dict[str, Any] | None = None, *, text: str | None = None,
              headers: dict[str, str] | None = None, ctype: str = "application/json"
              ) -> httpx.Response:
    content = text if text is not None else json.dumps({"error": {
        "message": "", "type": None, "param": None, "code": None, **(error or {})}})
    return httpx.Response(status, content=content.encode(),
                          headers={"content-type": ctype, **(headers or {})})


@pytest.mark.parametrize(("status", "error", "kind"), [
    (400, {"type": "invalid_request_error", "code": "context_length_exceeded",
           "param": "messages", "message": "This model's maximum context length is 8192"},
     "context_length_exceeded"),
    (400, {"type": "invalid_request_error", "param": "service_tier",
           "message": "Invalid service_tier argument"}, "invalid_request"),
    (400, {"message": "We could not parse the JSON body of your request."}, "bad_json"),
    (401, {"type": "invalid_request_error", "code": "invalid_api_key",
           "message": "Incorrect API key provided: sk-abc***1234."}, "invalid_api_key"),
    (401, {"message": "You didn't provide an API key. You need to provide your API key in an "
                      "Authorization header"}, "missing_api_key"),
    (401, {"code": "account_deactivated", "message": "This key is associated with a "
                                                     "deactivated account."}, "key_deactivated"),
    (401, {"message": "You must be a member of an organization to use the API."},
     "wrong_organization"),
    (401, {"message": "IP 203.0.113.9 not authorized"}, "ip_not_authorized"),
    (403, {"code": "unsupported_country_region_territory",
           "message": "Country, region, or territory not supported"}, "unsupported_region"),
    (403, {"message": "You are not allowed to sample from this model"}, "permission_denied"),
    (404, {"code": "model_not_found", "type": "invalid_request_error",
           "message": "The model `gpt-5x` does not exist or you do not have access to it."},
     "model_not_found"),
    (404, {"type": "invalid_request_error", "message": "Invalid URL (POST /chat/completions)"},
     "invalid_url"),
    (408, {}, "request_timeout_408"),
    (409, {}, "conflict"),
    (415, {}, "unsupported_content_type"),
    (429, {"type": "requests", "code": "rate_limit_exceeded",
           "message": "Rate limit reached for gpt-4o"}, "rate_limit"),
    (429, {"type": "tokens", "code": "rate_limit_exceeded",
           "message": "Request too large for gpt-4o in organization org-x on tokens per min"},
     "request_too_large"),
    (429, {"type": "insufficient_quota", "code": "insufficient_quota",
           "message": "You exceeded your current quota"}, "insufficient_quota"),
    (429, {"type": "insufficient_quota", "code": None,
           "message": "You exceeded your current quota"}, "insufficient_quota"),
    (429, {"type": "insufficient_quota", "code": "credit_balance_exhausted"},
     "credit_balance_exhausted"),
    (429, {"type": "rate_limit_error", "code": "slow_down"}, "slow_down"),
    (500, {"type": "server_error", "message": "The server had an error"}, "server_error"),
    (502, {}, "bad_gateway"),
    (503, {"type": "service_unavailable_error", "code": "server_is_overloaded",
           "message": "The server is overloaded or not ready yet."}, "server_overloaded"),
    (503, {}, "service_unavailable"),
    (504, {}, "gateway_timeout"),
])
def test_http_cases(status: int, error: dict[str, Any], kind: str) -> None:
    finding = classify(_response(status, error, headers={"x-request-id": "req_1"}), check="t")
    assert finding.status == "fail"
    assert finding.evidence["kind"] == kind
    assert finding.evidence["status"] == status
    assert finding.evidence["request_id"] == "req_1"
    assert finding.remedy and finding.category == KNOWLEDGE[kind].category


def test_quota_is_not_retryable_but_rate_limit_is_and_says_how_long() -> None:
    quota = classify(_response(429, {"type": "insufficient_quota"}))
    rate = classify(_response(429, {"code": "rate_limit_exceeded"},
                              headers={"retry-after-ms": "644", "retry-after": "1"}))
    assert quota.retryable is False and "billing" in (quota.remedy or "")
    assert rate.retryable is True
    assert rate.evidence["retry_after_s"] == 0.644
    assert "0.644 s" in (rate.remedy or "")


def test_param_is_named() -> None:
    finding = classify(_response(400, {"type": "invalid_request_error", "param": "temperature",
                                       "message": "Invalid temperature"}))
    assert finding.evidence["param"] == "temperature"
    assert "temperature" in (finding.remedy or "")


def test_model_not_found_suggests_close_names() -> None:
    finding = classify(
        _response(404, {"code": "model_not_found",
                        "message": "The model `gpt-4o-mni` does not exist"}),
        evidence={"available_models": ["gpt-4o-mini", "gpt-4o", "o3-mini", "whisper-1"]})
    assert finding.evidence["suggestions"][0] == "gpt-4o-mini"
    assert "gpt-4o-mini" in (finding.remedy or "")


def test_healthy_answer_is_ok() -> None:
    response = httpx.Response(200, json={"object": "list", "data": []})
    assert classify(response).status == "ok"


CLOUDFLARE = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
PORTAL = ("<!DOCTYPE html><html><head><title>Guest Wi-Fi</title></head><body>Please accept "
          "the terms of use</body></html>")
FILTER = ("<html><body><h1>Access Denied</h1>This site is blocked by your organization's "
          "web filter (category: Generative AI).</body></html>")


@pytest.mark.parametrize(("status", "text", "headers", "kind"), [
    (502, CLOUDFLARE, {"server": "cloudflare", "cf-ray": "1"}, "cdn_error_page"),
    (200, PORTAL, {}, "captive_portal"),
    (403, FILTER, {}, "web_filter_block"),
    (200, "<html><body>hello</body></html>", {}, "html_instead_of_json"),
])
def test_html_where_json_was_expected(status: int, text: str, headers: dict[str, str],
                                      kind: str) -> None:
    finding = classify(_response(status, text=text, headers=headers, ctype="text/html"))
    assert finding.evidence["kind"] == kind
    assert finding.evidence["request_id"] is None


def test_truncated_json_is_malformed() -> None:
    finding = classify(_response(200, text='{"id":"chatcmpl-1","choices":[{"ind'))
    assert finding.evidence["kind"] == "malformed_json" and finding.retryable is True


def test_streams_cut_and_with_error_events() -> None:
    chunk = 'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
    ok = classify(status=200, headers={"content-type": "text/event-stream"},
                  body=chunk + "data: [DONE]\n\n")
    cut = classify(status=200, headers={"content-type": "text/event-stream"}, body=chunk)
    err = classify(status=200, headers={"content-type": "text/event-stream"},
                   body=chunk + 'data: {"error": {"message": "boom", "type": "server_error"}}\n\n')
    assert ok.status == "ok"
    assert cut.evidence["kind"] == "stream_cut"
    assert err.evidence["kind"] == "stream_error" and "boom" in (err.cause or "")


# --- exceptions -----------------------------------------------------------------------------


def _wrapped(outer: type[Exception], inner: BaseException, message: str | None = None
             ) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer(message or str(inner)) from exc
    except Exception as final:
        return final


REQUEST = httpx.Request("POST", "https://api.example.test:8443/v1/chat/completions")


@pytest.mark.parametrize(("exc", "kind"), [
    (httpx.ConnectError("[Errno -2] Name or service not known"), "dns_not_found"),
    (httpx.ConnectError("[Errno 8] nodename nor servname provided, or not known"),
     "dns_not_found"),
    (httpx.ConnectError("[Errno -3] Temporary failure in name resolution"),
     "dns_temporary_failure"),
    (httpx.ConnectError("[Errno 111] Connection refused"), "connect_refused"),
    (httpx.ConnectError("[WinError 10061] No connection could be made"), "connect_refused"),
    (httpx.ConnectTimeout("timed out"), "connect_timeout"),
    (httpx.ReadTimeout("The read operation timed out"), "read_timeout"),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), "connection_reset"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."),
     "server_disconnected"),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message body "
                               "(incomplete chunked read)"), "stream_cut"),
    (httpx.RemoteProtocolError("illegal status line"), "remote_protocol_error"),
    (httpx.ProxyError("407 Proxy Authentication Required"), "proxy_auth_required"),
    (httpx.ProxyError("403 Forbidden"), "proxy_refused"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to "
                        "get local issuer certificate (_ssl.c:1000)"), "tls_unknown_ca"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                        "certificate in certificate chain (_ssl.c:1000)"), "tls_unknown_ca"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate "
                        "has expired (_ssl.c:1000)"), "tls_expired"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname "
                        "mismatch, certificate is not valid for 'api.openai.com'. (_ssl.c:1000)"),
     "tls_hostname_mismatch"),
    (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)"),
     "tls_wrong_version"),
    (httpx.LocalProtocolError("Illegal header value b'Bearer sk-abc\\n'"),
     "client_protocol_error"),
    (httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol."),
     "invalid_base_url"),
    (httpx.PoolTimeout("pool"), "pool_timeout"),
    (socket.gaierror(-2, "Name or service not known"), "dns_not_found"),
    # a bare getaddrinfo error says by its errno whether the name is missing or DNS is down
    (socket.gaierror(-3, "Temporary failure in name resolution"), "dns_temporary_failure"),
    (socket.gaierror(11002, "getaddrinfo failed"), "dns_temporary_failure"),
    (socket.gaierror(11001, "getaddrinfo failed"), "dns_not_found"),
    (socket.gaierror(-9, "Address family for hostname not supported"), "dns_not_found"),
    (ConnectionRefusedError(111, "Connection refused"), "connect_refused"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed: unable to get local issuer "
                                     "certificate"), "tls_unknown_ca"),
    (dns.resolver.NXDOMAIN(), "dns_not_found"),
    (dns.resolver.NoNameservers(), "dns_servfail"),
    (dns.resolver.LifetimeTimeout(timeout=1.0, errors=[]), "dns_timeout"),
    (dns.exception.Timeout(), "dns_timeout"),
    (dns.resolver.NoAnswer(), "dns_no_answer"),
    (RuntimeError("something odd"), "unknown_error"),
])
def test_exceptions(exc: BaseException, kind: str) -> None:
    finding = classify(exc)
    assert finding.evidence["kind"] == kind, finding
    assert finding.evidence["exception"] == type(exc).__name__
    assert finding.status == "fail" and finding.remedy


def test_the_chain_below_a_vague_exception_decides() -> None:
    exc = _wrapped(httpx.ConnectError, OSError(111, "Connection refused"), "All connection "
                   "attempts failed")
    assert classify(exc).evidence["kind"] == "connect_refused"
    timeout = _wrapped(httpx.ConnectError, TimeoutError(), "connect failed")
    assert classify(timeout).evidence["kind"] == "connect_timeout"


def test_host_comes_from_the_request() -> None:
    exc = httpx.ConnectError("[Errno 111] Connection refused", request=REQUEST)
    finding = classify(exc)
    assert finding.evidence["host"] == "api.example.test"
    assert "api.example.test" in (finding.cause or "") and "8443" in (finding.cause or "")


def test_a_proxy_that_cannot_be_reached_is_named() -> None:
    finding = classify(httpx.ConnectError("[Errno 111] Connection refused"),
                       evidence={"proxy": "http://proxy.corp:3128"})
    assert finding.evidence["kind"] == "proxy_unreachable"
    assert "proxy.corp" in (finding.cause or "")


def test_status_error_is_classified_by_its_response() -> None:
    response = _response(429, {"type": "insufficient_quota"})
    response.request = REQUEST
    exc = httpx.HTTPStatusError("429", request=REQUEST, response=response)
    assert classify(exc).evidence["kind"] == "insufficient_quota"


# --- names and log rows ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("net::ERR_NAME_NOT_RESOLVED", "dns_not_found"),
    ("net::ERR_CERT_AUTHORITY_INVALID", "tls_unknown_ca"),
    ("net::ERR_BLOCKED_BY_CLIENT", "net_blocked_by_client"),
    ("net::ERR_SOMETHING_NEW", "connect_failed"),
    ("ConnectTimeout", "connect_timeout"),
    ("httpx.ReadTimeout", "read_timeout"),
    ("NoSuchThing", "unknown_error"),
])
def test_names(name: str, kind: str) -> None:
    assert classify(name).evidence["kind"] == kind


@pytest.mark.parametrize(("row", "kind"), [
    ({"status": 429, "error_type": "insufficient_quota", "error_code": "insufficient_quota",
      "error_message": "You exceeded your current quota"}, "insufficient_quota"),
    ({"status": 429, "error_type": "requests", "error_code": "rate_limit_exceeded"},
     "rate_limit"),
    ({"status": 502, "error_type": None, "error_code": None, "error_message": None},
     "bad_gateway"),
    ({"status": None, "exception": "ConnectTimeout"}, "connect_timeout"),
    ({"status": None, "exception": "net::ERR_CONNECTION_RESET"}, "connection_reset"),
    ({"status": 200, "stream": True, "exception": "RemoteProtocolError",
      "error_message": "incomplete chunked read"}, "stream_cut"),
    ({"status": 200, "stream": True, "exception": "IncompleteStream"}, "stream_cut"),
    ({"status": 200, "stream": True, "error_type": "server_error", "error_message": "boom"},
     "stream_error"),
])
def test_log_rows(row: dict[str, Any], kind: str) -> None:
    assert classify(row).evidence["kind"] == kind


def test_healthy_log_row_is_ok() -> None:
    assert classify({"status": 200, "error_type": None}).status == "ok"


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After-Ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) < 0


def test_classify_needs_something() -> None:
    with pytest.raises(UsageError):
        classify()


def test_rate_limit_wait_comes_from_the_message_when_headers_are_gone() -> None:
    row = {"status": 429, "error_type": "tokens", "error_code": "rate_limit_exceeded",
           "error_message": "Rate limit reached for gpt-4o on tokens per min (TPM): Limit "
                            "30000, Used 29937, Requested 385. Please try again in 644ms."}
    finding = classify(row)
    assert finding.evidence["wait"] == "644ms (as the error message says)"
    assert "644ms" in (finding.remedy or "")


def test_httpx2_exceptions_are_read_like_httpx_ones() -> None:
    httpx2 = _httpx2()
    assert classify(httpx2.ConnectError("[Errno 111] Connection refused")).evidence["kind"] == \
        "connect_refused"
    assert classify(httpx2.ReadTimeout("timed out")).evidence["kind"] == "read_timeout"
    response = httpx2.Response(429, json={"error": {"type": "insufficient_quota", "code": None,
                                                    "message": "quota"}})
    assert classify(response).evidence["kind"] == "insufficient_quota"


# --- real failures: the official openai client against the simulator -------------------------

OPENAI_CASES = {
    "401_invalid_key": "invalid_api_key", "403_region": "unsupported_region",
    "404_model": "model_not_found", "400_bad_request": "context_length_exceeded",
    "415_content_type": "unsupported_content_type", "429_rate_limit": "rate_limit",
    "429_insufficient_quota": "insufficient_quota", "500": "server_error",
    "502_html": "cdn_error_page", "503_overloaded": "server_overloaded",
    "504_gateway_timeout": "cdn_error_page", "timeout": "read_timeout",
    "reset": "connection_reset", "malformed_json": "malformed_json",
}


@pytest.fixture(scope="module")
def sim() -> Any:
    from chatkit.sim import SimServer

    with SimServer() as server:
        yield server


def _openai_failure(url: str, *, stream: bool = False) -> BaseException:
    import openai

    from chatkit.sim import DEFAULT_KEY

    with openai.OpenAI(base_url=url, api_key=DEFAULT_KEY, max_retries=0, timeout=0.5) as client:
        try:
            answer = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there friend"}],
                stream=stream)
            for _ in answer if stream else ():
                pass
        except Exception as exc:
            return exc
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize("fault", sorted(OPENAI_CASES))
def test_openai_client_exceptions_from_the_simulator(sim: Any, fault: str) -> None:
    finding = classify(_openai_failure(sim.url_for_fault(fault)))
    assert finding.evidence["kind"] == OPENAI_CASES[fault]
    assert finding.remedy


@pytest.mark.parametrize(("fault", "kind"), [("stream_cut", "stream_cut"),
                                             ("stream_error", "stream_error")])
def test_openai_stream_failures_from_the_simulator(sim: Any, fault: str, kind: str) -> None:
    finding = classify(_openai_failure(sim.url_for_fault(fault), stream=True))
    assert finding.evidence["kind"] == kind and finding.retryable is True


def test_real_simulator_answers_over_httpx(sim: Any) -> None:
    from chatkit.sim import DEFAULT_KEY

    headers = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    expected = {**OPENAI_CASES, "captive_portal": "captive_portal"}
    del expected["timeout"], expected["reset"]
    with httpx.Client(timeout=2) as client:
        for fault, kind in expected.items():
            response = client.post(f"{sim.url_for_fault(fault)}/chat/completions", json=body,
                                   headers=headers)
            assert classify(response).evidence["kind"] == kind, fault
        missing = client.post(f"{sim.base_url}/chat/completions", json=body)
        wrong_path = client.post(f"{sim.root_url}/chat/completions", json=body, headers=headers)
        not_json = client.post(f"{sim.base_url}/chat/completions", content=b"{model:",
                               headers={**headers, "content-type": "application/json"})
        healthy = client.post(f"{sim.base_url}/chat/completions", json=body, headers=headers)
    assert classify(missing).evidence["kind"] == "missing_api_key"
    assert classify(wrong_path).evidence["kind"] == "invalid_url"  # the missing /v1
    assert classify(not_json).evidence["kind"] == "bad_json"
    assert classify(healthy).status == "ok"


@pytest.mark.parametrize("failure", [
    httpx.ConnectTimeout("timed out"), "net::ERR_TIMED_OUT", {"status": 500},
    {"status": 200}, httpx.Response(404, json={"error": {"message": "Invalid URL (GET /x)"}}),
])
def test_evidence_always_has_the_contract_keys(failure: object) -> None:
    evidence = classify(failure).evidence
    assert {"kind", "status", "error_type", "error_code", "param", "request_id"} <= set(evidence)


def test_log_rows_from_a_data_frame_with_missing_values() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame([
        {"status": 429.0, "error_type": "insufficient_quota", "error_code": None,
         "error_message": "You exceeded your current quota", "exception": None},
        {"status": float("nan"), "error_type": None, "error_code": None, "error_message": None,
         "exception": "ReadTimeout"},
        {"status": 200.0, "error_type": None, "error_code": None, "error_message": None,
         "exception": None},
    ]).astype({"exception": "string"})
    kinds = [classify(row.to_dict()).evidence["kind"] for _, row in frame.iterrows()]
    assert kinds == ["insufficient_quota", "read_timeout", "ok"]


def test_a_key_echoed_in_an_error_message_is_not_repeated() -> None:
    key = "sk-or-v1-0123456789abcdef0123456789abcdef0123"
    response = httpx.Response(401, json={"error": {
        "message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}})
    finding = classify(response)
    assert finding.evidence["kind"] == "invalid_api_key"
    assert key not in str(finding.to_dict()) and "0123456789abcdef" not in str(finding.to_dict())
    assert key not in str(classify(httpx.ConnectError(f"failed for {key}")).to_dict())


def test_a_key_in_a_logged_error_message_is_not_repeated() -> None:
    # Logs chatkit did not write (HAR, gateway exports) may carry a key in the message.
    key = "sk-or-v1-0123456789abcdef0123456789abcdef0123"
    rows = ({"exception": "ConnectError", "error_message": f"failed for {key}"},
            {"status": 200, "exception": "IncompleteStream", "error_message": f"cut {key}"})
    for row in rows:
        finding = classify(row)
        assert finding.evidence["kind"] in ("connect_failed", "stream_cut")
        assert key not in str(finding.to_dict())
