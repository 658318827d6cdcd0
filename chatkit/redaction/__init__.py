"""Redaction: what counts as a secret, and scrubbing it from text, dicts, HAR and JSONL files.

:mod:`~chatkit.redaction.rules` says what a secret looks like (names and shapes),
:mod:`~chatkit.redaction.scrub` removes them from strings, URLs, headers and JSON values, and
:mod:`~chatkit.redaction.files` from whole files (JSONL streamed by line, HAR by entry through
:mod:`~chatkit.redaction.harstream`). The front door is :func:`chatkit.redact`.
"""
