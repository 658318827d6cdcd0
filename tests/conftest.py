"""Shared fixtures. Everything here talks only to servers on 127.0.0.1 that the fixture starts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from chatkit.sim import DEFAULT_KEY, SimServer


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    """One simulator shared by a test module's tests."""
    with SimServer() as sim:
        yield sim


@pytest.fixture
def sim() -> Iterator[SimServer]:
    """A healthy simulated API on an ephemeral port, stopped after the test."""
    with SimServer() as server:
        yield server


@pytest.fixture
def sim_http(sim: SimServer) -> Iterator[httpx.Client]:
    """An httpx client for ``sim``, authorised with the simulator's default key."""
    with httpx.Client(
        base_url=sim.root_url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}, timeout=5
    ) as client:
        yield client
