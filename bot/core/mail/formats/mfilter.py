"""Digital Arts m-FILTER "failure notice" bounces (X-Mailer: m-FILTER).

A Japanese introduction, the recipient's address alone on a line, then
``-------server message`` with the remote reply on the next line and
``-------SMTP command`` with the command it answered (``RCPT TO:<…>``, ``DATA``).
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    normalize_space,
    smtp_command,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, parsed, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_ADDRESS = re.compile(r"^<?([^\s<>@]{1,320}@[^\s<>@]{1,255}\.[A-Za-z]{2,63})>?$")
_END = ("-------original message", "-------original mail info")


class MFilter:
    """m-FILTER's failure notices."""

    name = "mfilter"
    order = 390
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return (msg.header("X-Mailer") or "").strip() == "m-FILTER"

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        evidence: list[Evidence] = []
        current: Evidence | None = None
        expect: str | None = None  # "reply" or "command": what the next line holds
        for line in report.splitlines()[:5000]:
            text = line.strip()
            if text.startswith(_END):
                break
            if not text:
                continue
            address = _ADDRESS.match(text)
            if address is not None and expect is None:
                current = Evidence(recipient=strip_address(address.group(1)), action="failed")
                evidence.append(current)
                continue
            if text == "-------server message":
                expect = "reply"
            elif text == "-------SMTP command":
                expect = "command"
            elif current is not None and expect == "reply":
                current.diagnostic = current.diagnostic or normalize_space(text)
                expect = None
            elif current is not None and expect == "command":
                current.command = current.command or smtp_command(text)
                expect = None
        evidence = [finish(ev) for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


DETECTOR = MFilter()
