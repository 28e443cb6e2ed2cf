"""Lotus Notes / HCL Domino delivery failure reports.

The text reads "Your message … was not delivered to: <address(es)> because: <why>";
the reason is Domino's own sentence (for an unknown user, "… not listed in Domino
Directory", localised in the server's language) or the remote reply it relays. Newer
Dominos add an RFC 3464 part, whose Status completes the text.
"""

from __future__ import annotations

import re

from bot.core.mail.common import find_addresses, normalize_space, original_from_headers
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish, merge, own_reason, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_NOT_DELIVERED = re.compile(r"^[ \t]*was not delivered to:[ \t]*$", re.IGNORECASE | re.MULTILINE)
_BECAUSE = re.compile(r"^[ \t]*because:[ \t]*$", re.IGNORECASE | re.MULTILINE)


class Domino:
    """Domino's "DELIVERY FAILURE" / "DELIVERY REPORT" notices."""

    name = "domino"
    order = 420
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.upper().startswith(("DELIVERY FAILURE:", "DELIVERY REPORT:"))

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        where = _NOT_DELIVERED.search(report)
        if where is None:
            return None
        because = _BECAUSE.search(report, where.end())
        listed = report[where.end() : because.start() if because else len(report)]
        recipients = find_addresses(listed.strip().split("\n\n", 1)[0])
        if not recipients:
            return None
        why = ""
        if because is not None:
            why = report[because.end() :].strip().split("\n\n", 1)[0]
        diagnostic = normalize_space(why)
        reason = own_reason("domino", diagnostic) if reply_text(diagnostic) is None else None
        evidence = [
            finish(Evidence(recipient=r, diagnostic=diagnostic, action="failed", reason=reason))
            for r in recipients
        ]
        evidence = merge(evidence, dsn_of(msg))
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = Domino()
