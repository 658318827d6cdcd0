"""The hosts the ChatGPT web app needs besides chatgpt.com itself, and what breaks without each.

The hosts come from public lists (v2fly domain-list-community ``data/openai``, router and proxy
rule sets: ``tests/data/real/web``, where a test holds this table against them); what breaks,
from issue threads where blocking one host broke one part of the page: cdn.oaistatic.com a
blank page (lencx/ChatGPT#1126), files.oaiusercontent.com uploads (StressOzz/Zapret-Manager#928),
auth.openai.com sign-in (antonme/ipnames#1), ab.chatgpt.com nothing (EasyPrivacy blocks it,
easylist/easylist#19177). ``need`` says how bad losing the host is: ``required`` (the page or
sign-in fails), ``feature`` (one feature fails), ``optional`` (nothing a user sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["WEB_HOSTS", "WebHost"]

Need = Literal["required", "feature", "optional"]


@dataclass(frozen=True, slots=True)
class WebHost:
    """One host the web app talks to."""

    name: str
    role: str  # what the page uses it for
    breaks: str  # what the user sees when it is blocked
    need: Need
    path: str = "/"  # what to ask for: any answer from the host proves the way there
    websocket: bool = False  # probe with a WebSocket upgrade instead of a plain GET


WEB_HOSTS: tuple[WebHost, ...] = (
    WebHost("chatgpt.com", "the site and its backend: conversations, streamed answers",
            "nothing loads: the browser says the site can't be reached, or shows a block page",
            "required"),
    WebHost("cdn.oaistatic.com", "the page's scripts and styles",
            "the page stays blank or half-drawn (only the footer shows)", "required"),
    WebHost("auth.openai.com", "signing in and signing up",
            "you cannot log in (the login button spins or fails)", "required"),
    WebHost("challenges.cloudflare.com", "the 'Verify you are human' check",
            "the 'Just a moment...' check never finishes, so the site stays behind it",
            "required", path="/turnstile/v0/api.js"),
    WebHost("ws.chatgpt.com", "live updates over a WebSocket",
            "the page opens but answers stall or do not refresh until you reload",
            "feature", websocket=True),
    WebHost("files.oaiusercontent.com", "uploads, downloads and generated images",
            "uploads stop with 'Unable to upload file'; images and files do not show",
            "feature"),
    WebHost("chatgpt.livekit.cloud", "voice mode",
            "voice mode does not connect; typing still works", "feature"),
    WebHost("ab.chatgpt.com", "feature flags and experiments",
            "usually nothing visible (privacy lists such as EasyPrivacy block it)", "optional"),
)

