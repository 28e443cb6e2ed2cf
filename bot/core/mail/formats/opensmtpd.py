"""OpenSMTPD's delivery status notifications.

After "This is the MAILER-DAEMON, please DO NOT REPLY …" and "An error has occurred
while attempting to deliver a message for the following list of recipients:" (or "A
message is delayed for more than … for the following list of recipients:"), each
recipient has one line: ``address: explanation``. The explanation is the remote
server's reply (``550 5.1.1 …``) or OpenSMTPD's own words ("Domain does not exist",
"Envelope expired", "Network error on destination MXs"), some of which settle the
reason (`bot/core/data/mta_messages.toml`).
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    normalize_space,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, parsed, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(
    r"This is the MAILER-DAEMON, please DO NOT REPLY|"
    r"(?:error has occurred while attempting to deliver a message|message is delayed for more than)"
    r"[^:]{0,120}list of\s+recipients:",
    re.IGNORECASE,
)
_LIST = re.compile(r"list of\s+recipients:[ \t]*\n", re.IGNORECASE)
_DELAYED = re.compile(r"message is delayed for more than", re.IGNORECASE)
_LINE = re.compile(r"^([^\s:<>]{1,320}@[^\s:<>]{1,255}):[ \t]*(.*)$")
_NOTE = re.compile(
    r"^[ \t]+(?:Please note|The message is kept|You DO NOT NEED|Below is a copy)", re.I
)


class OpenSMTPD:
    """OpenSMTPD bounces and delay warnings."""

    name = "opensmtpd"
    order = 330
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.lower().startswith("delivery status notification:")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if _INTRO.search(report) is None:
            return None
        listed = _LIST.search(report)
        if listed is None:
            return None
        action = "delayed" if _DELAYED.search(report[: listed.end()]) else "failed"
        evidence: list[Evidence] = []
        for line in report[listed.end() :].splitlines():
            if not line.strip():
                if evidence:
                    break
                continue
            if _NOTE.match(line):
                break
            match = _LINE.match(line.strip())
            if match is None:
                if evidence and line[:1] in " \t":  # a wrapped explanation
                    last = evidence[-1]
                    last.diagnostic = normalize_space(f"{last.diagnostic or ''} {line}")
                continue
            evidence.append(
                Evidence(
                    recipient=strip_address(match.group(1)) or match.group(1),
                    diagnostic=normalize_space(match.group(2)),
                    action=action,
                )
            )
            if len(evidence) >= MAX_RECIPIENTS:
                break
        for ev in evidence:
            if reply_text(ev.diagnostic) is None:
                ev.reason = own_reason("opensmtpd", ev.diagnostic)
            finish(ev)
        return parsed(msg, evidence, tail)


DETECTOR = OpenSMTPD()
