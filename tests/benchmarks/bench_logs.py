"""Benchmark: load + summarize 1,000,000-request JSONL logs that chatkit did not write.

Run on demand (not part of the test suite)::

    python tests/benchmarks/bench_logs.py [--requests 1000000] [--repeat 2] [--json out.json]

Two logs, the same requests, written by generators that are not chatkit's:

* ``python``: one ``json.dumps(record)`` per line with ``datetime.isoformat()`` times, as most
  Python apps write logs — ``2026-03-02T09:00:06.559200+00:00``, and no fraction on a whole
  second;
* ``polars``: Polars' own ``DataFrame.write_ndjson`` with a naive UTC datetime column —
  ``2026-03-02 09:00:06.559200``, a space and no zone (the shape ClickHouse-backed exports
  such as Langfuse's and Helicone's use).

Each line holds the 25 request-log fields plus two an app adds (a user id, a nested usage
object). The requests come from a small model of traffic here (five models, a 429 burst, an
outage, retries), not from chatkit's simulator.

Every contender reads the same 14 columns (``SUMMARY_COLUMNS``) where it can choose, and
computes the same aggregates: count; latency and TTFT p50/p90/p95/p99/max/mean; counts per
status; error rate; per model count, error rate, p50 and p95; per hour count, errors and p95.
chatkit's ``summarize`` does more on top (incidents per call, failure causes, 429 waves,
findings), inside its time.

* chatkit: ``load(path, columns=SUMMARY_COLUMNS)`` + ``summarize`` (the default engine);
* chatkit_duckdb: ``summarize_logs(path, engine="duckdb")`` (DuckDB reads, chatkit's analysis);
* DuckDB: ``read_json(..., columns={14 typed columns})`` + the aggregates in SQL;
* Polars: ``scan_ndjson(schema={14 columns})`` + the aggregates as expressions;
* pandas + pyarrow: ``read_json(lines=True, engine="pyarrow")`` (it cannot project) + pandas;
* pandas: ``read_json(lines=True)`` (the naive baseline, all columns) + pandas.

Each contender runs in its own subprocess (its peak RSS is its own), libraries imported before
the clock starts; rounds interleave the contenders and the best of ``--repeat`` counts (the
machine may be shared). Needs the ``bench`` extra (duckdb, polars).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONTENDERS = ("chatkit", "chatkit_duckdb", "duckdb", "polars", "pandas_pyarrow", "pandas")
SLOW = {"pandas"}  # run once: a baseline, tens of seconds
# chatkit's SUMMARY_COLUMNS (checked in main()): what every contender reads where it can choose
COLUMNS = ("ts", "host", "endpoint", "model", "stream", "attempt", "status", "error_type",
           "error_code", "error_message", "exception", "latency_ms", "ttft_ms", "request_id")
QUANTILES = (0.5, 0.9, 0.95, 0.99)
BUCKET_S = 3600


# --- the inputs -------------------------------------------------------------------------------

def traffic(n: int, seed: int = 7) -> dict[str, Any]:
    """n requests as numpy columns: five models, a 429 burst, a 20-minute outage, retries."""
    import numpy as np

    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-03-02T00:00:00", "us")
    gaps = rng.exponential(86_400e6 / n, n).astype("int64")  # one day of traffic
    ts = start + np.cumsum(gaps).astype("timedelta64[us]")
    whole = rng.random(n) < 0.05  # some on a whole second: isoformat() drops the fraction
    ts = np.where(whole, ts.astype("datetime64[s]").astype("datetime64[us]"), ts)
    models = np.array(["gpt-4.1", "gpt-4o", "gpt-4o-mini", "o4-mini", "text-embedding-3-small"])
    model = models[rng.choice(5, n, p=[0.3, 0.2, 0.35, 0.1, 0.05])]
    hours = (ts - start).astype("int64") / 3.6e9
    status = np.full(n, 200, dtype="int64")
    burst = (hours > 9.5) & (hours < 10.0) & (model == "gpt-4.1") & (rng.random(n) < 0.6)
    outage = (hours > 14.0) & (hours < 14.33) & (rng.random(n) < 0.7)
    noise = rng.random(n)
    status[noise < 0.004] = 500
    status[(noise >= 0.004) & (noise < 0.006)] = 400
    status[burst] = 429
    status[outage] = 503
    no_response = (noise > 0.9985)
    attempt = np.where(rng.random(n) < 0.04, rng.integers(1, 4, n), 0)
    latency = rng.lognormal(6.6, 0.6, n)
    latency[outage] *= 8
    stream = (model != "text-embedding-3-small") & (rng.random(n) < 0.6)
    ttft = np.where(stream, latency * rng.uniform(0.1, 0.4, n), np.nan)
    code = np.select([status == 429, status == 503, status == 500, status == 400],
                     ["rate_limit_exceeded", "server_is_overloaded", "server_error",
                      "invalid_request_error"], "")
    return {"ts": ts, "model": model, "status": status, "no_response": no_response,
            "attempt": attempt, "latency": latency, "stream": stream, "ttft": ttft,
            "code": code, "user": rng.integers(1, 5000, n), "tokens": rng.integers(5, 900, n)}


def _records(t: dict[str, Any]) -> Any:
    from datetime import datetime, timezone

    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    import datetime as dt

    for i in range(len(t["ts"])):
        ok = not t["no_response"][i]
        status = int(t["status"][i]) if ok else None
        failed = status is None or status >= 400
        code = str(t["code"][i]) or None
        micros = int(t["ts"][i].astype("int64"))
        yield {
            "ts": epoch + dt.timedelta(microseconds=micros),
            "method": "POST", "url": "https://api.openai.com/v1/chat/completions",
            "host": "api.openai.com", "endpoint": "/v1/chat/completions", "provider": "openai",
            "model": str(t["model"][i]), "stream": bool(t["stream"][i]),
            "attempt": int(t["attempt"][i]), "status": status,
            "error_type": ("server_error" if status and status >= 500 else
                           "invalid_request_error" if code else None) if failed else None,
            "error_code": code if failed and ok else None,
            "error_message": (f"HTTP {status}: {code}" if failed and ok else None),
            "exception": None if ok else "ReadTimeout",
            "latency_ms": round(float(t["latency"][i]), 3),
            "ttft_ms": None if t["ttft"][i] != t["ttft"][i] else round(float(t["ttft"][i]), 3),
            "ttfb_ms": None, "dns_ms": None, "connect_ms": None, "tls_ms": None,
            "request_bytes": 420, "response_bytes": 1800 if ok else 0,
            "prompt_tokens": int(t["tokens"][i]), "completion_tokens": int(t["tokens"][i]) // 3,
            "request_id": f"req_{i:08x}", "user_id": f"u{int(t['user'][i])}",
            "usage": {"prompt_tokens": int(t["tokens"][i]), "total_tokens": int(t["tokens"][i])},
        }


def write_python_log(path: str, t: dict[str, Any]) -> None:
    """json.dumps + datetime.isoformat(): what most Python apps write."""
    with open(path, "w") as out:
        for record in _records(t):
            record["ts"] = record["ts"].isoformat()
            out.write(json.dumps(record) + "\n")


def write_polars_log(path: str, t: dict[str, Any]) -> None:
    """Polars' own NDJSON writer; ts a naive UTC datetime column (the same requests)."""
    import numpy as np
    import polars as pl

    n = len(t["ts"])
    ok = ~t["no_response"]
    failed = ~ok | (t["status"] >= 400)
    code = pl.Series(t["code"]).replace("", None)
    status = pl.Series(t["status"])
    idx = np.arange(n)
    frame = pl.DataFrame({
        "ts": pl.Series(t["ts"]), "status": status, "model": pl.Series(t["model"]),
        "stream": pl.Series(t["stream"]), "attempt": pl.Series(t["attempt"]),
        "latency_ms": pl.Series(t["latency"]).round(3), "ttft_ms": pl.Series(t["ttft"]).round(3),
        "code": code, "ok": pl.Series(ok), "failed": pl.Series(failed),
        "tokens": pl.Series(t["tokens"]), "user": pl.Series(t["user"]), "i": pl.Series(idx),
    }).with_columns(pl.col("ttft_ms").fill_nan(None))
    frame = frame.select(
        "ts", method=pl.lit("POST"), url=pl.lit("https://api.openai.com/v1/chat/completions"),
        host=pl.lit("api.openai.com"), endpoint=pl.lit("/v1/chat/completions"),
        provider=pl.lit("openai"), model="model", stream="stream", attempt="attempt",
        status=pl.when("ok").then("status"),
        error_type=pl.when("failed").then(
            pl.when(pl.col("ok") & (pl.col("status") >= 500)).then(pl.lit("server_error"))
            .when(pl.col("code").is_not_null()).then(pl.lit("invalid_request_error"))),
        error_code=pl.when(pl.col("failed") & pl.col("ok")).then("code"),
        error_message=pl.when(pl.col("failed") & pl.col("ok")).then(
            pl.format("HTTP {}: {}", "status", "code")),
        exception=pl.when(~pl.col("ok")).then(pl.lit("ReadTimeout")),
        latency_ms="latency_ms", ttft_ms="ttft_ms",
        ttfb_ms=pl.lit(None, pl.Float64), dns_ms=pl.lit(None, pl.Float64),
        connect_ms=pl.lit(None, pl.Float64), tls_ms=pl.lit(None, pl.Float64),
        request_bytes=pl.lit(420), response_bytes=pl.when("ok").then(1800).otherwise(0),
        prompt_tokens="tokens", completion_tokens=pl.col("tokens") // 3,
        request_id=pl.format("req_{}", pl.col("i").map_elements(lambda i: f"{i:08x}",
                                                                 return_dtype=pl.String)),
        user_id=pl.format("u{}", "user"),
        usage=pl.struct(prompt_tokens="tokens", total_tokens="tokens"),
    )
    frame.write_ndjson(path)


