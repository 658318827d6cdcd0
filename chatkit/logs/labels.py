"""How failed rows are named and described: labels, groups, when and on which model.

Shared by the failure-cause, incident, wave and retry findings, so that one cause reads the
same in each of them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from chatkit.knowledge.classifier import classify

if TYPE_CHECKING:
    from chatkit.findings import Finding
    from chatkit.logs.columns import Columns

__all__ = ["classify_rows", "clock", "failure_groups", "labels", "on_model", "row_dict", "span",
           "top_group", "when"]


def row_dict(cols: Columns, i: int) -> dict[str, Any]:
    """Row ``i`` of the frame as a plain dict (nulls as None), the form classify() takes."""
    row = cols.frame.iloc[int(i)].to_dict()
    return {k: (None if _is_null(v) else v) for k, v in row.items()}


def _is_null(value: Any) -> bool:
    try:
        return bool(value is None or value != value or str(value) in ("<NA>", "NaT"))
    except (TypeError, ValueError):
        return False


def labels(cols: Columns, rows: np.ndarray) -> np.ndarray:
    """'429 rate_limit_exceeded', '503 server_is_overloaded', 'ReadTimeout' ... per row."""
    names, inverse, _ = _label_groups(cols, rows)
    return np.array(names, dtype=object)[inverse]


def _label_groups(cols: Columns, rows: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct labels of ``rows`` in text order, each row's place among them, and how
    many rows have each.

    Built from integer keys (status x detail category), so only the distinct keys are
    formatted as text, however many rows there are. Two keys can read the same (one text in
    two columns): their rows are one group.
    """
    status = cols.code[rows]
    detail = np.full(rows.size, -1, dtype=np.int64)
    names: list[str] = []
    for column in ("exception", "error_type", "error_code"):  # later ones win
        codes, categories = cols.codes(column)
        if categories:
            picked = codes[rows].astype(np.int64)
            detail = np.where(picked >= 0, picked + len(names), detail)
            names += categories
    key = (status + 1) * (len(names) + 1) + (detail + 1)
    keys, inverse = np.unique(key, return_inverse=True)
    texts = []
    for k in keys:
        code, d = divmod(int(k), len(names) + 1)
        text = f"{'' if code == 0 else code - 1} {names[d - 1] if d else ''}".strip()
        texts.append(text or "no response")
    distinct = sorted(set(texts))
    place = {text: i for i, text in enumerate(distinct)}
    inverse = np.array([place[t] for t in texts], dtype=np.int64)[inverse.reshape(-1)]
    return distinct, inverse, np.bincount(inverse, minlength=len(distinct))


def failure_groups(cols: Columns) -> list[tuple[str, np.ndarray]]:
    """Failed rows grouped by status and error code, the biggest first (ties in text
    order)."""
    failed = np.flatnonzero(cols.failed)
    if failed.size == 0:
        return []
    names, inverse, counts = _label_groups(cols, failed)
    order = np.argsort(-counts, kind="stable")
    return [(names[g], failed[inverse == g]) for g in order]


def span(cols: Columns) -> float:
    """Milliseconds from the first to the last request (0 when no row has a time)."""
    ts = cols.ts[~np.isnan(cols.ts)]
    return float(ts.max() - ts.min()) if ts.size else 0.0


def clock(ms: float, span_ms: float) -> str:
    moment = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M" if span_ms > 86_400_000 else "%H:%M")


def when(cols: Columns, rows: np.ndarray, total: float | None = None) -> str:
    """' between 09:30 and 09:40 UTC' when the rows cluster in time, else ''.

    ``total`` is the log's span in ms (:func:`span`, the default).
    """
    ts = cols.ts[rows]
    ts = ts[~np.isnan(ts)]
    if ts.size < 3:
        return ""
    lo, hi = np.percentile(ts, (5, 95))
    total = span(cols) if total is None else total
    if total <= 0 or (hi - lo) > 0.5 * total:
        return ""
    return f" between {clock(lo, total)} and {clock(hi, total)} UTC"


def on_model(cols: Columns, rows: np.ndarray) -> str:
    codes, names = cols.codes("model")
    if len(names) < 2:
        return ""
    picked = codes[rows]
    picked = picked[picked >= 0]
    if picked.size == 0:
        return ""
    values, counts = np.unique(picked, return_counts=True)
    top = int(np.argmax(counts))
    return f" on {names[values[top]]}" if counts[top] >= 0.8 * rows.size else ""


def classify_rows(cols: Columns, rows: np.ndarray, check: str, status: str, title: str,
                  evidence: dict[str, Any]) -> Finding:
    """The knowledge table's reading of ``rows[0]``, titled and counted with this log's
    numbers."""
    row = row_dict(cols, rows[0])
    # a log keeps no response headers: the rate-limit remedy can only point at them
    wait = {"wait": "as long as the retry-after header says"} if row.get("status") == 429 else {}
    finding = classify(row, check=check, evidence={**wait, **evidence})
    return finding.replace(title=title, status=status,
                           evidence={**finding.evidence, **evidence})


def top_group(cols: Columns, rows: np.ndarray) -> tuple[str, np.ndarray]:
    """The commonest label of ``rows`` (ties in text order) and its rows."""
    names, inverse, counts = _label_groups(cols, rows)
    top = int(np.argmax(counts))
    return names[top], rows[inverse == top]
