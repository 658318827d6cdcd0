"""The frame's columns as numpy arrays, and the small helpers every analysis shares.

:class:`Columns` converts a request-log frame's columns once; the summary, incidents,
diagnosis, browser checks and plots all read the same arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.findings import iso_utc
from chatkit.logs.calls import Calls, group_calls

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PERCENTILES",
    "Columns",
    "ProcessSwitch",
    "bucket_width",
    "failed",
    "iso_ms",
    "percentiles",
    "round1",
    "small_pages",
    "status_label",
]

PERCENTILES = (50, 90, 95, 99)
# bucket widths in seconds, from which timeline() picks the smallest that fits the log's span
_WIDTHS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
           86400, 604800)
_MAX_BUCKETS = 150


class Columns:
    """The frame's columns as numpy arrays, converted once and shared by every analysis."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.n = len(frame)
        status = frame["status"] if "status" in frame else None
        #: status as int64, -1 where there was no response
        self.code = (status.to_numpy(dtype="int64", na_value=-1) if status is not None
                     else np.full(self.n, -1, dtype=np.int64))
        self.failed = ~((self.code >= 100) & (self.code < 400))
        self.latency = self._floats("latency_ms")
        self.ttft = self._floats("ttft_ms")
        self.ts = _ts_ms(frame["ts"]) if "ts" in frame else np.full(self.n, np.nan)
        attempt = frame["attempt"] if "attempt" in frame else None
        self.attempt = (attempt.to_numpy(dtype="float64", na_value=np.nan) if attempt is not None
                        else np.full(self.n, np.nan))

    @cached_property
    def status(self) -> np.ndarray:
        """status as float, NaN where there was no response."""
        return np.where(self.code < 0, np.nan, self.code)

    @cached_property
    def calls(self) -> Calls:
        """The rows grouped into calls (retries with the call they retry), computed once."""
        return group_calls(self)

    def _floats(self, name: str) -> np.ndarray:
        if name not in self.frame:
            return np.full(self.n, np.nan)
        column = self.frame[name]
        if column.dtype == np.float64:  # the contract's dtype: NaN already, no copy
            values = column.to_numpy()
            values.flags.writeable = False
            return values
        return column.to_numpy(dtype="float64", na_value=np.nan)

    def groups(self, name: str = "model") -> list[tuple[str, np.ndarray]]:
        """(label, row indices) per category of a text column, rows sorted once and cached."""
        cache = self.__dict__.setdefault("_groups", {})
        if name not in cache:
            codes, names = self.codes(name)
            order = np.argsort(codes, kind="stable")  # radix sort for small integer codes
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
            cache[name] = [(names[i], order[bounds[i]:bounds[i + 1]])
                           for i in range(len(names)) if bounds[i + 1] > bounds[i]]
        return cache[name]

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Category codes (-1 = null) and category labels of a text column, computed once."""
        import pandas as pd

        cache = self.__dict__.setdefault("_codes", {})
        if name not in cache:
            if name not in self.frame:
                cache[name] = np.full(self.n, -1, dtype=np.int64), []
            else:
                series = self.frame[name]
                if not isinstance(series.dtype, pd.CategoricalDtype):
                    series = series.astype("category")
                codes = series.cat.codes.to_numpy()
                codes.flags.writeable = False  # shared by every caller
                cache[name] = codes, [str(c) for c in series.cat.categories]
        codes, labels = cache[name]
        return codes, list(labels)


class ProcessSwitch:
    """A process-wide setting switched while any block holds it and restored when the last
    one leaves, so blocks that overlap (threads, nesting) cannot leave it switched.

    ``switch()`` changes the setting and returns what it was; ``restore(before)`` puts it
    back. Use ``with switch_name():`` or ``@switch_name()``.
    """

    def __init__(self, switch: Callable[[], Any], restore: Callable[[Any], object]) -> None:
        self._switch, self._restore = switch, restore
        self._lock = threading.Lock()
        self._holders = 0
        self._before: Any = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._holders:
                self._before = self._switch()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if not self._holders:
                    self._restore(self._before)


def _hugepage_setter() -> Callable[[bool], bool]:
    core = getattr(np, "_core", None) or getattr(np, "core", None)
    setter = getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)
    return setter or (lambda advice: advice)  # a numpy without the setting: nothing to do


#: Within the block, numpy does not ask Linux for transparent huge pages.
#:
#: numpy advises huge pages (``madvise``) for every array from 4 MB on. Where the kernel then
#: compacts memory to find one at the array's first touch (THP ``defrag=madvise``, the default
#: of many distributions), a fresh array costs more than the work done on it, and the analysis
#: of a big log makes dozens of short-lived ones: measured on a 1M-row log, 0.1-0.35 CPU
#: seconds of ~2 for load + summarize. The advice is numpy's process-wide setting; it is
#: restored when the last block leaves.
small_pages = ProcessSwitch(lambda: _hugepage_setter()(False),
                            lambda before: _hugepage_setter()(before))


def _ts_ms(series: pd.Series) -> np.ndarray:
    if not len(series):
        return np.array([], dtype="float64")
    if getattr(series.dtype, "unit", None) != "ms":  # the contract's unit needs no copy
        series = series.dt.as_unit("ms")
    values = series.array.asi8
    out = values.astype("float64")
    out[values == np.iinfo(np.int64).min] = np.nan
    return out


def failed(frame: pd.DataFrame) -> pd.Series:
    """A boolean Series: True where the request got no 2xx/3xx answer."""
    import pandas as pd

    return pd.Series(Columns(frame).failed, index=frame.index, name="failed")


def percentiles(values: np.ndarray) -> dict[str, float] | None:
    """p50/p90/p95/p99/max/mean of the finite values (None when there are none)."""
    values = values[~np.isnan(values)]  # a copy, which the percentiles may reorder
    if values.size == 0:
        return None
    p = np.percentile(values, PERCENTILES, overwrite_input=True)
    out = {f"p{q}": round1(v) for q, v in zip(PERCENTILES, p, strict=False)}
    out["max"] = round1(values.max())
    out["mean"] = round1(values.mean())
    return out


def round1(value: float) -> float:
    return round(float(value), 1)


def iso_ms(ms: float) -> str | None:
    if ms != ms:  # NaN
        return None
    return iso_utc(datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc))


def status_label(status: float) -> str:
    """The status_counts key of a status value ("429", or "no_response" for null)."""
    return "no_response" if status != status else str(int(status))


def bucket_width(span_ms: float, n: int) -> int:
    """Seconds per time bucket for a log spanning ``span_ms`` with ``n`` requests."""
    span_s = max(span_ms / 1000.0, 1.0)
    for width in _WIDTHS:
        if span_s / width <= _MAX_BUCKETS and (n * width / span_s >= 10 or
                                                span_s / width <= 20):
            return width
    return _WIDTHS[-1]
