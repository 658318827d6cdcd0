"""Reaching the host: TCP connections, timeouts, dropped connections, and whether anything at all
is reachable.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
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
    # HTTP phases (chatkit.checks.http)
    Cause("http_slow_server", "service",
          "{host} took {server_ms} ms to start answering GET /models, a request that needs no "
          "model work: the service (or a proxy in front of it) is slow right now",
          "expect slow completions: raise the read timeout, stream answers, retry later; if only "
          "you see it, a proxy or VPN in between may be the slow part",
          True, "slow server"),
)
