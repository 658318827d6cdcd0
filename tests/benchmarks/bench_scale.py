"""Benchmark: the summary of 1M, 5M and 10M requests by each engine, time and peak memory.

Run on demand (not part of the test suite)::

    python tests/benchmarks/bench_scale.py [--rows 1000000,5000000,10000000] [--keep DIR]
        [--engines pandas,duckdb,spark] [--pandas-max 5000000] [--out table.md]

The logs are written by DuckDB's own SQL (``tests/foreign_logs.py``), not by chatkit, as JSON
Lines and as Parquet. Each engine runs :func:`chatkit.logs.engines.summarize_logs` in its own
subprocess; the parent samples the resident memory of that process *and its children* (Spark's
JVM) every 50 ms from /proc, so "peak" is the whole engine's. Wall time includes starting the
engine (Spark's JVM) and reading the file. Every engine's summary of a file is checked equal
to the first engine's. pandas is left out above ``--pandas-max`` rows (it needs about 1.3x
the JSONL in memory; the machine is shared), and Spark reads only Parquet unless
``--spark-formats jsonl,parquet`` says otherwise.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def run_one(engine: str, path: str) -> tuple[float, int, dict | None]:
    """(seconds, peak bytes, summary or None if it failed) of one engine on one file."""
    code = ("import json, sys; from chatkit.logs.engines import summarize_logs; "
            "s = summarize_logs(sys.argv[2], engine=sys.argv[1]); print(json.dumps(s))")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, engine, path], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        print(f"{engine} failed on {path} (exit {proc.returncode})", file=sys.stderr)
        return seconds, peak, None
    return seconds, peak, json.loads(out)


def main() -> None:
    from foreign_logs import write_log

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="1000000,5000000,10000000")
    parser.add_argument("--engines", default="pandas,duckdb,spark")
    parser.add_argument("--pandas-max", type=int, default=5_000_000)
    parser.add_argument("--spark-formats", default="parquet",
                        help="inputs Spark reads (parquet: the fleet's case; jsonl,parquet)")
    parser.add_argument("--keep", help="directory for the generated logs (kept)")
    parser.add_argument("--out", help="also write the Markdown table here")
    args = parser.parse_args()
    engines = args.engines.split(",")
    if "spark" in engines:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            engines.remove("spark")
            print("spark: pyspark is not installed, left out", file=sys.stderr)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="chatkit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["| rows | input | MB | engine | seconds | peak RSS MB |",
             "|---:|---|---:|---|---:|---:|"]
    for rows in (int(r) for r in args.rows.split(",")):
        for fmt in ("jsonl", "parquet"):
            path = folder / f"log-{rows}.{fmt}"
            if not path.exists():
                started = time.perf_counter()
                write_log(path, rows, fmt=fmt)
                print(f"wrote {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            size = path.stat().st_size / 1e6
            first: dict | None = None
            for engine in engines:
                if engine == "pandas" and rows > args.pandas_max:
                    continue
                if engine == "spark" and fmt not in args.spark_formats.split(","):
                    continue
                seconds, peak, summary = run_one(engine, str(path))
                if first is None:
                    first = summary
                same = (" (FAILED)" if summary is None else
                        "" if summary == first else " (DIFFERS)")
                line = (f"| {rows:,} | {fmt} | {size:,.0f} | {engine}{same} | {seconds:.1f} | "
                        f"{peak / 1e6:,.0f} |")
                print(line, flush=True)
                lines.append(line)
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        Path(args.out).write_text(table)


if __name__ == "__main__":
    main()
