"""Request logs: read any supported format into one frame, and turn the frame into answers.

``load(paths)`` reads chatkit's JSONL, HAR, CSV, OpenTelemetry JSON, gateway exports and the
openai debug log into the request-log contract (:mod:`chatkit.logs.schema`);
``summarize(frame)`` gives the summary contract of DESIGN.md.
"""

from __future__ import annotations

from chatkit.logs.analyze import breakdown, summarize, timeline
from chatkit.logs.readers import FORMATS, detect_format, load
from chatkit.logs.schema import COLUMNS, SUMMARY_COLUMNS

__all__ = ["COLUMNS", "FORMATS", "SUMMARY_COLUMNS", "breakdown", "detect_format", "load",
           "summarize", "timeline"]
