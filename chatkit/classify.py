"""What a failure means: the one table that turns a raw failure into a cause and a fix.

:func:`classify` takes whatever a failed call left behind — an exception (httpx, httpx2,
``ssl``, ``socket``, dnspython, the openai client), a response, a row of a request log, or
just a class name or a browser's ``net::ERR_*`` code — and returns a
:class:`~chatkit.findings.Finding` with category, cause, remedy and retryability.
:func:`explain` builds the same Finding for a cause a check has already identified.

The knowledge is data, not ``if`` chains: :data:`KNOWLEDGE` (one :class:`Cause` per row, in
sections that read as a document), then the small lookup tables that lead to a row —
:data:`EXCEPTION_KINDS` (exception class -> kind), :data:`MESSAGE_HINTS` (what an exception's
message reveals when its class is too coarse), :data:`NET_ERRORS` (Chrome's net errors) and
:data:`HTTP_RULES` (status, ``error.type``, ``error.code``, message -> kind).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.errors import UsageError
from chatkit.findings import Category, Finding

__all__ = [
    "EXCEPTION_KINDS",
    "HTTP_RULES",
    "KNOWLEDGE",
    "MESSAGE_HINTS",
    "NET_ERRORS",
    "Cause",
    "HttpRule",
    "classify",
    "explain",
    "parse_retry_after",
]

_KEYS = "https://platform.openai.com/api-keys"
_BILLING = "https://platform.openai.com/settings/organization/billing"
_LIMITS = "https://platform.openai.com/settings/organization/limits"
_STATUS = "https://status.openai.com"


@dataclass(frozen=True, slots=True)
class Cause:
    """One row of the knowledge table."""

    kind: str  # stable id, e.g. "dns_not_found", "rate_limit", "insufficient_quota"
    category: Category  # network | service | browser | account | integration
    cause: str  # why (may use {placeholders} filled from evidence)
    remedy: str  # what to do, concrete: which header/setting/dashboard page, how long to wait
    retryable: bool | None
    title: str  # short human sentence


# =============================================================================================
# The knowledge table. Each section is owned by one part of chatkit; append rows only inside
# your own section. Placeholders ({host}, {param}, ...) are filled from the evidence; a missing
# one reads "(unknown host)".
# =============================================================================================

# --- section: transport (API helper) ---------------------------------------------------------
TRANSPORT: tuple[Cause, ...] = (
    Cause("dns_not_found", "network",
          "the name {host} could not be resolved to an address (no such name, or the resolver "
          "refused to answer for it)",
          "check the spelling of the base URL's host; run `chatkit doctor --only dns` to compare "
          "the system resolver with public ones; on a corporate network ask whether the host is "
          "blocked by DNS filtering, or set HTTPS_PROXY to the company proxy",
          None, "host name not resolved"),  # a typo never resolves; a flaky resolver may
    Cause("dns_temporary_failure", "network",
          "the system resolver did not answer (EAI_AGAIN: no network, or the DNS server is down)",
          "check that the machine is online (Wi-Fi/VPN connected); try again in a minute; set a "
          "working DNS server (e.g. your router or 1.1.1.1) if it persists",
          True, "DNS lookup failed temporarily"),
    Cause("dns_timeout", "network",
          "the DNS server did not answer in time",
          "retry; if it persists the resolver is unreachable or filtered: run "
          "`chatkit doctor --only dns` and try another resolver",
          True, "DNS query timed out"),
    Cause("dns_no_answer", "network",
          "the name exists but has no address record of the requested type",
          "check the host name; a split-horizon or filtering DNS may hide the record: compare "
          "with a public resolver (`chatkit doctor --only dns`)",
          False, "DNS name has no address"),
    Cause("dns_servfail", "network",
          "every DNS server failed to answer (SERVFAIL or refused)",
          "the resolver is broken or blocks this name: try another resolver or ask the network "
          "administrator; `chatkit doctor --only dns` shows which resolvers answer",
          True, "DNS servers failed"),
    Cause("dns_no_resolver_config", "network",
          "this machine has no DNS resolver configured (no /etc/resolv.conf nameserver)",
          "configure a nameserver (DHCP, /etc/resolv.conf, or the container's --dns option)",
          False, "no DNS resolver configured"),
    Cause("dns_invalid_name", "integration",
          "the host name is not a valid DNS name ({detail})",
          "fix the host part of the base URL: no spaces, no scheme inside the host, labels under "
          "64 characters",
          False, "invalid host name"),
    Cause("dns_error", "network",
          "the DNS answer could not be used ({detail})",
          "retry; if it persists compare resolvers with `chatkit doctor --only dns`",
          True, "DNS error"),
    Cause("connect_refused", "network",
          "{host} actively refused the TCP connection: nothing listens on port {port}, or a "
          "firewall rejects it",
          "check the base URL's port and scheme (http vs https); for a local server make sure it "
          "is running; on a corporate network the firewall may only allow traffic via the proxy "
          "(set HTTPS_PROXY)",
          None, "connection refused"),  # a wrong port stays refused; a restarting server not
    Cause("connect_timeout", "network",
          "no TCP connection to {host} within the connect timeout: packets are dropped on the "
          "way (firewall, no route, VPN)",
          "check the network path: try another network or switch the VPN off/on; a firewall that "
          "drops traffic needs the proxy (HTTPS_PROXY); raise the connect timeout only for slow "
          "links",
          True, "connection timed out"),
    Cause("network_unreachable", "network",
          "the machine has no route to the network of {host} (offline, or IPv6 without IPv6 "
          "connectivity)",
          "reconnect to the network; if only IPv6 fails, prefer IPv4 or fix the IPv6 setup",
          True, "network unreachable"),
    Cause("host_unreachable", "network",
          "no route to host {host} (a router or firewall reports it unreachable)",
          "try another network; ask the administrator whether the host is blocked",
          True, "host unreachable"),
    Cause("connect_failed", "network",
          "the connection to {host} could not be opened",
          "run `chatkit doctor --only dns,tcp,tls,proxy` to find which step fails",
          True, "connection failed"),
    Cause("read_timeout", "network",
          "the server accepted the request but sent nothing within the read timeout; long "
          "completions or an overloaded model can take minutes",
          "raise the read timeout (the openai client default is 600 s), use stream=True so tokens "
          "arrive as they are made, or lower max_tokens; retry if the service is degraded",
          True, "response timed out"),
    Cause("write_timeout", "network",
          "the request body could not be sent in time (a slow or stalled upload)",
          "check the uplink; send smaller requests (images as URLs, not base64)",
          True, "sending the request timed out"),
    Cause("pool_timeout", "integration",
          "every connection of the client's pool was busy for the whole pool timeout",
          "send fewer concurrent requests, or raise httpx.Limits(max_connections=...) in the "
          "client you pass to openai.OpenAI(http_client=...)",
          True, "connection pool exhausted"),
    Cause("timeout", "network",
          "the request timed out",
          "retry; if it repeats, run `chatkit doctor` to see whether connecting or waiting for "
          "the answer is slow",
          True, "request timed out"),
    Cause("connection_reset", "network",
          "the connection to {host} was reset mid-way (a middlebox, proxy or the server dropped "
          "it)",
          "retry; if it repeats, a proxy or firewall is cutting connections: try without VPN, "
          "or ask the administrator to allow long-lived HTTPS to the API",
          True, "connection reset"),
    Cause("connection_lost", "network",
          "the connection broke while sending or receiving",
          "retry; if it repeats check Wi-Fi quality, VPN and proxy idle timeouts",
          True, "connection lost"),
    Cause("server_disconnected", "network",
          "the server (or a proxy in between) closed the connection without answering",
          "retry; if it repeats the proxy or load balancer drops idle keep-alive connections: "
          "lower the client's keepalive_expiry",
          True, "server closed the connection"),
    Cause("remote_protocol_error", "network",
          "the answer broke the HTTP protocol ({detail})",
          "retry; if it repeats a proxy or TLS inspection box is mangling traffic: try without "
          "it or report it to the network administrator",
          True, "malformed HTTP answer"),
    Cause("transport_error", "network",
          "the request failed below HTTP ({detail})",
          "run `chatkit doctor` to find which network step fails",
          True, "network error"),
    Cause("proxy_auth_required", "network",
          "the proxy asks for credentials (HTTP 407 Proxy Authentication Required)",
          "put the proxy credentials in the proxy URL "
          "(HTTPS_PROXY=http://user:password@proxy:port) or ask IT for an exception for the API "
          "host; NTLM/Kerberos proxies need a local helper such as cntlm or px",
          False, "proxy needs authentication"),
    Cause("proxy_refused", "network",
          "the proxy refused to open a tunnel to {host} ({detail})",
          "the proxy's policy blocks the API host: ask IT to allow it, or check that HTTPS_PROXY "
          "points at the right proxy",
          False, "proxy refused the connection"),
    Cause("proxy_unreachable", "network",
          "the configured proxy {proxy} could not be reached",
          "check HTTPS_PROXY/HTTP_PROXY (host, port, scheme); unset them if you are no longer on "
          "the network that needs the proxy; NO_PROXY lists hosts that bypass it",
          True, "proxy unreachable"),
    Cause("tls_unknown_ca", "network",
          "the server's certificate is signed by an authority this machine does not trust: "
          "usually a corporate TLS-inspection proxy (Zscaler, Netskope, Palo Alto...) re-signing "
          "traffic",
          "get the company root CA (PEM) from IT and point SSL_CERT_FILE (and REQUESTS_CA_BUNDLE) "
          "at a bundle that includes it, or pass verify=<path> / Target(ca_bundle=...); httpx2 "
          "(openai >= 3) uses the OS trust store, so installing the CA there also works; never "
          "disable verification",
          False, "untrusted certificate (TLS inspection?)"),
    Cause("tls_expired", "network",
          "the certificate presented for {host} has expired or is not yet valid (or the "
          "machine's clock is wrong)",
          "check the system clock and time zone first; if the clock is right, the certificate "
          "(often a proxy's) is stale: tell its owner",
          False, "certificate expired"),
    Cause("tls_hostname_mismatch", "network",
          "the certificate presented is not for {host}: something between you and the API "
          "answers in its name (captive portal, web filter, wrong base URL or DNS entry)",
          "open the URL in a browser to see who answers; log in to the Wi-Fi portal if any; check "
          "the base URL's host and that DNS gives the real address",
          False, "certificate is for another host"),
    Cause("tls_self_signed", "network",
          "the server presents a self-signed certificate",
          "for a local or test server pass its certificate with verify=<path> or "
          "Target(ca_bundle=...); for a public API this is interception: ask IT",
          False, "self-signed certificate"),
    Cause("tls_verify_failed", "network",
          "the server's certificate could not be verified ({detail})",
          "run `chatkit doctor --only tls` to see the chain; set SSL_CERT_FILE to a bundle that "
          "includes your network's root CA",
          False, "certificate verification failed"),
    Cause("tls_wrong_version", "network",
          "TLS was spoken to something that is not a TLS server (http:// port, or a proxy that "
          "expects plain HTTP)",
          "check the base URL's scheme and port; for a proxy use http://proxy:port in HTTPS_PROXY "
          "(the tunnel is still encrypted)",
          False, "TLS spoken to a non-TLS port"),
    Cause("tls_handshake_failed", "network",
          "the TLS handshake failed ({detail})",
          "update Python/OpenSSL; a middlebox may block modern TLS: try another network",
          False, "TLS handshake failed"),
    Cause("invalid_base_url", "integration",
          "the URL cannot be requested ({detail})",
          "give the base URL in full, e.g. https://api.openai.com/v1 (scheme, host, /v1)",
          False, "invalid URL"),
    Cause("client_protocol_error", "integration",
          "the client refused to send the request ({detail}); a key with a trailing newline or "
          "space is the usual culprit",
          "strip whitespace from the key (e.g. os.environ['OPENAI_API_KEY'].strip()) and from "
          "other header values",
          False, "request could not be sent"),
    Cause("redirect_loop", "network",
          "the request was redirected too many times (a captive portal or a wrong base URL)",
          "open the base URL in a browser; log in to the network portal; check the base URL",
          False, "too many redirects"),
    Cause("response_decoding_error", "network",
          "the answer's content encoding could not be decoded (a proxy mangled gzip/br)",
          "retry; if it repeats bypass the proxy for the API host (NO_PROXY)",
          True, "answer could not be decoded"),
    Cause("client_usage_error", "integration",
          "the HTTP client was used in a way it does not allow ({detail})",
          "read the response (or stream) once, inside the `with` block, before the client is "
          "closed; this is a bug in the calling code",
          False, "HTTP client misuse"),
    Cause("unknown_error", "integration",
          "an error chatkit has no row for ({detail})",
          "run `chatkit doctor` for a full diagnosis and attach the report when asking for help",
          None, "unrecognised error"),
)

# --- section: HTTP/API (API helper) ----------------------------------------------------------
HTTP_API: tuple[Cause, ...] = (
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
          "send Authorization: Bearer <key> (Azure: the api-key header); set OPENAI_API_KEY in "
          "the environment the program runs in (a notebook kernel started before you set it "
          "does not see it)",
          False, "no API key sent"),
    Cause("invalid_api_key", "account",
          "the API key is not valid for this API (mistyped, revoked, or a key of another "
          "provider)",
          f"create or copy a key at {_KEYS}; check that the key matches the base URL's provider "
          "(an sk-or- key is OpenRouter's, sk-ant- is Anthropic's)",
          False, "invalid API key"),
    Cause("key_deactivated", "account",
          "the key, its project or the account has been deactivated",
          f"create a new key at {_KEYS}; if the account is deactivated contact "
          "help.openai.com",
          False, "key or account deactivated"),
    Cause("wrong_organization", "account",
          "the key does not belong to the organization or project the request names",
          "remove or fix the OpenAI-Organization / OpenAI-Project headers (OPENAI_ORG_ID, "
          "OPENAI_PROJECT_ID); check the key's project at " + _KEYS,
          False, "wrong organization or project"),
    Cause("ip_not_authorized", "account",
          "the project only accepts requests from allow-listed IP addresses",
          "add this network's public IP to the project's IP allowlist (Settings > Project > "
          "Security), or call from an allowed network",
          False, "IP address not allowed"),
    Cause("authentication_failed", "account",
          "the API did not accept the credentials: {message}",
          f"check the key ({_KEYS}) and the auth header the provider expects",
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
          "use a model this key can see (GET /v1/models){suggestion}; check the spelling and the "
          "project's model access",
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
    Cause("rate_limit", "account",
          "the rate limit (requests or tokens per minute) was reached: {message}",
          "wait {wait} and retry with exponential backoff; send fewer requests or tokens per "
          f"minute; higher usage tiers raise the limits ({_LIMITS})",
          True, "rate limit reached"),
    Cause("slow_down", "account",
          "traffic ramped up too fast, even within the rate limits",
          "retry at a lower rate and grow traffic gradually (at most ~50% per 15 minutes)",
          True, "ramping up too fast"),
    Cause("request_too_large", "integration",
          "a single request needs more tokens than the per-minute limit allows; it can never "
          "succeed, however long you wait",
          "reduce the input or max_tokens so the request fits in the tokens-per-minute limit, or "
          f"raise the limit by moving to a higher usage tier ({_LIMITS})",
          False, "request larger than the TPM limit"),
    Cause("insufficient_quota", "account",
          "the account has no quota left (billing: no credit, unpaid invoice, or a spending "
          "limit reached); retrying does not help",
          f"add credit or raise the budget at {_BILLING}; new credit can take a few minutes to "
          "apply; a new key does not help",
          False, "quota exhausted (billing)"),
    Cause("credit_balance_exhausted", "account",
          "the prepaid credit balance is used up; retrying does not help",
          f"buy credit at {_BILLING} (or enable auto-recharge)",
          False, "no credit left"),
    Cause("server_error", "service",
          "the API had an internal error (HTTP {status})",
          f"retry with backoff (the openai client retries twice); if many requests fail, check "
          f"{_STATUS}; send the x-request-id " "({request_id}) to support if it persists",
          True, "server error"),
    Cause("bad_gateway", "service",
          "a gateway in front of the API got no valid answer from it (HTTP 502)",
          f"retry with backoff; check {_STATUS} if it repeats",
          True, "bad gateway"),
    Cause("service_unavailable", "service",
          "the service is unavailable (HTTP 503)",
          f"retry after a pause (seconds to minutes); check {_STATUS}",
          True, "service unavailable"),
    Cause("server_overloaded", "service",
          "the model's servers are overloaded and cannot take the request now",
          "retry with longer backoff (several seconds, growing); try a less busy model or "
          f"off-peak hours; check {_STATUS}",
          True, "servers overloaded"),
    Cause("gateway_timeout", "service",
          "a gateway in front of the API timed out waiting for it (HTTP 504)",
          "retry; for long generations use stream=True so the connection is not idle; lower "
          "max_tokens",
          True, "gateway timeout"),
    Cause("cdn_error_page", "service",
          "the API's CDN answered HTTP {status} with an HTML error page instead of JSON: the "
          "API behind it did not answer",
          f"retry with backoff; check {_STATUS}; the page has no x-request-id because the API "
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
          "the stream ended before its final [DONE] event: the connection was closed mid-answer",
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
)

# --- section: browser / net::ERR (API helper writes the net error rows; logs helper adds
# --- browser rows such as cookie_bloat, old_browser, blocked_by_extension) -------------------
BROWSER: tuple[Cause, ...] = (
    Cause("net_internet_disconnected", "network",
          "the browser reports no internet connection",
          "reconnect (Wi-Fi, cable, VPN) and reload",
          True, "no internet connection"),
    Cause("net_network_changed", "network",
          "the network changed during the request (Wi-Fi switch, VPN connect)",
          "reload the page; keep the VPN state stable while chatting",
          True, "network changed"),
    Cause("net_blocked_by_client", "browser",
          "the request was blocked inside the browser (an ad blocker or privacy extension)",
          "disable extensions for chatgpt.com / the API host, or try a private window",
          False, "blocked by a browser extension"),
    Cause("net_blocked_by_administrator", "browser",
          "a browser policy set by the administrator blocks the request",
          "ask IT about the browser policy (chrome://policy shows it)",
          False, "blocked by browser policy"),
    Cause("net_http2_protocol_error", "network",
          "the HTTP/2 or QUIC connection broke (often a proxy or antivirus inspecting HTTPS)",
          "reload; disable HTTPS scanning in the antivirus, or try another network",
          True, "HTTP/2 / QUIC protocol error"),
    Cause("net_empty_response", "network",
          "the server closed the connection without sending anything",
          "reload; if it repeats a proxy is dropping the connection",
          True, "empty response"),
    # browser rows read from a HAR (logs helper)
    Cause("cookie_bloat", "browser",
          "the browser sends {cookie_kb} KB of cookies to {host}; servers and CDNs refuse "
          "request headers past 8-16 KB (HTTP 431 or 400 'Request Header Or Cookie Too Large')",
          "clear the cookies and site data for {host} (site settings > Delete data), then sign "
          "in again; a private window confirms it",
          False, "oversized cookies"),
    Cause("old_browser", "browser",
          "{browser} {version} is older than the current stable release (about {current} when "
          "the HAR was recorded); web apps such as ChatGPT support only recent versions",
          "update the browser (Help > About restarts it into the update), or try another "
          "up-to-date browser",
          False, "outdated browser"),
    Cause("service_worker_stale", "browser",
          "scripts came from the service worker or the browser cache while others failed "
          "({detail}): an old cached app version asking for files that no longer exist",
          "hard-reload (Ctrl+Shift+R / Cmd+Shift+R); if it persists clear site data for {host} "
          "(DevTools > Application > Storage > Clear site data), which also drops the service "
          "worker",
          True, "stale cached app"),
    Cause("realtime_connection_failed", "browser",
          "the {transport} connection to {host} failed ({detail}); the page cannot receive "
          "streamed answers",
          "allow WebSocket/streaming traffic to the host in the proxy, VPN or security "
          "extension (some buffer or block it); try another network or a private window",
          True, "streaming connection failed"),
    # request-log patterns (logs helper)
    Cause("slow_first_token", "service",
          "the time to first token of {model} is far above the other models' ({detail})",
          "expect it from reasoning models (o-series) or large prompts: stream the answer, lower "
          "reasoning effort or prompt size, or use a faster model where latency matters",
          None, "slow first token"),
    Cause("latency_spike", "service",
          "requests took {factor}x their usual time for a period while still succeeding",
          "compare the window with the provider's status page; if it was local, look for "
          "network congestion or a saturated proxy; set client timeouts above the slow period",
          True, "latency spike"),
)

# --- section: network and service verdicts (network helper) ----------------------------------
NETWORK_VERDICTS: tuple[Cause, ...] = (
    # DNS: what comparing resolvers reveals (chatkit.checks.dns)
    Cause("dns_system_only_failure", "network",
          "the {resolver} answers {rcode} for {host}, while public resolvers ({public}) "
          "resolve it: the local DNS is misconfigured or filters this name",
          "switch this machine (or the router) to a public resolver such as 1.1.1.1 or 8.8.8.8, "
          "or ask the network administrator why {host} is blocked; a VPN's DNS can be the "
          "cause: compare with the VPN off",
          False, "only the system resolver fails"),
    Cause("dns_sinkhole", "network",
          "{host} resolves to {addresses} via {resolver}: an address no public API lives at, "
          "the mark of a DNS filter or ad-blocker (Pi-hole, AdGuard, a security product's DNS "
          "filtering, or a hosts-file entry) sinkholing the name",
          "allow {host} in the filter (Pi-hole/AdGuard allowlist, the security product's web "
          "policy), remove it from the hosts file (/etc/hosts, "
          "C:\\Windows\\System32\\drivers\\etc\\hosts), or ask IT to unblock it",
          False, "API host sinkholed by a DNS filter"),
    Cause("dns_resolver_timeout", "network",
          "the {resolver} did not answer any of {sent} queries for {host}: it is unreachable, "
          "or UDP port 53 to it is blocked",
          "check the connection and VPN; set another DNS server (the router, 1.1.1.1); if DNS "
          "to the outside is blocked on purpose, use the company resolver or its proxy",
          True, "system resolver does not answer"),
    Cause("dns_all_timeout", "network",
          "no resolver answered any of {sent} queries for {host}, neither the system's nor the "
          "public ones: this machine cannot reach any DNS server (offline, or port 53 blocked)",
          "check that the machine is online (Wi-Fi, cable, VPN); on a company network only the "
          "company resolver or proxy may be allowed: set HTTPS_PROXY to the proxy",
          True, "no DNS server answers"),
    Cause("dns_packet_loss", "network",
          "{loss_pct}% of {sent} DNS queries to the {resolver} got no answer: an unstable "
          "network (Wi-Fi, VPN) or an overloaded resolver",
          "retry; if it persists move closer to the access point, reconnect the VPN, or set "
          "another resolver",
          True, "DNS queries lost"),
    Cause("dns_public_unreachable", "network",
          "the public resolvers ({resolvers}) did not answer: DNS to the internet is blocked "
          "here (usual on company networks); the system resolver is what counts",
          "nothing to do while the system resolver works; if it fails, ask IT which resolver "
          "to use instead of switching to a public one",
          None, "public resolvers unreachable"),
    Cause("dns_disagreement", "network",
          "resolvers give different addresses for {host}: system {system}, public {public}; "
          "normal for CDNs and geo-DNS, suspicious if the system's answer points at a filter "
          "or proxy",
          "nothing to do if the API works; if it does not, look up who owns the system's "
          "addresses and try a public resolver",
          None, "resolvers disagree"),
    Cause("dns_nxdomain_rewrite", "network",
          "the {resolver} answers names that do not exist with {addresses} (NXDOMAIN "
          "rewriting: an ISP's search page, a captive portal or a filter), so a mistyped host "
          "reaches some web page instead of failing",
          "use a resolver that does not rewrite (1.1.1.1, 8.8.8.8, 9.9.9.9) or turn off the "
          "provider's 'search assist'; meanwhile read HTML answers as 'wrong host', not 'API "
          "down'",
          None, "resolver invents answers"),
    Cause("dns_fake_answer", "network",
          "{host} only seems to resolve: the {resolver} answers {addresses}, which it gives for "
          "any name that does not exist; the name itself does not exist",
          "check the spelling of the base URL's host; compare with a public resolver "
          "(`chatkit doctor --only dns --resolver 1.1.1.1`)",
          False, "host name does not exist"),
    # TCP and reachability (chatkit.checks.tcp, chatkit.checks.control)
    Cause("tcp_packet_loss", "network",
          "{loss_pct}% of {sent} TCP connection attempts to {host} failed: packets are lost "
          "on the way (Wi-Fi, VPN, an overloaded link or firewall)",
          "retry with backoff; try a wired or another network; if only the API host loses "
          "connections, ask the network administrator",
          True, "TCP connections lost"),
    Cause("nothing_reachable", "network",
          "neither the API nor any control site ({hosts}) answered: this machine has no working "
          "path to the internet",
          "check the connection (Wi-Fi, cable, VPN); on a company network set HTTPS_PROXY to "
          "the company proxy; then run `chatkit doctor` again",
          True, "nothing is reachable"),
    Cause("only_api_unreachable", "network",
          "control sites ({hosts}) answer but {host} does not: something blocks the API "
          "specifically (firewall rule, DNS filter, proxy policy, region block)",
          "the DNS, TCP, TLS and proxy findings show which step fails; ask IT to allow {host}; "
          "confirm from another network (a phone hotspot)",
          True, "only the API is unreachable"),
    Cause("control_unreachable", "network",
          "the control sites ({hosts}) did not answer although the API does: the network "
          "allows only some destinations (a strict allowlist)",
          "nothing to fix for the API; this only matters for other tools",
          None, "control sites unreachable"),
    # Proxy (chatkit.checks.proxy)
    Cause("proxy_upstream_failure", "network",
          "the proxy {proxy} could not reach {host} itself (it answered HTTP {http_status})",
          "the proxy's own connection fails: retry later, or ask IT whether the proxy can reach "
          "{host}; NO_PROXY={host} bypasses it if a direct route is allowed",
          True, "proxy cannot reach the API"),
    Cause("proxy_socks_missing", "integration",
          "the proxy {proxy} is a {scheme} proxy, and httpx needs the socksio package to use "
          "one; without it every request fails before leaving the machine",
          "pip install 'httpx[socks]' (and 'httpx2[socks]' for openai >= 3), or use the "
          "proxy's HTTP port in HTTPS_PROXY",
          False, "SOCKS proxy support missing"),
    Cause("proxy_env_conflict", "integration",
          "{variables} set in upper and lower case with different values: tools disagree on "
          "which wins (Python and curl prefer lower case)",
          "unset one of each pair so every tool uses the same proxy",
          None, "conflicting proxy variables"),
    # TLS verdicts beyond one exception (chatkit.checks.tls)
    Cause("tls_os_store_only", "network",
          "the certificate chain for {host} is trusted by the operating system's store but not "
          "by {store}, which httpx (and openai < 3) use: a company root CA installed in the OS "
          "only",
          "use the OS store from Python: pip install truststore and call "
          "truststore.inject_into_ssl() before creating clients (openai >= 3 with httpx2 does "
          "this already), or set SSL_CERT_FILE to a bundle that includes the company CA; never "
          "disable verification",
          False, "certificate trusted by the OS, not by Python"),
    Cause("tls_expiring_soon", "network",
          "the certificate for {host} expires in {days} days ({not_after})",
          "nothing to do today; if it is your gateway, renew its certificate",
          None, "certificate expires soon"),
    Cause("tls_old_version", "network",
          "the connection to {host} negotiated {version}, which current clients reject or will "
          "soon",
          "update the server or proxy to TLS 1.2 or 1.3; an inspecting proxy may be downgrading",
          False, "outdated TLS version"),
    # HTTP phases (chatkit.checks.http)
    Cause("http_slow_server", "service",
          "{host} took {server_ms} ms to start answering GET /models, a request that needs no "
          "model work: the service (or a proxy in front of it) is slow right now",
          "expect slow completions: raise the read timeout, stream answers, retry later; if only "
          "you see it, a proxy or VPN in between may be the slow part",
          True, "slow server"),
    # Service status (chatkit.checks.status)
    Cause("status_outage", "service",
          "{page} reports {description}: {incidents}",
          "nothing to fix on your side: wait for the provider, retry with exponential backoff, "
          "and follow {link}",
          True, "provider outage"),
    Cause("status_degraded", "service",
          "{page} reports {description}: {incidents}",
          "expect slower answers and some errors: retry with backoff, raise timeouts, follow "
          "{link}",
          True, "provider degraded"),
    Cause("status_maintenance", "service",
          "{page} reports maintenance: {incidents}",
          "some requests may fail until it ends: retry later; follow {link}",
          True, "provider maintenance"),
    Cause("status_unknown", "service",
          "the status page {url} could not be read ({detail}): its status is unknown, which is "
          "not the same as down",
          "open the status page in a browser; if the provider moved it, set "
          "Target(status_page=...) to the new root",
          None, "status page unreadable"),
)

# --- section: triage (widgets helper) --------------------------------------------------------
TRIAGE: tuple[Cause, ...] = (
    Cause("triage_no_internet", "network",
          "other websites do not load either: this device has no working internet connection",
          "check Wi-Fi or the cable, turn airplane mode off, restart the router; if you are on "
          "a hotel or office Wi-Fi, open any http:// page to get its sign-in page",
          True, "no internet connection on this device"),
    Cause("triage_network_blocks", "network",
          "it works from another network, so this network blocks or breaks the way there "
          "(firewall, proxy, DNS filter, VPN or a TLS-inspecting security product)",
          "ask the network's admin to allow api.openai.com, chatgpt.com and *.openai.com on "
          "port 443 (without TLS inspection), or turn the VPN/proxy off and try again",
          False, "this network blocks the service"),
    Cause("triage_service_incident", "service",
          "the provider's status page reports an incident: the problem is on their side",
          "wait for the incident to be resolved (subscribe to updates on the status page); "
          "retry with backoff meanwhile; nothing to change on your side",
          True, "an incident at the provider"),
    Cause("triage_old_browser", "browser",
          "an outdated (or unknown-version) browser breaks the ChatGPT web app, which needs a "
          "current Chrome, Edge, Firefox or Safari",
          "update the browser (menu > Help > About updates Chrome, Edge and Firefox; Safari "
          "updates with the OS), restart it and try again",
          False, "the browser is out of date"),
    Cause("triage_browser_state", "browser",
          "it works in a private window, so something stored in this browser profile breaks "
          "it: an extension (ad/script blocker, VPN, translator), stale cache or oversized "
          "cookies",
          "clear cookies and site data for chatgpt.com and openai.com, then disable extensions "
          "one at a time (start with blockers, VPNs and translators) to find the culprit",
          False, "browser cache, cookies or an extension"),
    Cause("triage_device_specific", "browser",
          "the same account works on another device, so this device's browser or system "
          "(date and time, security software, OS proxy settings) is the problem",
          "check the device's date, time and time zone are automatic, turn off security "
          "software's web protection for a test, and check the OS proxy settings",
          False, "a problem of this device only"),
    Cause("triage_account", "account",
          "it fails on every device and network with no incident reported, which points at "
          "the account: sign-in, plan, suspension or region",
          "sign out and in again; check the plan and billing at chatgpt.com (Settings > "
          "Account); if it persists, contact help.openai.com with the support bundle",
          False, "an account problem"),
    Cause("triage_dns_failure", "network",
          "the API's host name does not resolve on this machine, so no connection can start",
          "try another resolver (set DNS to 1.1.1.1 or 8.8.8.8, or your network's), check "
          "/etc/hosts and any DNS filter (Pi-hole, corporate DNS) for a block of the host",
          True, "DNS does not resolve the API host"),
    Cause("triage_endpoint_unreachable", "network",
          "the host name resolves but nothing answers on it from this network: a firewall, a "
          "required proxy that is not configured, or a wrong base URL",
          "check the base URL (https://api.openai.com/v1 for OpenAI), set HTTPS_PROXY if "
          "your network requires a proxy, and ask the admin whether port 443 to the host is "
          "allowed",
          True, "the API endpoint is unreachable from here"),
    Cause("triage_key_rejected", "account",
          "the API key is not accepted: it is mistyped, revoked, belongs to another "
          "organization or project, or is a ChatGPT (not API) credential",
          "create a new key at platform.openai.com/api-keys, set it in OPENAI_API_KEY without "
          "quotes or spaces, and check the OpenAI-Organization/Project headers match it",
          False, "the API key is rejected"),
    Cause("triage_unresolved", "integration",
          "the calls work now and nothing measured is wrong: the failure was intermittent or "
          "depends on the request",
          "log every request (chatkit's recording client) and look at the failures in the "
          "LogExplorer; if it returns, share the support bundle with the provider",
          True, "no cause found right now"),
)

# --- end of sections -------------------------------------------------------------------------


def _index(*sections: tuple[Cause, ...]) -> dict[str, Cause]:
    table: dict[str, Cause] = {}
    for section in sections:
        for row in section:
            if row.kind in table:
                raise RuntimeError(f"classify: kind {row.kind!r} appears twice in KNOWLEDGE")
            table[row.kind] = row
    return table


#: kind -> row: every cause chatkit knows.
KNOWLEDGE: dict[str, Cause] = _index(TRANSPORT, HTTP_API, BROWSER, NETWORK_VERDICTS, TRIAGE)


# =============================================================================================
# From an exception to a kind
# =============================================================================================

#: Exception class name (or ``module.Name`` where a bare name is ambiguous) -> kind. httpx and
#: httpx2 share their names. Kinds marked coarse in _COARSE are refined by MESSAGE_HINTS and by
#: the exceptions chained below them.
EXCEPTION_KINDS: dict[str, str] = {
    # httpx / httpx2 (httpx/_exceptions.py)
    "HTTPError": "transport_error",
    "RequestError": "transport_error",
    "TransportError": "transport_error",
    "NetworkError": "transport_error",
    "TimeoutException": "timeout",
    "ConnectTimeout": "connect_timeout",
    "ReadTimeout": "read_timeout",
    "WriteTimeout": "write_timeout",
    "PoolTimeout": "pool_timeout",
    "ConnectError": "connect_failed",
    "ReadError": "connection_lost",
    "WriteError": "connection_lost",
    "CloseError": "connection_lost",
    "ProxyError": "proxy_refused",
    "ProtocolError": "remote_protocol_error",
    "RemoteProtocolError": "remote_protocol_error",
    "LocalProtocolError": "client_protocol_error",
    "UnsupportedProtocol": "invalid_base_url",
    "InvalidURL": "invalid_base_url",
    "DecodingError": "response_decoding_error",
    "TooManyRedirects": "redirect_loop",
    "HTTPStatusError": "client_error",  # its .response is classified instead
    "CookieConflict": "client_usage_error",
    "StreamError": "client_usage_error",
    "StreamConsumed": "client_usage_error",
    "StreamClosed": "client_usage_error",
    "RequestNotRead": "client_usage_error",
    "ResponseNotRead": "client_usage_error",
    "SSEError": "stream_malformed",  # httpx2 only
    # httpcore, when it escapes unwrapped
    "ConnectionNotAvailable": "pool_timeout",
    "UnsupportedProtocolError": "invalid_base_url",
    # dnspython: dns.exception, dns.resolver, dns.query, dns.message, dns.name
    "DNSException": "dns_error",
    "NXDOMAIN": "dns_not_found",
    "YXDOMAIN": "dns_invalid_name",
    "NoAnswer": "dns_no_answer",
    "EmptyHostAnswers": "dns_no_answer",
    "NoNameservers": "dns_servfail",
    "LifetimeTimeout": "dns_timeout",
    "dns.exception.Timeout": "dns_timeout",
    "dns.resolver.Timeout": "dns_timeout",
    "NoResolverConfiguration": "dns_no_resolver_config",
    "NotAbsolute": "dns_invalid_name",
    "NoRootSOA": "dns_error",
    "NoMetaqueries": "dns_invalid_name",
    "dns.exception.SyntaxError": "dns_invalid_name",
    "FormError": "dns_error",
    "UnexpectedEnd": "dns_error",
    "TooBig": "dns_error",
    "UnsupportedAlgorithm": "dns_error",
    "AlgorithmKeyMismatch": "dns_error",
    "ValidationFailure": "dns_error",
    "DeniedByPolicy": "dns_error",
    "UnexpectedSource": "dns_error",
    "BadResponse": "dns_error",
    "NoDOH": "dns_error",
    "NoDOQ": "dns_error",
    "ShortHeader": "dns_error",
    "TrailingJunk": "dns_error",
    "UnknownHeaderField": "dns_error",
    "BadEDNS": "dns_error",
    "BadTSIG": "dns_error",
    "UnknownTSIGKey": "dns_error",
    "Truncated": "dns_error",
    "NotQueryResponse": "dns_error",
    "ChainTooLong": "dns_error",
    "AnswerForNXDOMAIN": "dns_error",
    "NoPreviousName": "dns_error",
    "EmptyLabel": "dns_invalid_name",
    "BadEscape": "dns_invalid_name",
    "BadPointer": "dns_error",
    "PointerChainTooLong": "dns_error",
    "BadLabelType": "dns_error",
    "DecompressionForbidden": "dns_error",
    "NeedAbsoluteNameOrOrigin": "dns_invalid_name",
    "NameTooLong": "dns_invalid_name",
    "LabelTooLong": "dns_invalid_name",
    "AbsoluteConcatenation": "dns_invalid_name",
    "NoParent": "dns_invalid_name",
    "NoIDNA2008": "dns_invalid_name",
    "IDNAException": "dns_invalid_name",
    "NeedSubdomainOfOrigin": "dns_invalid_name",
    # the standard library
    "gaierror": "dns_not_found",
    "herror": "dns_not_found",
    "ConnectionRefusedError": "connect_refused",
    "ConnectionResetError": "connection_reset",
    "ConnectionAbortedError": "connection_reset",
    "BrokenPipeError": "connection_lost",
    "ConnectionError": "connection_lost",
    "TimeoutError": "timeout",
    "timeout": "timeout",  # socket.timeout before Python 3.10
    "SSLCertVerificationError": "tls_verify_failed",
    "CertificateError": "tls_hostname_mismatch",
    "SSLError": "tls_handshake_failed",
    "SSLZeroReturnError": "connection_lost",
    "SSLEOFError": "connection_lost",
    "OSError": "connect_failed",
    # the openai client (openai/_exceptions.py); status errors carry .response, used instead
    "APIConnectionError": "connect_failed",
    "APITimeoutError": "timeout",
    "APIResponseValidationError": "response_validation",
    "APIError": "stream_error",
    "BadRequestError": "invalid_request",
    "AuthenticationError": "authentication_failed",
    "PermissionDeniedError": "permission_denied",
    "NotFoundError": "not_found",
    "ConflictError": "conflict",
    "UnprocessableEntityError": "unprocessable",
    "RateLimitError": "rate_limit",
    "InternalServerError": "server_error",
    "APIStatusError": "client_error",
    "JSONDecodeError": "malformed_json",  # what the openai client raises on cut-off JSON
    # chatkit's recorder: what a 2xx answer hid (no exception was raised on the wire)
    "IncompleteStream": "stream_cut",  # a stream that ended without [DONE]
    "HTMLInsteadOfJSON": "html_instead_of_json",  # refined by the page's words
    "MalformedJSON": "malformed_json",
}

#: Kinds too vague to stop at, most telling first: a specific kind from the chain or the
#: message wins; among these, the most telling one found in the chain.
_COARSE: tuple[str, ...] = (
    "tls_verify_failed", "tls_handshake_failed", "proxy_refused", "timeout", "connection_lost",
    "remote_protocol_error", "connect_failed", "transport_error", "unknown_error",
)

#: What an exception's text reveals, checked in order (errno values: Linux, macOS, Windows).
MESSAGE_HINTS: tuple[tuple[str, str], ...] = (
    (r"\b407\b|proxy authentication required", "proxy_auth_required"),
    (r"certificate has expired|certificate is not yet valid|CERTIFICATE_EXPIRED",
     "tls_expired"),
    (r"hostname mismatch|doesn't match|does not match|IP address mismatch",
     "tls_hostname_mismatch"),
    (r"unable to get (local )?issuer certificate|self[- ]signed certificate in certificate chain",
     "tls_unknown_ca"),
    (r"self[- ]signed certificate", "tls_self_signed"),
    (r"wrong version number|WRONG_VERSION_NUMBER|record layer failure|http request",
     "tls_wrong_version"),
    (r"Temporary failure in name resolution|Errno -3\b|EAI_AGAIN|WSATRY_AGAIN|11002",
     "dns_temporary_failure"),
    (r"Name or service not known|nodename nor servname|getaddrinfo failed|No address associated"
     r"|Errno -[25]\b|Errno 8\b|1100[14]\b|Could not resolve host|NXDOMAIN", "dns_not_found"),
    (r"Connection refused|Errno 111\b|Errno 61\b|10061|ECONNREFUSED", "connect_refused"),
    (r"Connection reset|Errno 104\b|Errno 54\b|10054|ECONNRESET", "connection_reset"),
    (r"Network is unreachable|Errno 101\b|Errno 51\b|10051|ENETUNREACH", "network_unreachable"),
    (r"No route to host|Errno 113\b|Errno 65\b|10065|EHOSTUNREACH", "host_unreachable"),
    (r"incomplete chunked read|without sending complete message body|IncompleteRead",
     "stream_cut"),
    (r"Server disconnected without sending a response|EOF occurred in violation",
     "server_disconnected"),
    (r"timed out", "timeout"),
)
_HINTS = tuple((re.compile(pattern, re.IGNORECASE), kind) for pattern, kind in MESSAGE_HINTS)

#: Chrome's net errors (what a HAR file or Playwright reports) -> kind.
NET_ERRORS: dict[str, str] = {
    "ERR_NAME_NOT_RESOLVED": "dns_not_found",
    "ERR_NAME_RESOLUTION_FAILED": "dns_temporary_failure",
    "ERR_CONNECTION_REFUSED": "connect_refused",
    "ERR_CONNECTION_RESET": "connection_reset",
    "ERR_CONNECTION_CLOSED": "server_disconnected",
    "ERR_CONNECTION_ABORTED": "connection_lost",
    "ERR_CONNECTION_FAILED": "connect_failed",
    "ERR_CONNECTION_TIMED_OUT": "connect_timeout",
    "ERR_TIMED_OUT": "timeout",
    "ERR_ADDRESS_UNREACHABLE": "host_unreachable",
    "ERR_NETWORK_ACCESS_DENIED": "host_unreachable",
    "ERR_INTERNET_DISCONNECTED": "net_internet_disconnected",
    "ERR_NETWORK_CHANGED": "net_network_changed",
    "ERR_PROXY_CONNECTION_FAILED": "proxy_unreachable",
    "ERR_TUNNEL_CONNECTION_FAILED": "proxy_refused",
    "ERR_PROXY_AUTH_UNSUPPORTED": "proxy_auth_required",
    "ERR_PROXY_AUTH_REQUESTED": "proxy_auth_required",
    "ERR_CERT_AUTHORITY_INVALID": "tls_unknown_ca",
    "ERR_CERT_DATE_INVALID": "tls_expired",
    "ERR_CERT_COMMON_NAME_INVALID": "tls_hostname_mismatch",
    "ERR_CERT_INVALID": "tls_verify_failed",
    "ERR_SSL_PROTOCOL_ERROR": "tls_handshake_failed",
    "ERR_SSL_VERSION_OR_CIPHER_MISMATCH": "tls_handshake_failed",
    "ERR_BAD_SSL_CLIENT_AUTH_CERT": "tls_handshake_failed",
    "ERR_BLOCKED_BY_CLIENT": "net_blocked_by_client",
    "ERR_BLOCKED_BY_ADMINISTRATOR": "net_blocked_by_administrator",
    "ERR_HTTP2_PROTOCOL_ERROR": "net_http2_protocol_error",
    "ERR_QUIC_PROTOCOL_ERROR": "net_http2_protocol_error",
    "ERR_EMPTY_RESPONSE": "net_empty_response",
    "ERR_INCOMPLETE_CHUNKED_ENCODING": "stream_cut",
    "ERR_CONTENT_DECODING_FAILED": "response_decoding_error",
    "ERR_TOO_MANY_REDIRECTS": "redirect_loop",
    "ERR_INVALID_URL": "invalid_base_url",
}


# =============================================================================================
# From an HTTP answer to a kind
# =============================================================================================


@dataclass(frozen=True, slots=True)
class HttpRule:
    """One HTTP case: every given field must match (patterns are case-insensitive regexes)."""

    kind: str
    status: int | tuple[int, int]  # one status, or an inclusive range
    type: str | None = None  # regex on error.type
    code: str | None = None  # regex on error.code
    message: str | None = None  # regex searched in error.message

    def matches(self, status: int, error: Mapping[str, Any]) -> bool:
        low, high = (self.status, self.status) if isinstance(self.status, int) else self.status
        if not low <= status <= high:
            return False
        for pattern, value in ((self.type, error.get("type")), (self.code, error.get("code")),
                               (self.message, error.get("message"))):
            if pattern is not None and not (
                    isinstance(value, str) and re.search(pattern, value, re.IGNORECASE)):
                return False
        return True


#: Checked in order; the first matching rule names the kind. Quota before rate limit: the
#: same 429 status means "wait a second" or "pay first", and only type/code tell them apart.
HTTP_RULES: tuple[HttpRule, ...] = (
    HttpRule("context_length_exceeded", 400, code="context_length_exceeded"),
    HttpRule("context_length_exceeded", 400, message="maximum context length"),
    HttpRule("bad_json", 400, message=r"could not parse the JSON body|not valid JSON"),
    HttpRule("unsupported_content_type", (400, 415), code="unsupported_content_type"),
    HttpRule("unsupported_content_type", 400, message="Unsupported content type"),
    HttpRule("missing_parameter", 400, message="Missing required parameter"),
    HttpRule("invalid_request", 400),
    HttpRule("missing_api_key", 401, message=r"didn't provide an API key|must provide an API key"
             r"|missing (an )?(api key|authorization|bearer)"),
    HttpRule("invalid_api_key", 401, code="invalid_api_key"),
    HttpRule("invalid_api_key", 401, message="Incorrect API key"),
    HttpRule("key_deactivated", 401, code=r"deactivated|revoked"),
    HttpRule("key_deactivated", 401, message=r"deactivated|revoked|disabled"),
    HttpRule("wrong_organization", 401, code=r"organization|project"),
    HttpRule("wrong_organization", 401, message=r"organization|project"),
    HttpRule("ip_not_authorized", 401, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("authentication_failed", 401),
    HttpRule("unsupported_region", 403, code="unsupported_country_region_territory"),
    HttpRule("unsupported_region", 403, message=r"country, region,? or territory"),
    HttpRule("ip_not_authorized", 403, message=r"\bIP\b.*not (authorized|allowed)"),
    HttpRule("permission_denied", 403),
    HttpRule("model_not_found", 404, code="model_not_found"),
    HttpRule("model_not_found", 404, message=r"The model .* does not exist"),
    HttpRule("deployment_not_found", 404, code="DeploymentNotFound"),
    HttpRule("invalid_url", 404, message=r"Invalid URL|unknown_url|Not Found$"),
    HttpRule("not_found", 404),
    HttpRule("method_not_allowed", 405),
    HttpRule("request_timeout_408", 408),
    HttpRule("conflict", 409),
    HttpRule("payload_too_large", 413),
    HttpRule("unsupported_content_type", 415),
    HttpRule("unprocessable", 422),
    HttpRule("credit_balance_exhausted", 429, code="credit_balance_exhausted"),
    HttpRule("insufficient_quota", 429, code="insufficient_quota"),
    HttpRule("insufficient_quota", 429, type="insufficient_quota"),
    HttpRule("insufficient_quota", 429, message="exceeded your current quota"),
    HttpRule("request_too_large", 429, message="Request too large"),
    HttpRule("slow_down", 429, code="slow_down"),
    HttpRule("rate_limit", 429),
    HttpRule("client_error", (400, 499)),
    HttpRule("server_overloaded", 503, code="overloaded"),
    HttpRule("server_overloaded", (500, 599), message="overloaded"),
    HttpRule("bad_gateway", 502),
    HttpRule("service_unavailable", 503),
    HttpRule("gateway_timeout", 504),
    HttpRule("server_error", (500, 599)),
)

# What an HTML page in place of JSON is, by its words.
_PORTAL_WORDS = re.compile(
    r"captive|wi-?fi|hotspot|accept the terms|terms of (use|service)|guest (network|access)"
    r"|log ?in to (the|this) network|<form[^>]+(login|auth)", re.IGNORECASE)
_FILTER_WORDS = re.compile(
    r"web ?filter|blocked|access denied|has been denied|content filter|category|policy"
    r"|zscaler|netskope|forcepoint|websense|fortiguard|bluecoat|blue coat|palo ?alto|sophos",
    re.IGNORECASE)
_CDN_HEADERS = ("cf-ray", "x-amz-cf-id", "x-akamai-request-id", "x-served-by")


# =============================================================================================
# The public functions
# =============================================================================================


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
        raise UsageError(f"unknown failure kind {kind!r}; see chatkit.classify.KNOWLEDGE for "
                         "the known kinds")
    values = _Fill({k: v for k, v in (evidence or {}).items() if v is not None})
    values.update({k: v for k, v in fmt.items() if v is not None})
    return Finding(
        check=check, status=status,  # type: ignore[arg-type]
        title=title or row.title.format_map(values),
        category=row.category, cause=row.cause.format_map(values),
        remedy=row.remedy.format_map(values), retryable=row.retryable,
        evidence={"kind": kind, **(evidence or {})},
    )


def classify(failure: object = None, *, status: int | None = None,
             headers: Mapping[str, str] | None = None, body: str | bytes | Mapping[str, Any] | None
             = None, check: str = "classify", evidence: Mapping[str, Any] | None = None) -> Finding:
    """What ``failure`` means, as a Finding (``fail``, or ``ok`` for a healthy 2xx answer).

    ``failure`` may be an exception, a response (anything with ``status_code``, ``headers``
    and ``text``), a row of the request log, or a string (an exception class name or a
    ``net::ERR_*`` code). Alternatively give ``status``/``headers``/``body`` directly.
    """
    extra = dict(evidence or {})
    if isinstance(failure, BaseException):
        response = getattr(failure, "response", None)
        if response is not None and _is_response(response):
            return _from_response(response.status_code, response.headers, _text_of(response),
                                  check, extra)
        return _finish(*_from_exception(failure, extra), check=check, extra=extra)
    if _is_response(failure):
        return _from_response(failure.status_code, failure.headers,  # type: ignore[attr-defined]
                              _text_of(failure), check, extra)
    if isinstance(failure, Mapping):
        return _from_log_row(failure, check, extra)
    if isinstance(failure, str):
        kind = _kind_of_name(failure) or "unknown_error"
        return _finish(kind, {"exception": failure, "detail": failure}, check=check, extra=extra)
    if failure is None and status is not None:
        return _from_response(status, headers or {}, body, check, extra)
    if failure is None and body is not None:
        return _from_response(200, headers or {}, body, check, extra)
    raise UsageError("classify() needs an exception, a response, a log row, a name, or status=")


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date), as
    the openai client reads them; None when absent or unreadable."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return float(lower["retry-after-ms"]) / 1000
    except ValueError:
        pass
    value = lower.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - datetime.now(timezone.utc)).total_seconds()


# --- helpers ---------------------------------------------------------------------------------


def _is_response(obj: object) -> bool:
    return hasattr(obj, "status_code") and hasattr(obj, "headers")


def _text_of(response: Any) -> str | None:
    try:
        return str(response.text)
    except Exception:  # a streamed response not read yet: classify by status and headers
        return None


# Present in every classify() Finding's evidence (None when the failure did not say).
_EVIDENCE_KEYS = ("status", "error_type", "error_code", "param", "request_id")


def _finish(kind: str, found: Mapping[str, Any], *, check: str,
            extra: Mapping[str, Any]) -> Finding:
    evidence = {**dict.fromkeys(_EVIDENCE_KEYS), **found, **extra}
    if kind in ("dns_not_found", "connect_refused", "connect_timeout", "connect_failed") and \
            evidence.get("proxy"):
        kind = "proxy_unreachable"  # what failed to connect was the proxy, not the API
    return explain(kind, check=check, evidence=evidence)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _kind_of_class(cls: type) -> str | None:
    for klass in cls.__mro__:
        qualified = f"{klass.__module__}.{klass.__qualname__}"
        for name in (qualified, klass.__qualname__):
            if name in EXCEPTION_KINDS:
                return EXCEPTION_KINDS[name]
        if klass.__module__.startswith("dns.") and klass.__qualname__ in ("Timeout", "SyntaxError"):
            return "dns_timeout" if klass.__qualname__ == "Timeout" else "dns_invalid_name"
    return None


def _kind_of_name(name: str) -> str | None:
    text = name.strip()
    net = re.search(r"ERR_[A-Z0-9_]+", text)
    if net:
        return NET_ERRORS.get(net.group(0), "connect_failed" if "net::" in text else None)
    bare = text.rsplit(".", 1)[-1].split(":", 1)[0].strip()
    return EXCEPTION_KINDS.get(text) or EXCEPTION_KINDS.get(bare) or _kind_of_message(text)


def _kind_of_message(text: str) -> str | None:
    for pattern, kind in _HINTS:
        if pattern.search(text):
            return kind
    return None


def _from_exception(exc: BaseException, extra: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    chain = _chain(exc)
    found: dict[str, Any] = {"exception": type(exc).__name__, "detail": _short(str(exc))}
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping) and type(exc).__name__ == "APIError":  # openai stream error
        error = body.get("error", body)
        if isinstance(error, Mapping):
            found.update(_error_fields(error))
    request = getattr(exc, "_request", None) or _safe_request(exc)
    if request is not None:
        found.setdefault("host", getattr(request.url, "host", None))
        found.setdefault("port", getattr(request.url, "port", None))
    kinds = [k for k in (_kind_of_class(type(e)) for e in chain) if k]
    specific = [k for k in kinds if k not in _COARSE]
    hinted = _kind_of_message(" | ".join(str(e) for e in chain))
    # The most specific class in the chain wins; a vague class yields to what its message says.
    if specific:
        kind = specific[0]
    elif hinted:
        kind = hinted
    else:
        kind = min(kinds, key=_COARSE.index, default="unknown_error")
        if kind == "timeout" and "connect_failed" in kinds:
            kind = "connect_timeout"  # a timeout below a ConnectError
    return kind, found


def _safe_request(exc: BaseException) -> Any:
    try:
        return getattr(exc, "request", None)
    except RuntimeError:  # httpx raises when an exception has no request attached
        return None


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_fields(error: Mapping[str, Any]) -> dict[str, Any]:
    return {"error_type": error.get("type"), "error_code": error.get("code"),
            "param": error.get("param"), "message": _short(str(error.get("message") or ""))}


def _decode(body: str | bytes | Mapping[str, Any] | None) -> tuple[str, Any]:
    if isinstance(body, Mapping):
        return json.dumps(body), body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        return text, json.loads(text)
    except ValueError:
        return text, None


def _from_response(status: int, headers: Mapping[str, str], body: str | bytes | Mapping[str, Any]
                   | None, check: str, extra: Mapping[str, Any]) -> Finding:
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    text, data = _decode(body)
    found: dict[str, Any] = {"status": status, "request_id": lower.get("x-request-id")}
    ctype = lower.get("content-type", "")
    kind: str | None = None
    if "text/event-stream" in ctype or text.lstrip().startswith(("data:", "event:", ":")):
        kind = _stream_kind(text, found)
        if kind is None and 200 <= status < 300:
            return _ok(status, found, check, extra)
    elif data is None and text.strip():
        kind = _non_json_kind(status, lower, text, ctype)
        found["detail"] = _short(" ".join(text.split()), 200)
    elif data is None and 200 <= status < 300:
        return _ok(status, found, check, extra)
    if kind is None:
        error = data.get("error", data) if isinstance(data, Mapping) else {}
        if isinstance(error, str):
            error = {"message": error}
        if isinstance(error, Mapping):
            found.update(_error_fields(error))
            if not found.get("message"):
                found["message"] = f"HTTP {status}"
        if 200 <= status < 300 and not (isinstance(data, Mapping) and "error" in data):
            return _ok(status, found, check, extra)
        kind = next((r.kind for r in HTTP_RULES if r.matches(status, _rule_fields(found))),
                    "stream_error" if 200 <= status < 300 else "client_error")
    _annotate(kind, lower, found, extra)
    return _finish(kind, found, check=check, extra=extra)


def _rule_fields(found: Mapping[str, Any]) -> dict[str, Any]:
    """The error fields of ``found`` in the API's own names, for :class:`HttpRule`."""
    return {"type": found.get("error_type"), "code": found.get("error_code"),
            "message": found.get("message")}


