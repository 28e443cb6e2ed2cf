"""fml mailing-list manager notices ("you are not a member", loop alerts).

fml answers the poster itself rather than bouncing: the notice carries an
``X-MLServer: fml …`` header and is addressed to the poster, whose post the list
refused. That poster is the recipient the notice is about; fml's own sentence (and
the Subject) settles the reason.
"""

from __future__ import annotations

from bot.core.mail.common import find_addresses, normalize_space, original_from_headers
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import own_reason, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

#: How much of fml's notice is the explanation.
_MAX_LINES = 3


class FML:
    """Notices from the fml mailing-list server."""

    name = "fml"
    order = 400
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return "fml" in (msg.header("X-MLServer") or "").lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        said = " ".join(line.strip() for line in report.splitlines() if line.strip())
        reason = own_reason("fml", f"{msg.subject} {said}")
        if reason is None:  # an ordinary list post or digest, not a refusal
            return None
        recipients = find_addresses(msg.header("To") or "")[:1]
        if not recipients:
            return None
        lines = [line.strip() for line in report.splitlines() if line.strip()][:_MAX_LINES]
        evidence = [
            Evidence(
                recipient=recipients[0],
                diagnostic=normalize_space(" ".join(lines)) or msg.subject or None,
                action="failed",
                reason=reason,
            )
        ]
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = FML()
