"""Personal data that ``--pii`` removes: e-mail addresses, phone numbers, people's names.

Off by default: a support engineer often needs the account's e-mail address to find the
account, and names and addresses are not credentials. E-mail addresses and phone numbers are
found by their shape in any text; names only under fields that say so (``first_name``,
``displayName``, or ``name`` beside an ``email``), since a name has no shape.
"""

from __future__ import annotations

import functools
import re

__all__ = ["EMAIL_RE", "PHONE_RE", "QUICK_PII", "is_name_field"]

EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@"
                      r"[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}\b")
# International (+ and 8 to 15 digits, spaces/dots/dashes/brackets between) or the North
# American 3-3-4 form; dates (2026-03-02), times and version numbers do not fit either.
PHONE_RE = re.compile(r"(?<![\w+.])(?:\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,5}[ .\-]?\d{2,4}"
                      r"|\(?\b\d{3}\)?[ .\-]\d{3}[ .\-]\d{4})(?![\w.])")
QUICK_PII = re.compile(r"@|\d{3}")

_NAME_WORDS = frozenset({"firstname", "lastname", "givenname", "familyname", "fullname",
                         "displayname", "username", "nickname", "surname", "middlename",
                         "realname", "personname", "contactname", "authorname"})


@functools.lru_cache(maxsize=4096)
def is_name_field(key: str) -> bool:
    """True when a field of this name holds a person's name (``first_name``, ``userName``)."""
    squashed = re.sub(r"[^a-z]", "", key.lower())
    return squashed in _NAME_WORDS
