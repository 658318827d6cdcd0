"""The ``chatkit`` command: a thin client of the library.

Each subcommand parses its options, calls one library function and renders what comes back.
A :class:`~chatkit.errors.ChatkitError`, or an ``OSError`` on a path the user named, becomes
one ``Error: ...`` line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

from chatkit import __version__
from chatkit.errors import ChatkitError
from chatkit.findings import Report
from chatkit.providers import PROVIDERS

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]


# --- doctor -------------------------------------------------------------------------------

def _add_doctor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="diagnose an API endpoint: network, service, account, API",
                       description="Run every check concurrently and name the most likely cause. "
                       "The key comes from OPENAI_API_KEY (or the provider's variable). Exit "
                       "status: 0 nothing failed, 1 something failed, 2 bad usage.")
    p.add_argument("--base-url", help="API base URL (default: the provider's, e.g. "
                   "https://api.openai.com/v1)")
    _add_provider(p, "; chatgpt-web: the website and the hosts its page needs, no key")
    p.add_argument("--model", help="model to try (default: a small one)")
    p.add_argument("--only", help="comma-separated check groups: dns, tcp, tls, proxy, http, "
                   "control, status, api, web, sdk")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--label", help="a name for this run, e.g. 'office Wi-Fi', kept in the "
                   "report so `chatkit compare` can name the side with the problem")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the terminal report (auto: on a terminal unless NO_COLOR is set)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per check (default 10)")
    p.add_argument("--samples", type=int, default=3,
                   help="queries per resolver and TCP connects per target (default 3)")
    p.add_argument("--resolver", action="append", metavar="IP[:PORT]",
                   help="public resolver to compare with (repeatable; default 8.8.8.8, 1.1.1.1, "
                   "9.9.9.9)")
    p.add_argument("--dns-port", type=int, default=53, help="port of those resolvers")
    p.add_argument("--system-resolver", action="append", metavar="IP[:PORT]",
                   help="treat this resolver as the system's (default: the OS configuration)")
    p.add_argument("--control", action="append", metavar="HOST",
                   help="control site for 'do other sites work?' (repeatable; default "
                   "www.google.com, www.cloudflare.com, github.com)")
    p.add_argument("--local-only", action="store_true",
                   help="reach only the target: no public resolvers, no control sites")
    p.add_argument("--proxy", help="proxy URL to use instead of HTTPS_PROXY/HTTP_PROXY")
    p.add_argument("--ca-bundle", metavar="PEM", help="CA bundle to trust instead of the default")
    p.add_argument("--sim", action="store_true", help="start the simulated API and diagnose it")
    p.add_argument("--sim-fault", metavar="NAME",
                   help="with --sim: stage this fault on the API (e.g. 429_rate_limit, timeout)")
    p.add_argument("--sim-status", metavar="STATE",
                   help="with --sim: the status page's state (operational, degraded, "
                   "major_outage, maintenance)")
    p.add_argument("--persona", metavar="PROVIDER",
                   help="with --sim: the simulator answers faults as this provider does "
                   "(anthropic, openrouter, gemini, ...), and the remedies name its pages")
    p.add_argument("--api", choices=("responses", "chat"),
                   help="the API the completion and stream probes call (default: responses "
                   "for providers that serve it, openai and azure; chat otherwise)")
    p.set_defaults(handler=_doctor)


def _add_provider(p: argparse.ArgumentParser, note: str = "") -> None:
    p.add_argument("--provider", default="", help=f"provider profile: {', '.join(PROVIDERS)} "
                   f"(default: the one the base URL points at, else openai{note})")


def _check_doctor_options(args: argparse.Namespace) -> None:
    """Bad option values, refused in the words of the command line before anything runs."""
    if not args.timeout > 0:  # also refuses nan
        raise _usage(f"--timeout takes seconds > 0, not {args.timeout:g}")
    if args.samples < 1:
        raise _usage(f"--samples takes a count >= 1, not {args.samples}")
    if not 0 < args.dns_port < 65536:
        raise _usage(f"--dns-port takes a port from 1 to 65535, not {args.dns_port}")
    if args.only is not None and not args.only.strip(" ,"):
        from chatkit.checks import available_groups

        raise _usage("--only needs at least one check group; choose from: "
                     + ", ".join(available_groups()))
    from chatkit.checks.dns import parse_resolver

    for spec in [*(args.resolver or ()), *(args.system_resolver or ())]:
        parse_resolver(spec)  # a bad one is named before anything runs, whatever the target
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        raise _usage(f"--ca-bundle {args.ca_bundle} does not exist; give the PEM file of the "
                     "CA certificates to trust")


def _doctor_context(args: argparse.Namespace) -> dict:
    options: dict = {"timeout": args.timeout, "dns_port": args.dns_port,
                     "samples": args.samples, "local_only": args.local_only, "api": args.api}
    if args.resolver:
        options["resolvers"] = tuple(args.resolver)
    if args.system_resolver:
        options["system_resolvers"] = tuple(args.system_resolver)
    if args.control:
        options["control_hosts"] = tuple(args.control)
    return options


def _doctor_progress() -> Callable[..., None]:
    """A one-line live count on the terminal while the checks run (they can take seconds)."""
    done: list[str] = []

    def show(finding: object) -> None:
        done.append(str(getattr(finding, "check", "?")))
        sys.stderr.write(f"\r  {len(done)} results so far, latest {done[-1]}\x1b[K")
        sys.stderr.flush()

    return show


def _doctor(args: argparse.Namespace) -> int:
    from chatkit.checks import CheckContext, doctor
    from chatkit.targets import Target

    _check_doctor_options(args)
    environ = dict(os.environ)
    options = _doctor_context(args)
    sim_wanted = args.sim or args.sim_fault or args.sim_status or args.persona
    with ExitStack() as stack:
        if sim_wanted:
            from chatkit.sim import DEFAULT_KEY, SimServer

            # The simulator validates the fault and the state (UsageError, one line).
            sim = stack.enter_context(SimServer(status=args.sim_status or "operational",
                                                persona=args.persona))
            base_url = (sim.url_for_fault(args.sim_fault, persona=args.persona)
                        if args.sim_fault else sim.base_url)
            target = Target(base_url=base_url, provider=args.persona or "compatible",
                            model=args.model,
                            status_page=sim.root_url, timeout=args.timeout,
                            proxy=args.proxy, ca_bundle=args.ca_bundle)
            # The simulator knows only its own demo key: never send a real key there.
            environ[str(target.key_env)] = DEFAULT_KEY
            # Diagnose the simulator and only it: nothing leaves the machine.
            options["local_only"] = True
            for name in [n for n in environ if n.lower().endswith("_proxy")]:
                del environ[name]
        else:
            target = Target(base_url=args.base_url, provider=args.provider, model=args.model,
                            timeout=args.timeout, proxy=args.proxy, ca_bundle=args.ca_bundle)
        progress = _doctor_progress() if not args.json and sys.stderr.isatty() else None
        try:
            report = doctor(target, only=args.only, progress=progress,
                            context=CheckContext(environ=environ, **options))
        finally:
            if progress is not None:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
    if args.label:
        report = dataclasses.replace(report, label=args.label)
    return _show(report, args)


def _show(report: Report, args: argparse.Namespace) -> int:
    """Print a report as JSON or as the terminal table; exit 1 when something failed."""
    if args.json:
        print(report.to_json())
    else:
        color = args.color == "always" or (
            args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        width = min(140, shutil.get_terminal_size((100, 24)).columns)
        sys.stdout.write(report.to_text(color=color, width=width))
        sys.stdout.write(_resolver_comparison(report))
    return 0 if report.ok else 1


def _resolver_comparison(report: Report) -> str:
    """What each resolver answered, when the system's was compared with others (--resolver):
    the table's DNS line gives only the judgement."""
    lines = []
    for finding in report.findings:
        answers = finding.evidence.get("resolvers") if finding.check == "dns.resolve" else None
        if not isinstance(answers, list) or not any(
                isinstance(a, dict) and a.get("role") == "public" for a in answers):
            continue
        lines.append(f"\nResolvers asked about {finding.evidence.get('host', '?')}:")
        for a in answers:
            if not isinstance(a, dict):
                continue
            where = a.get("resolver") if a.get("port") in (53, None) else \
                f"{a.get('resolver')}:{a.get('port')}"
            said = ", ".join([*a.get("a", ()), *a.get("aaaa", ())]) or "no address"
            if a.get("rcode") is None:
                said = f"no answer ({a.get('error') or 'timeout'})"
            elif a.get("rcode") != "NOERROR":
                said = str(a.get("rcode"))
            lines.append(f"  {a.get('role', '?'):<6}  {where:<22}  {said}")
    return "\n".join(lines) + "\n" if lines else ""


