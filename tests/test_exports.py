"""The front door: each public name is the object README promises, whatever was imported first.

Importing a submodule binds its name on the parent package; a module named like a public
function would replace the function (``chatkit.classify`` turning into a module). These tests
import every submodule in several orders, each in a fresh interpreter, and check every name.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import chatkit

PACKAGE = Path(chatkit.__file__).parent
SUBMODULES = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")

# For each public name, what it must be: a function, a class, or the version string.
CHECK = """
import importlib, inspect, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
import chatkit
kinds = {}
for name in chatkit.__all__:
    value = getattr(chatkit, name)
    kinds[name] = ("module" if inspect.ismodule(value) else "class" if inspect.isclass(value)
                   else "function" if callable(value) else type(value).__name__)
    kinds[name] += ":" + getattr(value, "__module__", "")
print(json.dumps(kinds))
"""


def _kinds(order: list[str]) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", CHECK, json.dumps(order)], capture_output=True,
                         text=True, check=True, timeout=300)
    return dict(json.loads(out.stdout))


def _lazy_and_type_checking() -> tuple[dict[str, str], dict[str, str]]:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    lazy: dict[str, str] = {}
    typed: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_LAZY":
            lazy = ast.literal_eval(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for item in node.body:
                if isinstance(item, ast.ImportFrom):
                    typed.update({a.name: item.module or "" for a in item.names})
    return lazy, typed


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert chatkit.__all__ == sorted(chatkit.__all__)
    for name in chatkit.__all__:
        assert getattr(chatkit, name) is not None, name


def test_lazy_names_agree_with_the_type_checking_imports() -> None:
    lazy, typed = _lazy_and_type_checking()
    assert lazy == typed
    assert sorted([*lazy, "__version__"]) == chatkit.__all__


@pytest.mark.parametrize("order", ["none", "sorted", "reversed", "client first"])
def test_public_names_survive_any_import_order(order: str) -> None:
    modules = {"none": [], "sorted": SUBMODULES, "reversed": SUBMODULES[::-1],
               "client first": ["chatkit.client", "chatkit.knowledge.classifier",
                                "chatkit.redaction.files", *SUBMODULES]}[order]
    kinds = _kinds(modules)
    lazy, _ = _lazy_and_type_checking()
    for name, module in lazy.items():
        kind, defined_in = kinds[name].split(":", 1)
        assert kind in ("function", "class"), (name, kinds[name])
        assert defined_in == module, (name, kinds[name])
    assert kinds["classify"].startswith("function") and kinds["redact"].startswith("function")
    assert kinds["__version__"].startswith("str")


def test_the_readme_calls_work_after_the_client_is_built() -> None:
    code = ("import chatkit; chatkit.resilient_client(); "
            "print(chatkit.classify('ConnectTimeout').evidence['kind'], "
            "chatkit.redact({'api_key': 'sk-proj-abcdefghijklmnopqrstuvwx1234'})['api_key'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    kind, marker = out.stdout.split()
    assert kind == "connect_timeout" and marker.startswith("[REDACTED")


def test_import_chatkit_stays_light() -> None:
    code = ("import sys, chatkit; heavy = [m for m in ('pandas', 'matplotlib', 'ipywidgets', "
            "'httpx') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
