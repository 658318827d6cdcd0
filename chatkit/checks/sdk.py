"""Which client libraries are installed, and do they work together? Offline, from metadata only.

The versions of openai, httpx/httpx2, pydantic, typing-extensions, anthropic, litellm and
langchain-openai; the combinations of :data:`~chatkit.knowledge.compat.KNOWN_BAD`; every
installed distribution's requirements checked against the others, as ``pip check`` does;
a package installed twice on the import path; a module this process imported before a newer
version was installed; and which interpreter runs the check (in a notebook: the kernel's, and
whether ``python`` on the PATH is another one).

Nothing is imported or executed: versions come from ``*.dist-info`` metadata, so a test hands
:func:`inspect_sdk` a folder of stub ``METADATA`` files instead of installing anything.
"""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chatkit.checks.base import CheckContext, register
from chatkit.findings import Finding
from chatkit.knowledge.classifier import explain
from chatkit.knowledge.compat import KNOWN_BAD, SDK_PACKAGES, KnownBad
from chatkit.targets import Target

__all__ = ["Dist", "Installed", "inspect_sdk", "installed", "requirement_conflicts"]

# Distribution -> the module it installs, for "imported before the upgrade".
_MODULES = {"openai": "openai", "httpx": "httpx", "httpx2": "httpx2", "pydantic": "pydantic",
            "anthropic": "anthropic", "litellm": "litellm"}


@dataclass(frozen=True, slots=True)
class Dist:
    """One installed distribution, as its metadata headers name it."""

    name: str
    version: str
    requires: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Installed:
    """The distributions on a path: the first copy of each (the one Python imports), and
    every version found, in path order."""

    first: Mapping[str, Dist]
    versions: Mapping[str, tuple[str, ...]]

    def version(self, name: str) -> str | None:
        dist = self.first.get(canonicalize_name(name))
        return dist.version if dist is not None else None


