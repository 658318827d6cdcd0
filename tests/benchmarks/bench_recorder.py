"""Benchmark: what recording costs, as the ratio recorded / bare client, measured in one process.

Run on demand (not part of the test suite)::

    /work/venv/bin/python tests/benchmarks/bench_recorder.py [--rounds 15] [--requests 200]

One simulator (``chatkit sim``) runs in its own process on 127.0.0.1, as a real API would:
real sockets, kept-alive connections. One client process holds, for httpx and httpx2 (those
installed) and each kind of request, a bare client and a client whose transport is
:class:`chatkit.client.RecordingTransport` (no retries, one JSONL line per request written to
a temporary file). Every round runs every case, the order of the cases rotating from round to
round; within a case bare and recorded run back to back in halves, ABBA then BAAB, so that a
burst of load on a shared machine, or a drift during the round, hits both sides alike.
Per case it reports the median over rounds of the per-round ratio recorded / bare with its
interquartile range, and the CPU time of the client thread that the recorder adds per request
(recorded minus bare in the same round, median over rounds), which other processes disturb
much less than the wall clock. The whole process's CPU time is reported beside it: work
handed to another thread (a writer thread, say) would not show in the client thread's.

``--recorded`` says what stands for the recorded client, to see where its cost lies:
``chatkit`` (the default: :class:`RecordingTransport` as shipped), ``path`` (the same with its
log's lines never made: what the request path alone costs) or ``wrapper`` (a minimal
transport wrapper that only keeps the request, two clock readings, the status, the headers
and the body's pieces: about the least any recorder that wraps the transport can do).

Loopback is the worst case for the ratio: on a real network a request takes tens of
milliseconds and the recorder's microseconds vanish in it (``--latency-ms 20`` shows it).
Goal: <= 1.05.

``--instructions`` counts instead, under ``valgrind --tool=callgrind`` (PYTHONHASHSEED=0),
the instructions per request of the recorded client minus the bare one. The count does not
depend on the machine's load, only on the code (runs differ by a few thousand)::

    python tests/benchmarks/bench_recorder.py --instructions --kinds chat --requests 300
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chatkit.client import NO_RETRY, RecordingTransport
from chatkit.sim import DEFAULT_KEY

HEADERS = {"Authorization": f"Bearer {DEFAULT_KEY}"}
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say OK."}],
        "max_tokens": 5}
VARIANTS = ("bare", "recorded")


def _calls(client: Any, base: str, kind: str) -> Callable[[], None]:
    if kind == "models":
        return lambda: client.get(f"{base}/models", headers=HEADERS).raise_for_status()
    if kind == "chat":
        return lambda: client.post(f"{base}/chat/completions", headers=HEADERS,
                                   json=BODY).raise_for_status()

    def stream() -> None:
        with client.stream("POST", f"{base}/chat/completions", headers=HEADERS,
                           json={**BODY, "stream": True}) as response:
            for _ in response.iter_raw():
                pass

    return stream


class _Discard:
    """A request log that never makes its lines (``--recorded path``)."""

    def put(self, make: Callable[[], Any]) -> None:
        pass

    def retain(self) -> _Discard:
        return self

    def release(self) -> None:
        pass


def _wrapper(module: Any, inner: Any) -> Any:
    """A minimal recording wrapper (``--recorded wrapper``): it keeps raw facts, makes no
    line."""
    clock = time.perf_counter

    class Stream(module.SyncByteStream):
        def __init__(self, stream: Any, kept: list[Any]) -> None:
            self.stream, self.kept = stream, kept

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.stream:
                self.kept.append(chunk)
                yield chunk
            self.kept.append(clock())

        def close(self) -> None:
            self.stream.close()

    class Wrapper:
        def handle_request(self, request: Any) -> Any:
            start = clock()
            response = inner.handle_request(request)
            kept = [request, start, clock(), response.status_code, response.headers]
            response.stream = Stream(response.stream, kept)
            return response

        def close(self) -> None:
            inner.close()

    return Wrapper()


def _client(module: Any, variant: str, log: Path, recorded: str = "chatkit") -> Any:
    inner = module.HTTPTransport()
    if variant == "recorded" and recorded == "wrapper":
        inner = _wrapper(module, inner)
    elif variant == "recorded":
        inner = RecordingTransport(inner, log=str(log), policy=NO_RETRY)
        if recorded == "path":
            inner._core.log = _Discard()
    return module.Client(transport=inner, trust_env=False)


def _time(call: Callable[[], None], n: int) -> tuple[float, float, float]:
    """Wall-clock, this thread's CPU and the whole process's CPU seconds for ``n`` calls
    (the process's too: work the recorder handed to another thread is not free)."""
    wall, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
    for _ in range(n):
        call()
    return (time.perf_counter() - wall, time.thread_time() - cpu,
            time.process_time() - process)


@dataclass
class Case:
    """One module and kind of request: its two clients and what each round measured."""

    module: str
    kind: str
    calls: dict[str, Callable[[], None]]
    clients: list[Any]
    wall_us: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in VARIANTS})
    cpu_us: dict[str, list[float]] = field(default_factory=lambda: {v: [] for v in VARIANTS})
    process_us: dict[str, list[float]] = field(
        default_factory=lambda: {v: [] for v in VARIANTS})

    def run(self, n: int, first: str) -> None:
        """One round: ``n`` requests per variant in two halves, ABBA, so that a drift in
        speed during the round (load coming or going) weighs on both variants alike."""
        pair = VARIANTS if first == VARIANTS[0] else VARIANTS[::-1]
        took = {variant: [0.0, 0.0, 0.0] for variant in VARIANTS}
        for variant in pair + pair[::-1]:
            for index, seconds in enumerate(_time(self.calls[variant], n // 2)):
                took[variant][index] += seconds
        for variant, (wall, cpu, process) in took.items():
            self.wall_us[variant].append(wall / (n // 2 * 2) * 1e6)
            self.cpu_us[variant].append(cpu / (n // 2 * 2) * 1e6)
            self.process_us[variant].append(process / (n // 2 * 2) * 1e6)

    def result(self) -> Result:
        bare, recorded = self.wall_us["bare"], self.wall_us["recorded"]
        ratios = [r / b for r, b in zip(recorded, bare, strict=True)]
        added = [r - b for r, b in zip(self.cpu_us["recorded"], self.cpu_us["bare"],
                                       strict=True)]
        added_process = [r - b for r, b in zip(self.process_us["recorded"],
                                               self.process_us["bare"], strict=True)]
        p25, _, p75 = statistics.quantiles(ratios, n=4)
        return Result(self.module, self.kind, round(statistics.median(bare), 1),
                      round(statistics.median(recorded), 1),
                      round(statistics.median(self.cpu_us["bare"]), 1),
                      round(statistics.median(ratios), 3), round(p25, 3), round(p75, 3),
                      round(statistics.median(added), 1),
                      round(statistics.median(added_process), 1))


@dataclass(frozen=True)
class Result:
    """One case's figures: medians over rounds, per request."""

    module: str
    kind: str
    bare_us: float
    recorded_us: float
    bare_cpu_us: float
    ratio: float
    ratio_p25: float
    ratio_p75: float
    recorder_cpu_us: float
    recorder_process_cpu_us: float

    def line(self) -> str:
        return (f"{self.module:7} {self.kind:7} bare {self.bare_us:7.1f} us  recorded "
                f"{self.recorded_us:7.1f} us  ratio {self.ratio:.3f} [rounds p25-p75 "
                f"{self.ratio_p25:.3f}-{self.ratio_p75:.3f}]  recorder CPU "
                f"{self.recorder_cpu_us:+5.1f} us/request (bare {self.bare_cpu_us:.0f}; "
                f"whole process {self.recorder_process_cpu_us:+5.1f})")


def _modules() -> list[str]:
    names = []
    for name in ("httpx", "httpx2"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        names.append(name)
    return names


@contextmanager
def _simulator(latency_ms: float) -> Iterator[str]:
    """A ``chatkit sim`` in its own process: the client's CPU time is then what the recorder
    adds to, not a GIL shared with the server's threads."""
    server = subprocess.Popen([sys.executable, "-m", "chatkit", "sim", "--latency-ms",
                               str(latency_ms)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure(base: str, kinds: list[str], n: int, rounds: int, tmp: Path,
            recorded: str = "chatkit") -> list[Result]:
    """Every case every round, the order rotating; one Result per case."""
    cases = []
    for name in _modules():
        module = importlib.import_module(name)
        for kind in kinds:
            clients = {v: _client(module, v, tmp / f"{name}-{kind}.jsonl", recorded)
                       for v in VARIANTS}
            calls = {v: _calls(c, base, kind) for v, c in clients.items()}
            cases.append(Case(name, kind, calls, list(clients.values())))
    for case in cases:  # warm up: connections, imports, caches
        for call in case.calls.values():
            _time(call, max(20, n // 10))
    for index in range(rounds):
        shift = index % len(cases)
        for case in cases[shift:] + cases[:shift]:
            case.run(n, VARIANTS[index % 2])
    for case in cases:
        for client in case.clients:
            client.close()
    return [case.result() for case in cases]


def _loop(module_name: str, variant: str, kind: str, n: int, base: str, recorded: str) -> None:
    """The process callgrind counts: connect, then ``n`` requests."""
    with tempfile.TemporaryDirectory() as tmp:
        client = _client(importlib.import_module(module_name), variant, Path(tmp) / "l.jsonl",
                         recorded)
        call = _calls(client, base, kind)
        call()
        for _ in range(n):
            call()
        client.close()


def _instructions(module: str, variant: str, kind: str, n: int, base: str,
                  recorded: str) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, __file__, "--loop", module, variant, kind, str(n), base,
               recorded]
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"Error: no instruction count in valgrind's output: {done.stderr[-300:]}")
    return int(found.group(1))


def count_instructions(base: str, kinds: list[str], n: int,
                       recorded: str = "chatkit") -> list[dict[str, Any]]:
    """Per case, instructions per request bare and recorded (a run of n minus a run of 0)."""
    rows = []
    for module in _modules():
        for kind in kinds:
            per = {v: (_instructions(module, v, kind, n, base, recorded)
                       - _instructions(module, v, kind, 0, base, recorded)) / n
                   for v in VARIANTS}
            rows.append({"module": module, "kind": kind, "bare": round(per["bare"]),
                         "recorded": round(per["recorded"]),
                         "recorder": round(per["recorded"] - per["bare"])})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="What recording costs: recorded / bare client.")
    parser.add_argument("--requests", type=int, default=200, help="requests per round and case")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--kinds", default="models,chat", help="models,chat,stream")
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="simulated server latency (default 0: the loopback worst case)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under callgrind instead of timing")
    parser.add_argument("--recorded", choices=("chatkit", "path", "wrapper"), default="chatkit",
                        help="what stands for the recorded client (see above)")
    parser.add_argument("--loop", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        module, variant, kind, n, base, recorded = args.loop
        _loop(module, variant, kind, int(n), base, recorded)
        return
    kinds = args.kinds.split(",")
    # Figures are only comparable within one run on a shared machine: say how busy it was.
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_start": _load(),
                              "rounds": args.rounds, "requests": args.requests,
                              "latency_ms": args.latency_ms, "recorded": args.recorded}
    with _simulator(args.latency_ms) as base, tempfile.TemporaryDirectory() as tmp:
        if args.instructions:
            report["instructions"] = count_instructions(base, kinds, args.requests,
                                                        args.recorded)
        else:
            results = measure(base, kinds, args.requests, args.rounds, Path(tmp),
                              args.recorded)
            report["cases"] = [asdict(r) for r in results]
            report["log_lines"] = sum(len(p.read_bytes().splitlines())
                                      for p in Path(tmp).glob("*.jsonl"))
    report["load_end"] = _load()
    if args.json:
        print(json.dumps(report, indent=1))
        return
    runs = (f"{args.requests} requests per count" if args.instructions
            else f"{args.rounds} rounds x {args.requests} requests")
    print(f"load average at start: {' '.join(map(str, report['load_start']))} "
          f"on {report['cpus']} CPUs; {runs}; recorded: {args.recorded}")
    for row in report.get("instructions", []):
        print(f"{row['module']:7} {row['kind']:7} bare {row['bare'] / 1e3:7.1f}k instructions"
              f"/request  recorded {row['recorded'] / 1e3:7.1f}k  recorder "
              f"{row['recorder'] / 1e3:+6.1f}k ({row['recorder'] / row['bare']:+.1%})")
    for case in report.get("cases", []):
        print(Result(**case).line())
    if "log_lines" in report:
        print(f"log lines written: {report['log_lines']}")
    print(f"load average at end: {' '.join(map(str, report['load_end']))}")


if __name__ == "__main__":
    main()
