"""Amazon SES receiving (``inbound-smtp.<region>.amazonaws.com``) refusing mail.

A short text ("This message could not be delivered.") and an RFC 3464 part whose
Reporting-MTA is SES's inbound endpoint. The DSN holds everything; what this module adds
is SES's own refusal wording (`vendor_formats.toml` ``[ses.own]``): when SES's inbound
content scanning refuses a message, the reply names no other cause.
"""

from __future__ import annotations

import re

from bot.core.mail.common import original_from_headers
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage

_INBOUND = re.compile(
    r"^[ \t]*Reporting-MTA:[ \t]*dns;[ \t]*inbound-smtp\.[\w\-]+\.amazonaws\.com",
    re.IGNORECASE | re.MULTILINE,
)


class ReceivingSES:
    """Amazon SES inbound refusals."""

    name = "amazon_ses"
    order = 310
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.msg.get("X-SES-Outgoing") is not None

    def parse(self, msg: BounceMessage) -> Parsed | None:
        dsn = msg.delivery_status
        if not dsn or _INBOUND.search(dsn) is None:
            return None
        evidence = dsn_of(msg)
        if not evidence:
            return None
        for ev in evidence:
            ev.action = ev.action or "failed"
            if ev.reason is None:
                ev.reason = own_reason("ses.own", ev.diagnostic)
            finish(ev)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned))


DETECTOR = ReceivingSES()
