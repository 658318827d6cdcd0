"""The web group on loopback: every host the ChatGPT web app needs is stood in for by a server on
127.0.0.1 (a DNS responder gives the names, ``connect_to`` sends the connections there, a test CA
signs the certificates), and each failure is staged: a filtered name, a closed port, a
certificate from an inspecting proxy's CA, Cloudflare's challenge and block pages (captured from
chatgpt.com), OpenAI's country refusal, a proxy that refuses the WebSocket host, a middlebox that
answers the upgrade itself.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import socket
import ssl
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import trustme
from servers import LOOPBACK, ConnectProxy, DNSResponder, HTTPServer, closed_port

from chatkit.checks.base import CheckContext
from chatkit.checks.web import web_hosts
from chatkit.findings import Finding
from chatkit.knowledge.webhosts import WEB_HOSTS
from chatkit.targets import Target

REAL = Path(__file__).parent / "data" / "real" / "web"
NAMES = [w.name for w in WEB_HOSTS]
# Public-looking answers: the connections go to loopback through connect_to anyway.
ANSWERS = {name: [f"104.18.{i}.{i + 10}"] for i, name in enumerate(NAMES, start=1)}
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Page(HTTPServer):
    """One HTTPS answer with the headers given; a WebSocket upgrade gets 101 unless
    ``upgrade=False`` (then it gets the plain answer, as from a middlebox)."""

    def __init__(self, context: ssl.SSLContext, *, status: str = "200 OK",
                 body: bytes = b"<!doctype html><title>ChatGPT</title>",
                 headers: Mapping[str, str] | None = None,
                 content_type: str = "text/html; charset=utf-8", upgrade: bool = True) -> None:
        super().__init__(body, status=status, content_type=content_type, ssl_context=context)
        self.headers = dict(headers or {})
        self.upgrade = upgrade

    def _answer(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        text = head.decode("latin-1")
        self.heads.append(text)
        key = next((line.split(":", 1)[1].strip() for line in text.split("\r\n")
                    if line.lower().startswith("sec-websocket-key:")), None)
        if key and self.upgrade:
            accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                         + accept.encode() + b"\r\n\r\n")
            return
        extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        conn.sendall(f"HTTP/1.1 {self.status}\r\nContent-Type: {self.content_type}\r\n{extra}"
                     f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n".encode()
                     + self.body)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Loopback Public Roots")


@pytest.fixture(scope="module")
def cafile(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def context_for(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*NAMES).configure_cert(context)
    return context


@pytest.fixture(scope="module")
def normal(ca: trustme.CA) -> Iterator[Page]:
    with Page(context_for(ca)) as server:
        yield server


def run(cafile: str, mapping: Mapping[str, int], *, records: dict[str, list[str]] | None = None,
        environ: Mapping[str, str] | None = None, provider: str = "chatgpt-web",
        local_only: bool = False) -> dict[str, Finding]:
    """The web group's findings by host (the summary under "summary")."""
    with DNSResponder(records={**ANSWERS, **(records or {})}) as dns:
        ctx = CheckContext(environ={"SSL_CERT_FILE": cafile, **(environ or {})}, timeout=3,
                           system_resolvers=(dns.address,), resolvers=(), local_only=local_only,
                           connect_to={n: f"{LOOPBACK}:{p}" for n, p in mapping.items()})
        target = Target(provider=provider) if provider != "compatible" else Target(
            base_url="http://127.0.0.1:9/v1", provider=provider)
        findings = asyncio.run(web_hosts(target, ctx))
    out = {str(f.evidence.get("host")): f for f in findings if f.check != "web.hosts"}
    out["summary"] = next(f for f in findings if f.check == "web.hosts")
    return out


def everywhere(port: int, **special: int) -> dict[str, int]:
    return {**dict.fromkeys(NAMES, port), **{k.replace("_", "."): v for k, v in special.items()}}


def kind(finding: Finding) -> Any:
    return finding.evidence["kind"]


