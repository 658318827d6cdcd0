"""Request logs written by someone else's generator: DuckDB SQL, not chatkit's writer.

Rows are drawn from hashes of the row number, so the same ``rows`` give the same file on any
number of threads (DuckDB keeps ``range``'s order with ``preserve_insertion_order``): five
models, a background of 500s, 429s and timeouts, a 503 outage, a 429 burst on one model, a
slow period, retries (attempt 1) and streamed rows with a TTFT.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_log"]

_ROWS = """
WITH base AS (
  SELECT i,
         (hash(i, 'u1') % 1000000) / 1e6 AS u1, (hash(i, 'u2') % 1000000) / 1e6 AS u2,
         (hash(i, 'u3') % 1000000) / 1e6 AS u3, (hash(i, 'u4') % 1000000) / 1e6 AS u4,
         i / {n}::DOUBLE AS f
  FROM range({n}) t(i)
), drawn AS (
  SELECT *,
    ['gpt-4o-mini', 'gpt-4.1', 'gpt-4o', 'o4-mini', 'text-embedding-3-small'][
      1 + least(floor(u1 * u1 * 5)::INT, 4)] AS model,
    CASE
      WHEN f BETWEEN 0.60 AND 0.61 AND u2 < 0.6 THEN 503
      WHEN f BETWEEN 0.30 AND 0.31 AND u1 BETWEEN 0.45 AND 0.8 AND u2 < 0.5 THEN 429
      WHEN u2 < 0.010 THEN 500
      WHEN u2 < 0.015 THEN 429
      WHEN u2 < 0.018 THEN -1
      WHEN u2 < 0.020 THEN 400
      ELSE 200 END AS code
  FROM base
)
SELECT
  {ts} AS ts,
  'POST' AS method,
  'https://api.openai.com/v1/' || CASE WHEN model LIKE 'text-%' THEN 'embeddings'
                                        ELSE 'chat/completions' END AS url,
  'api.openai.com' AS host,
  '/v1/' || CASE WHEN model LIKE 'text-%' THEN 'embeddings' ELSE 'chat/completions' END
    AS endpoint,
  'openai' AS provider,
  model,
  u3 < 0.5 AND model NOT LIKE 'text-%' AS stream,
  CASE WHEN u4 < 0.03 THEN 1 ELSE 0 END::BIGINT AS attempt,
  CASE WHEN code < 0 THEN NULL ELSE code END::BIGINT AS status,
  CASE code WHEN 503 THEN 'server_error' WHEN 500 THEN 'server_error'
            WHEN 429 THEN 'requests' WHEN 400 THEN 'invalid_request_error' END AS error_type,
  CASE code WHEN 503 THEN 'server_is_overloaded' WHEN 429 THEN 'rate_limit_exceeded'
            WHEN 400 THEN 'context_length_exceeded' END AS error_code,
  CASE code WHEN 503 THEN 'The server is overloaded or not ready yet.'
            WHEN 500 THEN 'The server had an error while processing your request.'
            WHEN 429 THEN 'Rate limit reached for ' || model || ' on requests per min (RPM).'
            WHEN 400 THEN 'This model''s maximum context length is 128000 tokens.' END
    AS error_message,
  CASE WHEN code < 0 THEN 'ReadTimeout' END AS exception,
  round((150 + 4000 * u3 * u3 + 300 * u4)
        * CASE WHEN f BETWEEN 0.80 AND 0.81 THEN 6 ELSE 1 END
        * CASE WHEN code < 0 THEN 20 ELSE 1 END, 1) AS latency_ms,
  round(150 + 4000 * u3 * u3 + 300 * u4 - 20, 1) AS ttfb_ms,
  CASE WHEN u3 < 0.5 AND model NOT LIKE 'text-%' AND code = 200
       THEN round(200 + 900 * u4 * u4, 1) END AS ttft_ms,
  CASE WHEN u4 < 0.05 THEN round(1 + 30 * u1, 1) END AS dns_ms,
  CASE WHEN u4 < 0.05 THEN round(10 + 40 * u2, 1) END AS connect_ms,
  CASE WHEN u4 < 0.05 THEN round(20 + 60 * u3, 1) END AS tls_ms,
  (500 + floor(20000 * u1))::BIGINT AS request_bytes,
  CASE WHEN code = 200 THEN (300 + floor(3000 * u2))::BIGINT END AS response_bytes,
  (100 + floor(5000 * u1))::BIGINT AS prompt_tokens,
  CASE WHEN code = 200 THEN (10 + floor(800 * u4))::BIGINT END AS completion_tokens,
  'req_' || md5(i::VARCHAR) AS request_id
FROM drawn
"""
_START = "TIMESTAMP '2026-03-02 08:00:00' + i * INTERVAL 173 MILLISECOND"


def write_log(path: str | Path, rows: int, *, fmt: str = "parquet",
              threads: int | None = None) -> Path:
    """Write ``rows`` requests to ``path`` as Parquet or JSON Lines (``fmt="jsonl"``)."""
    import duckdb

    path = Path(path)
    con = duckdb.connect(config={"preserve_insertion_order": True,
                                 **({"threads": threads} if threads else {})})
    if fmt == "jsonl":
        ts = f"strftime({_START}, '%Y-%m-%dT%H:%M:%S.%gZ')"
        target = "(FORMAT json)"
    else:
        ts = f"CAST({_START} AS TIMESTAMPTZ)"  # UTC: no time zone extension is loaded
        target = "(FORMAT parquet, COMPRESSION zstd)"
    con.sql("SET enable_progress_bar = false")
    query = _ROWS.format(n=int(rows), ts=ts)
    con.sql(f"COPY ({query}) TO '{path}' {target}")
    con.close()
    return path
