"""Retired OpenAI models and Azure OpenAI API versions, as their owners published them.

:data:`RETIRED_MODELS` copies the model tables of OpenAI's deprecations page
(https://developers.openai.com/api/docs/deprecations): shutdown date and recommended
replacement, newest announcement first (a model listed twice keeps its newest row).
:data:`AZURE_RETIRED_PREVIEWS` and the dates below come from Microsoft's "Azure OpenAI API
preview lifecycle" page (MicrosoftDocs/azure-docs, api-version-deprecation.md, May and
September 2024). Pure lookups: ``chatkit scan`` asks them about the names it finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = [
    "AZURE_KEPT_PREVIEWS",
    "AZURE_LATEST_GA",
    "AZURE_RETIRED_PREVIEWS",
    "KNOWN_MODELS",
    "RETIRED_MODELS",
    "Retirement",
    "azure_version_problem",
    "current_replacement",
    "misspelling_of",
]


@dataclass(frozen=True, slots=True)
class Retirement:
    """One model of the deprecations page: when it shuts down and what replaces it."""

    model: str
    shutdown: date
    replacement: str
    announced: str  # the page's section heading


def _section(announced: str, shutdown: str, replacement: str, *models: str
             ) -> tuple[Retirement, ...]:
    day = date.fromisoformat(shutdown)
    return tuple(Retirement(m, day, replacement, announced) for m in models)


_SOL, _TERRA, _LUNA = "gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna"
_SOL_PRO = "gpt-5.6-sol (reasoning.mode: pro)"
_IMAGE = "gpt-image-2.5-sunburst or gpt-image-2.5-flare"
_EMBEDDINGS = (
    "text-similarity-ada-001", "text-search-ada-doc-001", "text-search-ada-query-001",
    "code-search-ada-code-001", "code-search-ada-text-001", "text-similarity-babbage-001",
    "text-search-babbage-doc-001", "text-search-babbage-query-001",
    "code-search-babbage-code-001", "code-search-babbage-text-001",
    "text-similarity-curie-001", "text-search-curie-doc-001", "text-search-curie-query-001",
    "text-similarity-davinci-001", "text-search-davinci-doc-001",
    "text-search-davinci-query-001",
)

_ROWS: tuple[Retirement, ...] = (
    *_section("2026-06-11: GPT-5 and o3 model deprecations", "2026-12-11", _SOL,
              "gpt-5-2025-08-07", "o3-2025-04-16"),
    *_section("2026-06-11: GPT-5 and o3 model deprecations", "2026-12-11", _TERRA,
              "gpt-5-mini-2025-08-07"),
    *_section("2026-06-11: GPT-5 and o3 model deprecations", "2026-12-11", _LUNA,
              "gpt-5-nano-2025-08-07"),
    *_section("2026-06-11: GPT-5 and o3 model deprecations", "2026-12-11", _SOL_PRO,
              "gpt-5-pro-2025-10-06", "o3-pro-2025-06-10"),
    *_section("2026-05-08: gpt-5.2-chat-latest and gpt-5.3-chat-latest", "2026-08-10", _SOL,
              "gpt-5.2-chat-latest", "gpt-5.3-chat-latest"),
    *_section("2026-04-22: Legacy GPT model snapshots", "2026-10-23", _TERRA,
              "gpt-3.5-turbo-0125", "gpt-3.5-turbo", "gpt-3.5-turbo-completions",
              "o4-mini-2025-04-16", "o4-mini", "ft-o4-mini-2025-04-16"),
    *_section("2026-04-22: Legacy GPT model snapshots", "2026-10-23", _SOL,
              "gpt-4-0613", "gpt-4", "gpt-4-0613-completions", "gpt-4-completions",
              "gpt-4-1106-preview", "gpt-4-turbo", "gpt-4-turbo-2024-04-09",
              "gpt-4-turbo-completions", "gpt-4o-2024-05-13", "o1-2024-12-17", "o1",
              "o3-mini-2025-01-31", "o3-mini"),
    *_section("2026-04-22: Legacy GPT model snapshots", "2026-10-23", _LUNA,
              "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"),
    *_section("2026-04-22: Legacy GPT model snapshots", "2026-10-23", _SOL_PRO,
              "o1-pro-2025-03-19", "o1-pro"),
    *_section("2026-04-22: Legacy GPT model snapshots", "2026-10-23", _IMAGE, "gpt-image-1"),
    *_section("2026-04-22: Legacy GPT model snapshots (July 2026 shutdown)", "2026-07-23",
              _TERRA, "computer-use-preview-2025-03-11", "computer-use-preview",
              "gpt-4o-mini-search-preview-2025-03-11", "gpt-4o-search-preview-2025-03-11",
              "gpt-5.1-codex-mini"),
    *_section("2026-04-22: Legacy GPT model snapshots (July 2026 shutdown)", "2026-07-23",
              _SOL, "gpt-5-chat-latest", "gpt-5-codex", "gpt-5.1-chat-latest", "gpt-5.1-codex",
              "gpt-5.1-codex-max", "o3-deep-research-2025-06-26", "o3-deep-research",
              "o4-mini-deep-research-2025-06-26", "o4-mini-deep-research", "gpt-5.2-codex"),
    *_section("2025-11-18: chatgpt-4o-latest snapshot", "2026-02-17", "gpt-5.1-chat-latest",
              "chatgpt-4o-latest"),
    *_section("2025-11-17: codex-mini-latest model snapshot", "2026-02-12", "gpt-5-codex-mini",
              "codex-mini-latest"),
    *_section("2025-11-14: DALL·E model snapshots", "2026-05-12",
              "gpt-image-2, gpt-image-1, or gpt-image-1-mini", "dall-e-2", "dall-e-3"),
    *_section("2025-09-26: Legacy GPT model snapshots", "2026-09-28", _TERRA,
              "gpt-3.5-turbo-instruct", "babbage-002", "davinci-002", "gpt-3.5-turbo-1106"),
    *_section("2025-09-26: Legacy GPT model snapshots (March 2026 shutdown)", "2026-03-26",
              "gpt-5 or gpt-4.1", "gpt-4-0314", "gpt-4-0125-preview", "gpt-4-turbo-preview",
              "gpt-4-turbo-preview-completions"),
    *_section("2025-04-28: o1-preview and o1-mini", "2025-07-28", "o3", "o1-preview"),
    *_section("2025-04-28: o1-preview and o1-mini", "2025-10-27", "o4-mini", "o1-mini"),
    *_section("2025-04-14: GPT-4.5-preview", "2025-07-14", "gpt-4.1", "gpt-4.5-preview"),
    *_section("2024-06-06: GPT-4-32K and Vision Preview models", "2025-06-06", "gpt-4o",
              "gpt-4-32k", "gpt-4-32k-0613", "gpt-4-32k-0314"),
    *_section("2024-06-06: GPT-4-32K and Vision Preview models", "2024-12-06", "gpt-4o",
              "gpt-4-vision-preview", "gpt-4-1106-vision-preview"),
    *_section("2023-11-06: Chat model updates", "2024-09-13", "gpt-3.5-turbo",
              "gpt-3.5-turbo-0613", "gpt-3.5-turbo-16k-0613"),
    *_section("2023-07-06: GPT and embeddings", "2024-01-04", "gpt-3.5-turbo-instruct",
              "text-ada-001", "text-babbage-001", "text-curie-001", "text-davinci-001",
              "text-davinci-002", "text-davinci-003", "code-davinci-002"),
    *_section("2023-07-06: GPT and embeddings", "2024-01-04", "babbage-002", "ada", "babbage"),
    *_section("2023-07-06: GPT and embeddings", "2024-01-04", "davinci-002", "curie", "davinci"),
    *_section("2023-07-06: GPT and embeddings", "2024-01-04", "gpt-4o",
              "text-davinci-edit-001", "code-davinci-edit-001"),
    *_section("2023-07-06: GPT and embeddings", "2024-01-04", "text-embedding-3-small",
              *_EMBEDDINGS),
    *_section("2023-06-13: Updated chat models", "2024-09-13", "gpt-3.5-turbo",
              "gpt-3.5-turbo-0301"),
    *_section("2023-03-20: Codex models", "2023-03-23", "gpt-4o", "code-davinci-001",
              "code-cushman-002", "code-cushman-001"),
)


def _first_wins(rows: tuple[Retirement, ...]) -> dict[str, Retirement]:
    table: dict[str, Retirement] = {}
    for row in rows:
        table.setdefault(row.model, row)
    return table


#: model id -> its retirement (shutdown date, replacement), from OpenAI's deprecations page.
RETIRED_MODELS: dict[str, Retirement] = _first_wins(_ROWS)

#: Every model name the page mentions: the retired ones and the replacements it recommends.
KNOWN_MODELS: frozenset[str] = frozenset(RETIRED_MODELS) | frozenset(
    name for row in _ROWS for name in re.findall(r"[a-z][a-z0-9.\-]*[a-z0-9]", row.replacement)
    if name not in ("or", "reasoning.mode", "pro"))


def current_replacement(model: str, today: date) -> str:
    """What to use instead of ``model``, following replacements that have retired since."""
    row = RETIRED_MODELS[model]
    seen = {model}
    while row.replacement in RETIRED_MODELS and row.replacement not in seen:
        seen.add(row.replacement)
        nxt = RETIRED_MODELS[row.replacement]
        if nxt.shutdown > today:
            break
        row = nxt
    return row.replacement


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_SQUASHED = {_squash(name): name for name in sorted(KNOWN_MODELS)}


def misspelling_of(name: str) -> str | None:
    """The known model ``name`` means when it differs only in case and punctuation
    (``GPT-4``, ``gpt4``, ``gpt-35-turbo``), else None."""
    known = _SQUASHED.get(_squash(name))
    return known if known is not None and known != name else None


# --- Azure OpenAI api-version -------------------------------------------------------------

#: Retired on July 1, 2024: "will be retired and will stop accepting API requests".
AZURE_RETIRED_PREVIEWS: frozenset[str] = frozenset({
    "2023-03-15-preview", "2023-07-01-preview", "2023-08-01-preview", "2023-09-01-preview",
    "2023-12-01-preview",
})
AZURE_RETIRED_ON = date(2024, 7, 1)
#: Older previews Microsoft said stay supported ("DALL-E 2 is only available in this version").
AZURE_KEPT_PREVIEWS: frozenset[str] = frozenset({"2023-06-01-preview", "2023-10-01-preview"})
#: After July 1, 2024 "the latest three preview APIs will remain supported": 2024-03-01-preview
#: and later; older previews "will no longer be supported unless support is explicitly
#: indicated".
AZURE_OLDEST_PREVIEW = date(2024, 3, 1)
#: "2024-06-01 ... is the replacement for the previous 2024-02-01 GA API release", which
#: replaced 2023-05-15.
AZURE_LATEST_GA = "2024-06-01"

#: Azure OpenAI's api-versions start in 2022 (2022-03-01-preview, 2022-12-01 GA); an older
#: date belongs to another Azure API (the instance metadata service's 2018-02-01, say).
AZURE_FIRST = date(2022, 1, 1)
_VERSION_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")


def azure_version_problem(version: str) -> tuple[str, str] | None:
    """``(status, why)`` when an Azure OpenAI ``api-version`` is retired or superseded, else
    None (also for text that is not an api-version)."""
    match = _VERSION_RE.match(version.strip())
    if match is None:
        return None
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError:
        return None
    if day < AZURE_FIRST:
        return None  # older than Azure OpenAI itself: another Azure service's api-version
    if version in AZURE_RETIRED_PREVIEWS:
        return "fail", (f"was retired on {AZURE_RETIRED_ON.isoformat()} and no longer accepts "
                        "requests")
    if match.group(2):
        if version in AZURE_KEPT_PREVIEWS or day >= AZURE_OLDEST_PREVIEW:
            return None
        return "warn", ("is a preview older than 2024-03-01-preview; since July 1, 2024 only "
                        "the latest previews are supported")
    if day < date.fromisoformat(AZURE_LATEST_GA):
        return "warn", (f"is a superseded GA release: {AZURE_LATEST_GA} replaced 2024-02-01, "
                        "which replaced 2023-05-15")
    return None
