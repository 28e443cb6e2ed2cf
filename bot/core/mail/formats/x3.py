"""A hosted mail system's framed notices ("This is an automatically generated Delivery
Status Notification." between rows of ``=``).

Recipients are listed as ``* address`` after "Delivery to the following recipients
failed permanently:" (or "… was aborted after N hour(s):", the queue lifetime running
out); "Technical details:" follow, e.g. ``SMTP:RCPT host 192.0.2.8: 553 5.3.0 …``
(the command and the remote reply) or ``Routing: Could not find a gateway for …``.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, original_from_headers, smtp_command, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish, merge, own_reason, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(r"This is an automatically generated Delivery Status Notification", re.I)
_LISTED = re.compile(
    r"^[ \t]*Del[ei]very to the following recipients? "
    r"(failed permanently|was aborted after[^:\n]{0,40}|has been delayed)[^:\n]{0,40}:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_ITEM = re.compile(r"^[ \t]*\*[ \t]+(\S{3,320})[ \t]*$")
_DETAILS = re.compile(r"^[ \t]*Technical details:[ \t]*$", re.IGNORECASE | re.MULTILINE)
_SMTP_STEP = re.compile(r"^SMTP:([A-Z]{4})[ \t]+host[ \t]+(\S{1,255}?):[ \t]*", re.IGNORECASE)
_RULE = re.compile(r"^[ \t]*={10,}[ \t]*$")


class X3:
    """Framed "Delivery status notification" notices."""

    name = "x3"
    order = 440
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.lower().startswith("delivery status notification") and (
            "mail delivery system" in msg.sender.lower()
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        if _INTRO.search(report) is None:
            return None
        listed = _LISTED.search(report)
        if listed is None:
            return None
        how = listed.group(1).lower()
        recipients: list[str] = []
        for line in report[listed.end() :].splitlines()[1:]:
            item = _ITEM.match(line)
            if item is None:
                if (line.strip() and recipients) or _RULE.match(line):
                    break
                continue
            address = strip_address(item.group(1))
            if address:
                recipients.append(address)
        if not recipients:
            return None
        details = _DETAILS.search(report)
        said = ""
        if details is not None:
            lines = []
            for line in report[details.end() :].splitlines()[1:]:
                if _RULE.match(line):
                    break
                lines.append(line.strip())
            said = " ".join(x for x in lines if x)
        command = remote = None
        step = _SMTP_STEP.match(said)
        if step is not None:
            command, remote = smtp_command(step.group(1)), step.group(2)
            said = said[step.end() :]
        diagnostic = normalize_space(said)
        evidence = [
            finish(
                Evidence(
                    recipient=r,
                    diagnostic=diagnostic,
                    command=command,
                    remote_mta=remote,
                    action="delayed" if how.startswith("has been") else "failed",
                )
            )
            for r in recipients
        ]
        evidence = merge(evidence, dsn_of(msg))
        for ev in evidence:  # the notice's own words, when no server reply says more
            if ev.reason is None and reply_text(ev.diagnostic) is None:
                ev.reason = own_reason("x3", f"{how} {ev.diagnostic or ''}")
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = X3()
