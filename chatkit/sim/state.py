"""The mutable state one simulator shares between its request threads."""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field

from chatkit.errors import UsageError
from chatkit.sim.faults import parse_fault
from chatkit.sim.personas import check_persona, persona_fault
from chatkit.sim.ratelimit import RateLimiter
from chatkit.sim.statuspage import STATES, IncidentSpan, spans_from_events

__all__ = ["SimState"]


@dataclass
class SimState:
    """Configuration plus the few things that change while serving (fault, status page).

    Request threads read it; ``set_*`` may be called from any thread.
    """

    keys: frozenset[str]
    models: tuple[str, ...]
    latency_ms: float
    token_gap_ms: float
    limiter: RateLimiter
    seed: int
    fault: str | None = None
    #: The provider whose dialect the faults are answered in (None: OpenAI's).
    persona: str | None = None
    status: str = "operational"
    root_url: str = ""
    #: The status page's kind ("incident.io" like status.openai.com, or "statuspage") and
    #: incidents declared on top of those the 5xx answers make (see statuspage.spans_from_events).
    page_kind: str = "incident.io"
    history: tuple[IncidentSpan, ...] = ()
    incident_gap_s: float = 300.0
    declare_after_s: float = 0.0
    outage_events: list[float] = field(default_factory=list, repr=False)
    #: Set by stop(): every wait in a handler returns early, so stopping never blocks.
    stopping: threading.Event = field(default_factory=threading.Event)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _connections: set[socket.socket] = field(default_factory=set, repr=False)
    #: Ids of stored responses (``previous_response_id`` must name one), oldest first.
    _stored: dict[str, None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_persona(self.persona)
        self._rng = random.Random(self.seed)
        self.set_fault(self.fault)
        self.set_status(self.status)

    def set_fault(self, fault: str | None) -> None:
        """Validate and install a server-wide fault (``None`` or ``"none"`` clears it)."""
        if fault is None or fault.strip() in ("", "none"):
            self.fault = None
            return
        if persona_fault(self.persona, fault) is None:  # the persona's own faults need no check
            parse_fault(fault)  # raises UsageError for an unknown name or a bad argument
        self.fault = fault.strip()

    def set_status(self, state: str) -> None:
        """Switch the status page to one of ``statuspage.STATES``."""
        if state not in STATES:
            raise UsageError(f"unknown status state {state!r}; use one of: {', '.join(STATES)}")
        self.status = state

    def record_answer(self, status: int) -> None:
        """Remember a 5xx answer: the status page's incident history follows them."""
        if status >= 500:
            with self._lock:
                self.outage_events.append(time.time())

    def incident_spans(self) -> list[IncidentSpan]:
        with self._lock:
            events = list(self.outage_events)
        return [*self.history, *spans_from_events(events, gap_s=self.incident_gap_s,
                                                   declare_after_s=self.declare_after_s,
                                                   now=time.time())]

    def draw(self) -> float:
        """A seeded random number in [0, 1), for flaky faults (one RNG, under a lock)."""
        with self._lock:
            return self._rng.random()

    def choose(self, options: tuple[str, ...]) -> str:
        """A seeded random pick among ``options``."""
        with self._lock:
            return self._rng.choice(options)

    def remember(self, response_id: str) -> None:
        """Keep a stored response's id (the newest 10,000)."""
        with self._lock:
            self._stored[response_id] = None
            if len(self._stored) > 10_000:
                del self._stored[next(iter(self._stored))]

    def recalls(self, response_id: str) -> bool:
        """Whether a response with this id was stored."""
        with self._lock:
            return response_id in self._stored

    def track(self, connection: socket.socket) -> None:
        """Remember an open client connection, so that stop() can close it."""
        with self._lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a connection its handler has finished with."""
        with self._lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection: idle keep-alive readers and hung handlers return."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the peer or by its handler
