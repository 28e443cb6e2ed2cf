"""A gateway's "There was an error sending your mail" notices.

"We had trouble delivering your message. Full details follow:" and then, per error,
one sentence naming the server, the recipient, the SMTP step and the reply in square
brackets::

    SMTP Server <smtp.example.org> rejected recipient <a@example.org> (Error following
    RCPT command). It responded as follows: [550 5.1.1 User unknown]

    The following recipients returned permanent errors: a@example.org. Reason: SMTP
    Server <192.0.2.1> refused to accept your message (DATA), with the following
    error message: [554 5.4.6 Hop count exceeded - possible mail loop]
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    find_addresses,
    normalize_space,
    original_from_headers,
    smtp_command,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(r"We had trouble delivering your message", re.IGNORECASE)
_REJECTED = re.compile(
    r"SMTP Server <([^<>\s]{1,255})> rejected recipient <([^<>\s]{1,320})>[ \t]*"
    r"\(Error following ([A-Za-z ]{2,20}?) command\)\.?[^\[]{0,80}\[([^\]]{1,2000})\]",
    re.IGNORECASE,
)
_PERMANENT = re.compile(
    r"recipients returned (?:permanent|temporary) errors:[ \t]*([^\n]{1,2000}?)\.[ \t]+"
    r"Reason:[ \t]*SMTP Server <([^<>\s]{1,255})>[^(\[]{0,80}\(([A-Za-z ]{2,20})\)"
    r"[^\[]{0,80}\[([^\]]{1,2000})\]",
    re.IGNORECASE,
)


class X6:
    """ "There was an error sending your mail" notices."""

    name = "x6"
    order = 470
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.lower().startswith("there was an error sending your mail")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if _INTRO.search(report) is None:
            return None
        flat = " ".join(report.split())
        evidence: list[Evidence] = []
        for match in _REJECTED.finditer(flat):
            host, recipient, step, reply = match.groups()
            evidence.append(_evidence(recipient, host, step, reply))
        for match in _PERMANENT.finditer(flat):
            listed, host, step, reply = match.groups()
            for recipient in find_addresses(listed):
                evidence.append(_evidence(recipient, host, step, reply))
        if not evidence:
            return None
        return Parsed(
            evidence=evidence[:MAX_RECIPIENTS], original=original_from_headers(msg.returned or tail)
        )


def _evidence(recipient: str, host: str, step: str, reply: str) -> Evidence:
    return finish(
        Evidence(
            recipient=recipient,
            diagnostic=normalize_space(reply),
            command=smtp_command(step),
            remote_mta=host,
            action="failed",
        )
    )


DETECTOR = X6()
