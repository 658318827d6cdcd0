"""Integration mistakes in the user's own code, found without running it.

:func:`scan_code` reads Python (with :mod:`ast`, :mod:`~chatkit.scan.python`) and JavaScript
or TypeScript (a lexical pass, :mod:`~chatkit.scan.javascript`) and reports, with file and
line: the openai 0.x / openai-node v3 interface, keys written in the code (shown masked),
two retry layers, clients without a timeout, retried 4xx answers, retired or misspelt model
names and Azure api-versions past their support. ``chatkit scan PATH`` is its face.
"""

from __future__ import annotations

from chatkit.scan.walk import render_text, scan_code

__all__ = ["render_text", "scan_code"]
