"""RetryPolicy against openai-python's own retry decisions, one table row per behaviour.

Each row cites the line of openai-python's ``src/openai/_base_client.py`` it mirrors (I = the
installed openai 3.57.0 from PyPI; G = GitHub openai/openai-python at e43b422) or says why
chatkit departs. Mirrored rows are also checked against the installed SDK itself (its
``_should_retry`` and ``_calculate_retry_timeout``), so the table cannot drift from it; a
departing row checks that the SDK really decides otherwise. Header values marked "SDK test"
come from the retry-after table of openai-python's ``tests/test_client.py`` (G lines 1077-1122),
measured from the same instant.
"""

from __future__ import annotations

import importlib
import json
from typing import Any
from unittest import mock

import httpx
import openai
import openai._base_client as sdk_base
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai._models import FinalRequestOptions

from chatkit.client.policy import RetryPolicy
from chatkit.client.transport import http_flavour
from chatkit.errors import UsageError

# the HTTP package the installed openai takes (httpx2 for openai >= 3): the SDK's own types
HTTP = importlib.import_module(http_flavour())

NOW = 1696004797.0  # Fri, 29 Sep 2023 16:26:37 GMT, the instant of the SDK's own tests
POLICY = RetryPolicy(random=lambda: 0.0, now=lambda: NOW)


def _error(code: str | None, type: str, message: str = "") -> str:
    return json.dumps({"error": {"message": message, "type": type, "code": code, "param": None}})


RATE = _error("rate_limit_exceeded", "requests", "Rate limit reached")
QUOTA = _error("insufficient_quota", "insufficient_quota", "You exceeded your current quota")
TOO_LARGE = _error("rate_limit_exceeded", "tokens", "Request too large for gpt-4o")
CONTEXT = _error("context_length_exceeded", "invalid_request_error")

# (status, headers, body, chatkit retries?, citation). "SDK ..." rows mirror openai-python;
# "DEPARTS ..." rows say why chatkit decides otherwise.
ROWS: list[tuple[int, dict[str, str], str, bool, str]] = [
    (408, {}, "", True, "SDK I:944 retries 408"),
    (409, {}, "", True, "SDK I:949 retries 409"),
    (429, {}, RATE, True, "SDK I:954 retries 429"),
    (500, {}, "", True, "SDK I:959 retries >= 500"),
    (502, {}, "<html>502 Bad Gateway</html>", True, "SDK I:959 retries >= 500"),
    (529, {}, "", True, "SDK I:959 retries >= 500"),
    (400, {}, CONTEXT, False, "SDK I:963 other statuses are not retried"),
    (401, {}, "", False, "SDK I:963 other statuses are not retried"),
    (404, {}, "", False, "SDK I:963 other statuses are not retried"),
    (400, {"x-should-retry": "true"}, "", True, "SDK I:936 x-should-retry: true obeyed"),
    (400, {"x-should-retry": "true"}, CONTEXT, True,
     "SDK I:936 x-should-retry: true obeyed (never-succeeds rules cover retried statuses only)"),
    (500, {"x-should-retry": "false"}, "", False, "SDK I:939 x-should-retry: false obeyed"),
    (503, {"x-should-retry": "TRUE"}, "", True, "SDK I:936-941 compared exactly: status decides"),
    (400, {"x-should-retry": "True"}, "", False, "SDK I:936-941 compared exactly: status decides"),
    (200, {"x-should-retry": "true"}, "{}", False,
     "SDK I:1229 _should_retry runs only when raise_for_status raised: never on a 2xx"),
    (201, {"x-should-retry": "true", "retry-after": "1"}, "", False,
     "SDK I:1229 _should_retry runs only when raise_for_status raised: never on a 2xx"),
    (429, {"retry-after": "120"}, RATE, True, "SDK I:924 up to 120 s is waited (SDK test)"),
    (429, {"retry-after": "121"}, RATE, False, "SDK I:924 over 120 s: no retry (SDK test)"),
    (429, {"retry-after-ms": "120000"}, RATE, True, "SDK I:859 milliseconds (SDK test)"),
    (429, {"retry-after-ms": "120001"}, RATE, False, "SDK I:859 milliseconds (SDK test)"),
    (429, {"retry-after": "Fri, 29 Sep 2023 16:28:37 GMT"}, RATE, True,
     "SDK I:877-881 HTTP date, 120 s ahead (SDK test)"),
    (429, {"retry-after": "Fri, 29 Sep 2023 16:28:38 GMT"}, RATE, False,
     "SDK I:877-881 HTTP date, 121 s ahead (SDK test)"),
    (429, {"retry-after": "Fri, 29 Sep 2023 16:28:38 -0000"}, RATE, False,
     "SDK I:877-881 a -0000 zone is UTC to parsedate_tz (the old TypeError)"),
    (429, {"retry-after": "Fri, 29 Sep 2023 18:28:37 +0200"}, RATE, True,
     "SDK I:877-881 a numeric zone, 120 s ahead"),
    (429, {"retry-after": "Fri, 29 Sep 2023 09:28:38 PDT"}, RATE, False,
     "SDK I:877-881 a named zone, 121 s ahead"),
    (429, {"retry-after": "1e400"}, RATE, False,
     "SDK I:866-871 a number too large for a float is an excessive wait (G returned inf)"),
    (429, {"retry-after": "inf"}, RATE, True, "SDK I:924 not finite: ignored (SDK test)"),
    (429, {"retry-after": "nan"}, RATE, True, "SDK I:924 not finite: ignored (SDK test)"),
    (429, {"retry-after": "99999999999999999999999999999999999"}, RATE, False,
     "SDK I:924 finite and over 120 s (SDK test)"),
    (429, {"retry-after": "Fri, 29 Sep 100000 16:26:57 GMT"}, RATE, True,
     "SDK I:882 unreadable date: ignored (SDK test)"),
    (429, {"retry-after-ms": "soon", "retry-after": "121"}, RATE, False,
     "SDK I:859-863 unreadable milliseconds fall through to seconds"),
    (429, {"retry-after-ms": "1000", "retry-after": "121"}, RATE, True,
     "SDK I:859 milliseconds preferred over seconds"),
    (400, {"x-should-retry": "true", "retry-after": "121"}, "", False,
     "SDK I:924 the 120 s cap is checked before x-should-retry"),
    (302, {"x-should-retry": "true", "location": "/v1/elsewhere"}, "", False,
     "DEPARTS: a 3xx is never sent again (the SDK would retry an unfollowed one)"),
    (304, {"x-should-retry": "true"}, "", False,
     "DEPARTS: a 3xx is never sent again (the SDK would retry an unfollowed one)"),
    (429, {}, QUOTA, False, "DEPARTS: insufficient_quota is billing, retrying cannot succeed"),
    (429, {"x-should-retry": "true"}, QUOTA, False,
     "DEPARTS: insufficient_quota is billing, whatever the header says"),
    (429, {}, _error("credit_balance_exhausted", "insufficient_quota"), False,
     "DEPARTS: an exhausted credit balance cannot succeed"),
    (429, {}, TOO_LARGE, False,
     "DEPARTS: a request over the tokens-per-minute limit never fits"),
]


