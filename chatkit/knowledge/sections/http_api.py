"""The API's own answers: request errors, keys and permissions, models, rate limits and quota,
server errors, and pages that are not the API.

Remedies name the pages of the provider the request went to (``{keys_page}``,
``{billing_page}``, ``{limits_page}``, ``{status_page}``, ``{models_hint}``), filled from its
profile by :func:`~chatkit.knowledge.classifier.explain`; OpenAI's when nothing says which.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("invalid_request", "integration",
          "the API rejected the request body: {message}",
          "fix the parameter {param}; `chatkit.validate_request(payload)` checks a payload "
          "before sending; see the API reference for the endpoint",
          False, "invalid request"),
    Cause("missing_parameter", "integration",
          "a required parameter is missing: {message}",
          "add {param} to the request body (chat completions need model and messages)",
          False, "missing parameter"),
    Cause("context_length_exceeded", "integration",
          "the messages plus max_tokens exceed the model's context window: {message}",
          "shorten the conversation (drop or summarise old messages), lower max_tokens, or use "
          "a model with a larger context window",
          False, "context too long"),
    Cause("bad_json", "integration",
          "the request body is not valid JSON",
          "send the body with json=payload (httpx/requests) rather than a hand-built string; "
          "check for trailing commas and unescaped quotes",
          False, "request body is not JSON"),
    Cause("unsupported_content_type", "integration",
          "the request's Content-Type is not application/json",
          "send the header Content-Type: application/json (json=payload sets it for you)",
          False, "wrong Content-Type"),
    Cause("missing_api_key", "account",
          "the request carried no API key",
          "send Authorization: Bearer <key> (Azure: the api-key header); set {key_env} in "
          "the environment the program runs in (a notebook kernel started before you set it "
          "does not see it)",
          False, "no API key sent"),
    Cause("invalid_api_key", "account",
          "{provider_title} did not accept the API key (mistyped, revoked, or a key of another "
          "provider){key_hint}",
          "create or copy a key at {keys_page}; check that the key matches the base URL's "
          "provider (an sk-or- key is OpenRouter's, sk-ant- is Anthropic's)",
          False, "invalid API key"),
    Cause("key_deactivated", "account",
          "the key, its project or the account has been deactivated",
          "create a new key at {keys_page}; if the account is deactivated contact "
          "help.openai.com",
          False, "key or account deactivated"),
    Cause("wrong_organization", "account",
          "the key does not belong to the organization or project the request names",
          "remove or fix the OpenAI-Organization / OpenAI-Project headers (OPENAI_ORG_ID, "
          "OPENAI_PROJECT_ID); check the key's project at {keys_page}",
          False, "wrong organization or project"),
    Cause("ip_not_authorized", "account",
          "the project only accepts requests from allow-listed IP addresses",
          "add this network's public IP to the project's IP allowlist (Settings > Project > "
          "Security), or call from an allowed network",
          False, "IP address not allowed"),
    Cause("authentication_failed", "account",
          "the API did not accept the credentials: {message}",
          "check the key ({keys_page}) and the auth header the provider expects",
          False, "authentication failed"),
    Cause("unsupported_region", "network",
          "the API refuses requests from this country, region or territory",
          "the request's public IP is in an unsupported region: check the VPN/proxy exit "
          "location; see https://platform.openai.com/docs/supported-countries",
          False, "region not supported"),
    Cause("permission_denied", "account",
          "the key is valid but lacks permission for this resource: {message}",
          "check the key's permissions (restricted keys) and the project's model access in "
          "Settings > Project > Limits",
          False, "permission denied"),
    Cause("model_not_found", "integration",
          "the model {model} does not exist or this key has no access to it",
          "{models_hint}{suggestion}; check the spelling and the key's model access",
          False, "model not found"),
    Cause("deployment_not_found", "integration",
          "the Azure deployment in the URL does not exist",
          "use the deployment name (not the model name) from the Azure portal's Deployments "
          "page in /openai/deployments/<name>/...",
          False, "Azure deployment not found"),
    Cause("invalid_url", "integration",
          "the API has no such path ({message}): the base URL or endpoint is wrong",
          "check the base URL: it must end in /v1 for OpenAI (https://api.openai.com/v1); "
          "gateways document their own prefix",
          False, "wrong URL path"),
    Cause("not_found", "integration",
          "the resource was not found: {message}",
          "check the base URL and the resource id",
          False, "not found"),
    Cause("method_not_allowed", "integration",
          "the endpoint does not accept this HTTP method",
          "chat completions need POST; check the base URL and path",
          False, "method not allowed"),
    Cause("request_timeout_408", "service",
          "the server timed out waiting for the request (HTTP 408)",
          "retry (the openai client retries 408); check a slow uplink for big requests",
          True, "server timed out waiting"),
    Cause("conflict", "service",
          "the request conflicted with another in progress (HTTP 409)",
          "retry after a short wait (the openai client retries 409)",
          True, "conflict"),
    Cause("payload_too_large", "integration",
          "the request body is too large for the API or a proxy (HTTP 413)",
          "send less: fewer or smaller images (use URLs), shorter messages",
          False, "request body too large"),
    Cause("unprocessable", "integration",
          "the request was understood but cannot be processed: {message}",
          "fix the request as the message says",
          False, "unprocessable request"),
    Cause("client_error", "integration",
          "the API answered HTTP {status}: {message}",
          "read the error message; check the request against the API reference",
          False, "request rejected"),
    # A rate limit is the service throttling for a moment (category service, retry after the
    # wait); a quota or billing that stops every request until someone acts is the account's.
    Cause("rate_limit", "service",
          "{provider_title}'s rate limit (requests or tokens per minute) was reached: {message}",
          "wait {wait} and retry with exponential backoff; send fewer requests or tokens per "
          "minute; higher usage tiers raise the limits ({limits_page})",
          True, "rate limit reached"),
    Cause("slow_down", "service",
          "traffic ramped up too fast, even within the rate limits",
          "retry at a lower rate and grow traffic gradually (at most ~50% per 15 minutes)",
          True, "ramping up too fast"),
    Cause("request_too_large", "integration",
          "a single request needs more tokens than the per-minute limit allows; it can never "
          "succeed, however long you wait",
          "reduce the input or max_tokens so the request fits in the tokens-per-minute limit, or "
          "raise the limit by moving to a higher usage tier ({limits_page})",
          False, "request larger than the TPM limit"),
    Cause("insufficient_quota", "account",
          "the account has no quota left (billing: no credit, unpaid invoice, or a spending "
          "limit reached); retrying does not help",
          "add credit or raise the budget at {billing_page}; new credit can take a few "
          "minutes to "
          "apply; a new key does not help",
          False, "quota exhausted (billing)"),
    Cause("credit_balance_exhausted", "account",
          "the prepaid credit balance is used up; retrying does not help",
          "buy credit at {billing_page} (or enable auto-recharge)",
          False, "no credit left"),
    Cause("server_error", "service",
          "the API had an internal error (HTTP {status})",
          "retry with backoff (the openai client retries twice); if many requests fail, check "
          "{status_page}; send the request id ({request_id}) to support if it persists",
          True, "server error"),
    Cause("bad_gateway", "service",
          "a gateway in front of the API got no valid answer from it (HTTP 502)",
          "retry with backoff; check {status_page} if it repeats",
          True, "bad gateway"),
    Cause("service_unavailable", "service",
          "the service is unavailable (HTTP 503)",
          "retry after a pause (seconds to minutes); check {status_page}",
          True, "service unavailable"),
    Cause("server_overloaded", "service",
          "the model's servers are overloaded and cannot take the request now",
          "retry with longer backoff (several seconds, growing); try a less busy model or "
          "off-peak hours; check {status_page}",
          True, "servers overloaded"),
    Cause("gateway_timeout", "service",
          "a gateway in front of the API timed out waiting for it (HTTP 504)",
          "retry; for long generations use stream=True so the connection is not idle; lower "
          "max_tokens",
          True, "gateway timeout"),
    Cause("cdn_error_page", "service",
          "the API's CDN answered HTTP {status} with an HTML error page instead of JSON: the "
          "API behind it did not answer",
          "retry with backoff; check {status_page}; the page has no x-request-id because "
          "the API "
          "never saw the request",
          True, "CDN error page (HTTP {status})"),
    Cause("captive_portal", "network",
          "a Wi-Fi login page answered instead of the API (captive portal)",
          "open any http:// page in a browser, log in or accept the terms, then retry",
          False, "captive portal"),
    Cause("web_filter_block", "network",
          "a web filter or firewall answered with a block page instead of the API",
          "ask IT to allow the API host (e.g. api.openai.com) in the web filter, or use an "
          "allowed network",
          False, "blocked by a web filter"),
    Cause("html_instead_of_json", "network",
          "an HTML page (HTTP {status}) came back where JSON was expected: something other "
          "than the API answered (proxy, portal, wrong base URL)",
          "open the base URL in a browser to see who answers; check the base URL and proxy "
          "settings",
          False, "HTML instead of JSON"),
    Cause("malformed_json", "network",
          "the answer claims to be JSON but is cut off or invalid (a proxy truncated it, or the "
          "connection dropped)",
          "retry; if it repeats bypass the proxy for the API host (NO_PROXY)",
          True, "broken JSON answer"),
    Cause("stream_cut", "network",
          "the stream ended before its final event ([DONE]; response.completed on the "
          "Responses API): the connection was closed mid-answer",
          "retry the request; if it repeats a proxy or load balancer has an idle/response "
          "timeout shorter than the generation: raise it or lower max_tokens",
          True, "stream cut off"),
    Cause("stream_error", "service",
          "the API sent an error event in the middle of a stream: {message}",
          "retry the request (the status was already 200, so clients do not retry it for you)",
          True, "error inside the stream"),
    Cause("stream_malformed", "integration",
          "the answer is not a server-sent event stream ({detail})",
          "check the base URL: the endpoint did not stream; some gateways need stream "
          "options enabled",
          False, "not an event stream"),
    Cause("response_validation", "integration",
          "the answer does not have the shape of an OpenAI API answer (a gateway speaking "
          "another API?)",
          "check the base URL and that the gateway is OpenAI-compatible for this endpoint",
          False, "unexpected answer shape"),
    # what the api checks measure (chatkit.checks.api)
    Cause("slow_completion", "service",
          "a {tokens}-token answer took {took} ms; {where}",
          "if the API itself is slow, check the status page and retry later; if the network "
          "is, run `chatkit doctor` without --only to time DNS, TCP and TLS",
          True, "slow answer"),
)
