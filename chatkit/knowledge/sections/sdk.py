"""The client libraries and the code calling them: versions that break together, names that
moved, and integration mistakes ``chatkit scan`` finds in a user's code.

The version combinations themselves are data in :mod:`chatkit.knowledge.compat`, the retired
models and Azure API versions in :mod:`chatkit.knowledge.retired`; these rows say what each
means and what to do.
"""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

MIGRATE_V1 = "https://github.com/openai/openai-python/discussions/742"
MIGRATE_NODE_V4 = "https://github.com/openai/openai-node/discussions/217"

ROWS: tuple[Cause, ...] = (
    # --- what a bad combination raises (classify recognises the text) ------------------------
    Cause("sdk_api_removed_v1", "integration",
          "code written for openai 0.x runs on openai >= 1.0, which removed the module-level "
          "resources (openai.ChatCompletion, openai.Completion, ...) and raises "
          "APIRemovedInV1 when one is used",
          "move the call to a client: client = OpenAI(); client.chat.completions.create(...) "
          "(the old engine= becomes model=); `openai migrate` rewrites a code base, and "
          f"{MIGRATE_V1} lists every change; or pin openai==0.28 for code you cannot change",
          False, "openai 0.x code on openai >= 1"),
    Cause("sdk_httpx_proxies", "integration",
          "the client library passes httpx the `proxies` argument, which httpx 0.28 removed "
          "(deprecated since 0.26): openai before 1.55.3 and anthropic before 0.40.0 do this",
          "pip install -U 'openai>=1.55.3' (and 'anthropic>=0.40.0'); or pin 'httpx<0.28' "
          "until you can upgrade; a proxy goes in HTTPS_PROXY or in "
          "http_client=DefaultHttpxClient(proxy=...)",
          False, "client library too old for httpx 0.28"),
    Cause("sdk_moved_name", "integration",
          "the code imports a name from where openai 0.x kept it; openai >= 1.0 moved it "
          "(openai.error.RateLimitError is now openai.RateLimitError, InvalidRequestError is "
          "BadRequestError, Timeout is APITimeoutError)",
          "import the exceptions from openai itself (from openai import RateLimitError, "
          "APIError, APITimeoutError); a library that does this (litellm < 1.0, old langchain) "
          "needs upgrading",
          False, "a name that openai >= 1 moved"),
    Cause("sdk_openai_too_old", "integration",
          "the code is written for openai >= 1.0 but the Python that runs it imports openai "
          "0.x: often a notebook kernel started before the upgrade, or pip installing into "
          "another environment than the one running the code",
          "in a notebook run %pip install -U openai and restart the kernel; in a terminal use "
          "python -m pip with the same python that runs the code; "
          "python -c 'import openai; print(openai.__version__, openai.__file__)' shows which "
          "one is used",
          False, "openai 0.x where openai >= 1 is expected"),
    Cause("sdk_pydantic_mismatch", "integration",
          "openai (or a library built on it) and the installed pydantic do not fit: "
          "{detail}",
          "upgrade both to current versions (pip install -U openai pydantic); a package that "
          "imports openai's private names (openai._compat.PYDANTIC_V2, removed in 1.106.0) "
          "needs its own upgrade, or pin 'openai<1.106' until it has one",
          False, "openai and pydantic versions clash"),
    Cause("sdk_typing_extensions_old", "integration",
          "the typing_extensions that Python loads is older than openai needs (>= 4.11, "
          ">= 4.14 since openai 2.29); a second, older copy (a system package in "
          "dist-packages) may shadow the one pip upgraded",
          "pip install -U typing-extensions in the environment that runs the code, and check "
          "python -c 'import typing_extensions; print(typing_extensions.__file__)'",
          False, "typing_extensions too old"),
    Cause("sdk_langchain_old_openai", "integration",
          "an old langchain checks for openai.ChatCompletion, which openai >= 1.0 removed, "
          "and blames the openai package",
          "upgrade langchain and use langchain-openai (pip install -U langchain "
          "langchain-openai); or pin openai==0.28 for that old langchain",
          False, "old langchain with openai >= 1"),
    # --- what the sdk check finds among the installed distributions -------------------------
    Cause("sdk_known_bad", "integration",
          "{combination} is a combination known to fail: {error}",
          "{fix} (source: {source})",
          False, "installed client libraries known to break together"),
    Cause("sdk_requirement_conflict", "integration",
          "installed distributions do not satisfy each other's requirements: {conflicts}",
          "install the versions they ask for (pip install -U the ones named), then run "
          "python -m pip check until it says 'No broken requirements found.'",
          False, "installed packages conflict"),
    Cause("sdk_shadowed_copy", "integration",
          "{package} is installed twice on the import path ({versions}); Python imports the "
          "first, which may not be the version pip reports",
          "remove the copy you do not want (often a system package under dist-packages) or "
          "use a virtual environment",
          False, "two copies of a package"),
    Cause("sdk_stale_import", "integration",
          "this Python imported {package} {loaded} before {installed} was installed: it keeps "
          "running the old code until it restarts",
          "restart the kernel (or the process) so it imports the installed version",
          False, "an upgrade not yet loaded"),
    Cause("sdk_kernel_elsewhere", "integration",
          "the notebook kernel runs {executable}, but `python` on the PATH is {path_python}: "
          "a pip install in a terminal goes to another environment than the kernel's",
          "install from the notebook with %pip install (it targets the kernel's Python), or "
          "select the kernel of the environment you installed into",
          False, "the kernel and the terminal use different Pythons"),
    # --- what chatkit scan finds in the user's code -----------------------------------------
    Cause("scan_old_api", "integration",
          "{what} is the openai 0.x interface; openai >= 1.0 {effect}",
          "{fix}",
          False, "openai 0.x API in the code"),
    Cause("scan_old_node_api", "integration",
          "{what} is the openai-node v3 interface, which openai-node v4 removed{effect}",
          "const openai = new OpenAI({{ apiKey: process.env.OPENAI_API_KEY }}); "
          "openai.chat.completions.create(...) returns the body itself (no .data); "
          f"see {MIGRATE_NODE_V4}",
          False, "openai-node v3 API in the code"),
    Cause("scan_key_in_code", "account",
          "an API key is written in the code ({key}): anyone who sees the file can use it, "
          "and keys in public repositories are found and abused within minutes",
          "revoke it at platform.openai.com/api-keys, create a new one and read it from the "
          "environment (os.environ['OPENAI_API_KEY'], process.env.OPENAI_API_KEY)",
          False, "API key written in the code"),
    Cause("scan_placeholder_key", "integration",
          "a placeholder key ({key}) is written in the code: until it is replaced every call "
          "fails with 401 invalid_api_key, and replacing it puts a real key in the file",
          "leave the key out of the code: OpenAI() reads OPENAI_API_KEY from the environment",
          False, "placeholder API key in the code"),
    Cause("scan_retry_layers", "integration",
          "{outer} retries around a client that retries by itself (max_retries={inner}): "
          "one failing call becomes up to {total} requests, and a rate limit gets worse",
          "keep one retry layer: build the client with max_retries=0 under your own retries, "
          "or drop the decorator and let the client retry",
          None, "two retry layers multiply"),
    Cause("scan_no_timeout", "integration",
          "{client} is built without a timeout: the default waits up to 600 s (10 minutes) "
          "for an answer before it gives up",
          "pass timeout= to the client (e.g. timeout=httpx.Timeout(60, connect=5)) or per "
          "call with client.with_options(timeout=...)",
          None, "client without a timeout"),
    Cause("scan_retried_4xx", "integration",
          "{how}: that includes 400, 401, 403, 404 and 422 answers, which fail the same way "
          "every time, so each retry costs time (and 401s can lock a key)",
          "retry only what can pass later: RateLimitError, APIConnectionError, "
          "APITimeoutError, InternalServerError (retry_if_exception_type((...)))",
          False, "client errors are retried"),
    Cause("scan_retired_model", "integration",
          "the model {model} was shut down on {shutdown}: every request for it fails with 404 "
          "model_not_found",
          "use {replacement} (OpenAI's recommended replacement)",
          False, "retired model"),
    Cause("scan_retiring_model", "integration",
          "the model {model} shuts down on {shutdown}; after that every request for it fails",
          "move to {replacement} (OpenAI's recommended replacement) before {shutdown}",
          None, "model about to be retired"),
    Cause("scan_misspelt_model", "integration",
          "{model} is not a model name the API knows: model names are lower case and "
          "hyphenated, and a misspelt one fails with 404 model_not_found",
          "write it as {suggestion}",
          False, "misspelt model name"),
    Cause("scan_azure_api_version", "integration",
          "Azure OpenAI api-version {version} {why}",
          "use a current GA api-version, or the v1 API: OpenAI(base_url='https://RESOURCE."
          "openai.azure.com/openai/v1/') needs no api-version at all",
          False, "Azure api-version too old"),
    # --- the triage wizard's integration branch ---------------------------------------------
    Cause("triage_sdk_conflict", "integration",
          "the installed client libraries are a combination known to fail, or conflict with "
          "each other (the sdk check's findings name them)",
          "upgrade or pin the packages the sdk check names, restart the kernel or process, "
          "and run chatkit doctor --only sdk again",
          False, "the client libraries do not fit together"),
    Cause("triage_code_mistake", "integration",
          "the code calling the API has integration mistakes (old API, retired model, "
          "missing timeout, stacked retries); `chatkit scan` lists them with file and line",
          "fix each finding of chatkit scan PATH, starting with the failures",
          False, "a mistake in the calling code"),
)
