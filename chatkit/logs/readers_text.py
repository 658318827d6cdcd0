"""Text logs: CSV exports (with a column mapping) and the openai client's debug log.

CSV goes through Arrow's CSV reader, which reports every malformed row (wrong number of
fields) with its line number instead of failing, so bad rows are counted and the rest kept.
Column names are matched to the contract directly, through the caller's ``mapping``, or
through a few unambiguous aliases (``timestamp`` -> ``ts``, ``status_code`` -> ``status``).

The openai debug log (``OPENAI_LOG=debug``, or the ``httpx`` logger at INFO) holds status
lines and request ids but whole-second timestamps without a zone (read as UTC), so it gives
status counts, request ids and retries, never latency. Formats read (anchors-logs.md §5)::

    [2026-03-02 08:00:01 - httpx:1025 - INFO] HTTP Request: POST https://… "HTTP/1.1 200 OK"
    [… - openai._base_client:1061 - DEBUG] HTTP Response: POST https://… "200 OK" Headers({…})
    [… - openai._base_client:1001 - DEBUG] HTTP Response: POST 200          (current main)
    [… - openai._base_client:1069 - DEBUG] request_id: req_…
    [… - openai._base_client:1100 - INFO] Retrying request to /chat/completions in 0.41 seconds
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chatkit.errors import EmptyInput, InputError
from chatkit.logs.fields import provider_of, url_parts
from chatkit.logs.schema import COLUMNS, conform

if TYPE_CHECKING:
    import pandas as pd

    from chatkit.logs.readers import Skipped, Source

__all__ = ["ALIASES", "read_csv", "read_openai_log"]

#: Other tools' column names that can only mean one contract column (lower-cased).
ALIASES: dict[str, str] = {
    "timestamp": "ts", "time": "ts", "start_time": "ts", "started_at": "ts", "created_at": "ts",
    "date": "ts", "status_code": "status", "http_status": "status", "response_status": "status",
    "http.response.status_code": "status", "path": "endpoint", "route": "endpoint",
    "model_name": "model", "duration_ms": "latency_ms", "elapsed_ms": "latency_ms",
    "response_time_ms": "latency_ms", "x-request-id": "request_id", "x_request_id": "request_id",
    "prompt_tokens_used": "prompt_tokens", "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens", "retry": "attempt", "retries": "attempt",
}


def read_csv(source: Source, columns: Sequence[str], mapping: Mapping[str, str] | None,
             skipped: Skipped) -> pd.DataFrame:
    """Read a CSV (or TSV / semicolon-separated) export into contract columns."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    text = source.text()
    if not text.strip():
        raise EmptyInput(f"{source.name} is empty; export the log again")
    try:
        delimiter = csv.Sniffer().sniff(text[:16384], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    bad: list[int | None] = []

    def on_bad_row(row: Any) -> str:
        number = row.number
        if number is None:  # multithreaded parsing does not know it: find the text
            at = text.find(row.text)
            number = text.count("\n", 0, at) + 1 if at >= 0 else None
        bad.append(number)
        return "skip"

    try:
        table = pcsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            # (no newlines_in_values: with it Arrow cannot tell the line of a bad row)
            parse_options=pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_bad_row),
            convert_options=pcsv.ConvertOptions(strings_can_be_null=True),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{source.name}: not a readable CSV ({exc})") from None
    for number in bad:
        skipped.add(f"{source.name}:{number if number is not None else '?'}")
    frame = table.to_pandas()
    frame = frame.rename(columns=_renames(list(frame.columns), mapping))
    missing = [their for their in (mapping or {}) if their not in table.column_names]
    if missing:
        raise InputError(f"{source.name}: no column named {', '.join(map(repr, missing))}; "
                         f"its columns are: {', '.join(table.column_names)}")
    if not set(frame.columns) & set(COLUMNS):
        raise InputError(f"{source.name}: none of its columns ({', '.join(table.column_names)}) "
                         "is a request-log column; pass mapping={'their name': 'ts', ...}")
    if "status" not in frame.columns and "status" in columns:
        # without it every row would read as "no response": 100% failed, which is not so
        raise InputError(f"{source.name}: no status column among {', '.join(table.column_names)}"
                         "; name the one with the HTTP status (--map 'Their name=status', or "
                         "mapping={'Their name': 'status'})")
    if "ts" not in frame.columns and "ts" in columns:
        skipped.warn(f"{source.name}: no timestamp column among "
                     f"{', '.join(table.column_names)}, so no incidents or timeline; name it "
                     "with --map 'Their name=ts'")
    if "url" in frame.columns and ("host" not in frame.columns or "endpoint" not in frame):
        parts = frame["url"].map(lambda u: url_parts(u if isinstance(u, str) else None))
        frame["host"] = frame.get("host", parts.map(lambda p: p[0]))
        frame["endpoint"] = frame.get("endpoint", parts.map(lambda p: p[1]))
    return conform(frame, columns, keep_extra=False, stats=skipped)


