"""Providers: what the answers of providers other than OpenAI (and of gateways) mean.

Billing that stops every request (402 and its cousins), a daily quota, a content filter, a
model a local server has not pulled, a gateway with no provider for the model, and an upstream
provider failing behind a gateway. Remedies name the pages of the provider the request went
to: ``{billing_page}``, ``{keys_page}``, ``{limits_page}``, ``{status_page}`` and
``{models_hint}`` are filled from its profile (:mod:`chatkit.providers`).
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("credits_exhausted", "account",
          "{provider_title} has no credit left for this request{via}: {message}",
          "add credit at {billing_page}; until then every request fails the same way, so do "
          "not retry (a smaller max_tokens may fit what is left where credit is reserved up "
          "front)",
          False, "out of credits"),
    Cause("billing_not_active", "account",
          "billing is not active on the {provider_title} account (no payment method, a failed "
          "payment or a cancelled plan): {message}",
          "add or fix the payment method at {billing_page}; a new key does not help and "
          "retrying does not either",
          False, "billing not active"),
    Cause("daily_quota_exhausted", "account",
          "a quota that resets daily (or later) is used up{via}: {message}",
          "wait until it resets ({wait}) or raise the quota or tier at {limits_page}; retrying "
          "before then fails the same way",
          False, "daily quota used up"),
    Cause("content_filtered", "integration",
          "{provider_title}'s content filter refused the request{filtered_text}: {message}",
          "rephrase the prompt (and check the system prompt and any retrieved text) so it does "
          "not trip the filter: the same text is refused again, so retrying does not help; an "
          "administrator can review the filter policy of the deployment",
          False, "refused by the content filter"),
    Cause("model_not_pulled", "integration",
          "the local server does not have the model {model}: {message}",
          "{models_hint}",
          False, "model not downloaded"),
    Cause("no_endpoints", "integration",
          "{provider_title} has no provider serving {model} for this request (none at all, "
          "or none supporting what the request asks for): {message}",
          "{models_hint}",
          False, "no provider serves the model"),
    Cause("upstream_rate_limited", "service",
          "{upstream}, the provider {gateway} routed the request to, is rate-limiting (HTTP "
          "{status}): {upstream_message}",
          "retry in a few seconds with backoff, route to another provider, or use your own "
          "{upstream} key so its limits are yours ({limits_page}); check {status_page} if it "
          "persists",
          True, "upstream provider rate-limited"),
    Cause("upstream_rejected", "integration",
          "{upstream}, the provider {gateway} routed the request to, refused it (HTTP "
          "{status}): {upstream_message}",
          "change the request as the upstream's message says, or pin a provider that supports "
          "it; retrying the same request gets the same answer",
          False, "upstream provider refused the request"),
    Cause("upstream_error", "service",
          "{upstream}, the provider {gateway} routed the request to, failed (HTTP {status}): "
          "{upstream_message}",
          "retry with backoff or route to another provider; check {status_page}",
          True, "upstream provider failed"),
    Cause("model_load_failed", "service",
          "the server could not load the model: {message}",
          "use a smaller or more quantized model, unload other models or programs to free "
          "memory, or run it on a machine with more (GPU) memory; retrying does not help",
          False, "model could not be loaded"),
)
