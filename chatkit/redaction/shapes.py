"""Values that look like a credential, wherever they sit, and the entropy test for the rest.

Shapes are recognised by their look alone: a provider's key prefix, a JWT or JWE, a PEM
block, ``Bearer <token>``, ``user:pass@`` in a URL. Most follow gitleaks' rules
(``config/gitleaks.toml``) for the services a chatkit user touches: OpenAI, Anthropic, Azure
AD, Google Cloud, AWS, GitHub, GitLab, Hugging Face, Slack, Stripe, Perplexity, npm and PyPI.
The shapes of providers gitleaks does not cover (OpenRouter, xAI, Groq, Replicate) and of the
ChatGPT web app's anti-abuse tokens (Fernet ``gAAAAAB...``) are chatkit's own.

:func:`high_entropy` is the detect-secrets test (Shannon entropy over a base64 or hex
alphabet, limits 4.5 and 3.0) for a whole value under a name that says nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = [
    "AZURE_RE",
    "CODE_RE",
    "MARKER_RE",
    "MASKED_RE",
    "QUICK",
    "QUICK_CODE",
    "QUICK_URL",
    "SHAPE_KINDS",
    "SPACED_QUICK",
    "SPACED_RE",
    "TEXT_RE",
    "USERINFO_MARKER_RE",
    "USERINFO_RE",
    "high_entropy",
    "shannon",
]

# Order matters: specific shapes before the generic ``sk-`` and JWE before JWT.
_SHAPES: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:[\s\S]*?-----END[A-Z ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)"),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    ("openrouter-key", r"sk-or-v1-[A-Za-z0-9]{16,}"),
    # also the masked form in OpenAI's 401 message: sk-proj-*****...abcd
    ("openai-key", r"sk-[A-Za-z0-9_\-*]{16,}"),
    ("openai-session-key", r"sess-[A-Za-z0-9]{32,}"),
    ("google-key", r"AIza[0-9A-Za-z_\-]{30,}"),
    ("google-oauth-secret", r"GOCSPX-[A-Za-z0-9_\-]{24,}"),
    ("google-oauth-token", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    ("xai-key", r"xai-[A-Za-z0-9_\-]{20,}"),
    ("groq-key", r"gsk_[A-Za-z0-9]{20,}"),
    ("huggingface-token", r"(?:hf_|api_org_)[A-Za-z0-9]{20,}"),
    ("aws-access-key", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}"),
    ("aws-bedrock-key", r"ABSK[A-Za-z0-9+/]{109,269}={0,2}"),
    ("azure-ad-client-secret",
     r"[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])"),
    ("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ("gitlab-token", r"gl(?:pat|dt|rt|ptt|cbt)-[0-9A-Za-z_\-]{20,}"),
    ("slack-token",
     r"(?:xox[abposre]|xoxe\.xox[bp])-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,}"),
    ("slack-webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{30,}"),
    ("stripe-key", r"(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}"),
    ("perplexity-key", r"pplx-[A-Za-z0-9]{20,}"),
    ("replicate-token", r"r8_[A-Za-z0-9]{20,}"),
    ("npm-token", r"npm_[A-Za-z0-9]{36}"),
    ("pypi-token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"),
    ("sendgrid-key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    # ChatGPT's sentinel (chat-requirements, proof, turnstile) tokens are Fernet tokens
    ("fernet-token", r"gAAAAAB[A-Za-z0-9_\-]{40,}={0,2}"),
    # JWE compact form (next-auth's session token): header..iv.ciphertext.tag
    ("jwe", r"eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]{8,}"
            r"\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("jwt", r"eyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"),
)
# "Bearer <token>" / "Basic <b64>" anywhere in text, whatever the token looks like.
_AUTH_IN_TEXT = r"(?P<scheme>\b(?:Bearer|Basic|Token|Digest)\s+)(?P<cred>[A-Za-z0-9._~+/=\-]{12,})"
# user:password@ in any URL inside text.
_USERINFO_IN_TEXT = (r"(?P<uscheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)"
                     r"(?P<userinfo>[^\s/@:\"'<>]*:[^\s/@\"'<>]*)@")
# name=value after ? & # ; , ( or a space (URLs and key=value pairs in messages); the name decides.
_PARAM_IN_TEXT = (r"(?P<pre>[?&#;,(\s]|^)(?P<pname>[A-Za-z0-9_.\-\[\]]{1,64})="
                  r"(?P<pval>[^&#\s\"'<>;,)]+)")
# "name": "value" / 'name': 'value' / name='value' (JSON fragments, Python reprs, kwargs).
_KV_IN_TEXT = (r"(?<![A-Za-z0-9_])(?P<kq>[\"']?)(?P<kname>[A-Za-z0-9_.\-]{1,64})(?P=kq)\s*[:=]\s*"
               r"(?P<vq>[\"'])(?P<kval>(?:[^\"'\\\n]|\\.){0,4000})(?P=vq)")

_SHAPE_ALTERNATIVES = "|".join(f"(?P<s{i}>(?<![A-Za-z0-9_\\-]){p})"
                               for i, (_, p) in enumerate(_SHAPES))
#: everything: shapes, auth schemes, userinfo, and the name rules of ``name=value`` text
TEXT_RE = re.compile(f"{_SHAPE_ALTERNATIVES}|{_AUTH_IN_TEXT}|{_USERINFO_IN_TEXT}"
                     f"|{_KV_IN_TEXT}|{_PARAM_IN_TEXT}")
# Code and markup (JS, CSS, HTML): secret-shaped values only, never a name rule. Bundles run to
# megabytes, so the scan is split: every shape but one starts with one of these characters (a
# lookahead on them lets the engine skip the rest of the text, 20x faster on minified JS); the
# Azure AD secret (its mark is "Q~" in fifth place) and user:pass@ (after "://") are separate
# scans, run only when their mark is in the text.
_AZURE = [kind for kind, _ in _SHAPES].index("azure-ad-client-secret")
_CODE_FIRSTS = "-ABDGSTaeghnprsxy"
CODE_RE = re.compile(f"(?=[{_CODE_FIRSTS}])(?:" + "|".join(
    f"(?P<s{i}>(?<![A-Za-z0-9_\\-]){p})" for i, (_, p) in enumerate(_SHAPES) if i != _AZURE)
    + f"|{_AUTH_IN_TEXT})")
AZURE_RE = re.compile(f"(?P<s{_AZURE}>(?<![A-Za-z0-9_\\-]){_SHAPES[_AZURE][1]})")
USERINFO_RE = re.compile(_USERINFO_IN_TEXT)
SHAPE_KINDS = {f"s{i}": kind for i, (kind, _) in enumerate(_SHAPES)}
SPACED_RE = re.compile(f"(?P<s0>{_SHAPES[0][1]})|{_AUTH_IN_TEXT}")
SPACED_QUICK = re.compile(r"\b(?:Bearer|Basic|Token|Digest)\s")
MARKER_RE = re.compile(r"\[REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]")
# The marker in a URL's userinfo drops the brackets: "[...]" before "@" reads as a broken IPv6
# literal to urlsplit, while "REDACTED:userinfo@host" parses (user REDACTED) and curl sends it
# as a harmless dummy credential. The bracketed form from older files is still recognised.
USERINFO_MARKER_RE = re.compile(r"\[?REDACTED:[a-z0-9_.\-]+(?::[0-9a-f]{10})?\]?")
# Already-masked keys (chatkit's mask_key: first 3 and last 4) are the shareable form: kept.
# So are placeholders that stand for a secret without being one: ``$OPENAI_API_KEY``, ``...``.
MASKED_RE = re.compile(r"[A-Za-z0-9_\-]{0,8}(?:\.\.\.|…)[A-Za-z0-9_\-]{0,4}|\*{3}"
                       r"|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
# Cheap pre-filter: text without any of these cannot hold a shape.
_QUICK_SHAPES = (r"sk-|sess-|AIza|GOCSPX-|ya29\.|xai-|gsk_|hf_|api_org_|A3T|A[KSBC][IC]A|ABSK|"
                 r"Q~|gh[pousr]_|github_pat_|gl[pdrc]|xox|xapp-|hooks\.slack|_live_|_test_|"
                 r"_prod_|pplx-|r8_|npm_|pypi-|SG\.|gAAAAAB|eyJ|PRIVATE KEY|Bearer|Basic|"
                 r"Token|Digest")
# Every alternative starts with a literal character: a lookahead on that set lets the regex
# engine skip most positions at once (3x faster on a plain URL than the bare alternation).
_FIRSTS = re.escape("".join(sorted({a[0] for a in _QUICK_SHAPES.split("|")} - {"\\"})))
_CODE_QUICK = f"(?=[{_FIRSTS}Q])(?:{_QUICK_SHAPES})"
QUICK = re.compile(f"(?=[{_FIRSTS}Q:=\"'])(?:{_QUICK_SHAPES}|://|=|[\"']\\s*:)")
QUICK_CODE = re.compile(f"{_CODE_QUICK}|://")
QUICK_URL = re.compile(f"(?=[{_FIRSTS}Q@?#;])(?:{_QUICK_SHAPES}|[@?#;])")


# --- entropy ---------------------------------------------------------------------------------
_B64 = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_B64_LIMIT = 4.5  # detect-secrets' defaults (Base64HighEntropyString, HexHighEntropyString)
_HEX_LIMIT = 3.0


def shannon(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def high_entropy(value: str) -> bool:
    """True when a whole value is random enough to be a key (detect-secrets' test).

    Base64 needs all three character classes besides the entropy (a lowercase word list has
    entropy too); hex needs 32 characters (a 128-bit value; shorter hex is a colour, a short
    hash or a counter; 40 and 64 are SHA-1 and SHA-256). UUIDs are identifiers, not keys.
    """
    if not 20 <= len(value) <= 512 or _UUID.fullmatch(value):
        return False
    if _HEX.fullmatch(value):  # 40 and 64 digits are SHA-1/SHA-256 (commits, content hashes)
        return len(value) not in (40, 64) and shannon(value) > _HEX_LIMIT
    if not _B64.fullmatch(value):
        return False
    has = (any(c.islower() for c in value), any(c.isupper() for c in value),
           any(c.isdigit() for c in value))
    return all(has) and shannon(value) > _B64_LIMIT