def _read(dist: metadata.Distribution) -> Dist | None:
    """Name, version and requirements from the headers of METADATA (or PKG-INFO), without
    parsing the long description after them: that is most of the time otherwise."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if not text:
        return None
    headers = email.message_from_string(text.replace("\r\n", "\n").split("\n\n", 1)[0])
    name, version = headers["Name"], headers["Version"]
    if not name or not version:
        return None
    requires = headers.get_all("Requires-Dist") or []
    if not requires and dist.read_text("requires.txt"):  # an egg-info keeps them apart
        requires = dist.requires or []
    return Dist(str(name), str(version), tuple(str(r) for r in requires))


def installed(paths: Sequence[str] | None = None) -> Installed:
    """The distributions installed on ``paths`` (default: ``sys.path``)."""
    first: dict[str, Dist] = {}
    versions: dict[str, list[str]] = {}
    found = metadata.distributions(path=list(paths)) if paths is not None else \
        metadata.distributions()
    for dist in found:
        record = _read(dist)
        if record is None:
            continue
        key = canonicalize_name(record.name)
        first.setdefault(key, record)
        versions.setdefault(key, []).append(record.version)
    return Installed(first, {k: tuple(v) for k, v in versions.items()})


def _contains(spec: str, version: str | None) -> bool:
    if version is None:
        return False
    if not spec:
        return True
    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _matches(row: KnownBad, found: Installed) -> bool:
    return all(_contains(spec, found.version(name)) for name, spec in row.when)


def requirement_conflicts(found: Installed) -> list[dict[str, Any]]:
    """Every unmet requirement among the installed distributions, as ``pip check`` reports
    them: a requirement not installed, or installed in a version its specifier excludes."""
    env = {k: str(v) for k, v in default_environment().items()}
    conflicts: list[dict[str, Any]] = []
    for key in sorted(found.first):
        dist = found.first[key]
        for text in dist.requires:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                continue
            have = found.version(req.name)
            if have is not None and _contains(str(req.specifier), have):
                continue
            conflicts.append({"package": dist.name, "version": dist.version,
                              "requires": str(req).split(";")[0].strip(),
                              "installed": have})
    return conflicts


def _conflict_text(c: Mapping[str, Any]) -> str:
    head = f"{c['package']} {c['version']} requires {c['requires']}"
    return f"{head}, but {c['installed']} is installed" if c["installed"] else \
        f"{head}, which is not installed"


def _known_bad(found: Installed) -> list[Finding]:
    findings = []
    for row in KNOWN_BAD:
        if not _matches(row, found):
            continue
        combo = " with ".join(f"{name} {found.version(name)}" for name, _ in row.when)
        findings.append(explain(
            "sdk_known_bad", check="sdk.known_bad", status=row.status,
            title=f"{combo}: " + ("known to fail" if row.status == "fail" else "a known pitfall"),
            evidence={"row": row.id, "combination": combo, "error": row.error, "fix": row.fix,
                      "source": row.source,
                      "versions": {name: found.version(name) for name, _ in row.when}}))
    return findings


def _requirements(found: Installed) -> Finding:
    conflicts = requirement_conflicts(found)
    if not conflicts:
        return Finding(check="sdk.requirements", status="ok", category="integration",
                       title=f"the {len(found.first)} installed distributions satisfy each "
                             "other's requirements",
                       evidence={"distributions": len(found.first)})
    sdk = {canonicalize_name(n) for n in SDK_PACKAGES}
    touches_sdk = any(canonicalize_name(c["package"]) in sdk
                      or canonicalize_name(Requirement(c["requires"]).name) in sdk
                      for c in conflicts)
    return explain("sdk_requirement_conflict", check="sdk.requirements",
                   status="fail" if touches_sdk else "warn",
                   title=f"{len(conflicts)} unmet requirement(s) among installed packages",
                   evidence={"conflicts": "; ".join(_conflict_text(c) for c in conflicts[:8]),
                             "unmet": conflicts})


def _copies(found: Installed) -> list[Finding]:
    findings = []
    for name in SDK_PACKAGES:
        versions = found.versions.get(canonicalize_name(name), ())
        if len(set(versions)) > 1:
            findings.append(explain(
                "sdk_shadowed_copy", check="sdk.copies", status="warn",
                title=f"{name} is installed twice ({', '.join(versions)})",
                evidence={"package": name, "versions": ", ".join(versions),
                          "imported": versions[0]}))
    return findings


def _loaded(found: Installed, modules: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for dist, module_name in _MODULES.items():
        module = modules.get(module_name)
        loaded = getattr(module, "__version__", None) or getattr(module, "VERSION", None)
        have = found.version(dist)
        if isinstance(loaded, str) and have and loaded != have:
            findings.append(explain(
                "sdk_stale_import", check="sdk.loaded", status="warn",
                title=f"{dist} {loaded} is loaded, {have} is installed",
                evidence={"package": dist, "loaded": loaded, "installed": have}))
    return findings


def _interpreter(environ: Mapping[str, str], modules: Mapping[str, Any], executable: str,
                 prefix: str, base_prefix: str) -> Finding:
    in_kernel = "ipykernel" in modules
    path_python = shutil.which("python", path=environ.get("PATH")) or shutil.which(
        "python3", path=environ.get("PATH"))
    evidence = {"executable": executable, "prefix": prefix, "virtual_env": prefix != base_prefix,
                "conda_env": environ.get("CONDA_DEFAULT_ENV"), "kernel": in_kernel,
                "path_python": path_python}
    if in_kernel and path_python and os.path.dirname(path_python) != os.path.dirname(executable):
        return explain("sdk_kernel_elsewhere", check="sdk.interpreter", status="warn",
                       evidence=evidence)
    where = "a virtual environment" if evidence["virtual_env"] else "no virtual environment"
    runs = "the notebook kernel runs" if in_kernel else "running"
    return Finding(check="sdk.interpreter", status="info", category="integration",
                   title=f"{runs} {executable} ({where})", evidence=evidence)


def _packages(found: Installed) -> Finding:
    versions = {name: found.version(name) for name in SDK_PACKAGES}
    shown = ", ".join(f"{n} {v}" for n, v in versions.items() if v) or "none of them"
    if versions["openai"] is None:
        return Finding(check="sdk.packages", status="info", category="integration",
                       title="the openai package is not installed here",
                       cause="client libraries found: " + shown,
                       remedy="pip install openai (in the environment that runs your code)",
                       evidence=versions)
    return Finding(check="sdk.packages", status="ok", category="integration",
                   title=f"client libraries: {shown}", evidence=versions)


def inspect_sdk(*, paths: Sequence[str] | None = None, modules: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None, executable: str | None = None,
                prefix: str | None = None, base_prefix: str | None = None) -> list[Finding]:
    """The sdk group's findings for the distributions on ``paths`` (default ``sys.path``).

    ``modules`` (default ``sys.modules``), ``environ``, ``executable`` and the prefixes stand
    for this process, so a test can describe another one.
    """
    found = installed(paths)
    mods = sys.modules if modules is None else modules
    return [
        _packages(found),
        *_known_bad(found),
        _requirements(found),
        *_copies(found),
        *_loaded(found, mods),
        _interpreter(os.environ if environ is None else environ, mods,
                     executable or sys.executable, prefix or sys.prefix,
                     base_prefix or sys.base_prefix),
    ]


@register("sdk")
async def libraries(target: Target, ctx: CheckContext) -> list[Finding]:
    """The installed client libraries (offline: nothing leaves the machine)."""
    paths: Iterable[str] | None = ctx.site_paths
    return await asyncio.to_thread(inspect_sdk, paths=list(paths) if paths else None,
                                   environ=ctx.environ)
