"""Where a notebook's panels point: the real service when a key is set, else the simulator.

Every notebook's parameter cell ends in :func:`connect`; with no API key in the environment
it starts chatkit's simulated API on 127.0.0.1 and says so in a banner that cannot be missed,
so a notebook runs top to bottom offline (Binder, CI) and shows what each panel does.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatkit import checks
from chatkit.checks import CheckContext
from chatkit.redaction.scrub import redact_url
from chatkit.targets import Target, detect_provider, get_provider, mask_key

__all__ = ["Session", "connect"]

_SIM_STYLE = "background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px"
_REAL_STYLE = "background:#ddf4ff;border:1px solid #54aeff;padding:8px 12px;border-radius:6px"


@dataclass(repr=False)
class Session:
    """The target and check options the panels share, and the simulator when one runs.

    Its repr names the target only: the context holds the environment, keys included, which
    must never reach a notebook's output.
    """

    target: Target
    context: CheckContext
    simulated: bool
    sim: Any = None  # the running chatkit.sim.SimServer in simulated mode
    reason: str = ""

    def __repr__(self) -> str:
        mode = "simulated" if self.simulated else "real"
        return f"<Session {mode} {self.target!r}>"

    @property
    def banner_html(self) -> str:
        if self.simulated:
            return (
                f'<div class="chatkit-banner chatkit-sim" style="{_SIM_STYLE}">'
                "<b>Simulated mode.</b> " + html.escape(self.reason) + " This notebook "
                f"diagnoses chatkit's built-in simulated API at <code>"
                f"{html.escape(self.target.url)}</code>, so everything below runs offline. "
                "To diagnose the real service, set your key in the environment "
                f"(<code>{html.escape(str(get_provider('openai').key_env))}</code>, or your "
                "provider's variable), put its base URL in the notebook's parameter cell, "
                "and run the notebook again (in Voila: reload the page).</div>"
            )
        key = mask_key(self.target.key(self.context.environ)) or "none"
        return (
            f'<div class="chatkit-banner chatkit-real" style="{_REAL_STYLE}">'
            f"<b>Diagnosing</b> <code>{html.escape(redact_url(self.target.url))}</code> "
            f"(provider {html.escape(self.target.provider)}, key "
            f"<code>{html.escape(key)}</code> from <code>{html.escape(str(self.target.key_env))}"
            "</code>).</div>"
        )

    def banner(self) -> Any:
        """The banner as an ipywidgets HTML widget."""
        import ipywidgets as widgets

        return widgets.HTML(self.banner_html)

    def _repr_html_(self) -> str:
        return self.banner_html

    def groups(self, *wanted: str) -> list[str]:
        """Those of ``wanted`` (default: all) that this installation has checks for."""
        available = checks.available_groups()  # importing chatkit's own check modules
        return [g for g in available if not wanted or g in wanted]

    def close(self) -> None:
        """Stop the simulator, if one runs."""
        if self.sim is not None:
            self.sim.stop()
            self.sim = None


def connect(
    base_url: str | None = None,
    provider: str = "",
    model: str | None = None,
    *,
    simulate: bool | None = None,
    environ: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    **sim_options: Any,
) -> Session:
    """A :class:`Session` for a notebook's parameters.

    ``provider=""`` takes the one ``base_url`` points at (else openai).
    ``simulate=None`` decides by the key: none in the provider's variable -> the simulator.
    ``sim_options`` go to :class:`chatkit.sim.SimServer` (``fault=``, ``latency_ms=`` ...).
    """
    env = dict(os.environ if environ is None else environ)
    provider = provider or detect_provider(base_url) or "openai"
    key_env = str(get_provider(provider).key_env)
    if simulate is None:
        simulate = not env.get(key_env)
    if not simulate:
        target = Target(base_url=base_url, provider=provider, model=model, timeout=timeout)
        return Session(target, CheckContext(environ=env, timeout=timeout), simulated=False)

    from chatkit.sim import DEFAULT_KEY, SimServer

    reason = (f"No API key in {key_env}." if not env.get(key_env)
              else "Simulation was asked for (SIMULATE = True).")
    sim = SimServer(**sim_options)
    sim.start()
    target = Target(base_url=sim.base_url, provider="compatible", model=model,
                    status_page=sim.root_url, timeout=timeout)
    # The simulator knows only its demo key: a real key is never sent there.
    env[str(target.key_env)] = DEFAULT_KEY
    context = CheckContext(environ=env, timeout=timeout, local_only=True)
    return Session(target, context, simulated=True, sim=sim, reason=reason)
