"""Reading Python with :mod:`ast`: openai 0.x calls, keys, retries, timeouts, models, versions.

One pass over the module collects what the file holds (how openai is imported, the clients it
builds, whether it talks to Azure); a second visits every node and reports :class:`Hit` values
at the line to change. Comments and strings that are not code are never read as code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from chatkit.scan.rules import Hit, azure_hits, key_hits, looks_like_key_name, model_hits

__all__ = ["scan_python"]

#: openai 0.x resources that openai >= 1 replaced by APIRemovedInV1 proxies
#: (openai-python src/openai/lib/_old_api.py), with what replaces each.
OLD_RESOURCES: dict[str, str] = {
    "ChatCompletion": "client.chat.completions.create(model=..., messages=...)",
    "Completion": "client.completions.create(model=..., prompt=...)",
    "Embedding": "client.embeddings.create(model=..., input=...)",
    "Edit": "client.chat.completions.create(...) (the edits endpoint is gone)",
    "Image": "client.images.generate(...)",
    "Audio": "client.audio.transcriptions.create(...)",
    "Moderation": "client.moderations.create(...)",
    "File": "client.files.create(...)",
    "FineTune": "client.fine_tuning.jobs.create(...)",
    "FineTuningJob": "client.fine_tuning.jobs.create(...)",
    "Model": "client.models.list()",
    "Engine": "client.models.list()",
    "Customer": "a client method",
    "Deployment": "a client method",
    "ErrorObject": "openai.APIError and its subclasses",
}
CLIENTS = frozenset({"OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"})
V1_RESOURCES = frozenset({"chat", "completions", "embeddings", "responses", "images", "audio",
                          "moderations"})
API_METHODS = frozenset({"create", "acreate", "generate", "parse", "stream"})
# Exceptions whose retry includes 4xx answers (they are, or are parents of, BadRequestError).
BROAD = frozenset({"Exception", "BaseException", "OpenAIError", "APIError", "APIStatusError",
                   "BadRequestError", "AuthenticationError", "PermissionDeniedError",
                   "NotFoundError", "UnprocessableEntityError", "InvalidRequestError"})


def _name(node: ast.AST) -> str:
    """The last name of a dotted expression: ``tenacity.retry`` -> ``retry``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls_api(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in API_METHODS for n in ast.walk(node))