# --- compare ------------------------------------------------------------------------------

def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two doctor reports (two networks, two machines)",
                       description="Name what differs between two `chatkit doctor --json` "
                       "reports: a name filtered by DNS on one side, a certificate from a "
                       "TLS-inspecting proxy, a port blocked, a check failing on one side only; "
                       "the checks that agree are summed up. Exit status: 0 nothing explains a "
                       "failure, 1 a difference does, 2 bad usage.")
    p.add_argument("a", metavar="A.json", help="the first report (e.g. the failing network)")
    p.add_argument("b", metavar="B.json", help="the second report (e.g. a working network)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the terminal output (auto: on a terminal unless NO_COLOR is set)")
    p.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from chatkit.share.bundle import load_report
    from chatkit.share.compare import compare_reports

    return _show(compare_reports(load_report(args.a), load_report(args.b)), args)


# --- sim ----------------------------------------------------------------------------------

def _add_sim(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="serve the simulated OpenAI-compatible API",
                       description="Serve the simulated API on 127.0.0.1 until Ctrl-C. The first "
                       "line printed is its base URL.")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--fault", help="inject a fault into every /v1 request, e.g. 429_rate_limit, "
                   "slow:1500, flaky:0.2")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request")
    p.add_argument("--persona", metavar="PROVIDER",
                   help="answer faults as this provider does (its real error bodies, statuses "
                   "and headers), e.g. anthropic, openrouter, gemini, azure, ollama")
    p.set_defaults(handler=_sim)