@pytest.fixture(scope="module")
def sdk() -> Any:
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    yield client
    client.close()


def _sdk_retries(sdk: Any, status: int, headers: dict[str, str],
                 monkeypatch: pytest.MonkeyPatch) -> bool:
    """What the installed openai client decides for this answer."""
    request = HTTP.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    response = HTTP.Response(status, headers=headers, request=request)
    if response.is_success:
        return False  # raise_for_status passes: the SDK returns the answer
    monkeypatch.setattr(sdk_base.time, "time", lambda: NOW)
    return bool(sdk._should_retry(response))


@pytest.mark.parametrize(("status", "headers", "body", "retry", "why"), ROWS,
                         ids=[f"{r[0]}-{r[4][:40]}" for r in ROWS])
def test_retry_decision(sdk: Any, monkeypatch: pytest.MonkeyPatch, status: int,
                        headers: dict[str, str], body: str, retry: bool, why: str) -> None:
    assert POLICY.should_retry(status=status, headers=headers, body=body) is retry
    sdk_says = _sdk_retries(sdk, status, headers, monkeypatch)
    if why.startswith("SDK"):
        assert sdk_says is retry, f"the SDK decides otherwise: {why}"
    else:
        assert why.startswith("DEPARTS") and sdk_says is not retry


# (retry-after value, retries taken, wait) — the SDK test table G:1077-1103, jitter at its top
WAITS: list[tuple[str, int, float]] = [
    ("20", 0, 20), ("0", 0, 0.5), ("-10", 0, 0.5), ("60", 0, 60), ("61", 0, 61),
    ("120", 0, 120), ("121", 0, 0.5),
    ("Fri, 29 Sep 2023 16:26:57 GMT", 0, 20), ("Fri, 29 Sep 2023 16:26:37 GMT", 0, 0.5),
    ("Fri, 29 Sep 2023 16:26:27 GMT", 0, 0.5), ("Fri, 29 Sep 2023 16:27:37 GMT", 0, 60),
    ("Fri, 29 Sep 2023 16:27:38 GMT", 0, 61), ("Fri, 29 Sep 2023 16:28:37 GMT", 0, 120),
    ("Fri, 29 Sep 2023 16:28:38 GMT", 0, 0.5),
    ("99999999999999999999999999999999999", 0, 0.5), ("inf", 0, 0.5), ("nan", 0, 0.5),
    ("1e400", 0, 0.5), ("Zun, 29 Sep 2023 16:26:27 GMT", 0, 0.5),
    ("Fri, 29 Sep 100000 16:26:57 GMT", 0, 0.5), ("", 0, 0.5), ("", 1, 1.0), ("", 2, 2.0),
    ("", 1103, 8.0),
    ("Fri, 29 Sep 2023 16:26:57 -0000", 0, 20), ("Fri, 29 Sep 2023 12:26:57 EDT", 0, 20),
    ("Fri, 29 Sep 2023 18:26:57.5 +0200", 0, 0.5),  # fractional seconds: unreadable
    ("2.5", 0, 2.5),  # "nonstandard floats" are honoured (G:770-777)
]


