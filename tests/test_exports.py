"""The front door: every exported name resolves, and ``__all__`` stays sorted."""

from __future__ import annotations

import subprocess
import sys

import chatkit


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert chatkit.__all__ == sorted(chatkit.__all__)
    for name in chatkit.__all__:
        assert getattr(chatkit, name) is not None, name


def test_import_chatkit_stays_light() -> None:
    code = ("import sys, chatkit; heavy = [m for m in ('pandas', 'matplotlib', 'ipywidgets', "
            "'httpx') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