def _stream_kind(text: str, found: dict[str, Any]) -> str | None:
    done = False
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload.startswith("[DONE]"):
            done = True
            continue
        try:
            event = json.loads(payload)
        except ValueError:
            continue
        if isinstance(event, Mapping) and event.get("error"):
            error = event["error"]
            found.update(_error_fields(error if isinstance(error, Mapping) else
                                       {"message": str(error)}))
            return "stream_error"
    return None if done else "stream_cut"


def _non_json_kind(status: int, headers: Mapping[str, str], text: str, ctype: str) -> str:
    html = "html" in ctype or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
    if not html:
        return "malformed_json" if "json" in ctype else "html_instead_of_json"
    if status >= 500 and (any(h in headers for h in _CDN_HEADERS) or
                          headers.get("server", "").lower() in ("cloudflare", "akamaighost")):
        return "cdn_error_page"
    if _PORTAL_WORDS.search(text):
        return "captive_portal"
    if _FILTER_WORDS.search(text) and status in (200, 403, 451, 502, 503):
        return "web_filter_block"
    return "cdn_error_page" if status >= 500 else "html_instead_of_json"


def _annotate(kind: str, headers: Mapping[str, str], found: dict[str, Any],
              extra: Mapping[str, Any]) -> None:
    """Add the values a row's text needs: how long to wait, which models are close."""
    wait = parse_retry_after(headers)
    if wait is not None:
        found["retry_after_s"] = round(wait, 3)
    if kind in ("rate_limit", "slow_down", "request_too_large", "insufficient_quota"):
        from chatkit.ratelimits import parse_rate_limits

        found["rate_limits"] = parse_rate_limits(headers) or None
    if kind == "rate_limit":
        reset = headers.get("x-ratelimit-reset-requests") or headers.get("x-ratelimit-reset-tokens")
        said = re.search(r"try again in (\d+(?:\.\d+)?(?:ms|s|m))", str(found.get("message")))
        found["wait"] = (f"{wait:g} s (retry-after)" if wait is not None else
                         f"{reset} (x-ratelimit-reset)" if reset else
                         f"{said.group(1)} (as the error message says)" if said else
                         "a few seconds")
    if kind == "model_not_found":
        message = str(found.get("message") or "")
        named = re.search(r"model `([^`]+)`", message)
        model = extra.get("model") or (named.group(1) if named else None)
        found["model"] = model
        available = extra.get("available_models")
        if model and available:
            import difflib

            close = difflib.get_close_matches(str(model), [str(m) for m in available], n=3,
                                              cutoff=0.5)
            found["suggestions"] = close
            found["suggestion"] = f", e.g. {', '.join(close)}" if close else ""
        else:
            found["suggestion"] = ""