# --- the contenders ---------------------------------------------------------------------------

def run_chatkit(path: str) -> dict[str, Any]:
    from chatkit.logs import SUMMARY_COLUMNS, load, summarize

    frame = load(path, columns=SUMMARY_COLUMNS)
    summary = summarize(frame)
    return {"requests": summary["requests"], "p95": summary["latency_ms"]["p95"],
            "error_rate": summary["error_rate"], "incidents": len(summary["incidents"]),
            "slow_lines": frame.attrs["parsed_by_line"], "ts_nulls": int(frame["ts"].isna().sum())}


def run_chatkit_duckdb(path: str) -> dict[str, Any]:
    from chatkit.logs.engines import summarize_logs

    summary = summarize_logs([path], engine="duckdb")
    return {"requests": summary["requests"], "p95": summary["latency_ms"]["p95"],
            "error_rate": summary["error_rate"], "incidents": len(summary["incidents"])}


def run_duckdb(path: str) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    types = {"ts": "VARCHAR", "host": "VARCHAR", "endpoint": "VARCHAR", "model": "VARCHAR",
             "stream": "BOOLEAN", "attempt": "BIGINT", "status": "BIGINT",
             "error_type": "VARCHAR", "error_code": "VARCHAR", "error_message": "VARCHAR",
             "exception": "VARCHAR", "latency_ms": "DOUBLE", "ttft_ms": "DOUBLE",
             "request_id": "VARCHAR"}
    cols = "{" + ", ".join(f"{k}: '{v}'" for k, v in types.items()) + "}"
    con.execute(f"CREATE TEMP TABLE log AS SELECT * REPLACE (ts::TIMESTAMPTZ AS ts) FROM "
                f"read_json('{path}', format='newline_delimited', columns={cols})")
    failed = "CASE WHEN status BETWEEN 100 AND 399 THEN 0 ELSE 1 END"
    q = list(QUANTILES)
    overall = con.execute(
        f"SELECT count(*), quantile_cont(latency_ms, {q}), max(latency_ms), avg(latency_ms), "
        f"quantile_cont(ttft_ms, {q}), max(ttft_ms), avg(ttft_ms), avg({failed}), "
        "min(ts), max(ts), count(*) - count(ts) FROM log").fetchall()
    con.execute("SELECT status, count(*) FROM log GROUP BY 1").fetchall()
    con.execute(f"SELECT model, count(*), avg({failed}), quantile_cont(latency_ms, [0.5, 0.95]) "
                "FROM log GROUP BY 1").fetchall()
    con.execute(f"SELECT time_bucket(INTERVAL {BUCKET_S} SECOND, ts), count(*), sum({failed}), "
                "quantile_cont(latency_ms, 0.95) FROM log GROUP BY 1").fetchall()
    return {"requests": overall[0][0], "p95": round(overall[0][1][2], 1),
            "error_rate": round(overall[0][7], 4), "ts_nulls": overall[0][10]}


