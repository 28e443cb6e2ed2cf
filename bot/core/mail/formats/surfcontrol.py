"""SurfControl E-mail Filter notices.

"Your message could not be sent. A transcript of the attempts to send the message
follows." and then, per attempt, ``Failed to send to identified host,`` followed by
``address: [192.0.2.5], 550 …`` (the recipient, the host and its reply). The RFC 3464
part beside it completes Status.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import normalize_space, original_from_headers, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish, merge, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(r"Your message could not be sent\.\s+A transcript of the attempts", re.I)
_ATTEMPT = re.compile(
    r"^[ \t]*<?([^<>\s:]{1,320}@[^<>\s:]{1,255}?)>?:[ \t]*\[([^\]\n]{1,255})\],?[ \t]*(.*)$",
    re.MULTILINE,
)


class SurfControl:
    """SurfControl E-mail Filter notices."""

    name = "surfcontrol"
    order = 360
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return "surfcontrol" in (msg.header("X-Mailer") or "").lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if _INTRO.search(report) is None:
            return None
        found: dict[str, Evidence] = {}
        for match in _ATTEMPT.finditer(report):
            recipient = strip_address(match.group(1)) or match.group(1)
            # The last attempt for an address is the one that ended it.
            found[recipient.lower()] = finish(
                Evidence(
                    recipient=recipient,
                    diagnostic=normalize_space(match.group(3)),
                    remote_mta=match.group(2).strip(),
                    action="failed",
                )
            )
            if len(found) >= MAX_RECIPIENTS:
                break
        if not found:
            return None
        evidence = merge(list(found.values()), dsn_of(msg))
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = SurfControl()
