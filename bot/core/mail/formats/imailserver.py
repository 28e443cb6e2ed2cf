"""Ipswitch IMail Server ("SMTP32") undeliverable-mail notices.

One line per recipient, IMail's reason first: ``Unknown user: a@b``,
``User mailbox exceeds allowed size: a@b``, ``Delivery failed 20 attempts: a@b``; or
``undeliverable to a@b`` followed by "Body of message generated response:" and the
remote server's reply.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, parsed, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_LINE = re.compile(
    r"^[ \t]*([A-Za-z][^:\n]{2,80}?):[ \t]+<?([^\s<>:]{1,320}@[^\s<>]{1,255}?)>?[ \t]*$"
)
_UNDELIVERABLE = re.compile(
    r"^[ \t]*undeliverable to[ \t]+<?([^\s<>]{1,320}@[^\s<>]{1,255}?)>?[ \t]*$", re.I
)
_RESPONSE = re.compile(
    r"^[ \t]*Body of message generated response:[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_HEADERISH = re.compile(r"^(?:To|CC|From|Date|Subject|Reply-To)$", re.IGNORECASE)


class IMailServer:
    """IMail's "Undeliverable Mail" notices."""

    name = "imailserver"
    order = 430
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        mailer = (msg.header("X-Mailer") or "").lower()
        return "smtp32" in mailer or "imail" in mailer

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if not self.sniff(msg):
            # Without IMail's X-Mailer, only its layout: the first line is "why: address".
            first = next((line for line in report.splitlines() if line.strip()), "")
            if not msg.subject.lower().startswith("undeliverable mail") or not (
                _LINE.match(first) or _UNDELIVERABLE.match(first)
            ):
                return None
        evidence: list[Evidence] = []
        for line in report.splitlines()[:2000]:
            match = _LINE.match(line)
            if match is not None and not _HEADERISH.match(match.group(1).strip()):
                why = normalize_space(match.group(1))
                ev = Evidence(
                    recipient=strip_address(match.group(2)), diagnostic=why, action="failed"
                )
                ev.reason = own_reason("imailserver", why)
                evidence.append(ev)
                continue
            undeliverable = _UNDELIVERABLE.match(line)
            if undeliverable is not None:
                evidence.append(
                    Evidence(recipient=strip_address(undeliverable.group(1)), action="failed")
                )
        response = _RESPONSE.search(report)
        if response is not None and evidence:
            said = reply_text(report[response.end() :].strip().split("\n\n", 1)[0])
            for ev in evidence:
                ev.diagnostic = ev.diagnostic if ev.reason else (said or ev.diagnostic)
        evidence = [finish(ev) for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


DETECTOR = IMailServer()
