"""Trend Micro InterScan Messaging Security Suite (IMSS) notices.

A transcript of the failed exchange, ``Sent <<< RCPT TO:<a@example.org>`` then
``Received >>> 550 5.1.1 …``, and/or IMSS's own sentence
``Unable to deliver message to <a@example.org>.`` (``Reason:`` in front in some
versions). Alone, that sentence is IMSS's recipient check failing
(``vendor_formats.toml``, ``[interscanmss.own]``).
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, original_from_headers, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, reply_text, split_report
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_ADDR = r"<([^\s<>]{1,320}@[^\s<>]{1,255})>"
_SENT = re.compile(r"^Sent[ \t]+<<<[ \t]+([A-Z]{4})\b[^<\n]{0,40}" + _ADDR)
_RECEIVED = re.compile(r"^Received[ \t]+>>>[ \t]+([245]\d\d\b.*)$")
_UNABLE = re.compile(r"^(?:Reason:[ \t]+)?(Unable to deliver message to)[ \t]+" + _ADDR)
_SUBJECTS = (
    "Mail could not be delivered",
    "メッセージを配信できません。",
    "メール配信に失敗しました",
)


class InterScanMSS:
    """IMSS "Mail could not be delivered" notices."""

    name = "interscanmss"
    order = 375

    def sniff(self, msg: BounceMessage) -> bool:
        sender = msg.sender.lower().lstrip('" ')
        return sender.startswith(("interscan mss", "interscan notification")) or (
            msg.subject.strip() in _SUBJECTS
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        if not self.sniff(msg):
            return None
        report, tail = split_report(msg)
        found: dict[str, Evidence] = {}
        current: Evidence | None = None
        for line in report.splitlines()[:5000]:
            text = line.strip()
            sent = _SENT.match(text)
            if sent is not None:
                current = self._get(found, sent.group(2))
                current.command = sent.group(1)
                continue
            received = _RECEIVED.match(text)
            if received is not None and current is not None:
                current.diagnostic = normalize_space(received.group(1))
                continue
            unable = _UNABLE.match(text)
            if unable is not None:
                ev = self._get(found, unable.group(2))
                if reply_text(ev.diagnostic) is None:
                    ev.diagnostic = normalize_space(text)
                    ev.reason = own_reason("interscanmss.own", unable.group(1))
        evidence = [finish(ev) for ev in found.values() if ev.recipient]
        if not evidence:
            return None
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))

    @staticmethod
    def _get(found: dict[str, Evidence], address: str) -> Evidence:
        recipient = strip_address(address) or address
        key = recipient.lower()
        if key not in found and len(found) < 10_000:
            found[key] = Evidence(recipient=recipient, action="failed")
        return found.get(key) or Evidence(recipient=recipient, action="failed")


DETECTOR = InterScanMSS()
