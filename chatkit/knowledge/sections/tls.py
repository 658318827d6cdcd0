"""TLS: certificates that are not trusted, expired or for another host, and handshakes that fail."""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("tls_unknown_ca", "network",
          "the server's certificate is signed by an authority this machine does not trust: "
          "usually a corporate TLS-inspection proxy (Zscaler, Netskope, Palo Alto...) re-signing "
          "traffic",
          "get the company root CA (PEM) from IT and point SSL_CERT_FILE (and REQUESTS_CA_BUNDLE) "
          "at a bundle that includes it (chatkit doctor --ca-bundle FILE tries it first; in code "
          "the client's verify=FILE); httpx2 "
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
          "for a local or test server, trust its certificate file (chatkit doctor --ca-bundle "
          "FILE; in code the client's verify=FILE); for a public API this is interception: ask "
          "IT",
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
)
