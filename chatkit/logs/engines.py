"""One summary, three engines: pandas in memory, DuckDB out of core, Spark for fleets.

:func:`summarize_logs` gives the summary contract of DESIGN.md (what
:func:`chatkit.logs.analyze.summarize` gives for a loaded frame) for logs of any size:

* ``pandas`` loads the logs and summarises the frame: fastest for notebook-size logs; memory
  about 1.3 times the JSONL.
* ``duckdb`` reads chatkit JSONL or Parquet (files, globs, hive-partitioned directories) out of
  core, with a memory limit and a spill directory (:mod:`chatkit.logs.engine_duckdb`).
* ``spark`` runs the same SQL in Spark (the ``spark`` extra; local mode by default).

Whatever the engine, the incidents and findings are decided by the same Python code on the
same counts (:mod:`chatkit.logs.facts`): pandas counts with numpy; an SQL engine counts in SQL
(:mod:`chatkit.logs.engine_facts`: per time bucket, per window, per model, calls tied with
window functions) and hands Python only those counts and the rows a finding may quote (those
that failed or noted an error). Its memory follows the failures, not the rows.

``engine="auto"`` picks DuckDB when the input is Parquet, a glob or a directory, or larger
than the memory budget (:data:`MEMORY_BUDGET`, or ``CHATKIT_MEMORY_BUDGET`` such as ``4GB``),
and pandas otherwise. Formats other than chatkit's JSONL and Parquet (HAR, CSV, gateway
exports: small, and with columns of their own such as a HAR's user agent) are loaded and
summarised in memory whatever the engine.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatkit.errors import InputError, UsageError
from chatkit.logs.analyze import summarize, summary_of_facts
from chatkit.logs.engine_facts import Backend, SQLFacts, contract_frame
from chatkit.logs.engine_sql import parse_size
from chatkit.logs.readers import detected, flush_recorded, load, source_of
from chatkit.logs.schema import SUMMARY_COLUMNS

__all__ = ["ENGINES", "MEMORY_BUDGET", "Inputs", "choose_engine", "contract_frame",
           "parse_size", "resolve", "summarize_logs"]

ENGINES = ("pandas", "duckdb", "spark")
#: Inputs larger than this (bytes as stored) go to DuckDB when no engine is named.
MEMORY_BUDGET = 2 << 30
_GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class Inputs:
    """The files behind what the user named, and what they are."""

    files: tuple[str, ...]
    kind: str  # "jsonl", "parquet", or "other" (read by load())
    size: int  # bytes as stored
    spread: bool  # a glob or a directory was named
    hive: bool  # a directory with key=value folders
    gzipped: bool  # every file is gzip-compressed (JSONL only)
    roots: tuple[str, ...] = ()  # the directories named (where hive partitions start)


def _budget(memory_budget: int | str | None) -> int:
    if memory_budget is not None:
        return parse_size(memory_budget)
    env = os.environ.get("CHATKIT_MEMORY_BUDGET")
    return parse_size(env) if env else MEMORY_BUDGET


def resolve(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> Inputs:
    """The files of paths, globs (``logs/*.parquet``, ``**`` too) and directories."""
    flush_recorded()
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not items:
        raise UsageError("give a log file, a glob or a directory to read")
    files: list[str] = []
    roots: list[str] = []
    spread = hive = False
    for item in items:
        name = os.fspath(item)
        if _GLOB.search(name) and not Path(name).exists():
            matched = sorted(p for p in glob.glob(os.path.expanduser(name), recursive=True)
                             if Path(p).is_file())
            if not matched:
                raise InputError(f"{name}: no file matches; check the pattern")
            files += matched
            spread = True
        elif Path(name).expanduser().is_dir():
            root = Path(name).expanduser()
            found = sorted(str(p) for p in root.rglob("*") if p.is_file() and
                           not any(part[:1] in "._" for part in p.relative_to(root).parts))
            if not found:
                raise InputError(f"{name}: no log files in this directory")
            files += found
            roots.append(str(root))
            spread = True
            hive = hive or any("=" in part for f in found
                               for part in Path(f).relative_to(root).parts[:-1])
        else:
            files.append(name)
    kinds, size, gz = set(), 0, []
    for file in files:
        source = source_of(file)
        size += source.size or 0
        gz.append(source.gzipped)
        kind = detected(source)
        kinds.add(kind if kind in ("jsonl", "parquet") else "other")
    kind = kinds.pop() if len(kinds) == 1 else "other"
    gzipped = all(gz)
    if kind == "jsonl" and any(gz) and not gzipped:
        kind = "other"  # DuckDB takes one compression for all the files it reads at once
    return Inputs(tuple(files), kind, size, spread, hive, gzipped, tuple(roots))


def choose_engine(inputs: Inputs, memory_budget: int | str | None = None) -> str:
    """``duckdb`` for Parquet, globs, directories and inputs over the budget; else pandas."""
    if inputs.kind == "other":
        return "pandas"
    if inputs.kind == "parquet" or inputs.spread or inputs.size > _budget(memory_budget):
        return "duckdb"
    return "pandas"


def summarize_logs(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], *,
                   engine: str = "auto", memory_budget: int | str | None = None,
                   memory_limit: str | None = None, temp_dir: str | None = None,
                   ) -> dict[str, Any]:
    """The summary contract for logs of any size, computed by the engine named (or chosen).

    ``memory_limit`` caps DuckDB (default ``CHATKIT_DUCKDB_MEMORY`` or 1GB; beyond it DuckDB
    spills to ``temp_dir``) and sizes Spark's driver.
    """
    if engine not in ("auto", *ENGINES):
        raise UsageError(f"unknown engine {engine!r}; choose auto, {', '.join(ENGINES)}")
    inputs = resolve(paths)
    if engine == "auto":
        engine = choose_engine(inputs, memory_budget)
    if engine == "pandas" or inputs.kind == "other":
        return summarize(load(list(inputs.files), columns=SUMMARY_COLUMNS))
    backend: Backend
    if engine == "duckdb":
        from chatkit.logs.engine_duckdb import DuckDBLog

        backend = DuckDBLog(inputs, memory_limit=memory_limit, temp_dir=temp_dir)
    else:
        from chatkit.logs.engine_spark import SparkLog

        backend = SparkLog(inputs, memory_limit=memory_limit, temp_dir=temp_dir)
    return summary_of(backend)


def summary_of(backend: Backend) -> dict[str, Any]:
    """The summary contract of an SQL engine's log: its numbers and facts in SQL
    (:class:`~chatkit.logs.engine_facts.SQLFacts`), the decisions in the same Python as for a
    frame (:func:`~chatkit.logs.analyze.summary_of_facts`). The engine is closed at the end."""
    try:
        facts = SQLFacts(backend)
        return summary_of_facts(facts.head, facts, facts.attrs, backend.skipped)
    finally:
        backend.close()
