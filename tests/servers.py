"""Loopback servers the network checks are tested against. Each binds 127.0.0.1 on a free
port, runs on daemon threads, and is a context manager; nothing here talks to any other address.

- :class:`DNSResponder` answers DNS over UDP (dnspython): normally, NXDOMAIN, SERVFAIL,
  sinkholed (0.0.0.0 / ::), or not at all; optionally drops every Nth query.
- :class:`TLSServer` speaks TLS with a given certificate and answers one HTTP request.
- :class:`HTTPServer` answers HTTP with a fixed body after a fixed wait (for phase timing).
- :class:`ConnectProxy` is a forward proxy (CONNECT tunnels and absolute-form GETs);
  ``require_auth`` makes it answer 407; ``refuse`` makes it answer 403 to CONNECT.
- :class:`BlackHole` accepts TCP connections and never says a word.
- :class:`FullBacklog` never accepts and drops further SYNs (a connect timeout).
- :func:`closed_port` is a port nothing listens on.
"""

from __future__ import annotations

import base64
import select
import socket
import ssl
import threading
import time
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

LOOPBACK = "127.0.0.1"


def closed_port() -> int:
    """A port that was free a moment ago (bound then closed): connecting is refused."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class _Threaded:
    """start/stop and the context manager for a listening socket served on a thread."""

    sock: socket.socket

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        if not hasattr(self, "_port"):
            self._port: int = self.sock.getsockname()[1]
        return self._port

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        _ = self.port  # remembered: still readable after stop()
        self._spawn(self._serve)

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()

    def _serve(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class DNSResponder(_Threaded):
    """A DNS server on UDP 127.0.0.1 whose behaviour is its ``mode``.

    ``ok`` answers from ``records`` (name -> addresses) following ``cnames`` (name -> name);
    ``nxdomain``/``servfail`` answer with that rcode; ``sinkhole`` answers 0.0.0.0 and ::;
    ``drop`` never answers. ``drop_every=N`` drops every Nth query in any mode; ``invent``
    answers names it does not know with that address instead of NXDOMAIN.
    """

    def __init__(self, mode: str = "ok", *, records: dict[str, list[str]] | None = None,
                 cnames: dict[str, str] | None = None, drop_every: int = 0,
                 ttl: int = 300, invent: str | None = None) -> None:
        super().__init__()
        self.mode = mode
        self.records = {k.rstrip(".").lower(): v for k, v in (records or {}).items()}
        self.cnames = {k.rstrip(".").lower(): v.rstrip(".") for k, v in (cnames or {}).items()}
        self.drop_every = drop_every
        self.invent = invent  # answer unknown names with this address (NXDOMAIN rewriting)
        self.ttl = ttl
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            if self.mode == "drop" or (self.drop_every and self.queries % self.drop_every == 0):
                continue
            reply = self._answer(dns.message.from_wire(data))
            try:
                self.sock.sendto(reply.to_wire(), peer)
            except OSError:
                return

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        question = query.question[0]
        rdtype = question.rdtype
        if self.mode == "nxdomain":
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        if self.mode == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        name = question.name.to_text().rstrip(".").lower()
        if self.mode == "sinkhole":
            address = "0.0.0.0" if rdtype == dns.rdatatype.A else "::"
            response.answer.append(dns.rrset.from_text(question.name, self.ttl, "IN",
                                                       rdtype, address))
            return response
        owner = question.name
        for _ in range(8):
            if name not in self.cnames:
                break
            target = self.cnames[name] + "."
            response.answer.append(dns.rrset.from_text(owner, self.ttl, "IN", "CNAME", target))
            owner, name = dns.name.from_text(target), target.rstrip(".").lower()
        if name not in self.records:
            if self.invent and rdtype == dns.rdatatype.A:
                response.answer.append(dns.rrset.from_text(owner, self.ttl, "IN", "A",
                                                           self.invent))
                return response
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        family = ":" if rdtype == dns.rdatatype.AAAA else "."
        wanted = [a for a in self.records.get(name, []) if family in a]
        if wanted:
            response.answer.append(dns.rrset.from_text_list(owner, self.ttl, "IN", rdtype,
                                                            wanted))
        return response


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class _TCPServer(_Threaded):
    def __init__(self) -> None:
        super().__init__()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.connections = 0

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self._spawn(self._guarded, conn)

    def _guarded(self, conn: socket.socket) -> None:
        try:
            with conn:
                self.handle(conn)
        except OSError:  # the client went away or the handshake failed: that is the test
            pass

    def handle(self, conn: socket.socket) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class HTTPServer(_TCPServer):
    """Answers every request with ``body`` after waiting ``wait_s`` (the server phase)."""

    def __init__(self, body: bytes = b'{"ok": true}', *, wait_s: float = 0.0,
                 status: str = "200 OK", content_type: str = "application/json",
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.body, self.wait_s, self.status, self.content_type = body, wait_s, status, content_type
        self.ssl_context = ssl_context
        self.heads: list[str] = []  # each request's head, as received

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def handle(self, conn: socket.socket) -> None:
        if self.ssl_context is None:
            self._answer(conn)
            return
        with self.ssl_context.wrap_socket(conn, server_side=True) as tls:
            self._answer(tls)

    def _answer(self, conn: socket.socket) -> None:
        while True:
            head = _read_head(conn)
            if not head:
                return
            self.heads.append(head.decode("latin-1"))
            if self.wait_s:
                time.sleep(self.wait_s)
            conn.sendall(
                f"HTTP/1.1 {self.status}\r\nContent-Type: {self.content_type}\r\n"
                f"Content-Length: {len(self.body)}\r\n\r\n".encode() + self.body)


def TLSServer(context: ssl.SSLContext, body: bytes = b'{"ok": true}') -> HTTPServer:
    """An HTTPS server presenting whatever certificate ``context`` holds."""
    return HTTPServer(body, ssl_context=context)


class BlackHole(_TCPServer):
    """Accepts connections and never answers (a stalled server or a silent middlebox)."""

    def handle(self, conn: socket.socket) -> None:
        self._stop.wait()


class ConnectProxy(_TCPServer):
    """A forward proxy: CONNECT tunnels, or absolute-form requests relayed to the origin.

    ``require_auth="user:pass"`` answers 407 without the matching Basic credentials;
    ``refuse=True`` answers 403 to every CONNECT (a proxy policy blocking the host),
    ``refuse_ports`` only to CONNECTs for those ports (a policy blocking one host).
    Only loopback origins are allowed: this proxy never reaches the outside.
    """

    def __init__(self, *, require_auth: str | None = None, refuse: bool = False,
                 refuse_ports: set[int] | frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.require_auth, self.refuse, self.refuse_ports = require_auth, refuse, refuse_ports
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _authorized(self, head: str) -> bool:
        if self.require_auth is None:
            return True
        token = base64.b64encode(self.require_auth.encode()).decode()
        return any(line.lower().startswith("proxy-authorization:") and token in line
                   for line in head.split("\r\n"))

    def handle(self, conn: socket.socket) -> None:
        head = _read_head(conn)
        if not head:
            return
        text = head.decode("latin-1")
        request_line = text.split("\r\n", 1)[0]
        self.requests.append(request_line)
        method, target, _ = request_line.split(" ", 2)
        if not self._authorized(text):
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b'Proxy-Authenticate: Basic realm="loopback"\r\n'
                         b"Content-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            if self.refuse or int(target.rsplit(":", 1)[1]) in self.refuse_ports:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            host, port = target.rsplit(":", 1)
            if host not in (LOOPBACK, "localhost"):
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            try:
                upstream = socket.create_connection((LOOPBACK, int(port)), timeout=5)
            except OSError:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                _pump(conn, upstream, self._stop)
            return
        # absolute-form: GET http://127.0.0.1:PORT/path HTTP/1.1
        rest = target.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        if host not in (LOOPBACK, "localhost"):
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with socket.create_connection((LOOPBACK, int(port or 80)), timeout=5) as upstream:
            upstream.sendall(head.replace(target.encode(), b"/" + path.encode(), 1))
            _pump(conn, upstream, self._stop)


def _pump(a: socket.socket, b: socket.socket, stop: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    while not stop.is_set():
        readable, _, _ = select.select([a, b], [], [], 0.2)
        for src in readable:
            data = src.recv(65536)
            if not data:
                return
            (b if src is a else a).sendall(data)


class FullBacklog:
    """A listening socket that never accepts, its queue filled: further SYNs are dropped, so a
    connect times out exactly as behind a firewall that drops packets (Linux semantics)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(0)
        self.port: int = self.sock.getsockname()[1]
        self._fillers: list[socket.socket] = []

    def __enter__(self) -> FullBacklog:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect((LOOPBACK, self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)
        return self

    def __exit__(self, *exc: object) -> None:
        for filler in self._fillers:
            filler.close()
        self.sock.close()
