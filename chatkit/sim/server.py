"""SimServer: the simulated OpenAI-compatible API, started and stopped as one object.

A real HTTP/1.1 server on 127.0.0.1 (an ephemeral port unless told otherwise), so every
client — httpx, the official ``openai`` package, curl, a browser — meets real sockets, real
keep-alive, real chunked streams and real connection failures::

    with SimServer(fault="503_overloaded") as sim:
        client = openai.OpenAI(base_url=sim.base_url, api_key=DEFAULT_KEY, max_retries=0)

    with serve() as base_url:      # the same, when only the URL matters
        ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any
from urllib.parse import quote

from chatkit.sim.faults import parse_fault
from chatkit.sim.httpd import SimHTTPServer
from chatkit.sim.personas import check_persona, persona_fault
from chatkit.sim.ratelimit import RateLimiter
from chatkit.sim.state import SimState
from chatkit.sim.statuspage import IncidentSpan

__all__ = ["DEFAULT_KEY", "DEFAULT_MODELS", "SimServer", "serve"]

#: The key the simulator accepts by default. Hyphens early, so that no secret scanner (nor
#: chatkit's own redaction patterns for real keys) mistakes it for a real one.
DEFAULT_KEY = "sk-sim-chatkit-local-0000"

#: The models ``GET /v1/models`` lists and chat completions accept.
DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "o4-mini")


class SimServer:
    """The simulated API. A context manager; also ``start()`` / ``stop()`` / ``serve_forever()``.

    ``keys`` are the accepted API keys (empty: any key is accepted). ``rpm`` and ``tpm`` size
    the per-key token buckets behind the ``x-ratelimit-*`` headers and the real 429s.
    ``latency_ms`` delays every ``/v1`` answer; ``token_gap_ms`` spaces stream chunks so that
    time to first token and inter-token latency can be measured. ``seed`` fixes the draws of
    the ``flaky`` fault.
    The status page's ``incidents.json`` follows the 5xx answers given (answers less than
    ``incident_gap_s`` apart are one incident, declared ``declare_after_s`` after its first),
    plus the ``history`` given, in the shape of ``page_kind`` ("incident.io" or "statuspage").
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fault: str | None = None,
        persona: str | None = None,
        latency_ms: float = 0,
        keys: Iterable[str] = (DEFAULT_KEY,),
        models: Iterable[str] = DEFAULT_MODELS,
        status: str = "operational",
        seed: int = 0,
        rpm: int = 60_000,
        tpm: int = 10_000_000,
        token_gap_ms: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        page_kind: str = "incident.io",
        history: Iterable[IncidentSpan] = (),
        incident_gap_s: float = 300.0,
        declare_after_s: float = 0.0,
    ) -> None:
        self._address = (host, port)
        self._state = SimState(
            keys=frozenset(keys),
            models=tuple(models),
            latency_ms=latency_ms,
            token_gap_ms=token_gap_ms,
            limiter=RateLimiter(rpm, tpm, clock=clock),
            seed=seed,
            fault=fault,
            persona=persona,
            status=status,
            page_kind=page_kind,
            history=tuple(history),
            incident_gap_s=incident_gap_s,
            declare_after_s=declare_after_s,
        )
        self._httpd: SimHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- where it listens -----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port it listens on (known once started)."""
        return self._server().server_address[1]

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT``; the status page lives under it (``/api/v2/summary.json``)."""
        host = self._server().server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``, what an OpenAI client takes as ``base_url``."""
        return self.root_url + "/v1"

    def url_for_fault(self, fault: str, *, persona: str | None = None) -> str:
        """A base URL whose every request meets ``fault`` (e.g. ``/fault/slow:1500/v1``),
        answered in ``persona``'s dialect when one is given (``/persona/NAME/fault/...``)."""
        if persona_fault(persona, fault) is None:
            parse_fault(fault)
        return f"{self.root_url}{self._persona_path(persona)}/fault/{quote(fault, safe=':')}/v1"

    def url_for_persona(self, persona: str) -> str:
        """A base URL whose faults are answered as ``persona`` answers them."""
        return f"{self.root_url}{self._persona_path(persona)}/v1"

    @staticmethod
    def _persona_path(persona: str | None) -> str:
        name = check_persona(persona)
        return f"/persona/{quote(name, safe='')}" if name else ""

    # --- what it does -----------------------------------------------------------------------

    @property
    def fault(self) -> str | None:
        """The server-wide fault, or None."""
        return self._state.fault

    @property
    def status(self) -> str:
        """The status page's state."""
        return self._state.status

    def set_fault(self, fault: str | None) -> None:
        """Make every ``/v1`` request meet ``fault`` (``None`` heals the server)."""
        self._state.set_fault(fault)

    def set_status(self, state: str) -> None:
        """Switch the status page: operational, degraded, major_outage or maintenance."""
        self._state.set_status(state)

    # --- lifecycle --------------------------------------------------------------------------

    def _bind(self) -> SimHTTPServer:
        if self._httpd is None:
            self._state.stopping.clear()
            # The constructor binds and listens, so a client may connect as soon as it returns.
            self._httpd = SimHTTPServer(self._address, self._state)
            self._state.root_url = self.root_url
        return self._httpd

    def _server(self) -> SimHTTPServer:
        if self._httpd is None:
            raise RuntimeError("the simulator is not running; call start() or use `with`")
        return self._httpd

    def start(self) -> SimServer:
        """Listen and serve from a background daemon thread; returns once it accepts."""
        if self._thread is None:
            httpd = self._bind()
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                name=f"chatkit-sim:{self.port}", daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C (or stop() from another thread).

        After ``start()`` it just blocks, so a CLI can print ``base_url`` first::

            sim = SimServer(port=8000).start()
            print(sim.base_url, flush=True)
            sim.serve_forever()
        """
        try:
            if self._thread is not None:
                thread = self._thread
                while thread.is_alive():
                    thread.join(0.2)  # a short join keeps Ctrl-C responsive
            else:
                self._bind().serve_forever(poll_interval=0.01)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving, release hung requests, close every connection. Safe to call twice."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._state.stopping.set()  # wakes handlers that sleep or hang
        # Returns at once when serve_forever already ended (Ctrl-C in the foreground).
        httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._state.close_connections()  # idle keep-alive readers return
        httpd.server_close()  # joins the handler threads

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "stopped"
        return f"<SimServer {where} fault={self.fault} status={self.status}>"


@contextmanager
def serve(**kwargs: Any) -> Iterator[str]:
    """Run a :class:`SimServer` in the background; yield its base URL; stop it afterwards."""
    with SimServer(**kwargs) as sim:
        yield sim.base_url