def _sim(args: argparse.Namespace) -> int:
    from chatkit.sim import DEFAULT_KEY, PERSONAS, SimServer

    server = SimServer(port=args.port, fault=args.fault, latency_ms=args.latency_ms,
                       persona=args.persona)
    try:
        server.start()
    except (OSError, OverflowError) as exc:  # port taken, not allowed, or out of range
        raise _usage(f"cannot listen on 127.0.0.1:{args.port} ({exc}); choose another --port "
                     "or leave it out for a free one") from exc
    try:
        print(server.base_url, flush=True)
        print(f"status page: {server.root_url}/api/v2/summary.json", flush=True)
        print(f"demo key:    {DEFAULT_KEY}", flush=True)
        if args.persona:
            faults = ", ".join(PERSONAS[args.persona])
            print(f"persona:     {args.persona} (its own answers to: {faults})", flush=True)
        print("Ctrl-C stops it.", flush=True)
        server.serve_forever()  # blocks until Ctrl-C
    except KeyboardInterrupt:  # Ctrl-C while the banner prints is the same request
        pass
    finally:
        server.stop()
    return 0


# --- redact -------------------------------------------------------------------------------

def _add_redact(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("redact", help="remove every secret from a HAR or JSONL file",
                       description="Write a copy of a HAR file or JSONL log with credentials, "
                       "cookies, tokens and key-shaped values replaced by [REDACTED:kind] "
                       "markers, then print what was removed. The format is detected.")
    p.add_argument("input", metavar="IN",
                   help="a .har file or a JSONL request log (either may be .gz)")
    p.add_argument("-o", "--output", metavar="OUT", help="where to write the copy")
    p.add_argument("--check", action="store_true",
                   help="write nothing; say what a redaction would remove (exit 1 if anything)")
    p.add_argument("--correlate", action="store_true",
                   help="add a keyed hash to each marker so equal secrets show equal markers "
                   "(the key is random per run and never written)")
    p.add_argument("--format", choices=("auto", "jsonl", "har", "text"), default="auto",
                   help="input format (default: detected; 'text' for plain-text logs)")
    p.add_argument("--drop-content", action="store_true",
                   help="also replace prompts and answers by their length")
    p.add_argument("--pii", action="store_true",
                   help="also remove e-mail addresses, phone numbers and people's names in "
                   "bodies and form fields. Off by default: they are not credentials, and a "
                   "support engineer often needs the account's e-mail to find the account")
    p.set_defaults(handler=_redact)


def _redact(args: argparse.Namespace) -> int:
    from chatkit.redaction.files import check_file, consistent_key, redact_file

    if args.check:
        result = check_file(args.input, format=args.format, drop_content=args.drop_content,
                            pii=args.pii)
        print(result.describe())
        return 1 if result.counts else 0
    if not args.output:
        raise _usage("give -o OUT for the redacted copy, or --check to only look")
    result = redact_file(args.input, args.output, format=args.format,
                         hash_key=consistent_key() if args.correlate else None,
                         drop_content=args.drop_content, pii=args.pii)
    print(result.describe())
    return 0


# --- bundle -------------------------------------------------------------------------------

def _add_bundle(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bundle", help="pack a redacted support bundle (zip) for a ticket",
                       description="Write a zip with the report (JSON, Markdown, HTML), redacted "
                       "log excerpts around each failure, environment details, a curl/Python "
                       "reproduction and a README. Nothing secret goes in.")
    p.add_argument("--log", action="append", default=[], metavar="LOG",
                   help="a request log or HAR file (repeatable)")
    p.add_argument("--report", metavar="REPORT.json", help="a report from chatkit doctor --json")
    p.add_argument("--context", type=int, default=3, metavar="N",
                   help="requests kept before and after each failure (default 3)")
    p.add_argument("--note", action="append", default=[], help="a note for the reader")
    p.add_argument("--no-plots", action="store_true",
                   help="leave out the error-rate and latency figures of each log")
    p.add_argument("--drop-content", action="store_true",
                   help="replace prompts and answers in HAR bodies by their length")
    p.add_argument("--provider-incidents", action="store_true",
                   help="match each log's incident windows with the provider's status page")
    p.add_argument("--status-page", metavar="URL", help="the status page to read instead")
    p.add_argument("-o", "--output", required=True, metavar="BUNDLE.zip")
    p.set_defaults(handler=_bundle)


def _bundle(args: argparse.Namespace) -> int:
    from chatkit.share.bundle import build_bundle, load_report

    if not args.log and not args.report:
        raise _usage("give at least one --log or a --report to bundle")
    if args.context < 0:
        raise _usage(f"--context takes a count of requests >= 0, not {args.context}")
    report = load_report(args.report) if args.report else None
    result = build_bundle(args.output, logs=args.log, report=report, context=args.context,
                          notes=args.note, plots=not args.no_plots,
                          drop_content=args.drop_content,
                          status_page=_status_page(args.status_page, args.provider_incidents))
    print(result.describe())
    return 0


# --- analyze ------------------------------------------------------------------------------

def _add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="summarise request logs: JSONL, HAR, CSV, OTel, ...",
                       description="Read one or more logs (chatkit JSONL, HAR, CSV, OpenTelemetry "
                       "JSON, LiteLLM/Langfuse/Helicone/Portkey exports, openai debug logs; "
                       ".gz too), then print latency, status counts, incidents and findings.")
    p.add_argument("logs", nargs="*", metavar="LOG", help="log file(s)")
    p.add_argument("--sample", action="store_true",
                   help="also read the sample log shipped with chatkit (simulated traffic)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--plots", metavar="DIR", help="also write the plots as PNG files into DIR")
    p.add_argument("--format", default="auto", help="force a format (default: detect)")
    p.add_argument("--map", action="append", default=[], metavar="THEIRS=OURS",
                   help="CSV column mapping, e.g. --map 'Took (ms)=latency_ms' (repeatable)")
    p.add_argument("--provider-incidents", action="store_true",
                   help="match each incident window with the incidents the provider declared "
                   "on its status page (is it me or them?)")
    p.add_argument("--status-page", metavar="URL",
                   help="the status page to read (default: the log's provider's)")
    p.add_argument("--engine", choices=("auto", "pandas", "duckdb", "spark"), default="auto",
                   help="who computes the summary: pandas in memory, DuckDB out of core, Spark "
                   "(the spark extra); auto picks DuckDB for Parquet, globs, directories and "
                   "logs over the memory budget (CHATKIT_MEMORY_BUDGET, default 2GB)")
    p.set_defaults(handler=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    import json

    from chatkit.logs import SUMMARY_COLUMNS, load, summarize
    from chatkit.logs.render import render_provider_incidents_text, render_summary_text

    mapping = {}
    for item in args.map:
        theirs, sep, ours = item.rpartition("=")
        if not sep or not theirs:
            raise _usage(f"--map needs THEIRS=OURS, got {item!r}")
        mapping[theirs] = ours
    logs = list(args.logs)
    if args.sample:
        from importlib.resources import files

        logs.append(str(files("chatkit") / "data" / "sample_requests.jsonl"))
    if not logs:
        raise _usage("give a log file to read, or --sample for the sample log shipped with "
                     "chatkit")
    summary = _engine_summary(args, logs, bool(mapping))
    if summary is not None:
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            sys.stdout.write(render_summary_text(summary, sources=logs))
        return 0
    if args.format == "auto" and not mapping:
        from chatkit.logs.engines import resolve

        logs = list(resolve(logs).files)  # globs and directories
    progress = _progress_bar() if sys.stderr.isatty() and not args.json else None
    frame = load(logs, format=args.format, mapping=mapping or None, progress=progress,
                 columns=None if args.plots else SUMMARY_COLUMNS)
    if progress is not None:
        sys.stderr.write("\r\033[K")
    summary = summarize(frame)
    if args.provider_incidents or args.status_page:
        summary["provider_incidents"] = _provider_incidents(frame, args.status_page)
    if args.plots:
        from chatkit.logs.plots import save_all

        written = save_all(frame, args.plots)
        if "provider_incidents" in summary:
            from chatkit.logs.plots import provider_incident_timeline

            path = written[0].with_name("provider_incidents.png")
            provider_incident_timeline(frame, summary["provider_incidents"]).savefig(path,
                                                                                      dpi=110)
            written.append(path)
        print(f"wrote {len(written)} plots to {args.plots}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        sys.stdout.write(render_summary_text(summary, sources=frame.attrs.get("sources", ())))
        if "provider_incidents" in summary:
            sys.stdout.write("\n" + render_provider_incidents_text(summary["provider_incidents"]))
    return 0


def _engine_summary(args: argparse.Namespace, logs: list[str], mapped: bool
                    ) -> dict[str, Any] | None:
    """The summary by DuckDB or Spark when one is named or chosen; None for pandas."""
    from chatkit.logs.engines import choose_engine, resolve, summarize_logs

    needs_frame = [flag for flag, on in (("--plots", args.plots), ("--map", mapped),
                                         ("--format", args.format != "auto"),
                                         ("--provider-incidents", args.provider_incidents),
                                         ("--status-page", args.status_page)) if on]
    engine = args.engine
    if engine == "auto":
        engine = "pandas" if needs_frame else choose_engine(resolve(logs))
    if engine == "pandas":
        return None
    if needs_frame:
        raise _usage(f"{needs_frame[0]} works on a loaded frame; use --engine pandas with it")
    return summarize_logs(logs, engine=engine)


# --- convert ------------------------------------------------------------------------------

def _add_convert(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="write request logs as one Parquet file",
                       description="Read logs of any format chatkit reads and write the request "
                       "log's columns, with their types, as Parquet (chatkit JSONL is streamed "
                       "in blocks: memory stays small whatever the size).")
    p.add_argument("logs", nargs="+", metavar="LOG", help="log file(s)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.parquet",
                   help="the Parquet file to write")
    p.add_argument("--format", default="auto", help="force a format (default: detect)")
    p.set_defaults(handler=_convert)


def _convert(args: argparse.Namespace) -> int:
    from chatkit.logs.parquet import convert

    rows = convert(args.logs, args.output, format=args.format)
    print(f"wrote {rows:,} requests to {args.output}")
    return 0


def _status_page(url: str | None, wanted: bool) -> str | None:
    """A checked status page URL, "provider" (the log's own provider's page) or None."""
    from chatkit.targets import Target

    if url:
        return Target(status_page=url).status_page
    return "provider" if wanted else None


def _provider_incidents(frame: Any, status_page: str | None) -> dict[str, Any]:
    from chatkit.checks.status_history import fetch_history
    from chatkit.logs.provider_incidents import match_provider_incidents, status_page_for

    page = _status_page(status_page, True)
    page = status_page_for(frame) if page == "provider" else page
    if page is None:
        raise _usage("no status page is known for this log's provider; name one with "
                     "--status-page URL")
    return match_provider_incidents(frame, fetch_history(page))


def _progress_bar() -> Callable[[int, int | None], None]:
    """A one-line progress display on stderr for big logs."""
    state = {"last": -1}

    def show(done: int, total: int | None) -> None:
        if not total or total < 50 << 20:  # small files: no bar
            return
        percent = int(done * 100 / total)
        if percent != state["last"]:
            state["last"] = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\rreading [{bar:<25}] {percent:3d}% of {total / 2**20:,.0f} MB")
            sys.stderr.flush()

    return show


# --- scan ---------------------------------------------------------------------------------

def _add_scan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="find integration mistakes in your code (old openai API, "
                       "keys, retries, timeouts, retired models)",
                       description="Read Python (with ast) and JavaScript/TypeScript under PATH "
                       "and report each mistake with file:line and the fix. Nothing is run or "
                       "sent. Exit status: 0 nothing failed, 1 something failed, 2 bad usage.")
    p.add_argument("path", metavar="PATH", help="a file or a folder of code")
    p.add_argument("--json", action="store_true", help='print {"findings": [...]} as JSON')
    p.set_defaults(handler=_scan)


def _scan(args: argparse.Namespace) -> int:
    import json

    from chatkit.scan import render_text, scan_code

    report = scan_code(args.path)
    if args.json:
        print(json.dumps({"findings": [f.to_dict() for f in report.findings]}, indent=2,
                         ensure_ascii=False))
    else:
        sys.stdout.write(render_text(report))
    return 0 if report.ok else 1


# --- monitor ------------------------------------------------------------------------------

def _add_monitor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="probe the API repeatedly and append each probe to a log",
                       description="One small probe every few seconds (a streamed completion "
                       "with the key from OPENAI_API_KEY or the provider's variable, or a "
                       "keyless GET /models without one), one JSONL row per probe in the "
                       "request-log format, one live line each. Ctrl-C stops it.")
    p.add_argument("-o", "--output", required=True, metavar="LOG.jsonl",
                   help="request log to append to")
    p.add_argument("--every", type=float, default=60.0, metavar="S",
                   help="seconds between probes (default 60)")
    p.add_argument("--count", type=int, metavar="N", help="stop after N probes (default: never)")
    p.add_argument("--base-url", help="API base URL (default: the provider's)")
    _add_provider(p)
    p.add_argument("--model", help="model to probe (default: gpt-4o-mini)")
    p.add_argument("--no-stream", action="store_true",
                   help="plain completions instead of streamed ones (no time to first token)")
    p.add_argument("--api", choices=("responses", "chat"),
                   help="the API each probe calls (default: responses for openai and azure, "
                   "chat otherwise)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per probe (default 30)")
    p.add_argument("--sim", action="store_true", help="probe the simulated API, started here")
    p.add_argument("--fault", help="with --sim: a fault to inject, e.g. flaky:0.2, slow:800")
    p.set_defaults(handler=_monitor)