def test_every_host_answers(cafile: str, normal: Page) -> None:
    found = run(cafile, everywhere(normal.port))
    summary = found.pop("summary")
    assert found == {}
    assert summary.status == "ok" and summary.title.startswith(f"{len(NAMES)} of {len(NAMES)}")
    ws = next(h for h in summary.evidence["hosts"] if h["host"] == "ws.chatgpt.com")
    assert ws["status"] == 101  # the WebSocket upgrade went through
    assert any("upgrade: websocket" in h.lower() for h in normal.heads)
    assert any(h.startswith("GET /turnstile/v0/api.js ") and "Host: challenges.cloudflare.com"
               in h for h in normal.heads)


def test_a_filtered_name_says_what_breaks(cafile: str, normal: Page) -> None:
    found = run(cafile, everywhere(normal.port),
                records={"files.oaiusercontent.com": ["0.0.0.0"]})
    files = found["files.oaiusercontent.com"]
    assert files.check == "web.dns" and files.status == "warn"  # a feature, not the page
    assert kind(files) == "web_dns_filtered"
    assert "0.0.0.0" in (files.cause or "") and "upload" in (files.cause or "")
    assert "allow-list files.oaiusercontent.com" in (files.remedy or "")
    assert "trouble with files.oaiusercontent.com" in found["summary"].title


def test_a_closed_port_is_a_firewall(cafile: str, normal: Page) -> None:
    found = run(cafile, everywhere(normal.port, auth_openai_com=closed_port()))
    auth = found["auth.openai.com"]
    assert auth.check == "web.tcp" and auth.status == "fail"  # sign-in is required
    assert kind(auth) == "web_unreachable" and "log in" in (auth.cause or "")


def test_an_inspecting_proxys_certificate_is_named(cafile: str, normal: Page) -> None:
    inspector = trustme.CA(organization_name="Contoso Inspection")
    with Page(context_for(inspector)) as intercepted:
        found = run(cafile, everywhere(normal.port, cdn_oaistatic_com=intercepted.port))
    cdn = found["cdn.oaistatic.com"]
    assert cdn.check == "web.tls" and cdn.status == "fail"
    assert kind(cdn) == "web_tls_inspected"
    assert "Contoso Inspection" in (cdn.cause or "") and "blank" in (cdn.cause or "")
    assert "HTTPS inspection" in (cdn.remedy or "")


def test_cloudflare_challenge_page(cafile: str, normal: Page, ca: trustme.CA) -> None:
    page = (REAL / "cf_challenge_chat_openai_2022.html").read_bytes()
    with Page(context_for(ca), status="403 Forbidden", body=page,
              headers={"cf-mitigated": "challenge", "cf-ray": "77839e47c8743481-AMS",
                       "server": "cloudflare"}) as challenge:
        found = run(cafile, everywhere(normal.port, chatgpt_com=challenge.port))
    site = found["chatgpt.com"]
    assert site.check == "web.https" and site.status == "info"  # a browser may pass it
    assert kind(site) == "web_cloudflare_challenge"
    assert "77839e47c8743481-AMS" in (site.cause or "")
    assert "challenges.cloudflare.com" in (site.remedy or "")


def test_cloudflare_block_page(cafile: str, normal: Page, ca: trustme.CA) -> None:
    page = (REAL / "cf_block_chatgpt_codex4284.html").read_bytes()
    with Page(context_for(ca), status="403 Forbidden", body=page,
              headers={"cf-ray": "986b2f1c0d3e4a5b-FRA", "server": "cloudflare"}) as block:
        found = run(cafile, everywhere(normal.port, chatgpt_com=block.port))
    site = found["chatgpt.com"]
    assert site.status == "fail" and kind(site) == "web_cloudflare_block"
    assert "986b2f1c0d3e4a5b-FRA" in (site.remedy or "") and "VPN" in (site.remedy or "")


def test_country_not_supported(cafile: str, normal: Page, ca: trustme.CA) -> None:
    body = (REAL / "openai_unsupported_country_cockpit611.json").read_bytes()
    with Page(context_for(ca), status="403 Forbidden", body=body,
              content_type="application/json") as refusal:
        found = run(cafile, everywhere(normal.port, chatgpt_com=refusal.port))
    site = found["chatgpt.com"]
    assert site.status == "fail" and kind(site) == "web_unsupported_country"
    assert "VPN" in (site.remedy or "")


