"""The ChatGPT web app: the hosts the page needs besides the API (its CDN, sign-in, files,
live updates, the anti-bot check), and what a firewall, DNS filter, proxy or Cloudflare does to
each. ``{breaks}`` is what the user sees when that host is lost (:mod:`chatkit.knowledge.webhosts`).
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

_ALLOW = ("allow-list {host} in the DNS filter, firewall or web filter (or ask the network's "
          "admin to), or try another network; the API can work while the web app does not, "
          "because the page needs more hosts than the API")

ROWS: tuple[Cause, ...] = (
    Cause("web_dns_filtered", "network",
          "{host} ({role}) resolves to {addresses} via {resolver}: a DNS filter (Pi-hole, "
          "AdGuard, NextDNS, a company resolver or a parental-control router) blocks it, so "
          "{breaks}",
          _ALLOW, False, "{host} is filtered by DNS"),
    Cause("web_dns_failed", "network",
          "{host} ({role}) does not resolve here ({detail}), so {breaks}",
          _ALLOW, None, "{host} does not resolve"),
    Cause("web_nothing_resolves", "network",
          "this machine resolves none of the page's host names: it is offline or has no "
          "working DNS (not a filter picking some hosts)",
          "check the connection (Wi-Fi, cable, VPN); `chatkit doctor --only dns,control` "
          "compares the resolvers and other sites",
          None, "none of the {count} hosts the ChatGPT web app needs resolves"),
    Cause("web_unreachable", "network",
          "{host} ({role}) does not accept connections on port 443 ({detail}): a firewall or "
          "the VPN blocks it, so {breaks}",
          "ask the network's admin to allow {host} on port 443, or try another network; with a "
          "VPN on, try with it off (and the other way round)",
          True, "{host} unreachable"),
    Cause("web_tls_inspected", "network",
          "the certificate {host} presented was issued by {issuer}, which this machine does not "
          "trust: a TLS-inspecting proxy, antivirus or security extension sits in between, so "
          "{breaks}",
          "exempt {host} (and chatgpt.com, oaistatic.com, oaiusercontent.com, openai.com) from "
          "HTTPS inspection in the proxy or antivirus; if IT requires inspection, install its "
          "root certificate in the browser and OS trust store",
          False, "{host}: certificate from an inspecting proxy"),
    Cause("web_tls_failed", "network",
          "the TLS handshake with {host} failed ({detail}), so {breaks}",
          "try another network; a proxy, antivirus or VPN that touches HTTPS is the usual cause: "
          "turn its HTTPS scanning off for {host}",
          True, "{host}: TLS failed"),
    Cause("web_no_answer", "network",
          "{host} accepted the encrypted connection but sent no HTTP answer ({detail}): a proxy, "
          "antivirus or VPN on the way holds or drops the request, so {breaks}",
          "try another network, or with the VPN off; turn off HTTPS scanning for {host} in the "
          "antivirus or security extension",
          True, "{host}: no answer"),
    Cause("web_cloudflare_challenge", "network",
          "Cloudflare answers {host} with its 'Just a moment...' check (cf-mitigated: "
          "challenge, Ray ID {ray}) instead of the page: it wants a browser to prove itself from "
          "this address. A browser normally passes in a second; if the check loops, the address "
          "has a poor reputation (VPN, shared proxy) or challenges.cloudflare.com is blocked",
          "open https://{host} in an up-to-date browser and let the check finish; if it loops, "
          "leave the VPN or proxy, turn off extensions that change the user agent or block "
          "scripts, and allow challenges.cloudflare.com",
          True, "{host}: Cloudflare browser check"),
    Cause("web_cloudflare_block", "network",
          "Cloudflare blocks this connection's address for {host} ('Sorry, you have been "
          "blocked', HTTP {status}, Ray ID {ray}), so {breaks}",
          "leave the VPN or proxy (its exit address is the one blocked) or try another network; "
          "if it happens on your own connection, write to OpenAI support with the Ray ID {ray}",
          False, "{host}: blocked by Cloudflare"),
    Cause("web_unsupported_country", "account",
          "{host} answers 'Country, region, or territory not supported' (HTTP 403 "
          "unsupported_country_region_territory): the service is not offered where this "
          "connection appears to come from",
          "check where your VPN or proxy exits: the service sees that country; see "
          "https://platform.openai.com/docs/supported-countries",
          False, "{host}: country not supported"),
    Cause("web_block_page", "network",
          "something on the way answered {host} with its own page (HTTP {status}) instead of "
          "the service: a web filter, firewall or captive portal, so {breaks}",
          "open https://{host} in a browser to see who answers; log in to the Wi-Fi portal if "
          "there is one; ask IT to allow {host} in the web filter, or use another network",
          False, "{host}: answered by a filter"),
    Cause("web_proxy_refused", "network",
          "the proxy {proxy} refuses to open a connection to {host} ({detail}), so {breaks}",
          "ask the proxy's admin to allow CONNECT to {host}:443 (and long-lived WebSocket "
          "connections), or let {host} bypass the proxy (NO_PROXY or the PAC file)",
          False, "{host}: refused by the proxy"),
    Cause("web_websocket_refused", "network",
          "{who} answers the WebSocket upgrade to {host} itself ({detail}) instead of passing "
          "it on, so {breaks}",
          "allow WebSocket (HTTP Upgrade) connections to {host} in the proxy, antivirus or "
          "security extension, or let {host} bypass the proxy",
          False, "{host}: WebSocket refused"),
    Cause("web_websocket_dropped", "network",
          "the WebSocket upgrade to {host} got no answer ({detail}): a proxy, VPN or security "
          "product drops WebSocket connections, so {breaks}",
          "allow WebSocket (HTTP Upgrade) traffic to {host} in the proxy, antivirus or security "
          "extension, or try another network",
          True, "{host}: WebSocket dropped"),
    Cause("triage_web_host_blocked", "browser",
          "part of the page fails while the site opens: it needs more hosts than chatgpt.com "
          "(scripts from cdn.oaistatic.com, sign-in at auth.openai.com, files at "
          "files.oaiusercontent.com, live updates at ws.chatgpt.com) and one of them is blocked "
          "on this device: an ad or privacy extension, a hosts-file or DNS filter, an antivirus "
          "or a VPN",
          "run `chatkit doctor --provider chatgpt-web` to see which host; try a private window "
          "(extensions off); allow-list that host in the extension, DNS filter or antivirus, or "
          "leave the VPN",
          False, "a host the page needs is blocked"),
)
