"""Answers of the triage wizard: what a person told us, as a cause."""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
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