def run_polars(path: str) -> dict[str, Any]:
    import polars as pl

    text, num, integer = pl.String, pl.Float64, pl.Int64
    schema = {"ts": text, "host": text, "endpoint": text, "model": text, "stream": pl.Boolean,
              "attempt": integer, "status": integer, "error_type": text, "error_code": text,
              "error_message": text, "exception": text, "latency_ms": num, "ttft_ms": num,
              "request_id": text}
    df = pl.scan_ndjson(path, schema=schema).with_columns(
        failed=~pl.col("status").is_between(100, 399).fill_null(False),
        t=pl.col("ts").str.to_datetime(time_zone="UTC")).collect()
    stats = []
    for name in ("latency_ms", "ttft_ms"):
        col = pl.col(name)
        stats += [col.quantile(q).alias(f"{name}_{q}") for q in QUANTILES]
        stats += [col.max().alias(f"{name}_max"), col.mean().alias(f"{name}_mean")]
    overall = df.select(pl.len().alias("n"), pl.col("failed").mean().alias("error_rate"),
                        pl.col("t").min().alias("start"), pl.col("t").max().alias("end"),
                        pl.col("t").null_count().alias("ts_nulls"), *stats)
    df.group_by("status").len()
    df.group_by("model").agg(pl.len(), pl.col("failed").mean(),
                             pl.col("latency_ms").quantile(0.5).alias("p50"),
                             pl.col("latency_ms").quantile(0.95).alias("p95"))
    df.sort("t").group_by_dynamic("t", every=f"{BUCKET_S}s").agg(
        pl.len(), pl.col("failed").sum(), pl.col("latency_ms").quantile(0.95))
    row = overall.row(0, named=True)
    return {"requests": row["n"], "p95": round(row["latency_ms_0.95"], 1),
            "error_rate": round(row["error_rate"], 4), "ts_nulls": row["ts_nulls"]}


