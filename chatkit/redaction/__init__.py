"""Redaction: what counts as a secret, and scrubbing it from text, dicts, HAR and JSONL files.

:mod:`~chatkit.redaction.rules` says which names hold secrets (strong or weak) and whether a
value could be one, :mod:`~chatkit.redaction.shapes` what a secret looks like (provider key
shapes after gitleaks' rules, JWT/JWE, PEM, entropy), :mod:`~chatkit.redaction.pii` what
``--pii`` adds. :mod:`~chatkit.redaction.scrub` removes them from strings, URLs and headers,
:mod:`~chatkit.redaction.walk` from nested JSON and bodies (by content type), and
:mod:`~chatkit.redaction.files` from whole files (JSONL by line, HAR by entry through
:mod:`~chatkit.redaction.harstream`, plain or gzipped via :mod:`~chatkit.redaction.inputs`).
The front door is :func:`chatkit.redact`.
"""
