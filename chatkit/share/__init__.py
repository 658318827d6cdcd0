"""Sharing what was found: the Markdown/HTML report, the support bundle, request excerpts.

:mod:`~chatkit.share.report` renders a report (redacted first), :mod:`~chatkit.share.bundle`
packs the support zip, :mod:`~chatkit.share.excerpts` picks the requests around each failure.
"""