@dataclass
class _Module:
    """What the whole file says, collected before the rules run."""

    openai_names: set[str] = field(default_factory=set)  # import openai [as x]
    client_names: set[str] = field(default_factory=set)  # from openai import OpenAI [as x]
    clients: list[ast.Call] = field(default_factory=list)
    azure: bool = False
    api_base: bool = False
    timeout_elsewhere: bool = False
    v1_module: bool = False  # openai.chat.completions.create: the module's own v1 client

    def is_client(self, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id in self.client_names
        return (isinstance(func, ast.Attribute) and func.attr in CLIENTS
                and isinstance(func.value, ast.Name) and func.value.id in self.openai_names)

    def is_openai(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in self.openai_names


def _collect(tree: ast.AST, source: str) -> _Module:
    mod = _Module(azure=".openai.azure.com" in source or "AzureOpenAI" in source)
    nodes = list(ast.walk(tree))
    for node in nodes:  # imports first: a name means openai only once imported as openai
        if isinstance(node, ast.Import):
            for alias in node.names:  # import openai, import openai as oa, import openai.error
                dotted = alias.name.startswith("openai.") and not alias.asname
                if alias.name == "openai" or dotted:
                    mod.openai_names.add(alias.asname or "openai")
        elif isinstance(node, ast.ImportFrom) and node.module == "openai":
            mod.client_names.update(a.asname or a.name for a in node.names if a.name in CLIENTS)
    # A notebook often uses openai imported in a cell it no longer has: the bare name is the
    # module unless the file binds it to something else (openai = OpenAI()).
    if not any(isinstance(n, ast.Name) and n.id == "openai" and isinstance(n.ctx, ast.Store)
               for n in nodes):
        mod.openai_names.add("openai")
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if not isinstance(target, ast.Attribute):
                    continue
                mod.azure |= target.attr == "api_type" and _text(node.value) == "azure"
                mod.api_base |= target.attr == "api_base"
                mod.timeout_elsewhere |= target.attr == "timeout"
        elif isinstance(node, ast.Attribute) and node.attr in V1_RESOURCES:
            mod.v1_module |= mod.is_openai(node.value)
        elif isinstance(node, ast.Call):
            if _kw(node, "azure_endpoint") is not None or _text(_kw(node, "api_type")) == "azure":
                mod.azure = True
            if _kw(node, "timeout") is not None and (
                    _name(node.func) == "with_options" or _name(node.func) in API_METHODS):
                mod.timeout_elsewhere = True
    mod.clients = [n for n in nodes if isinstance(n, ast.Call) and mod.is_client(n)]
    return mod


class _Rules(ast.NodeVisitor):
    def __init__(self, mod: _Module, today: date) -> None:
        self.mod = mod
        self.today = today
        self.hits: list[Hit] = []

    # --- openai 0.x interface ---------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "openai.error":
                self._moved(node.lineno, "import openai.error")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "openai.error":
            self._moved(node.lineno, "from openai.error import ...")
        elif node.module == "openai":
            for alias in node.names:
                if alias.name in OLD_RESOURCES:
                    self._old(node.lineno, f"from openai import {alias.name}", alias.name)
                elif alias.name == "error":
                    self._moved(node.lineno, "from openai import error")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.mod.is_openai(node.value):
            if node.attr in OLD_RESOURCES:
                self._old(node.lineno, f"openai.{node.attr}", node.attr)
            elif node.attr == "error" and isinstance(node.ctx, ast.Load):
                self._moved(node.lineno, "openai.error")
            elif node.attr == "api_base" and isinstance(node.ctx, ast.Store):
                self.hits.append(Hit("scan_old_api", node.lineno, "fail", {
                    "what": "openai.api_base",
                    "effect": "ignores it (the setting is now base_url), so requests go to "
                              "api.openai.com instead",
                    "fix": "client = AzureOpenAI(azure_endpoint=..., api_version=...) for "
                           "Azure, or OpenAI(base_url=...) for another gateway"}))
            elif node.attr == "api_type" and isinstance(node.ctx, ast.Store) \
                    and self.mod.api_base:
                self.hits.append(Hit("scan_old_api", node.lineno, "warn", {
                    "what": "openai.api_type with openai.api_base",
                    "effect": "reads the Azure endpoint from openai.azure_endpoint, not "
                              "api_base",
                    "fix": "client = AzureOpenAI(azure_endpoint=..., api_version=..., "
                           "api_key=...)"}))
        self.generic_visit(node)

    def _old(self, line: int, what: str, resource: str) -> None:
        self.hits.append(Hit("scan_old_api", line, "fail", {
            "what": what, "effect": "raises APIRemovedInV1 when it is used",
            "fix": f"client = OpenAI(); {OLD_RESOURCES[resource]}; `openai migrate` rewrites "
                   "a whole code base"}))

    def _moved(self, line: int, what: str) -> None:
        self.hits.append(Hit("scan_old_api", line, "fail", {
            "what": what, "effect": "has no openai.error module (ModuleNotFoundError)",
            "fix": "from openai import RateLimitError, APIError, APITimeoutError "
                   "(InvalidRequestError is now BadRequestError)"}))

    # --- calls: engine=, clients, models, keys, versions -----------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        for kw in node.keywords:
            value = _text(kw.value)
            if kw.arg == "engine" and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in API_METHODS:
                self.hits.append(Hit("scan_old_api", kw.lineno, "fail", {
                    "what": "engine=", "effect": "rejects it (TypeError: unexpected keyword "
                                                 "argument 'engine')",
                    "fix": "pass the model (or, on Azure, the deployment name) as model="}))
            if value is None or kw.arg is None:
                continue
            self._value(kw.arg, value, kw.value.lineno)
        if _is_getenv(node.func) and len(node.args) == 2:
            env_name, default = _text(node.args[0]), _text(node.args[1])
            if env_name and default is not None:
                self._value(env_name, default, node.args[1].lineno)
        if self.mod.is_client(node) and _kw(node, "timeout") is None \
                and not self.mod.timeout_elsewhere:
            self.hits.append(Hit("scan_no_timeout", node.lineno, "warn",
                                 {"client": f"{_name(node.func)}()"}))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        value = _text(node.value)
        if value is not None:
            for target in node.targets:
                name = _name(target)
                on_self = isinstance(target, ast.Attribute) and _name(target.value) == "self"
                if name and not (on_self and not value):  # self.api_key = "": a reset
                    self._value(name, value, node.value.lineno)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args.args + node.args.kwonlyargs
        defaults = [None] * (len(node.args.args) - len(node.args.defaults)) \
            + list(node.args.defaults) + list(node.args.kw_defaults)
        for arg, default in zip(args, defaults, strict=False):
            value = _text(default)
            if default is not None and value:  # an empty default means "none given"
                self._value(arg.arg, value, default.lineno)
        for decorator in node.decorator_list:
            self._retry_decorator(decorator, node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if "sk-" in node.value and not self._seen("key", node.lineno):
                self.hits.extend(key_hits(node.value, node.lineno, named=False))
            if "api-version=" in node.value or (self.mod.azure and node.value[:2] == "20"):
                self._add_azure(node.value, node.lineno)

    def _seen(self, kind: str, line: int) -> bool:
        return any(h.line == line and kind in h.kind for h in self.hits)

    def _add_azure(self, text: str, line: int) -> None:
        if not self._seen("azure", line):
            self.hits.extend(azure_hits(text, line))

    def _value(self, name: str, value: str, line: int) -> None:
        """A string given a name (argument, variable, attribute, environment variable)."""
        lowered = name.lower()
        if "model" in lowered or lowered == "engine":
            if not self.mod.azure:  # on Azure these are deployment names, the user's own
                self.hits.extend(model_hits(value, line, self.today))
        elif "api_version" in lowered:
            self._add_azure(value, line)
        elif looks_like_key_name(name) and not self._seen("key", line):
            self.hits.extend(key_hits(value, line, named=True))

    # --- retries -----------------------------------------------------------------------------
    def _retry_decorator(self, decorator: ast.expr,
                         func: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not isinstance(decorator, ast.Call) or not _calls_api(func):
            return
        name = _name(decorator.func)
        how: str | None
        if name == "retry":
            predicate = _kw(decorator, "retry")
            stop = _kw(decorator, "stop")
            attempts = _attempts(stop)
            outer = "tenacity @retry" + (f" (stop_after_attempt({attempts}))" if attempts else "")
            if predicate is None:
                how = "tenacity @retry without retry= retries on every exception"
            else:
                how = _broad_predicate(predicate)
        elif name == "on_exception":
            attempts = _int(_kw(decorator, "max_tries"))
            outer = "backoff.on_exception" + (f" (max_tries={attempts})" if attempts else "")
            caught = {_name(e) for e in _exceptions(decorator.args[1:2])}
            how = (f"backoff.on_exception retries on {', '.join(sorted(caught & BROAD))}"
                   if caught & BROAD else None)
        else:
            return
        if how:
            self.hits.append(Hit("scan_retried_4xx", decorator.lineno, "warn", {"how": how}))
        self._layers(decorator.lineno, outer, attempts)

    def visit_For(self, node: ast.For | ast.While) -> None:
        for handler in (n for n in ast.walk(node) if isinstance(n, ast.Try)):
            if not _calls_api(ast.Module(body=handler.body, type_ignores=[])):
                continue
            for catch in handler.handlers:
                caught = {_name(e) for e in _exceptions([catch.type])} if catch.type else \
                    {"BaseException"}
                # a raise anywhere in the handler: it chooses what to retry, deliberately
                reraises = any(isinstance(n, ast.Raise) for part in catch.body
                               for n in ast.walk(part))
                if caught & BROAD and not reraises:
                    self.hits.append(Hit("scan_retried_4xx", catch.lineno, "warn", {
                        "how": f"a retry loop catches {', '.join(sorted(caught & BROAD))} "
                               "and tries again"}))
                    self._layers(node.lineno, "a retry loop", None)
        self.generic_visit(node)

    visit_While = visit_For

    def _layers(self, line: int, outer: str, attempts: int | None) -> None:
        """A retry layer around a client that retries too (openai >= 1: max_retries=2)."""
        inner = [_int(_kw(c, "max_retries")) for c in self.mod.clients]
        if not inner and not self.mod.v1_module:
            return  # openai 0.x, or a client built elsewhere: nothing known to multiply
        retrying = [2 if n is None else n for n in inner if n != 0] if inner else [2]
        if not retrying or self._seen("retry_layers", line):
            return
        tries = max(retrying) + 1
        total = str(attempts * tries) if attempts else f"{tries} x (the loop's attempts)"
        self.hits.append(Hit("scan_retry_layers", line, "warn", {
            "outer": outer, "inner": max(retrying), "total": total}))


def _is_getenv(func: ast.expr) -> bool:
    """``os.getenv`` / ``getenv`` / ``os.environ.get``: a default here is a fallback value."""
    if _name(func) == "getenv":
        return True
    return isinstance(func, ast.Attribute) and func.attr == "get" and _name(func.value) == "environ"


def _int(node: ast.AST | None) -> int | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, int) else None


def _attempts(stop: ast.expr | None) -> int | None:
    if isinstance(stop, ast.Call) and _name(stop.func) == "stop_after_attempt" and stop.args:
        return _int(stop.args[0])
    return None


def _exceptions(nodes: Sequence[ast.expr | None]) -> Iterator[ast.expr]:
    for node in nodes:
        if isinstance(node, ast.Tuple):
            yield from node.elts
        elif node is not None:
            yield node


def _broad_predicate(predicate: ast.expr) -> str | None:
    name = _name(predicate)
    if not isinstance(predicate, ast.Call):
        return None
    caught = {_name(e) for e in _exceptions(list(predicate.args[:1]))}
    if name == "retry_if_exception_type" and caught & BROAD:
        return f"tenacity retries on {', '.join(sorted(caught & BROAD))}"
    if name == "retry_if_not_exception_type":
        return f"tenacity retries on every exception except {', '.join(sorted(caught))}"
    return None


def scan_python(source: str, today: date) -> list[Hit]:
    """The hits of one Python file (empty when it is not valid Python)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    rules = _Rules(_collect(tree, source), today)
    rules.visit(tree)
    return rules.hits
