"""Trend Micro InterScan Messaging Security Suite (IMSS) notices.

A transcript of the failed exchange, ``Sent <<< RCPT TO:<a@example.org>`` then
``Received >>> 550 5.1.1 …``, and/or IMSS's own sentence
``Unable to deliver message to <a@example.org>.`` (``Reason:`` in front in some
versions). Alone, that sentence is IMSS's recipient check failing
(``vendor_formats.toml``, ``[interscanmss.own]``).
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    normalize_space,
    smtp_command,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, parsed, reply_text, split_report
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_ADDR = re.compile(r"<([^\s<>]{1,320}@[^\s<>]{1,255})>")
_UNABLE = "Unable to deliver "
_SUBJECTS = (
    "Mail could not be delivered",
    "メッセージを配信できません。",
    "メール配信に失敗しました",
)


class InterScanMSS:
    """IMSS "Mail could not be delivered" notices."""

    name = "interscanmss"
    order = 375
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        sender = msg.sender.lower().lstrip('" ')
        return (
            sender.startswith(("interscan mss", "interscan notification"))
            or msg.subject.strip() in _SUBJECTS
            or "InterScan" in (msg.header("Content-Type") or "")
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if not self.sniff(msg) and " InterScan " not in report:
            return None
        found: dict[str, Evidence] = {}
        current: Evidence | None = None
        for line in report.splitlines()[:5000]:
            text = line.strip()
            sent, received = text.find(" <<< "), text.find(" >>> ")
            unable = _UNABLE in text
            if "@" in text and (sent > 0 or received > 0 or unable):
                # Sent <<< RCPT TO:<a@b>, Received >>> 550 … <a@b>…, Unable to deliver … <a@b>
                addresses = _ADDR.findall(text)
                if addresses:
                    current = self._get(found, addresses[-1])
                    if unable and reply_text(current.diagnostic) is None:
                        current.diagnostic = normalize_space(text)
                        current.reason = own_reason("interscanmss.own", text)
            if current is None:
                continue
            if text.startswith("Sent <<< "):
                current.command = smtp_command(text[9:])
            elif text.startswith("Received >>> "):
                current.diagnostic, current.reason = normalize_space(text[13:]), None
            elif received > 0 or sent > 0:  # other languages: >>> what was sent, <<< the reply
                if received > 0:
                    current.command = smtp_command(text[received + 5 :]) or current.command
                if sent > 0:
                    current.diagnostic, current.reason = normalize_space(text[sent + 5 :]), None
        evidence = [finish(ev) for ev in found.values() if ev.recipient]
        return parsed(msg, evidence, tail)

    @staticmethod
    def _get(found: dict[str, Evidence], address: str) -> Evidence:
        recipient = strip_address(address) or address
        key = recipient.lower()
        if key not in found and len(found) < MAX_RECIPIENTS:
            found[key] = Evidence(recipient=recipient, action="failed")
        return found.get(key) or Evidence(recipient=recipient, action="failed")


DETECTOR = InterScanMSS()