def test_a_proxy_that_refuses_the_websocket_host(cafile: str, normal: Page,
                                                 ca: trustme.CA) -> None:
    with Page(context_for(ca)) as ws, ConnectProxy(refuse_ports={ws.port}) as proxy:
        found = run(cafile, everywhere(normal.port, ws_chatgpt_com=ws.port),
                    environ={"HTTPS_PROXY": proxy.url})
        assert any(r.startswith(f"CONNECT {LOOPBACK}:{normal.port} ") for r in proxy.requests)
    socket_host = found.pop("ws.chatgpt.com")
    assert socket_host.check == "web.tcp" and kind(socket_host) == "web_proxy_refused"
    assert proxy.url in (socket_host.cause or "") and "answers stall" in (socket_host.cause or "")
    assert set(found) == {"summary"}  # everything else went through the same proxy


def test_a_middlebox_that_answers_the_upgrade_itself(cafile: str, normal: Page,
                                                     ca: trustme.CA) -> None:
    with Page(context_for(ca), status="403 Forbidden", upgrade=False,
              body=b"<html>WebSockets are not allowed</html>") as middlebox:
        found = run(cafile, everywhere(normal.port, ws_chatgpt_com=middlebox.port))
    socket_host = found["ws.chatgpt.com"]
    assert socket_host.check == "web.websocket" and socket_host.status == "warn"
    assert kind(socket_host) == "web_websocket_refused"
    assert "101" in (socket_host.cause or "")


def test_skipped_when_it_would_leave_the_target(cafile: str) -> None:
    assert run(cafile, {}, local_only=True)["summary"].status == "skip"
    gateway = run(cafile, {}, provider="compatible")["summary"]
    assert gateway.status == "skip" and "chatgpt-web" in gateway.title


def test_nothing_resolving_is_one_finding_not_one_per_host(cafile: str) -> None:
    with DNSResponder("nxdomain") as dns:
        ctx = CheckContext(environ={"SSL_CERT_FILE": cafile}, timeout=2,
                           system_resolvers=(dns.address,), resolvers=())
        findings = asyncio.run(web_hosts(Target(provider="chatgpt-web"), ctx))
    [problem] = [f for f in findings if f.check != "web.hosts"]
    assert problem.status == "fail" and "none of the" in problem.title
    assert len(problem.evidence["hosts"]) == len(NAMES)


def test_a_host_that_says_nothing_after_tls(cafile: str, normal: Page, ca: trustme.CA) -> None:
    class Silent(Page):
        def _answer(self, conn: socket.socket) -> None:
            self._stop.wait()  # TLS done, then nothing: a proxy holding the request

    with Silent(context_for(ca)) as silent:
        found = run(cafile, everywhere(normal.port, ab_chatgpt_com=silent.port))
    flags = found["ab.chatgpt.com"]
    assert flags.check == "web.https" and flags.status == "info"  # optional host
    assert kind(flags) == "web_no_answer"


def _covered(host: str, text: str) -> bool:
    """Whether a public list names ``host``, or a domain it belongs to, in any of the usual
    syntaxes (plain domain, ``DOMAIN-SUFFIX,``, ``full:``, ``name=``)."""
    names = set(re.findall(r"(?:^|[\s,:=])\.?([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\b", text, re.M))
    parts = host.split(".")
    return any(".".join(parts[i:]) in names for i in range(len(parts) - 1))


def test_every_web_host_is_on_a_public_list() -> None:
    lists = "\n".join(p.read_text(encoding="utf-8") for p in REAL.iterdir()
                      if p.suffix in (".txt", ".list", ".rsc"))
    missing = [w.name for w in WEB_HOSTS if not _covered(w.name, lists)]
    assert missing == []
    assert _covered("files.oaiusercontent.com", "DOMAIN-SUFFIX,oaiusercontent.com")
    assert not _covered("example.org", lists)
