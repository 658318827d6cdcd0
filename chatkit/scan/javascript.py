"""Reading JavaScript and TypeScript with a lexical pass: line by line, comments left out.

Lighter than the Python reader (no parser): the openai-node v3 interface (``new
Configuration``, ``new OpenAIApi``, ``createChatCompletion``), keys and model names in
string literals, clients built without a timeout, and Azure ``api-version`` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from chatkit.scan.rules import Hit, azure_hits, key_hits, looks_like_key_name, model_hits

__all__ = ["scan_javascript"]

_V3_CALLS = re.compile(r"\bnew\s+(Configuration|OpenAIApi)\s*\(|\.(create(?:Chat)?Completion|"
                       r"createEmbedding|createImage|createModeration|createTranscription)\s*\(")
_STRING = r"(?P<q>[\"'`])(?P<value>(?:(?!(?P=q))[^\\\n]|\\.)*)(?P=q)"
_NAMED = re.compile(r"(?P<name>[A-Za-z_$][\w$]*)[\"']?\s*(?::|=(?!=))\s*" + _STRING)
_ANY_STRING = re.compile(_STRING)
_NEW_CLIENT = re.compile(r"\bnew\s+(OpenAI|AzureOpenAI)\s*\(")
_LINE_COMMENT = re.compile(r"(?<![:\"'\w])//.*$")


def _code_lines(source: str) -> Iterator[tuple[int, str]]:
    """Each line with its comments blanked (``/* */`` blocks and ``//`` tails)."""
    in_block = False
    for number, line in enumerate(source.splitlines(), start=1):
        text = line
        if in_block:
            end = text.find("*/")
            if end < 0:
                continue
            text, in_block = " " * (end + 2) + text[end + 2:], False
        while "/*" in text:
            start = text.index("/*")
            end = text.find("*/", start + 2)
            if end < 0:
                text, in_block = text[:start], True
                break
            text = text[:start] + " " * (end + 2 - start) + text[end + 2:]
        yield number, _LINE_COMMENT.sub("", text)


def _call_text(lines: list[tuple[int, str]], index: int, column: int) -> str:
    """The text of the call opening at ``lines[index]``/``column``, up to its closing
    parenthesis (or 40 lines)."""
    depth, out = 0, []
    for _, text in lines[index:index + 40]:
        for ch in text[column:]:
            out.append(ch)
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and ch == ")":
                return "".join(out)
        column = 0
    return "".join(out)


def scan_javascript(source: str, today: date) -> list[Hit]:
    """The hits of one JavaScript or TypeScript file."""
    azure = ".openai.azure.com" in source or "AzureOpenAI" in source
    lines = list(_code_lines(source))
    timeout_elsewhere = bool(re.search(r"\btimeout\s*:", source))
    hits: list[Hit] = []
    for index, (number, text) in enumerate(lines):
        for match in _V3_CALLS.finditer(text):
            what = f"new {match.group(1)}(...)" if match.group(1) else f".{match.group(2)}(...)"
            effect = (" (TypeError: Configuration is not a constructor)"
                      if match.group(1) == "Configuration" else "")
            hits.append(Hit("scan_old_node_api", number, "fail", {"what": what,
                                                                  "effect": effect}))
        for match in _NEW_CLIENT.finditer(text):
            call = _call_text(lines, index, match.end() - 1)
            if "timeout" not in call and not timeout_elsewhere:
                hits.append(Hit("scan_no_timeout", number, "warn",
                                {"client": f"new {match.group(1)}()"}))
        named_spans = []
        for match in _NAMED.finditer(text):
            name, value = match.group("name"), match.group("value")
            lowered = name.lower()
            if lowered == "model" and not azure:
                hits.extend(model_hits(value, number, today))
            elif lowered in ("apiversion", "api_version"):
                hits.extend(azure_hits(value, number))
            elif looks_like_key_name(name):
                hits.extend(key_hits(value, number, named=True))
            else:
                continue
            named_spans.append(match.span("value"))
        for match in _ANY_STRING.finditer(text):
            value = match.group("value")
            if any(start <= match.start("value") < end for start, end in named_spans):
                continue
            if "sk-" in value:
                hits.extend(key_hits(value, number, named=False))
            if "api-version=" in value:
                hits.extend(azure_hits(value, number))
    return hits
