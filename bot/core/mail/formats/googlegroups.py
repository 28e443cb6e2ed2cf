"""Google Groups refusing a post (sent by mailer-daemon@googlemail.com, in the poster's language).

The notice tells the poster that the group may not exist or that they may not post to
it, lists a few possible causes and points at the Groups help centre. The group's
address is in ``X-Failed-Recipients`` (the text names only the group's short name, in
whatever language the poster uses). The group refused the message: reason ``rejected``.

Recognised without reading the language: Google's mailer-daemon, the Groups help-centre
link, and a failed recipient on a Groups domain (or, for a group on the sender's own
domain, no remote reply in the text).
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    find_addresses,
    normalize_space,
    original_from_headers,
    split_returned,
    unique,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_HELP = re.compile(r"https?://groups\.google\.[a-z.]{2,12}/support", re.IGNORECASE)
_GROUPS_DOMAIN = re.compile(r"@googlegroups\.com$|@groups\.", re.IGNORECASE)
#: What Gmail's delivery failures say and Groups' refusals do not: a remote reply.
_DELIVERY = re.compile(
    r"^[ \t]*The (?:response|error)[^\n]{0,40} was:|(?<![\w.\-])[245][0-5]\d[ \-][245]\.\d",
    re.IGNORECASE | re.MULTILINE,
)
#: Lines of the notice that are the list of possible causes or the sign-off.
_BULLET = re.compile(r"^[ \t]*\*[ \t]")


class GoogleGroups:
    """Google Groups' "you may not post to this group" notices."""

    name = "googlegroups"
    order = 150
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        if "mailer-daemon@google" not in msg.sender.lower():
            return False
        return any(_GROUPS_DOMAIN.search(a) for a in _failed(msg))

    def parse(self, msg: BounceMessage) -> Parsed | None:
        if "mailer-daemon@google" not in msg.sender.lower():
            return None
        report, tail = split_returned(msg.body[:MAX_REPORT])
        help_link = _HELP.search(report)
        failed = _failed(msg)
        if help_link is None or not failed:
            return None
        if not any(_GROUPS_DOMAIN.search(a) for a in failed) and _DELIVERY.search(report):
            return None  # a group on the sender's own domain, but this is a delivery failure
        diagnostic = _explanation(report[: help_link.start()])
        evidence = [
            Evidence(recipient=a, diagnostic=diagnostic, action="failed", reason="rejected")
            for a in failed
        ]
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _failed(msg: BounceMessage) -> list[str]:
    found: list[str] = []
    for value in msg.headers("X-Failed-Recipients"):
        found.extend(find_addresses(value))
    return unique(found)


def _explanation(text: str) -> str | None:
    """The notice's first paragraph after the greeting: what Google Groups says happened."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    for paragraph in paragraphs[1:] or paragraphs:
        if not _BULLET.match(paragraph):
            return normalize_space(paragraph)
    return None


DETECTOR = GoogleGroups()