def _ok(status: int, found: dict[str, Any], check: str, extra: Mapping[str, Any]) -> Finding:
    return Finding(check=check, status="ok", title=f"HTTP {status}: the API answered",
                   evidence={"kind": "ok", **dict.fromkeys(_EVIDENCE_KEYS), **found, **extra},
                   retryable=None)


def _missing(value: Any) -> bool:
    """None, NaN, or pandas' NA/NaT: how a missing value arrives from a log frame."""
    return value is None or (isinstance(value, float) and value != value) or \
        type(value).__name__ in ("NAType", "NaTType")


def _from_log_row(row: Mapping[str, Any], check: str, extra: Mapping[str, Any]) -> Finding:
    row = {k: None if _missing(v) else v for k, v in row.items()}
    status = row.get("status")
    if status is not None:
        error = {"type": row.get("error_type"), "code": row.get("error_code"),
                 "message": row.get("error_message")}
        headers = {"x-request-id": row["request_id"]} if row.get("request_id") else {}
        body: Any = ({"error": error} if any(error.values()) else "")
        if int(status) < 300 and row.get("exception"):  # the answer broke after its 200
            kind = _kind_of_logged(row) or "stream_cut"
            if kind == "html_instead_of_json":
                kind = _non_json_kind(int(status), {}, str(row.get("error_message") or ""),
                                      "text/html")
            return _finish(kind, {"status": int(status), "exception": row["exception"],
                                  "detail": row.get("error_message")}, check=check, extra=extra)
        if row.get("error_type") == "stream_error" or (int(status) < 300 and any(error.values())):
            found = {"status": int(status), **_error_fields(error)}
            return _finish("stream_error", found, check=check, extra=extra)
        return _from_response(int(status), headers, body, check, {**extra, **_host_of(row)})
    exception = row.get("exception") or row.get("error_type") or ""
    kind = _kind_of_logged(row) or "unknown_error"
    found = {"exception": exception or None, "detail": row.get("error_message") or exception,
             **_host_of(row)}
    return _finish(kind, found, check=check, extra=extra)


def _kind_of_logged(row: Mapping[str, Any]) -> str | None:
    """The kind of a logged exception: its class name, refined by its message if vague."""
    named = _kind_of_name(str(row.get("exception") or row.get("error_type") or ""))
    hinted = _kind_of_message(str(row.get("error_message") or ""))
    return hinted if hinted and (named is None or named in _COARSE) else named


def _host_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"host": row["host"]} if row.get("host") else {}
