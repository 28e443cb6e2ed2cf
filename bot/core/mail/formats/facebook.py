"""Facebook's (mx.facebook.com) RFC 3464 bounces.

The Diagnostic-Code carries Facebook's own response code (``RCP-P2``, ``POL-P3`` …,
documented on its postmaster pages) and often little else: the code names the cause,
so it settles the reason (``vendor_formats.toml``, ``[facebook.code]``).
"""

from __future__ import annotations

import re

from bot.core.mail.detector import Parsed
from bot.core.mail.formats._vendor import table
from bot.core.mail.formats.rfc3464 import DETECTOR as RFC3464
from bot.core.mail.message import BounceMessage

_CODE = re.compile(r"\b([A-Z]{3}-[PT]\d{1,2})\b")


class Facebook:
    """Bounces from Facebook's mail servers."""

    name = "facebook"
    order = 170
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return "mailer-daemon@mx.facebook.com" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        parsed = RFC3464.parse(msg)
        if parsed is None:
            return None
        codes = table("facebook.code")
        for ev in parsed.evidence:
            found = _CODE.search(ev.diagnostic or "")
            if found is None:
                continue
            reason = codes.get(found.group(1))
            if isinstance(reason, str):
                ev.reason = ev.reason or reason
            elif found.group(1)[:3] == "INT" and found.group(1)[4] == "T":
                ev.reason = ev.reason or "systemerror"  # Facebook's internal, temporary
        return parsed


DETECTOR = Facebook()
