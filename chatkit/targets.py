"""Where to diagnose: a base URL, the provider profile behind it, and where its key lives.

Provider profiles (:mod:`chatkit.providers`) live in a plain registry filled by
:func:`register_provider`; their names stay importable from here. A :class:`Target` not told
its provider takes the one its base URL points at (``openai`` when the URL says nothing). A
:class:`Target` never shows its key: not in ``repr``, not in ``to_dict``, not in a log; only
:func:`mask_key`'s first-3-and-last-4 form. Credentials written into a URL
(``https://user:pass@host``, ``?api-key=...``) are shown redacted too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chatkit.errors import MissingKey, UsageError
from chatkit.providers import (
    PROVIDERS,
    ProviderProfile,
    detect_provider,
    get_provider,
    register_provider,
)
from chatkit.redaction.scrub import redact_url

__all__ = [
    "PROVIDERS",
    "ProviderProfile",
    "Target",
    "detect_provider",
    "get_provider",
    "mask_key",
    "register_provider",
]


def mask_key(key: str | None) -> str | None:
    """A key as its first 3 and last 4 characters (``sk-...abcd``); short keys fully hidden."""
    if not key:
        return None
    if len(key) < 12:
        return "***"
    return f"{key[:3]}...{key[-4:]}"


def _check_url(url: str, what: str, example: str = "https://api.openai.com/v1") -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} {url!r} is not an http(s) URL; give one like {example}")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True, repr=False)
class Target:
    """The endpoint to diagnose and how to authenticate to it."""

    base_url: str | None = None
    provider: str = ""  # "": the one the base URL points at, else "openai"
    key_env: str | None = None  # None: the provider's variable (OPENAI_API_KEY for openai)
    model: str | None = None
    status_page: str | None = None  # None: the provider's status page, if it has one
    proxy: str | None = None  # None: the environment's HTTP(S)_PROXY decide
    ca_bundle: str | None = None  # a PEM file to trust instead of the default store
    timeout: float = 10.0
    # A key typed into a password widget; repr=False and never serialised.
    api_key: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.provider:
            object.__setattr__(self, "provider", detect_provider(self.base_url) or "openai")
        profile = get_provider(self.provider)
        base_url = self.base_url or profile.default_base_url
        if base_url is None:
            raise UsageError(
                f"provider {self.provider!r} has no default base URL; pass base_url=, "
                "e.g. https://<resource>.openai.azure.com/openai"
            )
        object.__setattr__(self, "base_url", _check_url(base_url, "base URL"))
        if self.key_env is None:
            object.__setattr__(self, "key_env", profile.key_env)
        if self.status_page is None and profile.readable_status_page:
            object.__setattr__(self, "status_page", profile.readable_status_page)
        if self.status_page:
            object.__setattr__(self, "status_page", _check_url(
                self.status_page, "status page", "https://status.openai.com"))
        if self.proxy:
            _check_url(self.proxy, "proxy", "http://proxy.example.com:3128")

    def __repr__(self) -> str:
        extra = f", model={self.model!r}" if self.model else ""
        extra += f", proxy={redact_url(self.proxy)!r}" if self.proxy else ""
        return (f"Target({redact_url(self.url)!r}, provider={self.provider!r}, "
                f"key_env={self.key_env!r}{extra})")

    @property
    def profile(self) -> ProviderProfile:
        return get_provider(self.provider)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def url(self) -> str:
        """``base_url`` as a plain ``str`` (it is always set once constructed)."""
        return str(self.base_url)

    def key(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The API key: the one typed in, else the provider's environment variable."""
        if self.api_key:
            return self.api_key
        env = os.environ if environ is None else environ
        return env.get(str(self.key_env)) or None

    def require_key(self, environ: Mapping[str, str] | None = None) -> str:
        key = self.key(environ)
        if not key:
            raise MissingKey(
                f"no API key: set {self.key_env} in the environment (or type it in the panel)"
            )
        return key

    def auth_headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """Headers carrying the key, or none when there is no key."""
        key = self.key(environ)
        return self.profile.auth_headers(key) if key else {}

    def to_dict(self, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The Report contract's ``target``: the key only masked, URL credentials removed."""

        return {
            "base_url": redact_url(self.url),
            "provider": self.provider,
            "key": mask_key(self.key(environ)),
            "key_env": self.key_env,
            "model": self.model,
            "status_page": redact_url(self.status_page) if self.status_page else None,
            "proxy": redact_url(self.proxy) if self.proxy else None,
            "ca_bundle": self.ca_bundle,
        }
