"""Courier MTA delivery status notifications.

The text part lists each recipient as ``<a@example.org>:`` followed by indented lines:
the remote host (``mx.example.org [192.0.2.1]:``), the last command (``>>> RCPT TO:<…>``)
and the reply (``<<< 550 …``), or Courier's own sentence when no server answered
(``No such domain.``). The RFC 3464 part beside it often has a bare ``Status: 5.0.0``
and no Diagnostic-Code, so the text completes it.
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, original_from_headers, smtp_command, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import dsn_of, finish, merge, own_reason, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_BANNER = re.compile(r"^[ \t]*(UNDELIVERABLE MAIL|DELAYS IN DELIVERING YOUR MESSAGE)[ \t]*$", re.M)
_RECIPIENT = re.compile(r"^<([^\s<>]{1,320}@[^\s<>]{1,255})>:[ \t]*$")
_HOST = re.compile(r"^\S{1,255}[ \t]+\[[^\]\n]{1,64}\]:[ \t]*$")
_SENT = re.compile(r"^>>>[ \t]*([A-Za-z]{4}(?:[ \t]+[A-Za-z]{2,4}:)?)")
_REPLY = re.compile(r"^<<<[ \t]*(.*)$")
_RULE = re.compile(r"^-{5,}$")


class Courier:
    """Courier's "NOTICE: mail delivery status." reports."""

    name = "courier"
    order = 365
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        subject = msg.subject
        return (
            "courier mail server at " in msg.sender.lower()
            or subject.startswith(("NOTICE: mail delivery status.", "WARNING: delayed mail."))
            or (msg.header("Message-ID") or "").startswith("<courier.")
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        banner = _BANNER.search(report)
        if banner is None:
            return None
        delayed = banner.group(1).startswith("DELAYS")
        evidence: list[Evidence] = []
        current: Evidence | None = None
        own: list[str] = []
        replies: list[str] = []

        def close() -> None:
            if current is None:
                return
            if replies:
                current.diagnostic = normalize_space(" ".join(replies))
            elif own:
                current.diagnostic = normalize_space(" ".join(own))
                current.reason = own_reason("courier", current.diagnostic)
            evidence.append(finish(current))

        for line in report[banner.end() :].splitlines()[:5000]:
            text = line.strip()
            if not text:
                continue
            recipient = _RECIPIENT.match(text)
            if recipient is not None:
                close()
                current = Evidence(
                    recipient=strip_address(recipient.group(1)),
                    action="delayed" if delayed else "failed",
                )
                own, replies = [], []
                continue
            if current is None:
                continue
            if _RULE.match(text):
                close()
                current = None
                continue
            sent = _SENT.match(text)
            reply = _REPLY.match(text)
            if sent is not None:
                current.command = smtp_command(sent.group(1))
            elif reply is not None:
                replies.append(reply.group(1))
            elif _HOST.match(text):
                current.remote_mta = text.split()[0]
            elif line[:1] in " \t":
                own.append(text)
        close()
        evidence = [ev for ev in evidence if ev.recipient]
        merged = merge(evidence, dsn_of(msg))
        for ev in merged:
            if ev.reason is None and reply_text(ev.diagnostic) is None and ev.diagnostic:
                ev.reason = own_reason("courier", ev.diagnostic)
        if not merged:
            return None
        return Parsed(evidence=merged, original=original_from_headers(msg.returned or tail))


DETECTOR = Courier()
