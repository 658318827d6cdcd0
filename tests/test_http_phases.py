"""HTTP phase timing through httpx's trace extension, and agreement with ``curl -w``."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import support
import trustme
from servers import BlackHole, ConnectProxy, HTTPServer, closed_port

from chatkit.checks import CheckContext
from chatkit.checks.http import MARKS, PHASES, measure_phases, phases, phases_from_marks
from chatkit.findings import Finding
from chatkit.sim import SimServer
from chatkit.targets import Target

CURL = shutil.which("curl")
CA = trustme.CA()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    ca = CA
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server)  # a name only: SNI must say localhost
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return server, str(path)


@pytest.fixture
def https(tls_files: tuple[ssl.SSLContext, str]) -> Iterator[HTTPServer]:
    with HTTPServer(wait_s=0.02, ssl_context=tls_files[0]) as server:
        yield server


def check(base_url: str, *, ca_bundle: str | None = None, environ: dict | None = None,
          timeout: float = 3.0) -> Finding:
    target = Target(base_url=base_url, provider="compatible", ca_bundle=ca_bundle)
    [finding] = asyncio.run(phases(target, CheckContext(environ=environ or {}, timeout=timeout)))
    return finding


def assert_ordered(marks: dict) -> None:
    values = [marks[m] for m in MARKS if not (m == "appconnect" and marks[m] == 0.0)]
    assert values == sorted(values), marks


def test_plain_http_phases_and_the_server_wait() -> None:
    with HTTPServer(wait_s=0.03, status="401 Unauthorized") as server:
        finding = check(f"http://localhost:{server.port}/v1")
        [head] = server.heads
    assert finding.status == "ok" and finding.title.startswith("HTTP 401 from localhost")
    e = finding.evidence
    assert set(e["phases_ms"]) == set(PHASES) and e["phases_ms"]["tls"] == 0.0
    assert e["phases_ms"]["server"] >= 30.0  # the server slept 30 ms before answering
    assert e["address"] in ("127.0.0.1", "::1") and e["via_proxy"] is False
    assert_ordered(e["marks_ms"])
    # connected to the address, but the request still names the host
    assert head.startswith("GET /v1/models HTTP/1.1") and f"localhost:{server.port}" in head


def test_https_phases_use_the_host_name_for_sni_and_verification(
        https: HTTPServer, tls_files: tuple[ssl.SSLContext, str]) -> None:
    finding = check(f"https://localhost:{https.port}/v1", ca_bundle=tls_files[1])
    assert finding.status == "ok", finding
    phases_ms = finding.evidence["phases_ms"]
    assert phases_ms["tls"] > 0 and all(v is not None for v in phases_ms.values())
    assert_ordered(finding.evidence["marks_ms"])


def test_through_a_connect_proxy_there_is_no_local_dns(
        https: HTTPServer, tls_files: tuple[ssl.SSLContext, str]) -> None:
    with ConnectProxy() as proxy:
        finding = check(f"https://localhost:{https.port}/v1", ca_bundle=tls_files[1],
                        environ={"HTTPS_PROXY": proxy.url})
        assert proxy.requests == [f"CONNECT localhost:{https.port} HTTP/1.1"]
    e = finding.evidence
    assert finding.status == "ok" and e["via_proxy"] is True and e["address"] is None
    assert e["phases_ms"]["dns"] == 0.0 and e["phases_ms"]["tls"] > 0


def test_refused_connection_keeps_the_phases_that_completed() -> None:
    finding = check(f"http://localhost:{closed_port()}/v1")
    assert finding.status == "fail" and finding.evidence["kind"] == "connect_refused"
    phases_ms = finding.evidence["phases_ms"]
    assert phases_ms["dns"] is not None and phases_ms["server"] is None
    assert "got through: dns" in finding.title


def test_server_that_never_answers_is_a_read_timeout() -> None:
    with BlackHole() as server:
        finding = check(f"http://127.0.0.1:{server.port}/v1", timeout=0.3)
    assert finding.status == "fail" and finding.evidence["kind"] == "read_timeout"
    assert finding.evidence["phases_ms"]["connect"] is not None


def test_an_html_page_instead_of_the_api_is_classified() -> None:
    with SimServer(fault="captive_portal") as sim:
        finding = check(sim.base_url)
    assert finding.status == "fail" and finding.evidence["kind"] == "captive_portal"
    assert finding.evidence["phases_ms"]["server"] is not None


def test_phases_are_never_negative_and_none_past_a_failure() -> None:
    marks = {"namelookup": 1.0, "connect": 3.0, "appconnect": 2.5, "pretransfer": 4.0,
             "starttransfer": None, "total": None}
    assert phases_from_marks(marks, tls=True) == {
        "dns": 1.0, "connect": 2.0, "tls": 0.0, "server": None, "transfer": None}


# --- agreement with curl -w ---------------------------------------------------------------------

def curl_phases(url: str, cafile: str | None) -> dict[str, float | None]:
    args = [str(CURL), "-s", "-o", "/dev/null", "-w", "%{json}", url]
    if cafile:
        args[1:1] = ["--cacert", cafile]
    out = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    marks = {m: out[f"time_{m}"] * 1000 for m in MARKS}
    return phases_from_marks(marks, tls=url.startswith("https"))


async def our_phases(url: str, cafile: str | None) -> dict[str, float | None]:
    verify = ssl.create_default_context(cafile=cafile) if cafile else True
    async with httpx.AsyncClient(verify=verify, trust_env=False) as client:
        timing = await measure_phases(url, client)
    assert timing.error is None
    return dict(timing.phases)


def largest_curl_difference(url: str, cafile: str | None, runs: int = 9) -> dict[str, float]:
    """|best(ours) - best(curl)| per phase, over ``runs`` fresh requests each, interleaved so
    that a busy machine slows both alike. The best (minimum) of each phase is what the
    measurement itself adds; scheduling noise on a loaded machine only ever adds to it."""
    theirs, ours = [], []
    for _ in range(runs):
        theirs.append(curl_phases(url, cafile))
        ours.append(asyncio.run(our_phases(url, cafile)))
    return {p: abs(min(o[p] or 0 for o in ours) - min(t[p] or 0 for t in theirs))
            for p in PHASES}


_SERVE = """
import ssl, sys
sys.path.insert(0, sys.argv[1])
from servers import HTTPServer
context = None
if sys.argv[2]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[2])
with HTTPServer(b"x" * 200_000, wait_s=0.02, ssl_context=context) as server:
    print(server.port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


@contextmanager
def server_process(keyfile: str | None) -> Iterator[int]:
    """The loopback server in a process of its own: it shares no GIL with either client, so
    neither curl nor chatkit is measured against a server this process slows down."""
    here = str(Path(__file__).parent)
    process = subprocess.Popen([sys.executable, "-c", _SERVE, here, keyfile or ""],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_phases_agree_with_curl_within_2_ms(scheme: str, tls_files: tuple[ssl.SSLContext, str],
                                            tmp_path: Path) -> None:
    if CURL is None:
        support.missing("curl is not installed")
    _, cafile = tls_files
    keyfile = None
    if scheme == "https":
        keyfile = str(tmp_path / "server.pem")
        CA.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(keyfile)
    # The body is large enough to make the transfer phase more than a rounding error.
    with server_process(keyfile) as port:
        # 127.0.0.1: curl answers "localhost" itself without a lookup, so a name would
        # compare getaddrinfo with nothing; the DNS phase is tested above.
        url = f"{scheme}://127.0.0.1:{port}/v1/models"
        differences = largest_curl_difference(url, cafile if scheme == "https" else None)
    print(f"curl vs chatkit, {scheme}: " + ", ".join(f"{p} {d:.3f} ms"
                                                    for p, d in differences.items()))
    assert max(differences.values()) <= 2.0, differences
