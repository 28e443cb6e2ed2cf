"""McAfee Email Gateway / Email and Web Security appliance "Delivery Status" reports.

The text lists ``<a@example.org>   (why)`` under "--- The following addresses had
delivery problems ---"; the RFC 3464 part beside it (sometimes with only an
Original-Recipient) holds Status and Diagnostic-Code. No SMTP command is named, so an
unknown-user reply there reads as the classifier reads it anywhere (``filtered``
unless the status says 5.1.x), as Sisimai 5 reads these reports.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish, merge, parsed, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_LIST = re.compile(
    r"^[ \t]*-+[ \t]*The following addresses had delivery problems[ \t]*-+[ \t]*$", re.M
)
_LINE = re.compile(r"^<([^\s<>]{1,320}@[^\s<>]{1,255})>[ \t]+\(([^\n]{1,1000})\)[ \t]*$")


class McAfee:
    """McAfee appliances' "Delivery Status" reports."""

    name = "mcafee"
    order = 370
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return "modified by mcafee" in (msg.header("X-NAI-Header") or "").lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        listed = _LIST.search(report)
        if listed is None:
            return None
        text: list[Evidence] = []
        for line in report[listed.end() :].splitlines()[:5000]:
            match = _LINE.match(line.strip())
            if match is not None:
                ev = Evidence(
                    recipient=strip_address(match.group(1)),
                    diagnostic=normalize_space(match.group(2)),
                    action="failed",
                )
                text.append(finish(ev))
        evidence = [ev for ev in merge(text, dsn_of(msg), prefer_text=False) if ev.recipient]
        return parsed(msg, evidence, tail)


DETECTOR = McAfee()