@pytest.mark.parametrize(("value", "retries", "wait"), WAITS)
def test_wait_matches_the_sdk(sdk: Any, monkeypatch: pytest.MonkeyPatch, value: str,
                              retries: int, wait: float) -> None:
    headers = {"retry-after": value}
    assert POLICY.backoff(retries, headers) == wait
    monkeypatch.setattr(sdk_base.time, "time", lambda: NOW)
    monkeypatch.setattr(sdk_base, "random", lambda: 0.0)
    options = FinalRequestOptions(method="post", url="/chat/completions", max_retries=3)
    assert sdk._calculate_retry_timeout(3 - retries, options, HTTP.Headers(headers)) == wait


def test_jitter_takes_up_to_a_quarter_off() -> None:
    low = RetryPolicy(random=lambda: 1.0)
    assert [low.backoff(n) for n in range(3)] == [0.375, 0.75, 1.5]
    assert RetryPolicy(max_retry_after=300).backoff(0, {"retry-after": "200"}) == 200


@pytest.mark.parametrize(("exc", "retry", "why"), [
    (httpx.ReadTimeout("timed out"), True, "SDK I:1188 timeouts are retried"),
    (HTTP.ConnectTimeout("timed out"), True, "SDK I:1188 timeouts are retried"),
    (httpx.ConnectError("[Errno 111] Connection refused"), True,
     "SDK I:1205 request errors are retried"),
    (HTTP.ReadError("[Errno 104] Connection reset by peer"), True,
     "SDK I:1205 request errors are retried"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), True,
     "SDK I:1205 request errors are retried"),
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable "
                        "to get local issuer certificate (_ssl.c:1000)"), False,
     "DEPARTS: an untrusted certificate stays untrusted"),
    (httpx.ProxyError("407 Proxy Authentication Required"), False,
     "DEPARTS: the proxy wants credentials; sending again cannot give them"),
])
def test_retry_decision_on_exceptions(exc: Exception, retry: bool, why: str) -> None:
    assert RetryPolicy().should_retry(exception=exc) is retry, why


def test_might_retry_never_reads_a_2xx_or_3xx() -> None:
    policy = RetryPolicy()
    assert not any(policy.might_retry(status, should) for status in (200, 204, 301, 304)
                   for should in (None, "true", "false"))
    assert policy.might_retry(400, "true") and not policy.might_retry(503, "false")
    assert policy.might_retry(503) and not policy.might_retry(404)


def test_negative_retries_are_refused() -> None:
    with pytest.raises(UsageError):
        RetryPolicy(max_retries=-1)



@settings(max_examples=300, deadline=None, database=None)
@given(status=st.sampled_from([200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 408, 409, 413,
                               422, 429, 500, 502, 503, 504, 529]),
       headers=st.dictionaries(
           st.sampled_from(["x-should-retry", "retry-after", "retry-after-ms"]),
           st.one_of(st.sampled_from(["true", "false", "inf", "nan", "1e400", "121", "120",
                                      "-1", "0.5", "Fri, 29 Sep 2023 16:28:38 GMT",
                                      "Fri, 29 Sep 2023 16:28:37 -0000", "soon", ""]),
                     st.integers(-10, 10**6).map(str), st.floats().map(repr))),
       body=st.sampled_from(["", RATE, QUOTA, TOO_LARGE, CONTEXT, "<html>oops</html>"]))
def test_chatkit_retries_only_what_the_sdk_retries(sdk: Any, status: int,
                                                   headers: dict[str, str], body: str) -> None:
    if POLICY.should_retry(status=status, headers=headers, body=body):
        request = HTTP.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
        with mock.patch.object(sdk_base.time, "time", lambda: NOW):
            assert sdk._should_retry(HTTP.Response(status, headers=headers, request=request))
