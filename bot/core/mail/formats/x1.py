"""An unnamed gateway's "Returned Mail: ..." notices from ``"Mail Deliver System"``.

Only messages with that Subject or sender are read: the layout alone is too loose.

After "The original message was received at <date>", one line per recipient holds the
address and, in square brackets, the remote server's reply:
``a@example.org [550 5.1.1 <a@example.org>... User Unknown]``.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, parsed, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(r"^The original message was received at ", re.MULTILINE)
_LINE = re.compile(
    r"^<?([^\s<>\[\]]{1,320}@[^\s<>\[\]]{1,255}?)>?[ \t]+\[([^\]\n]{1,1000})\][ \t]*$"
)


class X1:
    """The "Mail Deliver System" notices: ``address [reply]`` lines."""

    name = "x1"
    order = 455
    body_markers = False  # the layout alone is too loose to claim a message

    def sniff(self, msg: BounceMessage) -> bool:
        subject = msg.subject
        if subject.startswith(("Returned Mail: ", "Mail Delivery Failure")):
            return True
        sender = msg.sender.lower().lstrip('" ')
        return sender.startswith("mail deliver") and 'system" ' in sender

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None:
            return None
        evidence: list[Evidence] = []
        for line in report[intro.end() :].splitlines()[:5000]:
            match = _LINE.match(line.strip())
            if match is None:
                continue
            recipient = strip_address(match.group(1))
            if recipient:
                diagnostic = normalize_space(match.group(2))
                ev = Evidence(recipient=recipient, diagnostic=diagnostic, action="failed")
                evidence.append(finish(ev))
        return parsed(msg, evidence, tail)


DETECTOR = X1()
