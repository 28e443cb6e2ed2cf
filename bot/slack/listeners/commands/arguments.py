"""`/smtp CODE DOMAIN [IP]`: a code to explain plus what to look up in DNS for it.

Anything else is a pasted reply or bounce and stays as it was. Slack may send the domain
as a link (``<http://example.org|example.org>``) when the command escapes links; both
forms read the same. Only a domain and IP typed here are ever looked up.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from bot.core.replytext import unescape_slack
from bot.dns.targets import is_domain

#: A reply code (``550``) or an enhanced status code (``5.7.26``, RFC 3463).
_CODE = re.compile(r"[245]\d\d|[245]\.\d{1,3}\.\d{1,3}")
_LINK = re.compile(r"<(?:https?://|mailto:)?[^<>|\s]*\|([^<>\s]+)>|<(?:https?://)([^<>|\s]+)>")


@dataclass(frozen=True, slots=True)
class LookupArgs:
    """The code(s) to explain, and the domain (and sending IP) to check in DNS."""

    code: str
    domain: str
    ip: str | None = None


def parse_lookup(text: str) -> LookupArgs | None:
    """`LookupArgs` for ``CODE [CODE] DOMAIN [IP]``, else None (the text is explained whole)."""
    words = unescape_slack(_LINK.sub(lambda m: m.group(1) or m.group(2), text)).split()
    ip = None
    if words and _is_ip(words[-1]):
        ip = str(ipaddress.ip_address(words.pop().strip("[]")))
    if len(words) < 2 or len(words) > 3:
        return None
    domain = words.pop().lower().rstrip(".").rstrip("/")
    if not is_domain(domain) or not all(_CODE.fullmatch(w) for w in words):
        return None
    return LookupArgs(code=" ".join(words), domain=domain, ip=ip)


def _is_ip(word: str) -> bool:
    try:
        ipaddress.ip_address(word.strip("[]"))
    except ValueError:
        return False
    return True
