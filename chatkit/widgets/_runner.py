"""One piece of background work at a time, off the kernel's main thread.

A panel's Run button must not freeze the kernel: the checks run on a worker thread with its
own event loop, so the kernel keeps answering the browser (progress updates, other cells)
while they run. A worker thread rather than a task on the kernel's loop because a widget
callback is not guaranteed a running loop (that depends on the ipykernel version), and
because widget traits may be set from any thread; the Output's context manager, which is not
thread-safe, is never used from here (``append_stderr`` is).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["Runner"]


class Runner:
    """Runs one coroutine at a time on a worker thread; a second request while busy is refused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._future: concurrent.futures.Future[Any] | None = None
        self._finished = threading.Event()
        self._finished.set()

    @property
    def busy(self) -> bool:
        return self._future is not None and not self._future.done()

    def submit(
        self,
        work: Callable[[], Awaitable[T]],
        done: Callable[[concurrent.futures.Future[T]], None],
    ) -> concurrent.futures.Future[T] | None:
        """Start ``work()`` on a worker thread and call ``done(future)`` there when it ends;
        returns None (and starts nothing) when the previous work is still running."""
        with self._lock:
            if self.busy:
                return None
            future: concurrent.futures.Future[T] = concurrent.futures.Future()

            def run() -> None:
                try:
                    future.set_result(asyncio.run(_awaited(work)))
                except BaseException as exc:  # handed to done(), which shows it in the panel
                    future.set_exception(exc)
                try:
                    done(future)
                finally:
                    self._finished.set()

            self._future = future
            self._finished = threading.Event()
            threading.Thread(target=run, name="chatkit-panel", daemon=True).start()
            return future

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current work and its ``done`` callback have finished (tests,
        scripts and notebooks executed headless); True when nothing is left running."""
        return self._finished.wait(timeout)


async def _awaited(work: Callable[[], Awaitable[T]]) -> T:
    return await work()
