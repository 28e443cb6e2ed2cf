"""Apache James (JavaMail) bounces.

James writes its explanation first ("Error message below:" and the remote reply, or
its own words), then "Message details:" listing the returned message's envelope as
indented fields; the recipients are its ``RCPT TO:`` lines.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, original_from_headers, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, received, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_DETAILS = re.compile(r"^Message details:[ \t]*$", re.MULTILINE)
_BELOW = re.compile(r"^Error message below:[ \t]*$", re.MULTILINE)
_RCPT = re.compile(r"^[ \t]+RCPT TO:[ \t]*<?([^\s<>]{1,320}@[^\s<>]{1,255}?)>?[ \t]*$", re.M)
_SUBJECT = re.compile(r"^[ \t]+Subject:[ \t]*(.*)$", re.MULTILINE)


class ApacheJames:
    """James's "[BOUNCE]" notices."""

    name = "apachejames"
    order = 380
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        if msg.subject == "[BOUNCE]" or ".JavaMail." in (msg.header("Message-ID") or ""):
            return True
        return "JAMES SMTP Server" in received(msg, 20)

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        details = _DETAILS.search(report)
        if details is None:
            return None
        listing = report[details.end() :].split("\n\n", 1)[0]
        recipients = [strip_address(m.group(1)) for m in _RCPT.finditer(listing)]
        if not recipients:
            return None
        said = report[: details.start()]
        below = _BELOW.search(said)
        diagnostic = normalize_space(said[below.end() :] if below else said)
        evidence = [
            finish(Evidence(recipient=r, diagnostic=diagnostic, action="failed"))
            for r in recipients
            if r
        ]
        original = original_from_headers(msg.returned or tail)
        if original is not None and original.subject is None:
            subject = _SUBJECT.search(listing)
            original.subject = subject.group(1).strip() if subject else None
        return Parsed(evidence=evidence, original=original)


DETECTOR = ApacheJames()