def _renames(names: list[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    renames = dict(mapping or {})
    present = set(names) | set(renames.values())
    for name in names:
        key = name.strip().lower()
        alias = key if key in COLUMNS else ALIASES.get(key)
        if name not in renames and alias and alias not in present:
            renames[name] = alias
            present.add(alias)
    return renames


# --- the openai client's debug log ------------------------------------------------------------

_PREFIX = re.compile(r"^\[(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)[,.\d]* - (?P<logger>[\w.]+)"
                     r":\d+ - (?P<level>[A-Z]+)\] (?P<msg>.*)$")
_ANY_TS = re.compile(r"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)")
_HTTPX = re.compile(r"HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) \"(?P<ver>\S+) "
                    r"(?P<status>\d{3})[^\"]*\"")
_RESPONSE_V1 = re.compile(r"HTTP Response: (?P<method>[A-Z]+) (?P<url>\S+) \"(?P<status>\d{3})"
                          r"[^\"]*\"(?: Headers\((?P<headers>.*)\))?")
_RESPONSE_MAIN = re.compile(r"HTTP Response: (?P<method>[A-Z]+) (?P<status>\d{3})\s*$")
_SENDING = re.compile(r"Sending HTTP Request: (?P<method>[A-Z]+)(?: (?P<url>\S+))?")
_BUILDING = re.compile(r"Building HTTP request: .*retries_taken=(?P<n>\d+)")
_REQUEST_ID = re.compile(r"request_id: (?P<rid>\S+)")
_HEADER_RID = re.compile(r"['\"]x-request-id['\"]: ['\"](?P<rid>[^'\"]+)['\"]")
_RETRYING = re.compile(r"Retrying request(?: to \S+)? in [\d.]+ seconds")
_TIMEOUT = re.compile(r"(Raising timeout error|Encountered httpx\.TimeoutException|"
                      r"Encountered a timeout exception: ?(?P<cls>\w+)?)")
_CONNECTION = re.compile(r"(Raising connection error|Encountered Exception)")
_RAISED = re.compile(r"^(?:httpx|httpcore|openai)\.(?P<cls>\w+(?:Timeout|Error))\b")


def read_openai_log(source: Source, columns: Sequence[str],
                    mapping: Mapping[str, str] | None, skipped: Skipped) -> pd.DataFrame:
    """Status lines, request ids and retries from an openai/httpx debug log."""
    import pandas as pd

    parser = _LogParser()
    for line in source.text().splitlines():
        parser.feed(line)
    if not parser.rows:
        raise EmptyInput(f"{source.name} holds no HTTP status lines; run the program with "
                         "OPENAI_LOG=debug (or the httpx logger at INFO) and try again")
    return conform(pd.DataFrame.from_records(parser.rows), columns, keep_extra=False)


class _LogParser:
    """Turns log lines into one row per HTTP attempt (the SDK and httpx both log each one)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.cycle = 0  # one "Sending HTTP Request" line starts one attempt
        self.cycle_url: str | None = None
        self.cycle_method: str | None = None
        self.next_attempt = 0

    def feed(self, line: str) -> None:
        match = _PREFIX.match(line)
        msg = match.group("msg") if match else line
        ts_match = match or _ANY_TS.search(line)
        ts = (ts_match.group("ts") if match else ts_match.group(1)) if ts_match else None
        if ts:
            ts = ts.replace(" ", "T").replace(",", ".") + "Z"
        if (m := _SENDING.search(msg)) is not None:
            self.cycle += 1
            self.cycle_method, self.cycle_url = m.group("method"), m.group("url")
        elif (m := _BUILDING.search(msg)) is not None:
            self.next_attempt = int(m.group("n"))
        elif (m := _HTTPX.search(msg) or _RESPONSE_V1.search(msg)) is not None:
            rid = _HEADER_RID.search(m.groupdict().get("headers") or "")
            self._answer(ts, m.group("method"), m.group("url"), int(m.group("status")),
                         rid.group("rid") if rid else None)
        elif (m := _RESPONSE_MAIN.search(msg)) is not None:
            self._answer(ts, m.group("method"), self.cycle_url, int(m.group("status")), None)
        elif (m := _REQUEST_ID.search(msg)) is not None:
            if self.rows and not self.rows[-1].get("request_id"):
                self.rows[-1]["request_id"] = m.group("rid")
        elif _RETRYING.search(msg):
            last = self.rows[-1]["attempt"] if self.rows else -1
            self.next_attempt = (last or 0) + 1
        elif (m := _TIMEOUT.search(msg)) is not None:
            self._failure(ts, m.groupdict().get("cls") or "TimeoutException")
        elif _CONNECTION.search(msg):
            self._failure(ts, "ConnectError")
        elif (m := _RAISED.match(line)) is not None:  # a traceback's last line names the class
            row = self._current()
            if row is not None and row["status"] is None:
                row["exception"] = m.group("cls")

    def _current(self) -> dict[str, Any] | None:
        if self.rows and self.cycle and self.rows[-1]["_cycle"] == self.cycle:
            return self.rows[-1]
        return None

    def _answer(self, ts: str | None, method: str, url: str | None, status: int,
                request_id: str | None) -> None:
        row = self._current()
        if row is not None and row["status"] == status:  # httpx and openai log the same answer
            row["request_id"] = row.get("request_id") or request_id
            return
        self._add(ts, method, url, status=status, request_id=request_id)

    def _failure(self, ts: str | None, exception: str) -> None:
        if self._current() is None:
            self._add(ts, self.cycle_method, self.cycle_url, status=None, exception=exception)

    def _add(self, ts: str | None, method: str | None, url: str | None, **values: Any) -> None:
        host, path = url_parts(url)
        self.rows.append({"ts": ts, "method": method, "url": url, "host": host,
                          "endpoint": path, "provider": provider_of(host),
                          "attempt": self.next_attempt, "_cycle": self.cycle, **values})
        self.next_attempt = 0
