"""Benchmark: what redaction costs, as ratios against the work it rides on, measured in one run.

Run on demand (not part of the test suite)::

    python tests/benchmarks/bench_redact.py [--requests 200000]

* ``redact_url`` per call, against ``urllib.parse.urlsplit`` of the same URL;
* ``redact_headers`` per call on a typical OpenAI SDK request, against copying the dict
  (the recorder calls both once per request, so the absolute microseconds matter too);
* ``redact_file`` on a JSONL request log written by the simulator's generator, against
  ``json.loads`` + ``json.dumps`` of every line (the floor of any line-by-line rewrite);
* ``redact_file`` on a HAR built from the planted-secret corpus, entries per second;
* ``redact_file`` over the real HAR corpus (tests/data/real/har), against ``json.load`` of
  the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for secret_corpus

from chatkit.redaction.files import redact_file
from chatkit.redaction.scrub import redact_headers, redact_url

URLS = ("https://api.openai.com/v1/chat/completions",
        "https://my.openai.azure.com/openai/deployments/x/chat/completions?api-version=2024-10-21",
        "https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyA-not-a-real-key-0123")
HEADERS = {"Authorization": "Bearer sk-proj-" + "a1B2" * 40, "Content-Type": "application/json",
           "User-Agent": "OpenAI/Python 1.99.0", "X-Stainless-Retry-Count": "0",
           "Accept": "application/json", "OpenAI-Organization": "org-abcdefghijklmnopqrstuv",
           "X-Stainless-Lang": "python", "Content-Length": "120"}


def per_call_us(fn: Callable[[], object], number: int = 20_000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()

    for url in URLS:
        base = per_call_us(lambda u=url: urlsplit(u))
        ours = per_call_us(lambda u=url: redact_url(u))
        print(f"redact_url      {ours:7.2f} us  urlsplit {base:5.2f} us  ratio {ours / base:5.1f}"
              f"  ({url[:50]}...)")
    base = per_call_us(lambda: dict(HEADERS))
    ours = per_call_us(lambda: redact_headers(HEADERS))
    print(f"redact_headers  {ours:7.2f} us  dict()   {base:5.2f} us  ratio {ours / base:5.1f}")

    from chatkit.sim import generate_log

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        generate_log(log, requests=args.requests, seed=1)
        start = time.perf_counter()
        with log.open() as src, (Path(tmp) / "copy.jsonl").open("w") as dst:
            for line in src:
                dst.write(json.dumps(json.loads(line)) + "\n")
        floor = time.perf_counter() - start
        start = time.perf_counter()
        result = redact_file(log, Path(tmp) / "clean.jsonl")
        ours = time.perf_counter() - start
        size = log.stat().st_size / 2**20
        print(f"redact_file JSONL  {result.records} lines, {size:.0f} MiB: {ours:.2f} s "
              f"({result.records / ours:,.0f} lines/s); loads+dumps {floor:.2f} s; "
              f"ratio {ours / floor:.1f}")

        from secret_corpus import build

        har = build()[1]
        har["log"]["entries"] = har["log"]["entries"] * 60
        har_path = Path(tmp) / "big.har"
        har_path.write_text(json.dumps(har))
        start = time.perf_counter()
        result = redact_file(har_path, Path(tmp) / "clean.har")
        took = time.perf_counter() - start
        print(f"redact_file HAR    {result.records} entries, "
              f"{har_path.stat().st_size / 2**20:.1f} MiB, {result.removed} secrets: {took:.2f} s "
              f"({result.records / took:,.0f} entries/s)")

        real = sorted((Path(__file__).resolve().parents[1] / "data/real/har").glob("*.har"))
        start = time.perf_counter()
        for path in real:
            json.loads(path.read_text(encoding="utf-8-sig"))
        floor = time.perf_counter() - start
        start = time.perf_counter()
        for path in real:
            redact_file(path, Path(tmp) / "real.har")
        took = time.perf_counter() - start
        size = sum(p.stat().st_size for p in real) / 2**20
        print(f"redact_file real   {len(real)} HARs, {size:.1f} MiB: {took:.2f} s; json.load "
              f"{floor:.2f} s; ratio {took / floor:.1f}")


if __name__ == "__main__":
    main()