def _monitor(args: argparse.Namespace) -> int:
    from chatkit.monitor import format_probe, format_summary, monitor
    from chatkit.targets import Target

    if args.every < 0 or (args.count is not None and args.count < 1):
        raise _usage("--every must be >= 0 and --count >= 1")
    if not args.timeout > 0:
        raise _usage(f"--timeout takes seconds > 0, not {args.timeout:g}")
    # The recorder never raises into a request, so a log that cannot be written would only
    # be warned about, probe after probe: its folder is made (as the recorder would) or
    # refused here, once.
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    if args.fault and not args.sim:
        raise _usage("--fault needs --sim (it injects faults into the simulated API)")
    environ = dict(os.environ)
    probes = []
    with ExitStack() as stack:
        if args.sim:
            from chatkit.sim import DEFAULT_KEY, SimServer

            sim = stack.enter_context(SimServer(fault=args.fault))
            target = Target(base_url=sim.base_url, provider="compatible", model=args.model)
            environ[str(target.key_env)] = DEFAULT_KEY  # never send a real key to the demo
        else:
            target = Target(base_url=args.base_url, provider=args.provider, model=args.model)
        print(f"probing {target.url} every {args.every:g} s -> {args.output}", flush=True)
        try:
            for probe in monitor(target, log_path=args.output, every=args.every,
                                 count=args.count, stream=not args.no_stream, api=args.api,
                                 environ=environ, timeout=args.timeout):
                probes.append(probe)
                print(format_probe(probe), flush=True)
        except KeyboardInterrupt:
            pass
    print(format_summary(probes), flush=True)
    return 0 if all(p.ok for p in probes) else 1


# --- the program --------------------------------------------------------------------------

def _usage(message: str) -> ChatkitError:
    from chatkit.errors import UsageError

    return UsageError(message)


class _Parser(argparse.ArgumentParser):
    """argparse, with its complaints as one ``Error:`` line; an unknown option also shows
    the usage of the command it was given to."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            self.print_usage(sys.stderr)
        self.exit(2, f"Error: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chatkit",
        description="Find out why ChatGPT or an OpenAI-compatible API doesn't work.",
    )
    parser.add_argument("--version", action="version", version=f"chatkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_doctor, _add_sim, _add_redact, _add_bundle, _add_analyze, _add_convert,
                _add_monitor, _add_compare, _add_scan):
        add(sub)
    return parser


def _subcommand(parser: argparse.ArgumentParser,
                args: argparse.Namespace) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(getattr(args, "command", None) or "")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the subcommand, whose usage is the one that helps
            command = _subcommand(parser, args)
            (command or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version, or a complaint already printed
        return exc.code if isinstance(exc.code, int) else 2
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ChatkitError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user named cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"Error: {where}{exc.strerror or exc}; check the path and its permissions",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
