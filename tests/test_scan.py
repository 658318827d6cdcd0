"""``chatkit scan``: real old-API code from public repositories, every finding at its line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chatkit.cli import main
from chatkit.knowledge.retired import azure_version_problem, misspelling_of
from chatkit.scan import scan_code

REAL = Path(__file__).parent / "data" / "real" / "old_api"
TODAY = date(2026, 11, 30)

#: file -> (line, check, status) of every finding, read off each file by hand.
EXPECTED: dict[str, list[tuple[int, str, str]]] = {
    "azure_api_config_placeholder_key.py": [
        (4, "scan.placeholder_key", "warn"),  # os.getenv("OPENAI_API_KEY", "your_own_api_key")
        (7, "scan.old_api", "warn"),  # openai.api_type = "azure" beside api_base
        (8, "scan.old_api", "fail"),  # openai.api_base = ...
        (10, "scan.azure_api_version", "fail"),  # "2023-07-01-preview", retired 2024-07-01
    ],
    "azure_apply_chatgpt4.py": [
        (4, "scan.old_api", "warn"),
        (5, "scan.azure_api_version", "warn"),  # 2023-05-15, superseded GA
        (6, "scan.old_api", "fail"),
        (9, "scan.old_api", "fail"),  # openai.ChatCompletion.create(
        (10, "scan.old_api", "fail"),  # engine="gpt-35-turbo-16k" (a deployment: no model check)
    ],
    "azure_chatcompletion_engine.py": [
        (7, "scan.old_api", "warn"),
        (8, "scan.old_api", "fail"),
        (9, "scan.azure_api_version", "warn"),
        (12, "scan.old_api", "fail"),
        (13, "scan.old_api", "fail"),
    ],
    "chatcompletion_0301_placeholder_key.py": [
        (3, "scan.placeholder_key", "warn"),  # "sk-xxxxxxxxxxxxxxxxxxxxx"
        (5, "scan.old_api", "fail"),
        (6, "scan.retired_model", "fail"),  # gpt-3.5-turbo-0301, shut down 2024-09-13
    ],
    "chatcompletion_empty_key.py": [
        (4, "scan.placeholder_key", "warn"),  # openai.api_key = ""
        (5, "scan.old_api", "fail"),
        (6, "scan.retired_model", "fail"),  # gpt-3.5-turbo, shut down 2026-10-23
    ],
    "completion_davinci003.py": [
        (26, "scan.retired_model", "fail"),  # openai.completions.create is v1: only the model
    ],
    "completion_model_constant.py": [
        (5, "scan.retired_model", "fail"),  # MODEL = "text-davinci-003"
        (8, "scan.old_api", "fail"),
    ],
    "js_v3_createChatCompletion.js": [
        (2, "scan.old_node_api", "fail"),  # new Configuration(
        (5, "scan.old_node_api", "fail"),  # new OpenAIApi(
        (7, "scan.old_node_api", "fail"),  # .createChatCompletion(
        (8, "scan.retired_model", "fail"),
    ],
    "js_v3_empty_key.js": [
        (3, "scan.old_node_api", "fail"),
        (5, "scan.placeholder_key", "warn"),  # apiKey: ""
        (9, "scan.old_node_api", "fail"),
        (11, "scan.old_node_api", "fail"),
        (12, "scan.retired_model", "fail"),
    ],
    # a notebook is read as one module (its cells share a namespace), reported by cell
    "lm-hackers.ipynb cell 39": [
        (1, "scan.old_api", "fail"),  # from openai import ChatCompletion,Completion
        (1, "scan.old_api", "fail"),
    ],
    "lm-hackers.ipynb cell 40": [(4, "scan.retired_model", "fail")],
    "lm-hackers.ipynb cell 49": [(2, "scan.retired_model", "fail")],
    "lm-hackers.ipynb cell 51": [(1, "scan.retired_model", "fail")],  # def askgpt(model=...)
    "lm-hackers.ipynb cell 54": [
        (1, "scan.retired_model", "fail"),
        (4, "scan.old_api", "fail"),  # except openai.error.RateLimitError (never imported)
    ],
    "lm-hackers.ipynb cell 56": [(2, "scan.retired_model", "fail")],  # gpt-3.5-turbo-instruct
    "lm-hackers.ipynb cell 73": [(2, "scan.retired_model", "fail")],
    "tenacity_chat_client.py": [
        (8, "scan.no_timeout", "warn"),  # client = OpenAI()
        (10, "scan.retried_4xx", "warn"),  # @retry(...) without retry=
        (10, "scan.retry_layers", "warn"),  # 6 attempts x (1 + max_retries 2) = 18
    ],
    "tenacity_chatcompletion_v0.py": [
        (8, "scan.retried_4xx", "warn"),  # openai 0.x: no retries of its own, so one layer
        (10, "scan.old_api", "fail"),
    ],
    "tenacity_completions.py": [
        (6, "scan.no_timeout", "warn"),
        (14, "scan.retried_4xx", "warn"),
        (14, "scan.retry_layers", "warn"),
        (18, "scan.retired_model", "fail"),  # gpt-3.5-turbo-instruct, shut down 2026-09-28
    ],
}


def test_every_real_snippet_is_found_at_its_line() -> None:
    report = scan_code(REAL, today=TODAY)
    found: dict[str, list[tuple[int, str, str]]] = {}
    for f in report.findings:
        cell = f.evidence.get("cell")
        place = f.evidence["file"] + (f" cell {cell}" if cell else "")
        found.setdefault(place, []).append((f.evidence["line"], f.check, f.status))
        assert f.title.startswith(f"{place}:{f.evidence['line']}: ")
        assert f.category and f.cause and f.remedy and "(unknown " not in f.cause + f.remedy
    assert found == EXPECTED
    assert report.target["files"] == len(list(REAL.iterdir()))


def test_the_fixes_name_what_replaces_the_old_call() -> None:
    findings = {(f.evidence["file"], f.evidence["line"], f.check): f
                for f in scan_code(REAL, today=TODAY).findings}
    old = findings[("azure_chatcompletion_engine.py", 12, "scan.old_api")]
    assert "APIRemovedInV1" in (old.cause or "")
    assert "client.chat.completions.create" in (old.remedy or "")
    retired = findings[("completion_model_constant.py", 5, "scan.retired_model")]
    assert retired.evidence["shutdown"] == "2024-01-04"
    # the page names gpt-3.5-turbo-instruct, itself shut down since: its replacement is given
    assert retired.evidence["replacement"] == "gpt-5.6-terra"
    layers = findings[("tenacity_chat_client.py", 10, "scan.retry_layers")]
    assert "up to 18 requests" in (layers.cause or "")
    version = findings[("azure_api_config_placeholder_key.py", 10, "scan.azure_api_version")]
    assert "retired on 2024-07-01" in (version.cause or "")


def test_a_key_in_the_code_is_reported_masked_never_whole(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    key = "sk-proj-" + "Q7xv2LmN4pR8sT1w" * 3  # key-shaped, built here so no key sits in a file
    (tmp_path / "app.py").write_text(
        f'from openai import OpenAI\n\nclient = OpenAI(api_key="{key}", timeout=20)\n',
        encoding="utf-8")
    (tmp_path / "web.ts").write_text(f'const k = "{key}";\n', encoding="utf-8")
    assert main(["scan", str(tmp_path), "--json"]) == 1
    out = capsys.readouterr().out
    assert key not in out and key[8:] not in out
    findings = json.loads(out)["findings"]
    assert [(f["evidence"]["file"], f["evidence"]["line"], f["check"]) for f in findings] == [
        ("app.py", 3, "scan.key_in_code"), ("web.ts", 1, "scan.key_in_code")]
    assert all(f["evidence"]["key"] == f"sk-...{key[-4:]}" for f in findings)
    assert main(["scan", str(tmp_path)]) == 1
    assert key not in capsys.readouterr().out


def test_retries_that_stop_at_4xx_and_a_client_without_own_retries_are_fine(
        tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(
        "import openai\n"
        "from tenacity import retry, retry_if_exception_type, stop_after_attempt\n"
        "client = openai.OpenAI(max_retries=0, timeout=30)\n"
        "@retry(retry=retry_if_exception_type((openai.RateLimitError, openai.APITimeoutError)),\n"
        "       stop=stop_after_attempt(4))\n"
        "def ask(prompt):\n"
        "    return client.chat.completions.create(model='gpt-5.6-terra', messages=[])\n",
        encoding="utf-8")
    assert scan_code(tmp_path, today=TODAY).findings == ()


def test_a_retry_loop_that_swallows_every_error(tmp_path: Path) -> None:
    (tmp_path / "loop.py").write_text(
        "import time\nfrom openai import OpenAI\n"
        "client = OpenAI(timeout=30)\n"
        "def ask(messages):\n"
        "    for attempt in range(5):\n"
        "        try:\n"
        "            return client.chat.completions.create(model='gpt-4o', messages=messages)\n"
        "        except Exception:\n"
        "            time.sleep(2 ** attempt)\n", encoding="utf-8")
    found = [(f.evidence["line"], f.check) for f in scan_code(tmp_path, today=TODAY).findings]
    assert found == [(5, "scan.retry_layers"), (8, "scan.retried_4xx")]


def test_models_retiring_later_warn_and_misspelt_ones_get_the_real_name(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "from openai import OpenAI\nclient = OpenAI(timeout=10)\n"
        "a = client.responses.create(model='gpt-5-2025-08-07', input='hi')\n"
        "b = client.chat.completions.create(model='GPT-4o', messages=[])\n"
        "c = client.chat.completions.create(model='gpt-35-turbo', messages=[])\n",
        encoding="utf-8")
    found = {f.evidence["line"]: f for f in scan_code(tmp_path, today=TODAY).findings}
    assert (found[3].check, found[3].status) == ("scan.retiring_model", "warn")
    assert found[3].evidence["shutdown"] == "2026-12-11"
    assert (found[4].check, found[4].evidence["suggestion"]) == ("scan.misspelt_model", "gpt-4o")
    assert found[5].evidence["suggestion"].startswith("gpt-5.6-terra (gpt-3.5-turbo itself")
    later = {f.evidence["line"]: f for f in scan_code(tmp_path, today=date(2026, 12, 12)).findings}
    assert (later[3].check, later[3].status) == ("scan.retired_model", "fail")


def test_misspellings_and_azure_versions() -> None:
    assert misspelling_of("gpt4") == "gpt-4" and misspelling_of("gpt-4o") is None
    assert misspelling_of("claude-3-opus") is None
    assert azure_version_problem("2023-12-01-preview")[0] == "fail"  # type: ignore[index]
    assert azure_version_problem("2024-02-15-preview")[0] == "warn"  # type: ignore[index]
    assert azure_version_problem("2023-06-01-preview") is None  # kept for DALL-E 2
    assert azure_version_problem("2024-10-21") is None
    assert azure_version_problem("latest") is None


def test_scan_cli_clean_tree_and_bad_path(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "fine.py").write_text("print('hello')\n", encoding="utf-8")
    assert main(["scan", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "no integration mistakes found in 1 file(s)\n"
    assert main(["scan", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"findings": []}
    assert main(["scan", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1


@pytest.mark.parametrize("module", ["_client.py", "auth/_workload.py", "lib/_client_auth.py",
                                    "lib/streaming/agents/_dispatch.py"])
def test_the_installed_sdks_own_code_raises_nothing(module: str) -> None:
    """Real code that looks like the mistakes and is not: a constant naming a key
    placeholder, an instance-metadata api-version of 2018, ``self.api_key = ""`` as a reset,
    a loop that retries one BadRequestError and raises the rest."""
    import openai

    assert scan_code(Path(openai.__file__).parent / module, today=TODAY).findings == ()
