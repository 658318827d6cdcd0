"""Client library versions known to break together: the combination, what it raises, the fix.

Each row holds only what its source says: a changelog entry of the library that shipped the
fix, or an issue thread where its maintainers confirmed the cause. :mod:`chatkit.checks.sdk`
matches the installed versions against :data:`KNOWN_BAD`; the text each row raises is what
:func:`chatkit.classify` recognises (the ``sdk_*`` rows of the knowledge table).

:data:`SDK_PACKAGES` are the distributions a user may call the API with, and the ones those
depend on, in the order a report lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["KNOWN_BAD", "SDK_PACKAGES", "KnownBad"]

SDK_PACKAGES: tuple[str, ...] = (
    "openai", "httpx", "httpx2", "pydantic", "typing-extensions", "anthropic", "litellm",
    "langchain-openai",
)


@dataclass(frozen=True, slots=True)
class KnownBad:
    """One combination: every ``(distribution, specifier)`` of ``when`` holds together.

    An empty specifier means "installed, any version".
    """

    id: str
    when: tuple[tuple[str, str], ...]
    error: str  # what the combination raises, as the user sees it
    fix: str
    source: str
    status: Literal["fail", "warn"] = "fail"


KNOWN_BAD: tuple[KnownBad, ...] = (
    KnownBad(
        "openai_httpx_proxies", (("openai", "<1.55.3"), ("httpx", ">=0.28")),
        "TypeError: Client.__init__() got an unexpected keyword argument 'proxies'",
        "pip install -U 'openai>=1.55.3' (or pin 'httpx<0.28' until you can upgrade)",
        "openai-python CHANGELOG 1.55.3 'compat with new httpx 0.28.0 release' (#1904); "
        "httpx 0.28.0 removed the proxies argument (meta-llama/llama-stack-apps#131)"),
    KnownBad(
        "anthropic_httpx_proxies", (("anthropic", "<0.40.0"), ("httpx", ">=0.28")),
        "TypeError: AsyncClient.__init__() got an unexpected keyword argument 'proxies'",
        "pip install -U 'anthropic>=0.40.0' (or pin 'httpx<0.28')",
        "anthropic-sdk-python CHANGELOG 0.40.0 'compat with new httpx 0.28.0 release' (#765); "
        "anthropics/anthropic-sdk-python#766, #767"),
    KnownBad(
        "openai_pydantic_extra", (("openai", ">=1.108.0,<1.109.1"), ("pydantic", ">=2,<2.8")),
        "NameError raised while importing openai (its models use __pydantic_extra__, which "
        "pydantic before 2.8 does not handle)",
        "pip install -U 'openai>=1.109.1' (or 'pydantic>=2.8')",
        "openai/openai-python#2644; CHANGELOG 1.109.1 'compat with pydantic<2.8.0 when using "
        "additional fields'"),
    KnownBad(
        "openai_typing_extensions", (("openai", ">=1.0.0,<1.6.0"), ("typing-extensions", "<4.7")),
        "ImportError: cannot import name 'TypeAliasType' from 'typing_extensions'",
        "pip install -U 'typing-extensions>=4.7' (openai 1.6.0 and later ask for it)",
        "openai/openai-python#816; CHANGELOG 1.6.0 'bump minimum typing-extensions to 4.7' "
        "(#994)"),
    KnownBad(
        "litellm_openai_v1", (("litellm", "<1.0.0"), ("openai", ">=1.0.0")),
        "ModuleNotFoundError: No module named 'openai.error'",
        "pip install -U 'litellm>=1.0.0' (the first litellm for openai >= 1)",
        "BerriAI/litellm#774, #799, #1176; jackmpcollins/magentic#59"),
    KnownBad(
        "openai_v0", (("openai", "<1.0.0"),),
        "ImportError: cannot import name 'OpenAI' from 'openai' (for any code written for "
        "openai >= 1.0, which every current example is)",
        "pip install -U openai, then migrate 0.x code (openai migrate); keep openai 0.28 only "
        "for code you cannot change",
        "openai/openai-python#685, #701 (maintainer: openai.VERSION showed 0.27.8 / 0.28.1)",
        "warn"),
    KnownBad(
        "openai_httpx2_respx", (("openai", ">=3.0.0"), ("respx", "")),
        "respx mocks no longer intercept the SDK's requests: openai >= 3 sends them with "
        "httpx2, and a respx that patches only httpx never sees them",
        "use an httpx2-compatible respx, or hand the client a legacy httpx client in tests "
        "(OpenAI(http_client=cast(Any, httpx.Client())))",
        "openai-python CHANGELOG 3.0.0 (HTTPX2 is now the default HTTP client) and httpx2.md "
        "'Request mocking and tests'",
        "warn"),
)
