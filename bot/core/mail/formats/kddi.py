"""au one net / DION (KDDI) postmaster notices ("メールエラー通知").

A Japanese paragraph (often in a charset other than the one declared), then::

    Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900
         Could not be delivered to: <kijitora@example.dion.ne.jp>
         As their mailbox is full.

The sentence after the recipient is KDDI's own and settles the reason
(`vendor_formats.toml` ``[kddi.own]``) unless it quotes a remote reply.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    normalize_space,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT, REPLY_START, finish, parsed
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_TARGET = re.compile(r"Could not be delivered to:[ \t]*(\S{3,322})[ \t]*\n((?:[^\n]*\n){0,3})")
_SENDER = re.compile(r"@(?:[\w\-]+\.)*(?:dion\.ne\.jp|auone-net\.jp|kddi\.com)\b", re.IGNORECASE)


class KDDI:
    """KDDI (au one net, DION) mail error notices."""

    name = "kddi"
    order = 270
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return _SENDER.search(msg.sender) is not None

    def parse(self, msg: BounceMessage) -> Parsed | None:
        body = msg.body[:MAX_REPORT]
        if "Could not be delivered to:" not in body:
            return None
        report, tail = split_returned(body)
        evidence: list[Evidence] = []
        for match in _TARGET.finditer(report):
            recipient = strip_address(match.group(1))
            if recipient is None:
                continue
            diagnostic = normalize_space(match.group(2).split("\n\n", 1)[0])
            reason = None
            if REPLY_START.search(diagnostic or "") is None:
                reason = own_reason("kddi.own", diagnostic)
            ev = Evidence(recipient=recipient, diagnostic=diagnostic, action="failed")
            ev.reason = reason
            evidence.append(finish(ev))
        return parsed(msg, evidence, tail)


DETECTOR = KDDI()
