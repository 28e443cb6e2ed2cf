"""Verizon Wireless MMS/SMS gateway notices (vzwpix.com MMSC, vtext.com).

The MMSC says "Message could not be delivered to mobile." and an ``Error:`` line,
then quotes the original message's From/To; the vtext gateway names the error, the
remote reply ("Error message below:") and the envelope (``RCPT TO: …``). The
recipient is the quoted To or the envelope RCPT TO.
"""

from __future__ import annotations

import re

from bot.core.mail.common import find_addresses, normalize_space, original_from_headers
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_SENDERS = ("vzwpix.com", "vtext.com", "vzwmms", "verizon")
_ERROR = re.compile(r"^[ \t]*Error:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_BELOW = re.compile(r"^[ \t]*Error message below:[ \t]*\n(.+)$", re.IGNORECASE | re.MULTILINE)
_RCPT = re.compile(r"^[ \t]*RCPT TO:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_TO = re.compile(r"^[ \t]*To:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)
_MOBILE = re.compile(r"could not be delivered to mobile", re.IGNORECASE)


class Verizon:
    """Verizon Wireless gateway notices."""

    name = "verizon"
    order = 450
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        sender = msg.sender.lower()
        return any(name in sender for name in _SENDERS)

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        error = _ERROR.search(report)
        if error is None and _MOBILE.search(report) is None:
            return None
        envelope = _RCPT.search(report)
        quoted = _TO.search(report) or _TO.search(tail[:4000])  # "Original Message:" is cut off
        source = envelope.group(1) if envelope else (quoted.group(1) if quoted else "")
        recipients = find_addresses(source)[:1]
        if not recipients:
            return None
        below = _BELOW.search(report)
        own = normalize_space(
            " ".join(x.group(0) for x in (_MOBILE.search(report), error) if x is not None)
        )
        diagnostic = normalize_space(below.group(1)) if below else own
        ev = Evidence(recipient=recipients[0], diagnostic=diagnostic, action="failed")
        if below is not None:
            ev.command = "RCPT" if envelope else None
        if reply_text(diagnostic) is None:
            ev.reason = own_reason("verizon", own)
        return Parsed(evidence=[finish(ev)], original=original_from_headers(msg.returned or tail))


DETECTOR = Verizon()
