"""A log the recorder wrote for Responses API and embeddings calls, read back by the analysis:
TTFT per endpoint, and the answers that stopped early or failed named as findings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from chatkit.client import resilient_client
from chatkit.logs import load, summarize
from chatkit.logs.analyze import breakdown
from chatkit.sim import DEFAULT_KEY, SimServer


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    log = tmp_path_factory.mktemp("log") / "requests.jsonl"
    made: list[openai.OpenAI] = []
    with SimServer() as sim:
        def client(fault: str | None = None) -> openai.OpenAI:
            url = sim.url_for_fault(fault) if fault else sim.base_url
            http = resilient_client(url, log_path=str(log), sleep=lambda s: None)
            made.append(openai.OpenAI(base_url=url, api_key=DEFAULT_KEY, max_retries=0,
                                      http_client=http))
            return made[-1]

        healthy = client()
        for _ in range(3):
            list(healthy.responses.create(model="gpt-4.1", input="hi", stream=True))
        healthy.responses.create(model="gpt-4o-mini", input="hi")
        healthy.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        healthy.chat.completions.create(model="gpt-4o-mini",
                                        messages=[{"role": "user", "content": "hi"}])
        for _ in range(2):
            list(client("incomplete").responses.create(model="gpt-4.1", input="hi",
                                                       stream=True))
        list(client("response_failed").responses.create(model="gpt-4.1", input="hi",
                                                        stream=True))
        for each in made:
            each.close()
    yield log


def test_breakdown_by_endpoint_has_responses_ttft(recorded: Path) -> None:
    table = breakdown(load(recorded), by="endpoint")
    assert set(table.index) == {"/v1/responses", "/v1/embeddings", "/v1/chat/completions"} | {
        e for e in table.index if e.startswith("/fault/")}
    assert table.loc["/v1/responses", "requests"] == 4
    assert table.loc["/v1/responses", "ttft_p50_ms"] > 0
    assert table.loc["/v1/embeddings", "error_rate"] == 0


def test_early_stops_and_failed_runs_are_findings(recorded: Path) -> None:
    summary = summarize(load(recorded))
    assert summary["error_rate"] == 0  # every answer was a 200
    answers = {f["evidence"]["kind"]: f for f in summary["findings"]
               if f["check"] == "log.answers"}
    assert set(answers) == {"response_incomplete", "response_failed"}
    assert answers["response_incomplete"]["evidence"]["answers"] == 2
    assert "stopped at the token limit" in answers["response_incomplete"]["title"]
    assert answers["response_failed"]["remedy"] and answers["response_failed"]["retryable"]
    assert summary["ttft_ms"] is not None
