"""The sdk check group: installed client libraries, read from metadata stubs in a folder.

Each test writes ``*.dist-info/METADATA`` files (the only thing the check reads) into a temporary
site folder and points the check at it, so every combination of the known-bad table is built
in milliseconds, without installing anything.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

import pytest

from chatkit.checks import CheckContext, run_all
from chatkit.checks.sdk import inspect_sdk, installed, requirement_conflicts
from chatkit.findings import Finding
from chatkit.knowledge.compat import KNOWN_BAD
from chatkit.targets import Target

SOURCES = Path(__file__).parent / "data" / "real" / "sdk_sources"
HEALTHY = {"openai": "3.57.0", "httpx2": "2.16.2", "pydantic": "2.14.4",
           "typing-extensions": "4.16.0"}


def site(folder: Path, packages: dict[str, str] | Iterable[tuple[str, str]],
         requires: dict[str, list[str]] | None = None) -> str:
    """A site folder with one stub distribution per package (name -> version)."""
    folder.mkdir(parents=True, exist_ok=True)
    items = packages.items() if isinstance(packages, dict) else packages
    for name, version in items:
        info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
        lines += [f"Requires-Dist: {r}" for r in (requires or {}).get(name, [])]
        (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(folder)


def by_check(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.check, []).append(f)
    return out


#: Each known-bad row: versions that meet it, and the one upgrade that clears it.
COMBINATIONS = {
    "openai_httpx_proxies": ({"openai": "1.55.2", "httpx": "0.28.0"}, ("openai", "1.55.3")),
    "anthropic_httpx_proxies": ({"anthropic": "0.39.0", "httpx": "0.28.1"},
                                ("anthropic", "0.40.0")),
    "openai_pydantic_extra": ({"openai": "1.108.0", "pydantic": "2.3.0"}, ("openai", "1.109.1")),
    "openai_typing_extensions": ({"openai": "1.2.4", "typing-extensions": "4.5.0"},
                                 ("typing-extensions", "4.7.0")),
    "litellm_openai_v1": ({"litellm": "0.13.2", "openai": "1.2.3"}, ("litellm", "1.0.0")),
    "openai_v0": ({"openai": "0.28.1"}, ("openai", "1.0.0")),
    "openai_httpx2_respx": ({"openai": "3.0.0", "httpx2": "2.7.0", "respx": "0.22.0"},
                            ("openai", "2.54.0")),
}


def test_every_known_bad_row_has_a_combination_here() -> None:
    assert set(COMBINATIONS) == {row.id for row in KNOWN_BAD}


@pytest.mark.parametrize("row", KNOWN_BAD, ids=lambda r: r.id)
def test_each_known_bad_combination_is_found_and_its_fix_clears_it(row, tmp_path: Path) -> None:
    packages, (fixed_name, fixed_version) = COMBINATIONS[row.id]
    bad = by_check(inspect_sdk(paths=[site(tmp_path / "bad", packages)], modules={}))
    [finding] = [f for f in bad.get("sdk.known_bad", []) if f.evidence["row"] == row.id]
    assert finding.status == row.status and finding.category == "integration"
    assert row.error in (finding.cause or "") and row.fix in (finding.remedy or "")
    assert row.source in (finding.remedy or "")
    for name, _ in row.when:
        assert f"{name} {packages[name]}" in finding.title
    good = by_check(inspect_sdk(paths=[site(tmp_path / "good",
                                            {**packages, fixed_name: fixed_version})],
                                modules={}))
    assert row.id not in [f.evidence["row"] for f in good.get("sdk.known_bad", [])]


def test_the_table_agrees_with_the_changelogs_it_cites() -> None:
    openai_log = (SOURCES / "openai_changelog.md").read_text(encoding="utf-8")
    anthropic_log = (SOURCES / "anthropic_changelog.md").read_text(encoding="utf-8")
    assert re.search(r"## 1\.55\.3 .*\n(.*\n)*.*compat with new httpx 0\.28\.0", openai_log)
    assert re.search(r"## 0\.40\.0 .*\n(.*\n)*.*compat with new httpx 0\.28\.0", anthropic_log)
    assert re.search(r"## 1\.109\.1 .*\n(.*\n)*.*compat with `pydantic&lt;2\.8\.0`", openai_log)
    assert "## 1.6.0 " in openai_log and "bump minimum typing-extensions to 4.7" in openai_log
    assert "HTTPX2 is now the default HTTP client" in openai_log


def test_a_healthy_environment_passes_without_a_skip(tmp_path: Path) -> None:
    paths = [site(tmp_path, HEALTHY, {"openai": ["httpx2<3,>=2.7.0",
                                                 "pydantic<3,>=1.10.13",
                                                 "typing-extensions<5,>=4.14",
                                                 "aiohttp; extra == 'aiohttp'"]})]
    found = inspect_sdk(paths=paths, modules={}, environ={"PATH": ""},
                        executable="/opt/venv/bin/python", prefix="/opt/venv",
                        base_prefix="/usr")
    assert [(f.check, f.status) for f in found] == [
        ("sdk.packages", "ok"), ("sdk.requirements", "ok"), ("sdk.interpreter", "info")]
    assert found[0].evidence["openai"] == "3.57.0" and found[0].evidence["anthropic"] is None
    assert found[2].title == "running /opt/venv/bin/python (a virtual environment)"


def test_unmet_requirements_are_reported_as_pip_check_does(tmp_path: Path) -> None:
    paths = [site(tmp_path, {"openai": "1.40.0", "httpx": "0.22.0", "tqdm": "4.66.0"},
                  {"openai": ["httpx<1,>=0.23.0", "distro<2,>=1.7.0",
                              "numpy>=1; python_version < '3'"],
                   "tqdm": ["colorama; platform_system == 'Nonexistent'"]})]
    found = installed(paths)
    assert requirement_conflicts(found) == [
        {"package": "openai", "version": "1.40.0", "requires": "httpx<1,>=0.23.0",
         "installed": "0.22.0"},
        {"package": "openai", "version": "1.40.0", "requires": "distro<2,>=1.7.0",
         "installed": None},
    ]
    [finding] = by_check(inspect_sdk(paths=paths, modules={}))["sdk.requirements"]
    assert finding.status == "fail"  # it is the client library's own requirement
    assert ("openai 1.40.0 requires httpx<1,>=0.23.0, but 0.22.0 is installed; openai 1.40.0 "
            "requires distro<2,>=1.7.0, which is not installed") in (finding.cause or "")


def test_a_conflict_outside_the_client_libraries_only_warns(tmp_path: Path) -> None:
    paths = [site(tmp_path, {**HEALTHY, "pandas": "2.2.0", "numpy": "1.21.0"},
                  {"pandas": ["numpy>=1.22.4"]})]
    [finding] = by_check(inspect_sdk(paths=paths, modules={}))["sdk.requirements"]
    assert finding.status == "warn"


def test_a_second_older_copy_on_the_path_is_named(tmp_path: Path) -> None:
    paths = [site(tmp_path / "user", {"typing-extensions": "4.12.2"}),
             site(tmp_path / "dist-packages", {"typing-extensions": "4.1.1"})]
    [finding] = by_check(inspect_sdk(paths=paths, modules={}))["sdk.copies"]
    assert finding.status == "warn" and finding.title == \
        "typing-extensions is installed twice (4.12.2, 4.1.1)"


def test_a_module_imported_before_the_upgrade_asks_for_a_restart(tmp_path: Path) -> None:
    paths = [site(tmp_path, {"openai": "1.55.3"})]
    modules = {"openai": SimpleNamespace(__version__="0.27.8")}
    [finding] = by_check(inspect_sdk(paths=paths, modules=modules))["sdk.loaded"]
    assert finding.title == "openai 0.27.8 is loaded, 1.55.3 is installed"
    assert "restart the kernel" in (finding.remedy or "")


def test_a_kernel_whose_python_differs_from_the_terminals(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.write_text("#!/bin/sh\n", encoding="utf-8")
    python.chmod(0o755)
    found = by_check(inspect_sdk(paths=[site(tmp_path / "site", HEALTHY)],
                                 modules={"ipykernel": object()},
                                 environ={"PATH": str(bin_dir)},
                                 executable="/opt/conda/envs/lab/bin/python",
                                 prefix="/opt/conda/envs/lab", base_prefix="/opt/conda"))
    [finding] = found["sdk.interpreter"]
    assert finding.status == "warn" and str(python) in (finding.cause or "")
    assert "%pip install" in (finding.remedy or "")


def test_the_group_runs_in_doctor_on_the_given_site(tmp_path: Path) -> None:
    context = CheckContext(environ={"PATH": ""}, local_only=True,
                           site_paths=(site(tmp_path, {"openai": "1.55.2", "httpx": "0.28.1"}),))
    report = asyncio.run(run_all(Target(base_url="http://127.0.0.1:9/v1",
                                        provider="compatible"), only="sdk", context=context))
    checks = {f.check: f for f in report.findings}
    assert checks["sdk.known_bad"].status == "fail"
    assert report.verdict is not None and report.verdict["check"] == "sdk.known_bad"
    assert not any(f.status == "skip" for f in report.findings)


def test_the_requirement_check_agrees_with_pip_check(tmp_path: Path) -> None:
    """pip itself judges the same distributions: this environment plus a stub folder put
    first on its path (PYTHONPATH), holding conflicts of both kinds."""
    import os
    import subprocess
    import sys

    stub = site(tmp_path, {"openai": "1.40.0", "httpx": "0.22.0"},
                {"openai": ["httpx<1,>=0.23.0", "chatkit-no-such-dist>=1",
                            "numpy>=1; python_version < '3'"]})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([stub, *sys.path[1:]])}
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True,
                            text=True, timeout=300, env=env, cwd=tmp_path)
    # "X 1.0 has requirement Y>=2, but you have Y 1.5." / "X 1.0 requires Y, which is not
    # installed." -> (X, Y)
    pip_says = {(m[0].lower(), m[2].lower()) for m in re.findall(
        r"^(\S+) (\S+) (?:has requirement|requires) ([A-Za-z0-9_.\-]+)", result.stdout, re.M)}
    ours = {(c["package"].lower(), re.split(r"[<>=!~;\[ ]", c["requires"])[0].lower())
            for c in requirement_conflicts(installed([stub, *sys.path[1:]]))}
    assert {("openai", "httpx"), ("openai", "chatkit-no-such-dist")} <= pip_says
    assert ours == pip_says, result.stdout
