"""Two runs compared (two networks, two machines, before and after a change): the differences
that explain why the service works on one side and not on the other. ``{where}`` is the side
with the problem, ``{other}`` the side without it, both by their labels.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("compare_dns_filtered", "network",
          "{host} resolves to {bad} on {where} but to {good} on {other}: the network {where} "
          "filters DNS (a Pi-hole, a company resolver, a parental control or the ISP)",
          "on {where}: allow-list {host} in the DNS filter, or set another resolver; meanwhile "
          "use {other}",
          False, "{host}: DNS filtered on {where}"),
    Cause("compare_dns_failed", "network",
          "{host} does not resolve on {where} ({detail}) but does on {other}: the DNS of "
          "{where} blocks the name or cannot reach the internet's DNS",
          "on {where}: allow-list {host} in the DNS filter, or set another resolver; meanwhile "
          "use {other}",
          None, "{host}: no DNS answer on {where}"),
    Cause("compare_tls_inspected", "network",
          "the certificate for {host} is issued by {issuer} on {where} but by {good_issuer} on "
          "{other}: a TLS-inspecting proxy or antivirus on {where} re-signs the traffic",
          "on {where}: exempt {host} from HTTPS inspection, or trust the inspecting proxy's "
          "root certificate (SSL_CERT_FILE, the OS store)",
          False, "{host}: TLS inspected on {where}"),
    Cause("compare_port_blocked", "network",
          "connections to {host} port {port} are {outcome} only on {where} (they work on "
          "{other}): a firewall on {where} blocks them",
          "ask the admin of {where} to allow outbound connections to {host}:{port}, or use "
          "{other}",
          True, "{host}:{port} {outcome} only on {where}"),
)