def _pandas_aggregates(df: Any) -> dict[str, Any]:
    import pandas as pd

    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    failed = ~df["status"].between(100, 399)
    df["failed"] = failed
    out = {"requests": len(df), "error_rate": round(float(failed.mean()), 4)}
    for name in ("latency_ms", "ttft_ms"):
        s = df[name]
        out[name] = [*s.quantile(list(QUANTILES)).tolist(), s.max(), s.mean()]
    df["status"].value_counts(dropna=False)
    df.groupby("model").agg(n=("failed", "size"), err=("failed", "mean"),
                            p50=("latency_ms", lambda s: s.quantile(0.5)),
                            p95=("latency_ms", lambda s: s.quantile(0.95)))
    df.set_index("ts").resample(f"{BUCKET_S}s").agg(
        {"failed": ["size", "sum"], "latency_ms": lambda s: s.quantile(0.95)})
    return {"requests": out["requests"], "p95": round(out["latency_ms"][2], 1),
            "error_rate": out["error_rate"], "ts_nulls": int(df["ts"].isna().sum())}


def run_pandas(path: str) -> dict[str, Any]:
    import pandas as pd

    return _pandas_aggregates(pd.read_json(path, lines=True, convert_dates=False))


def run_pandas_pyarrow(path: str) -> dict[str, Any]:
    import pandas as pd

    df = pd.read_json(path, lines=True, engine="pyarrow")
    return _pandas_aggregates(df[list(COLUMNS)].copy())


RUNNERS = {"chatkit": run_chatkit, "chatkit_duckdb": run_chatkit_duckdb,
           "duckdb": run_duckdb, "polars": run_polars,
           "pandas": run_pandas, "pandas_pyarrow": run_pandas_pyarrow}
