"""Answers that came with a 200 but did not end well: a stream that carried an error event, a
Responses API answer that stopped early (``error_type`` ``incomplete``) or whose model run
failed (``response.failed``). They are not failures of the request (the error rate leaves them
out), but the user got less than asked for; each kind is one finding, counted per endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chatkit.findings import Finding
from chatkit.knowledge.classifier import classify
from chatkit.logs.labels import classify_rows, on_model, row_dict

if TYPE_CHECKING:
    from chatkit.logs.columns import Columns

__all__ = ["answer_findings"]

_WORDS = {"response_incomplete": "stopped at the token limit",
          "response_content_filter": "were stopped by the content filter",
          "response_failed": "failed after they had begun (response.failed)"}


def answer_findings(cols: Columns) -> list[Finding]:
    """One finding per kind of 2xx answer that carries an error or an early stop."""
    type_codes, code_codes = cols.codes("error_type")[0], cols.codes("error_code")[0]
    answered = (cols.code >= 200) & (cols.code < 300)
    rows = np.flatnonzero(answered & ((type_codes >= 0) | (code_codes >= 0)))
    if rows.size == 0:
        return []
    # one classify() per (error_type, error_code) pair, not per row: logs can be large
    pairs = type_codes[rows] * (int(code_codes.max()) + 2) + code_codes[rows]
    _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    named = [str(classify(row_dict(cols, rows[i])).evidence.get("kind")) for i in first]
    kinds = np.asarray(named, dtype=object)[inverse.reshape(-1)]
    endpoints, names = cols.codes("endpoint")
    findings = []
    for kind in sorted(set(kinds.tolist())):
        picked = rows[kinds == kind]
        where = sorted({names[c] for c in endpoints[picked] if c >= 0})
        words = _WORDS.get(kind, "carried an error inside a 200 answer")
        title = (f"{picked.size:,} answers{' of ' + ', '.join(where) if where else ''} "
                 f"{words}{on_model(cols, picked)}")
        findings.append(classify_rows(cols, picked, "log.answers", "warn", title,
                                      {"answers": int(picked.size), "endpoints": where}))
    return findings
