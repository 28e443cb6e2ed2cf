"""PowerMTA "Delivery report" bounces.

An RFC 3464 report whose recipient blocks add ``X-PowerMTA-BounceCategory``
(``bad-mailbox``, ``quota-issues``, ``spam-related`` …): PowerMTA's own classification
of the remote reply, which settles the reason (``vendor_formats.toml``,
``[powermta.category]``).
"""

from __future__ import annotations

from bot.core.mail.common import strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._vendor import table
from bot.core.mail.formats.rfc3464 import DETECTOR as RFC3464
from bot.core.mail.formats.rfc3464 import dsn_groups
from bot.core.mail.message import BounceMessage

_FIELD = "x-powermta-bouncecategory"


class PowerMTA:
    """PowerMTA's delivery reports."""

    name = "powermta"
    order = 175
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return "Delivery report" in msg.subject

    def parse(self, msg: BounceMessage) -> Parsed | None:
        text = msg.delivery_status
        if not text or _FIELD not in text.lower():
            return None
        parsed = RFC3464.parse(msg)
        if parsed is None:
            return None
        categories: dict[str, str] = {}
        for group in dsn_groups(text):
            named = group.get("final-recipient") or group.get("original-recipient")
            recipient = strip_address(named)
            if recipient and group.get(_FIELD):
                categories[recipient.lower()] = group[_FIELD].strip().lower()
        known = table("powermta.category")
        for ev in parsed.evidence:
            reason = known.get(categories.get((ev.recipient or "").lower(), ""))
            if isinstance(reason, str):
                ev.reason = ev.reason or reason
        return parsed


DETECTOR = PowerMTA()
