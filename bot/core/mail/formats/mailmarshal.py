"""Trustwave/Marshal MailMarshal SMTP "Undeliverable Mail" notices.

"Your message: From … Subject … Could not be delivered because of <the remote
reply> The following recipients were affected: <addresses>", then "Additional
Information" fields (Remote-MTA, Reporting-MTA ...).
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    find_addresses,
    normalize_space,
    original_from_headers,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_BECAUSE = re.compile(r"^[ \t]*Could not be delivered because of[ \t]*$", re.I | re.M)
_AFFECTED = re.compile(r"^[ \t]*The following recipients were affected:[ \t]*$", re.I | re.M)
_INFO = re.compile(r"^[ \t]*Additional Information[ \t]*$", re.IGNORECASE | re.MULTILINE)
_REMOTE = re.compile(r"^[ \t]*Remote-MTA:[ \t]*<?([^<>\s]{1,255})>?", re.IGNORECASE | re.MULTILINE)


class MailMarshal:
    """MailMarshal SMTP notices."""

    name = "mailmarshal"
    order = 480
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.lower().startswith("undeliverable mail")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        because = _BECAUSE.search(report)
        affected = _AFFECTED.search(report)
        if because is None or affected is None or affected.start() < because.end():
            return None
        reply = normalize_space(report[because.end() : affected.start()])
        info = _INFO.search(report, affected.end())
        listed = report[affected.end() : info.start() if info else len(report)]
        recipients = find_addresses(listed.strip().split("\n\n", 1)[0])
        if not recipients:
            return None
        remote = _REMOTE.search(report)
        evidence = [
            finish(
                Evidence(
                    recipient=strip_address(r) or r,
                    diagnostic=reply,
                    remote_mta=remote.group(1) if remote else None,
                    action="failed",
                )
            )
            for r in recipients
        ]
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


DETECTOR = MailMarshal()
