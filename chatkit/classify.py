"""What a failure means: the one table that turns a raw failure into a cause and a fix.

:func:`classify` takes whatever a failed call left behind — an exception (httpx, httpx2,
``ssl``, ``socket``, dnspython, the openai client), a response, a row of a request log, or
just a class name or a browser's ``net::ERR_*`` code — and returns a
:class:`~chatkit.findings.Finding` with category, cause, remedy and retryability.
:func:`explain` builds the same Finding for a cause a check has already identified.

The knowledge is data, not ``if`` chains: :data:`KNOWLEDGE`, one :class:`Cause` per row, in
sections that read as a document. Which row a raw failure belongs to is decided by the lookup
tables of :mod:`chatkit.recognize` (exception classes, messages, net errors, HTTP rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatkit.errors import UsageError
from chatkit.findings import Category, Finding

# The recognition tables live in chatkit.recognize; their names stay importable from here.
from chatkit.recognize import (
    EXCEPTION_KINDS,
    HTTP_RULES,
    MESSAGE_HINTS,
    NET_ERRORS,
    HttpRule,
    parse_retry_after,
    recognize,
)

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
    "recognize",
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
    # what the api checks measure (chatkit.checks.api)
    Cause("slow_completion", "service",
          "a {tokens}-token answer took {took} ms; {where}",
          "if the API itself is slow, check the status page and retry later; if the network "
          "is, run `chatkit doctor` without --only to time DNS, TCP and TLS",
          True, "slow answer"),
)

# --- section: browser / net::ERR (API helper writes the net error rows; logs helper adds
# --- browser rows read from a HAR: cookie_bloat, old_browser, cors_blocked...) ---------------
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
    Cause("cors_blocked", "integration",
          "the browser got an answer from {host} (HTTP {status}) but refused to hand it to the "
          "page ({detail}): the response lacks the CORS headers the page's origin needs",
          "call the API from a backend, not from browser JavaScript (it would expose the key "
          "anyway); for your own gateway, answer the OPTIONS preflight with "
          "Access-Control-Allow-Origin/-Headers for the page's origin",
          False, "blocked by CORS"),
)

# --- section: request-log patterns (logs helper) ---------------------------------------------
REQUEST_LOG: tuple[Cause, ...] = (
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
    Cause("tcp_family_broken", "network",
          "{host} answers over {good} but not over {bad} ({why}): clients that try {bad} first "
          "wait for their fallback, or fail where they have none",
          "fix {bad} on this network (router, VPN) or turn it off on the network adapter; "
          "`curl -4` and `curl -6` against the API confirm which one works",
          True, "one IP version is broken"),
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
KNOWLEDGE: dict[str, Cause] = _index(TRANSPORT, HTTP_API, BROWSER, REQUEST_LOG,
                                     NETWORK_VERDICTS, TRIAGE)


# =============================================================================================
# The public functions (recognising a failure is chatkit.recognize's job)
# =============================================================================================

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

    ``failure`` may be an exception (httpx, httpx2, ssl, socket, dnspython, the openai
    client), a response (anything with ``status_code``, ``headers`` and ``text``), a row of
    the request log, or a string (an exception class name or a ``net::ERR_*`` code).
    Alternatively give ``status``/``headers``/``body`` directly. ``evidence`` is added to the
    Finding's (``model`` and ``available_models`` make a 404 suggest the closest names).
    """
    kind, found = recognize(failure, status=status, headers=headers, body=body,
                            evidence=evidence)
    values = {**dict.fromkeys(_EVIDENCE_KEYS), **found, **(evidence or {})}
    if kind == "ok":
        return Finding(check=check, status="ok",
                       title=f"HTTP {values['status']}: the API answered",
                       evidence={"kind": "ok", **values})
    return explain(kind, check=check, evidence=values)
