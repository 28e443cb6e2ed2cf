"""Amazon WorkMail / Amazon SES sending-side bounces ("Technical report:").

::

    An error occurred while trying to deliver the mail to the following recipients:
    kijitora@example.jp

    Technical report:

    Reporting-MTA: dsn; a27-85.smtp-out.us-west-2.amazonses.com

    Action: failed
    Final-Recipient: rfc822; kijitora@example.jp
    Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown
    Status: 5.1.1

The DSN fields sit in the text part. When SES gives up on a queue it writes
"554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed
out>": the reply in angle brackets is the last attempt's, and its codes say why.
"""

from __future__ import annotations

import re

from bot.core.mail.common import find_replycode, find_status, original_from_headers, split_returned
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT, finish
from bot.core.mail.formats.rfc3464 import dsn_evidence
from bot.core.mail.message import BounceMessage

_INTRO = re.compile(
    r"An error occurred while trying to deliver the mail to the following recipients:",
    re.IGNORECASE,
)
_TECHNICAL = re.compile(r"^[ \t]*Technical report:[ \t]*$", re.IGNORECASE | re.MULTILINE)
#: The last attempt's reply, appended in angle brackets to the expiry notice.
_LAST_ATTEMPT = re.compile(r"<([245]\d\d[ \-][245]\.\d{1,3}\.\d{1,3}[^<>\n]{0,300})>")


class AmazonWorkMail:
    """Amazon WorkMail and SES bounce notices."""

    name = "amazon_workmail"
    order = 300
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        mailer = (msg.header("X-Mailer") or "").lower()
        return "amazon workmail" in mailer or "amazonses.com" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_returned(msg.body[:MAX_REPORT])
        intro = _INTRO.search(report)
        technical = _TECHNICAL.search(report)
        if intro is None or technical is None:
            return None
        evidence = dsn_evidence(report[technical.end() :], status_comments=False)
        if not evidence:
            return None
        for ev in evidence:
            ev.action = ev.action or "failed"
            last = _LAST_ATTEMPT.search(ev.diagnostic or "")
            status = find_status(ev.diagnostic)
            if last is not None and status is not None and status.endswith(".4.7"):
                ev.reason = "expired"
                ev.status = find_status(last.group(1))
                ev.replycode = find_replycode(last.group(1))
            finish(ev)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = AmazonWorkMail()
