"""TLS against a loopback server with certificates from a throwaway CA (trustme)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import trustme
from servers import ConnectProxy, HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.tls import tls_check
from chatkit.findings import Finding
from chatkit.targets import Target


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Loopback Inspection CA")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_for(ca: trustme.CA, *identities: str, **validity: datetime) -> HTTPServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.set_alpn_protocols(["http/1.1"])
    ca.issue_cert(*identities, **validity).configure_cert(context)
    return HTTPServer(ssl_context=context)


@pytest.fixture
def valid(ca: trustme.CA) -> Iterator[HTTPServer]:
    with server_for(ca, "127.0.0.1", "localhost") as server:
        yield server


def check(server_url: str, *, ca_bundle: str | None = None, environ: dict | None = None,
          proxy: str | None = None) -> Finding:
    target = Target(base_url=f"{server_url}/v1", provider="compatible", ca_bundle=ca_bundle,
                    proxy=proxy)
    [finding] = asyncio.run(tls_check(target, CheckContext(environ=environ or {}, timeout=3)))
    return finding


def test_trusted_certificate_reports_version_alpn_and_chain(valid: HTTPServer,
                                                            ca_file: str) -> None:
    finding = check(valid.url, ca_bundle=ca_file)
    assert finding.status == "ok", finding
    evidence = finding.evidence
    assert evidence["version"] in ("TLSv1.2", "TLSv1.3") and evidence["alpn"] == "http/1.1"
    assert evidence["trust_store"] == "ca_bundle" and evidence["handshake_ms"] > 0
    leaf = evidence["chain"][0]
    assert "127.0.0.1" in leaf["san"] and "localhost" in leaf["san"]
    assert "Loopback Inspection CA" in leaf["issuer"] and not leaf["self_signed"]
    assert leaf["days_left"] > 300 and leaf["not_after"] > leaf["not_before"]


def test_the_whole_presented_chain_is_described(ca: trustme.CA, ca_file: str) -> None:
    intermediate = ca.create_child_ca()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    intermediate.issue_cert("127.0.0.1").configure_cert(context)
    with HTTPServer(ssl_context=context) as server:
        finding = check(server.url, ca_bundle=ca_file)
    assert finding.status == "ok"
    leaf, middle = finding.evidence["chain"]
    assert leaf["issuer"] == middle["subject"] and "Loopback Inspection CA" in middle["issuer"]


def test_unknown_ca_names_the_issuer_and_never_says_disable_verification(
        valid: HTTPServer) -> None:
    finding = check(valid.url)  # certifi does not know the throwaway CA
    assert finding.status == "fail" and finding.category == "network"
    assert finding.evidence["kind"] == "tls_unknown_ca"
    assert finding.evidence["trust_store"] == "certifi"
    assert finding.evidence["trusted_by_system_store"] is False
    assert "Loopback Inspection CA" in finding.title
    remedy = finding.remedy or ""
    assert "SSL_CERT_FILE" in remedy and "never disable verification" in remedy


def test_ca_trusted_by_the_os_but_not_certifi_points_at_truststore(
        valid: HTTPServer, ca_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # OpenSSL's default verify paths (the "system store") honour SSL_CERT_FILE in the process
    # environment; the check's own environment (empty) leaves the client on certifi.
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    finding = check(valid.url)
    assert finding.evidence["kind"] == "tls_os_store_only"
    assert "truststore" in (finding.remedy or "")


def test_ssl_cert_file_in_the_environment_is_the_store_used(valid: HTTPServer,
                                                            ca_file: str) -> None:
    finding = check(valid.url, environ={"SSL_CERT_FILE": ca_file})
    assert finding.status == "ok" and finding.evidence["trust_store"] == "SSL_CERT_FILE"


@pytest.mark.skipif(shutil.which("openssl") is None,
                    reason="the openssl command is needed to build a hashed CA directory")
def test_ssl_cert_dir_is_honoured_as_httpx_does(valid: HTTPServer, ca: trustme.CA,
                                                tmp_path: Path) -> None:
    import subprocess

    certs = tmp_path / "certs"
    certs.mkdir()
    ca.cert_pem.write_to_path(str(certs / "loopback.pem"))
    subprocess.run(["openssl", "rehash", str(certs)], check=True, capture_output=True)
    finding = check(valid.url, environ={"SSL_CERT_DIR": str(certs)})
    assert finding.status == "ok" and finding.evidence["trust_store"] == "SSL_CERT_DIR"


def test_expired_certificate(ca: trustme.CA, ca_file: str) -> None:
    now = datetime.now(timezone.utc)
    with server_for(ca, "127.0.0.1", not_before=now - timedelta(days=30),
                    not_after=now - timedelta(days=1)) as server:
        finding = check(server.url, ca_bundle=ca_file)
    assert finding.status == "fail" and finding.evidence["kind"] == "tls_expired"
    assert finding.evidence["chain"][0]["days_left"] < 0


def test_certificate_for_another_host(ca: trustme.CA, ca_file: str) -> None:
    with server_for(ca, "portal.example.net") as server:
        finding = check(server.url, ca_bundle=ca_file)
    assert finding.status == "fail" and finding.evidence["kind"] == "tls_hostname_mismatch"
    assert finding.evidence["chain"][0]["san"] == ["portal.example.net"]


def test_certificate_expiring_soon_is_a_warning(ca: trustme.CA, ca_file: str) -> None:
    now = datetime.now(timezone.utc)
    with server_for(ca, "127.0.0.1", not_before=now - timedelta(days=80),
                    not_after=now + timedelta(days=5)) as server:
        finding = check(server.url, ca_bundle=ca_file)
    assert finding.status == "warn" and finding.evidence["kind"] == "tls_expiring_soon"


def test_handshake_through_a_connect_proxy(valid: HTTPServer, ca_file: str) -> None:
    with ConnectProxy() as proxy:
        finding = check(valid.url, ca_bundle=ca_file, environ={"HTTPS_PROXY": proxy.url})
        assert proxy.requests == [f"CONNECT 127.0.0.1:{valid.port} HTTP/1.1"]
    assert finding.status == "ok" and finding.evidence["proxy"] == proxy.url


def test_plain_http_and_closed_ports_are_skipped() -> None:
    assert check("http://127.0.0.1:9").status == "skip"
    refused = check(f"https://127.0.0.1:{closed_port()}")
    assert refused.status == "skip" and "could not connect" in refused.title
    assert refused.evidence["kind"] == "connect_refused"
