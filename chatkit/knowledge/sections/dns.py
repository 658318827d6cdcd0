"""Names: the API host's name could not be turned into an address, or was turned into the wrong
one.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
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
)
