"""The simulator speaks each provider's dialect, and doctor names the cause in it.

Every persona answer is a real body of ``tests/data/real/provider_errors/``; the matrix below
walks every (persona, fault) pair: the raw answer is the recorded one, and ``chatkit doctor
--sim --persona P --sim-fault F`` ends with the kind the corpus expects for that body, its
remedy naming the provider's own page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatkit.checks import CheckContext, doctor
from chatkit.cli import main
from chatkit.providers import PROVIDERS, get_provider
from chatkit.sim import DEFAULT_KEY, PERSONAS, SimServer
from chatkit.targets import Target

CORPUS = Path(__file__).parent / "data" / "real" / "provider_errors"
PAIRS = [(persona, fault) for persona, faults in sorted(PERSONAS.items()) for fault in faults]
#: The profile field a kind's remedy must name (as in test_provider_errors).
PAGE_OF_KIND = {
    "credits_exhausted": "billing_page", "billing_not_active": "billing_page",
    "daily_quota_exhausted": "limits_page", "rate_limit": "limits_page",
    "upstream_rate_limited": "limits_page", "request_too_large": "limits_page",
    "invalid_api_key": "keys_page", "server_error": "status_page",
    "server_overloaded": "status_page", "model_not_found": "models_hint",
    "model_not_pulled": "models_hint", "no_endpoints": "models_hint",
}


@pytest.fixture(scope="module")
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        yield server


def recorded(persona: str, fault: str) -> tuple[int, bytes, dict[str, Any]]:
    """Status, body and expectation of the corpus file the persona's answer was copied from."""
    source = PERSONAS[persona][fault].rsplit(" as in ", 1)[1].removesuffix(".json")
    meta = json.loads((CORPUS / f"{source}.meta.json").read_text(encoding="utf-8"))
    return meta["status"], (CORPUS / f"{source}.json").read_bytes(), meta["expect"]


def test_every_persona_is_a_provider_with_real_answers() -> None:
    assert set(PERSONAS) <= set(PROVIDERS) and len(PERSONAS) >= 10
    assert len(PAIRS) >= 30


@pytest.mark.parametrize(("persona", "fault"), PAIRS)
def test_a_persona_answers_with_the_recorded_body(sim: SimServer, persona: str,
                                                  fault: str) -> None:
    status, body, _ = recorded(persona, fault)
    answer = httpx.post(sim.url_for_fault(fault, persona=persona) + "/chat/completions",
                        headers={"Authorization": f"Bearer {DEFAULT_KEY}"},
                        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == status
    assert json.loads(answer.content) == json.loads(body)
    assert ("openai-organization" in answer.headers) == (persona == "openai")


@pytest.mark.parametrize(("persona", "fault"), PAIRS)
def test_doctor_names_the_cause_in_the_providers_words(
        persona: str, fault: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, expect = recorded(persona, fault)
    code = main(["doctor", "--sim", "--persona", persona, "--sim-fault", fault, "--json",
                 "--only", "api", "--timeout", "2"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["target"]["provider"] == persona
    verdict = data["verdict"]
    finding = next(f for f in data["findings"] if f["check"] == verdict["check"])
    assert (finding["evidence"]["kind"], verdict["category"], verdict["retryable"]) == (
        expect["kind"], expect["category"], expect["retryable"])
    page = getattr(get_provider(persona), PAGE_OF_KIND.get(expect["kind"], "name"))
    if page and expect["kind"] in PAGE_OF_KIND:
        assert page in verdict["remedy"]


def test_the_persona_can_be_chosen_per_request(sim: SimServer) -> None:
    answer = httpx.get(sim.base_url + "/models", headers={
        "Authorization": f"Bearer {DEFAULT_KEY}", "x-chatkit-persona": "anthropic",
        "x-chatkit-fault": "503_overloaded"})
    assert answer.status_code == 529
    assert answer.headers["x-should-retry"] == "true"
    assert answer.json()["error"]["type"] == "overloaded_error"


def test_a_fault_the_persona_lacks_is_answered_as_openai(sim: SimServer) -> None:
    answer = httpx.get(sim.url_for_fault("403_region", persona="groq") + "/models")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "unsupported_country_region_territory"


def test_a_server_wide_persona_takes_its_own_faults() -> None:
    with SimServer(persona="azure", fault="400_content_filter") as server:
        answer = httpx.get(server.base_url + "/models")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "content_filter"


def test_an_unknown_persona_is_one_error(sim: SimServer,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    answer = httpx.get(sim.root_url + "/persona/nope/v1/models")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "unknown_fault"
    for argv in (["doctor", "--sim", "--persona", "nope"], ["sim", "--persona", "nope"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("Error: unknown persona 'nope'; choose one of: anthropic, azure, ")
        assert err.count("\n") == 1


def test_a_key_of_another_provider_is_named_before_it_is_sent(sim: SimServer) -> None:
    target = Target(sim.base_url, provider="openai", api_key="sk-or-v1-" + "0" * 56)
    report = doctor(target, only="api", context=CheckContext(environ={}, timeout=2))
    warned = [f for f in report.findings if f.check == "api.key" and f.status == "warn"]
    assert [f.title for f in warned] == ["the key sk-...0000 looks like OpenRouter's, not OpenAI's"]
    assert warned[0].cause.endswith("; the key looks like OpenRouter's, sent to OpenAI")
