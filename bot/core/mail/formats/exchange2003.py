"""Microsoft Exchange 5.5 / 2000 / 2003 reports (Internet Mail Service, Internet Mail Connector).

::

    Your message

      To:      shironeko@example.com
      Subject: Nyaan
      Sent:    Thu, 29 Apr 2010 00:00:00 -0000

    did not reach the following recipient(s):

    kijitora@example.jp on Thu, 29 Apr 2010 00:00:00 -0000
        The recipient name is not recognized
        The MTS-ID of the original message is: c=jp;a= ;p=neko;l=EXCHANGE0000
        MSEXCH:IMS:NNN:KIJITORACAT:NEKO 0 (000C05A6) Unknown Recipient

The Connector 4.0 variant says "The following recipient(s) could not be reached:".
Each recipient line ("<address> on <date>") is followed by Exchange's sentences and its
diagnostic line; the hexadecimal code in parentheses names the cause
(`vendor_formats.toml` ``[exchange2003.code]``), else the sentences may
(``[exchange2003.own]``); a remote server's reply quoted there is left to the classifier.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    normalize_space,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT, REPLY_START, finish, parsed
from bot.core.mail.formats._vendor import own_reason, table
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(
    r"did not reach the following recipient\(s\):|"
    r"The following recipient\(s\) could not be reached:",
    re.IGNORECASE,
)
_RECIPIENT = re.compile(r"^[ \t]*(\S{3,320}@\S{1,255}) on \S[^\n]{0,80}$")
#: Exchange's "MTS-ID" line, wrapped onto a second line before its ";l=" part at times.
_MTS_ID = re.compile(
    r"The MTS-ID of the original message is:[^\n]*(?:\n[^\n]{0,80};l=[^\n]*)?", re.IGNORECASE
)
_CODE = re.compile(r"\(([0-9A-Fa-f]{8})\)")


class Exchange2003:
    """Exchange Server 5.5-2003 non-delivery reports."""

    name = "exchange2003"
    order = 210
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        mailer = (msg.header("X-Mailer") or "").lower()
        if "internet mail service" in mailer or "microsoft exchange" in mailer:
            return True
        return msg.msg.get("X-MS-Embedded-Report") is not None

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_returned(msg.body[:MAX_REPORT])
        intro = _INTRO.search(report)
        if intro is None:
            return None
        text = _MTS_ID.sub("", report[intro.end() :])
        evidence: list[Evidence] = []
        address: str | None = None
        lines: list[str] = []
        for line in text.splitlines():
            match = _RECIPIENT.match(line)
            if match is not None:
                if address is not None:
                    evidence.append(_evidence(address, lines))
                address, lines = strip_address(match.group(1)) or match.group(1), []
            elif address is not None and line.strip():
                lines.append(line.strip())
            if len(evidence) >= MAX_RECIPIENTS:
                break
        if address is not None:
            evidence.append(_evidence(address, lines))
        return parsed(msg, evidence, tail)


def _evidence(address: str, lines: list[str]) -> Evidence:
    diagnostic = normalize_space(" ".join(lines))
    reason = None
    code = _CODE.search(diagnostic or "")
    if code is not None:
        named = table("exchange2003.code").get(code.group(1).upper())
        reason = named if isinstance(named, str) else None
    if reason is None and REPLY_START.search(diagnostic or "") is None:
        reason = own_reason("exchange2003.own", diagnostic)
    ev = Evidence(recipient=address, diagnostic=diagnostic, action="failed", reason=reason)
    return finish(ev)


DETECTOR = Exchange2003()
