"""What a failure means: the one table that turns a raw failure into a cause and a fix.

:func:`classify` takes whatever a failed call left behind — an exception (httpx, httpx2,
``ssl``, ``socket``, dnspython, the openai client), a response, a row of a request log, or
just a class name or a browser's ``net::ERR_*`` code — and returns a
:class:`~chatkit.findings.Finding` with category, cause, remedy and retryability.
:func:`explain` builds the same Finding for a cause a check has already identified.

The knowledge is data, not ``if`` chains: :data:`~chatkit.knowledge.table.KNOWLEDGE`, one
:class:`~chatkit.knowledge.cause.Cause` per row, in section files that read as a document.
Which row a raw failure belongs to is decided by the lookup tables of
:mod:`chatkit.knowledge.recognize` (exception classes, messages, net errors, HTTP rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatkit.errors import UsageError
from chatkit.findings import Finding
from chatkit.knowledge.recognize import recognize
from chatkit.knowledge.table import KNOWLEDGE
from chatkit.providers import PROVIDERS, ProviderProfile

__all__ = ["classify", "explain"]

# Present in every classify() Finding's evidence (None when the failure did not say).
_EVIDENCE_KEYS = ("status", "error_type", "error_code", "param", "request_id")


class _Fill(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return f"(unknown {key})"


def explain(kind: str, *, check: str, status: str = "fail", title: str | None = None,
            evidence: Mapping[str, Any] | None = None, **fmt: Any) -> Finding:
    """A Finding for a known ``kind``, cause and remedy filled from ``evidence`` and ``fmt``.

    Raises :class:`~chatkit.errors.UsageError` for a kind that is not in :data:`KNOWLEDGE`.
    """
    row = KNOWLEDGE.get(kind)
    if row is None:
        raise UsageError(f"unknown failure kind {kind!r}; see chatkit.knowledge.KNOWLEDGE for "
                         "the known kinds")
    values = _Fill({k: v for k, v in (evidence or {}).items() if v is not None})
    values.update({k: v for k, v in fmt.items() if v is not None})
    values.update({k: v for k, v in _provider_values(values).items() if k not in values})
    return Finding(
        check=check, status=status,  # type: ignore[arg-type]
        title=title or row.title.format_map(values),
        category=row.category, cause=row.cause.format_map(values),
        remedy=row.remedy.format_map(values), retryable=row.retryable,
        evidence={"kind": kind, **(evidence or {})},
    )


def _provider_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a remedy names, from the profile of the provider the failure came from: its pages
    and wording, OpenAI's when nothing says which provider it was."""
    profile = _profile(values.get("provider"))
    label = profile.label
    upstream, gateway = values.get("upstream"), values.get("gateway") or label
    owner = PROVIDERS.get(str(values.get("key_owner")))
    filtered = values.get("filtered")
    return {
        "provider_title": label, "key_env": profile.key_env,
        "keys_page": profile.keys_page or f"{label}'s API key settings",
        "billing_page": profile.billing_page or f"{label}'s billing settings",
        "limits_page": profile.limits_page or f"{label}'s rate-limit settings",
        "status_page": profile.status_page or f"{label}'s status page",
        "models_hint": profile.models_hint, "gateway": gateway,
        "upstream": upstream or "the upstream provider",
        "upstream_message": values.get("message"),
        "via": f" (at {upstream}, behind {gateway})" if upstream else "",
        "filtered_text": f" ({', '.join(map(str, filtered))})" if filtered else "",
        "key_hint": f"; the key looks like {owner.label}'s, sent to {label}"
        if owner is not None and owner is not profile else "",
    }


def _profile(name: object) -> ProviderProfile:
    return PROVIDERS.get(str(name)) or PROVIDERS["openai"] if name else PROVIDERS["openai"]


def classify(failure: object = None, *, status: int | None = None,
             headers: Mapping[str, str] | None = None, body: str | bytes | Mapping[str, Any] | None
             = None, check: str = "classify", evidence: Mapping[str, Any] | None = None) -> Finding:
    """What ``failure`` means, as a Finding (``fail``, or ``ok`` for a healthy 2xx answer).

    ``failure`` may be an exception (httpx, httpx2, ssl, socket, dnspython, the openai
    client), a response (anything with ``status_code``, ``headers`` and ``text``), a row of
    the request log, or a string (an exception class name or a ``net::ERR_*`` code).
    Alternatively give ``status``/``headers``/``body`` directly. ``evidence`` is added to the
    Finding's (``model`` and ``available_models`` make a 404 suggest the closest names).
    """
    kind, found = recognize(failure, status=status, headers=headers, body=body,
                            evidence=evidence)
    values = {**dict.fromkeys(_EVIDENCE_KEYS), **found, **(evidence or {})}
    if values.get("provider") in (None, "compatible") and found.get("provider"):
        values["provider"] = found["provider"]  # where the answer came from says more
    if kind == "ok":
        return Finding(check=check, status="ok",
                       title=f"HTTP {values['status']}: the API answered",
                       evidence={"kind": "ok", **values})
    return explain(kind, check=check, evidence=values)
