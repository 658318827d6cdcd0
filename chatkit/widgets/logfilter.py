"""The LogExplorer's filters as a plain value and a pure function over the log frame.

Kept apart from the widgets so that what a filter selects is tested without a browser: a
:class:`LogFilter` is what the panel's controls say, :meth:`LogFilter.apply` the rows they
select, and :func:`filter_options` the values the controls offer for a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ALL", "STATUS_CLASSES", "LogFilter", "filter_options"]

ALL = "(all)"
# status class -> the half-open status range it selects; "no response" is a missing status
STATUS_CLASSES: dict[str, tuple[int, int] | None] = {
    ALL: None,
    "2xx": (200, 300),
    "3xx": (300, 400),
    "4xx": (400, 500),
    "5xx": (500, 600),
    "errors (4xx, 5xx, no response)": None,
    "no response": None,
}


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which rows to look at: a time window (inclusive), one model, one endpoint, one status
    class. ``ALL`` (or None) selects everything for that column."""

    start: Any = None  # a timezone-aware pandas Timestamp
    end: Any = None
    model: str | None = None
    endpoint: str | None = None
    status_class: str = ALL

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.status_class not in STATUS_CLASSES:
            raise ValueError(f"unknown status class {self.status_class!r}; choose one of: "
                             f"{', '.join(STATUS_CLASSES)}")
        keep = frame["ts"].notna() | (self.start is None and self.end is None)
        if self.start is not None:
            keep &= frame["ts"] >= self.start
        if self.end is not None:
            keep &= frame["ts"] <= self.end
        if self.model not in (None, ALL):
            keep &= frame["model"].astype("string") == self.model
        if self.endpoint not in (None, ALL):
            keep &= frame["endpoint"].astype("string") == self.endpoint
        status = frame["status"]
        if self.status_class == "no response":
            keep &= status.isna()
        elif self.status_class.startswith("errors"):
            keep &= status.isna() | (status >= 400)
        elif (bounds := STATUS_CLASSES[self.status_class]) is not None:
            keep &= (status >= bounds[0]) & (status < bounds[1])
        return frame[keep.fillna(False).astype(bool)]


def filter_options(frame: pd.DataFrame) -> dict[str, Any]:
    """The values the controls offer: models, endpoints (sorted, ALL first) and the time span."""

    def values(column: str) -> list[str]:
        found = frame[column].dropna().astype(str).unique().tolist()
        return [ALL, *sorted(found)]

    ts = frame["ts"].dropna()
    return {
        "models": values("model"),
        "endpoints": values("endpoint"),
        "start": ts.min() if len(ts) else None,
        "end": ts.max() if len(ts) else None,
        "status_classes": list(STATUS_CLASSES),
    }