# Imported before the clock starts: the benchmark times the work, not interpreter start-up.
_IMPORTS = {
    "chatkit": ("duckdb", "pandas", "pyarrow.json", "pyarrow.compute", "chatkit.logs",
                "chatkit.logs.diagnose", "chatkit.knowledge.classifier"),  # duckdb: it parses
    "chatkit_duckdb": ("duckdb", "pandas", "pyarrow.compute", "chatkit.logs.engines",
                       "chatkit.logs.engine_duckdb", "chatkit.knowledge.classifier"),
    "duckdb": ("duckdb",), "polars": ("polars",), "pandas": ("pandas",),
    "pandas_pyarrow": ("pandas", "pyarrow.json"),
}


def _child(name: str, path: str) -> None:
    """Run one contender and print {seconds, cpu, peak_mb, result} as JSON."""
    import importlib
    import resource

    for module in _IMPORTS[name]:
        importlib.import_module(module)

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start, start_cpu = time.perf_counter(), cpu()
    result = RUNNERS[name](path)
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - start_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu_seconds, "peak_mb": peak,
                      "result": result}, default=str))


def _measure(name: str, path: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", name, path], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best run (least wall time), with the medians of wall and CPU time beside it."""
    import statistics

    best = dict(min(runs, key=lambda x: x["seconds"]))
    best["median_seconds"] = statistics.median(r["seconds"] for r in runs)
    best["median_cpu"] = statistics.median(r["cpu"] for r in runs)
    best["runs"] = len(runs)
    return best


def _report(log: str, size_mb: float, results: dict[str, dict[str, Any]], repeat: int) -> None:
    print(f"\n== {log} log ({size_mb:,.0f} MB), best (median) of {repeat}, pandas one run ==")
    for name, r in results.items():
        print(f"{name:>15}: {r['seconds']:6.2f} ({r['median_seconds']:5.2f}) s wall  "
              f"{r['cpu']:5.2f} ({r['median_cpu']:5.2f}) s CPU  peak {r['peak_mb']:6,.0f} MB "
              f"({r['peak_mb'] / size_mb:.2f}x file)  {r['result']}")
    for figure, label in (("seconds", "wall"), ("median_seconds", "median wall"),
                          ("cpu", "CPU"), ("median_cpu", "median CPU")):
        base = results["chatkit"][figure]
        peers = [results[n][figure] for n in ("duckdb", "polars") if n in results]
        if peers:
            print(f"chatkit / best of DuckDB and Polars, {label}: {base / min(peers):.2f}x "
                  "(<= 1.0 is the goal)")
        for name in ("pandas", "pandas_pyarrow"):
            if name in results:
                print(f"  {name} / chatkit, {label}: {results[name][figure] / base:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per fast contender (best)")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out naive pandas")
    parser.add_argument("--only", help="comma-separated contenders (chatkit is always run)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    from chatkit.logs import SUMMARY_COLUMNS

    assert COLUMNS == SUMMARY_COLUMNS, "every contender reads what chatkit's summary reads"
    names = [n for n in CONTENDERS if not (n == "pandas" and args.skip_pandas)]
    if args.only:
        names = [n for n in names if n == "chatkit" or n in args.only.split(",")]
    figures: dict[str, Any] = {"requests": args.requests, "cpus": os.cpu_count(),
                               "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        t = time.perf_counter()
        data = traffic(args.requests)
        for log, write in (("python", write_python_log), ("polars", write_polars_log)):
            path = str(Path(tmp) / f"{log}.jsonl")
            write(path, data)
            size_mb = os.path.getsize(path) / 2**20
            print(f"{log} log: {args.requests:,} requests, {size_mb:,.0f} MB, written in "
                  f"{time.perf_counter() - t:.1f} s")
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
            for round_ in range(args.repeat):  # rounds interleave the contenders
                for name in names:
                    if name in SLOW and round_ > 0:
                        continue
                    runs[name].append(_measure(name, path))
            results = {name: _summary(r) for name, r in runs.items()}
            _report(log, size_mb, results, args.repeat)
            figures[log] = {"size_mb": round(size_mb, 1), **results}
            os.unlink(path)
            t = time.perf_counter()
    figures["load_after"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
