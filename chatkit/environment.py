"""What the machine running chatkit looks like: OS, Python, package versions, proxy settings.

Goes into every report and support bundle, so it holds nothing secret: proxy URLs lose their
credentials and no other environment variable is copied.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from chatkit.redaction.scrub import redact_url

__all__ = [
    "PACKAGES",
    "PROXY_VARIABLES",
    "package_versions",
    "proxy_settings",
    "resolver_config",
    "snapshot",
]

PACKAGES = ("chatkit", "httpx", "httpx2", "openai", "dnspython", "pandas", "ipywidgets", "certifi")
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed versions of the packages that matter when an API call fails (None: absent)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def proxy_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The proxy variables that are set (either case), credentials removed."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for upper in PROXY_VARIABLES:
        for name in (upper, upper.lower()):
            value = env.get(name)
            if value:
                found[name] = value if upper == "NO_PROXY" else redact_url(value)
    return found


def resolver_config(path: str = "/etc/resolv.conf") -> dict[str, list[str]]:
    """The system resolver configuration: nameservers, search domains, options (empty if none).

    Read from resolv.conf (Linux, macOS, WSL); on Windows the file is absent and this is empty.
    """
    config: dict[str, list[str]] = {"nameservers": [], "search": [], "options": []}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(65536).splitlines()
    except OSError:
        return config
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            config["nameservers"].append(words[1])
        elif words and words[0] in ("search", "domain"):
            config["search"].extend(words[1:])
        elif words and words[0] == "options":
            config["options"].extend(words[1:])
    return config


def snapshot(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The environment section of a report."""
    return {
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable_in_venv": sys.prefix != sys.base_prefix,
        "packages": package_versions(),
        "proxy": proxy_settings(environ),
        "timezone": time.strftime("%Z"),
        "utc_offset_minutes": -(time.altzone if time.daylight and time.localtime().tm_isdst
                                else time.timezone) // 60,
    }
