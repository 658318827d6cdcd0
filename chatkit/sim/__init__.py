"""The simulated OpenAI-compatible API: faults on demand, a status page, sample logs.

::

    from chatkit.sim import SimServer, serve, FAULTS, DEFAULT_KEY

    with SimServer(fault="429_rate_limit") as sim:      # or sim.url_for_fault("slow:1500")
        client = openai.OpenAI(base_url=sim.base_url, api_key=DEFAULT_KEY, max_retries=0)

``FAULTS`` maps every fault name to a one-line description; ``generate_log`` writes a
realistic request log in chatkit's JSONL contract (numpy is imported only when it is called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatkit.sim.faults import FAULTS
from chatkit.sim.personas import PERSONAS
from chatkit.sim.server import DEFAULT_KEY, DEFAULT_MODELS, SimServer, serve

if TYPE_CHECKING:
    from chatkit.sim.samplelog import generate_log

__all__ = [
    "DEFAULT_KEY", "DEFAULT_MODELS", "FAULTS", "PERSONAS", "SimServer", "generate_log", "serve",
]


def __getattr__(name: str) -> Any:
    # generate_log needs numpy; importing the server alone should stay light.
    if name == "generate_log":
        from chatkit.sim.samplelog import generate_log

        return generate_log
    raise AttributeError(f"module 'chatkit.sim' has no attribute {name!r}")
