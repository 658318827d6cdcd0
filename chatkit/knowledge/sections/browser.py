"""The browser: net::ERR codes from a HAR, cookies, old versions, service workers, realtime
connections, CORS.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
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
