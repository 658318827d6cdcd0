"""What a failure means: the cause table, recognising raw failures, and what to check first.

* :mod:`~chatkit.knowledge.sections` — the cause table, one file per part of the world, read as
  a document; :mod:`~chatkit.knowledge.table` assembles it into ``KNOWLEDGE``;
* :mod:`~chatkit.knowledge.patterns`, :mod:`~chatkit.knowledge.recognize` and
  :mod:`~chatkit.knowledge.outcomes` — which row a raw failure (exception, response, log row,
  net error, a 200 answer that did not end well) belongs to;
* :mod:`~chatkit.knowledge.classifier` — :func:`classify` and :func:`explain`, the one way
  checks, logs, the client and widgets turn a failure into a Finding;
* :mod:`~chatkit.knowledge.ratelimits` (rate-limit headers), :mod:`~chatkit.knowledge.sse`
  (what a stream says), :mod:`~chatkit.knowledge.validation` (request bodies before sending),
  :mod:`~chatkit.knowledge.triage` (the decision tree of the triage wizard).
"""
