"""The knowledge behind the sdk check and chatkit scan, held against its sources.

classify() on the error lines users posted (and on the real exceptions the installed openai and
httpx raise); the retired-model table against OpenAI's deprecations page; the Azure versions
against Microsoft's lifecycle page; the 0.x resources against openai's own ``_old_api.py``.
"""

from __future__ import annotations

import ast
import re
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import httpx
import openai
import pytest

from chatkit.knowledge.classifier import classify
from chatkit.knowledge.retired import AZURE_KEPT_PREVIEWS, AZURE_RETIRED_PREVIEWS, RETIRED_MODELS
from chatkit.knowledge.table import KNOWLEDGE
from chatkit.scan.python import OLD_RESOURCES

SOURCES = Path(__file__).parent / "data" / "real" / "sdk_sources"
ERRORS = [line.split("\t") for line in
          (SOURCES / "error_messages.tsv").read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("kind", "text", "source"), ERRORS, ids=[e[2] for e in ERRORS])
def test_error_lines_from_issue_threads_are_recognised(kind: str, text: str, source: str
                                                       ) -> None:
    finding = classify(text)
    assert finding.evidence["kind"] == kind, source
    assert finding.category == "integration" and finding.remedy


def test_every_sdk_error_row_has_a_real_line() -> None:
    raising = {k for k in KNOWLEDGE if k.startswith("sdk_")} - {
        "sdk_known_bad", "sdk_requirement_conflict", "sdk_shadowed_copy", "sdk_stale_import",
        "sdk_kernel_elsewhere"}  # these the sdk check finds; nothing raises them
    assert {kind for kind, _, _ in ERRORS} == raising


def test_the_real_exceptions_of_the_installed_libraries() -> None:
    with pytest.raises(openai.OpenAIError) as removed:
        openai.ChatCompletion.create(model="gpt-4o", messages=[])  # type: ignore[attr-defined]
    assert type(removed.value).__name__ == "APIRemovedInV1"
    assert classify(removed.value).evidence["kind"] == "sdk_api_removed_v1"
    assert tuple(int(p) for p in metadata.version("httpx").split(".")[:2]) >= (0, 28)
    with pytest.raises(TypeError) as proxies:
        httpx.Client(proxies="http://127.0.0.1:9")  # type: ignore[call-arg]
    assert classify(proxies.value).evidence["kind"] == "sdk_httpx_proxies"
    with pytest.raises(AttributeError) as moved:
        openai.error  # type: ignore[attr-defined]  # noqa: B018
    assert classify(moved.value).evidence["kind"] == "sdk_moved_name"


def test_the_old_resources_are_those_openai_removed() -> None:
    source = (SOURCES / "openai_old_api.py.txt").read_text(encoding="utf-8")
    symbols = next(node.value for node in ast.walk(ast.parse(source))
                   if isinstance(node, ast.Assign)
                   and getattr(node.targets[0], "id", None) == "SYMBOLS")
    assert set(OLD_RESOURCES) == set(ast.literal_eval(symbols))


_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y")


def _day(cell: str) -> date | None:
    text = cell.replace("\u2011", "-").strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def _page_rows() -> dict[str, tuple[date, str]]:
    """model -> (shutdown, replacement) from every table row of the page, first row wins."""
    rows: dict[str, tuple[date, str]] = {}
    for line in (SOURCES / "openai_deprecations.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) < 3 or _day(cells[0]) is None:
            continue
        replacement = re.sub(r"[`*]", "", cells[-1]).strip()
        for model in re.findall(r"`([^`]+)`", cells[1]):
            if not model.startswith("/"):
                rows.setdefault(model, (_day(cells[0]), replacement))  # type: ignore[arg-type]
    return rows


def test_every_retired_model_is_as_the_deprecations_page_says() -> None:
    page = _page_rows()
    text = (SOURCES / "openai_deprecations.md").read_text(encoding="utf-8")
    for model, row in RETIRED_MODELS.items():
        if model in page:
            assert (row.shutdown, row.replacement) == page[model], model
        else:  # the first-generation embeddings, listed as names under their table's heading
            assert model in text and row.shutdown == date(2024, 1, 4)
            assert row.replacement == "text-embedding-3-small"
    assert set(page) <= set(RETIRED_MODELS)
    for model in ("text-davinci-003", "code-davinci-002", "gpt-3.5-turbo-0301",
                  "gpt-3.5-turbo-0613", "gpt-4-0314", "gpt-4-32k", "gpt-4-vision-preview",
                  "gpt-4.5-preview"):
        assert model in RETIRED_MODELS


def test_the_azure_versions_are_as_microsoft_lists_them() -> None:
    text = (SOURCES / "azure_api_version_lifecycle.md").read_text(encoding="utf-8")
    retiring = text.split("## Retiring soon", 1)[1].split("To avoid", 1)[0]
    assert set(re.findall(r"- (\d{4}-\d{2}-\d{2}-preview)", retiring)) == AZURE_RETIRED_PREVIEWS
    assert "On July 1, 2024 the following API preview releases will be retired" in text
    for version in AZURE_KEPT_PREVIEWS:
        assert f"`{version}` API" in text
