"""The listening socket: a stdlib threading HTTP server that can also reset connections."""

from __future__ import annotations

import logging
import socket
import struct
from http.server import ThreadingHTTPServer
from typing import Any

from chatkit.sim.handler import SimHandler
from chatkit.sim.state import SimState

__all__ = ["SimHTTPServer"]

log = logging.getLogger("chatkit.sim")


class SimHTTPServer(ThreadingHTTPServer):
    """The stdlib threading server, holding the simulator's state and able to reset sockets."""

    daemon_threads = True
    # The stdlib's listen queue of 5 drops connections when doctor's dozen checks connect at
    # once, and every drop costs the client a 1 s SYN retry.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        self.state = state
        self._abort: set[socket.socket] = set()
        super().__init__(address, SimHandler)

    def abort_on_close(self, connection: socket.socket) -> None:
        """Close ``connection`` with a TCP RST instead of the usual FIN."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._abort.add(connection)

    def shutdown_request(self, request: Any) -> None:
        # The stdlib sends FIN (shutdown(SHUT_WR)) before closing; with SO_LINGER 0 and no
        # shutdown, close() sends RST, which is what a crashed middlebox looks like.
        if request in self._abort:
            self._abort.discard(request)
            request.close()
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is routine here (timeouts, cut streams).
        log.debug("connection from %s ended with an error", client_address, exc_info=True)
