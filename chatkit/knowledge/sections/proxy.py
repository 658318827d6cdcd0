"""Proxies between this machine and the API: missing credentials, refusals, a proxy that cannot go
further.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
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
)
