"""Browser release dates: which major version was current on a given day.

The table (``chatkit/data/browser_releases.csv``) is derived from mdn/browser-compat-data's
``browsers/*.json`` — every stable release of Chrome, Edge, Firefox, Opera, Safari (macOS and
iOS) and Samsung Internet with its release date — so a HAR recorded in 2015 or in 2023 is judged
against the browsers of its own day. Past the table's last release, new majors are estimated
from the browser's own cadence (the median gap between its last ten majors), and said to be an
estimate.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

__all__ = ["BROWSERS", "Currency", "currency", "releases"]

BROWSERS = ("Chrome", "Edge", "Firefox", "Opera", "Safari", "Safari iOS", "Samsung Internet")


@dataclass(frozen=True, slots=True)
class Currency:
    """Where a browser version stood on a day."""

    current: int  # the newest major released by then
    behind: int  # majors released after the user's, by then
    released: date | None  # when the user's major came out (None: not in the table)
    estimated: bool  # the day is past the table: the newest majors are estimated


@lru_cache(maxsize=1)
def releases() -> dict[str, list[tuple[int, date]]]:
    """browser -> [(major, date of its first stable release)], oldest first."""
    text = resources.files("chatkit").joinpath("data/browser_releases.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    firsts: dict[str, dict[int, date]] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        major = int(row["version"].split(".")[0])
        day = date.fromisoformat(row["release_date"])
        majors = firsts.setdefault(row["browser"], {})
        if major not in majors or day < majors[major]:
            majors[major] = day
    return {name: sorted(majors.items(), key=lambda item: item[1])
            for name, majors in firsts.items()}


def _cadence_days(majors: list[tuple[int, date]]) -> float:
    recent = [day for _, day in majors[-11:]]
    gaps = sorted((b - a).days for a, b in itertools.pairwise(recent))
    return float(gaps[len(gaps) // 2]) if gaps else 365.0


def currency(browser: str, major: int, on: date) -> Currency | None:
    """How far ``browser`` ``major`` was behind on day ``on`` (None: browser unknown)."""
    majors = releases().get(browser)
    if not majors:
        return None
    out = [m for m, day in majors if day <= on]
    released = next((day for m, day in majors if m == major), None)
    extra = 0
    last_day = majors[-1][1]
    if on > last_day:
        extra = int((on - last_day).days // _cadence_days(majors))
    newest = max(out) if out else major
    later = sum(1 for m in out if m > major) + extra
    return Currency(current=newest + extra,
                    behind=later, released=released, estimated=extra > 0)
