"""au by KDDI (EZweb, ``Postmaster@ezweb.ne.jp``) "Mail System Error - Returned Mail".

A Japanese paragraph, then English: what happened ("The user(s) account is disabled.",
"Each of the following recipients was rejected by a remote mail server.", "Your message
was not delivered within N days and N hours.") and the recipients, either as lines of
their own (``<kijitora@ezweb.ne.jp>``, possibly followed by ``: <remote reply>``) or as
transcript blocks::

    Recipient: <kijitora@ezweb.ne.jp>
    >>> RCPT TO:<kijitora@ezweb.ne.jp>
    <<< 550 <kijitora@ezweb.ne.jp>: User unknown

The account and delivery-time sentences settle the reason whatever the remote server
said (`vendor_formats.toml` ``[ezweb.verdict]``). A refusal "by a remote mail server"
with no reply quoted is au's receiving filter (``[ezweb.own]``). Otherwise the
classifier decides from the quoted reply.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    normalize_space,
    original_from_headers,
    smtp_command,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT, dsn_of, finish, merge
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_RECIPIENT = re.compile(r"^[ \t]*(?:Recipient:[ \t]*)?<([^<>\s]{3,320})>[ \t]*(?::[ \t]*(.*))?$")
_SENT = re.compile(r"^[ \t]*>>>[ \t]*(.*)$")
_RECEIVED = re.compile(r"^[ \t]*<<<[ \t]*(.*)$")
#: Where the returned message starts (a dashed rule, then its header block).
_END = re.compile(r"^(?:-{10,}|Received:|Return-Path:)", re.MULTILINE)


class EZweb:
    """au (KDDI) EZweb returned-mail notices."""

    name = "ezweb"
    order = 260
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return "@ezweb.ne.jp" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        if "@ezweb.ne.jp" not in msg.sender.lower():
            return None
        report, tail = split_returned(msg.body[:MAX_REPORT])
        end = _END.search(report)
        text = report[: end.start()] if end is not None else report
        evidence = _blocks(text)
        if not evidence:
            return None
        verdict = own_reason("ezweb.verdict", text)
        evidence = merge(evidence, dsn_of(msg))
        for ev in evidence:
            ev.action = ev.action or "failed"
            if verdict is not None:
                ev.reason = verdict
            elif ev.diagnostic is None:
                ev.reason = own_reason("ezweb.own", text)
            if ev.diagnostic is None:
                ev.diagnostic = _sentence(text)
            finish(ev)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _blocks(text: str) -> list[Evidence]:
    out: list[Evidence] = []
    current: Evidence | None = None
    for line in text.splitlines():
        match = _RECIPIENT.match(line)
        if match is not None:
            address = strip_address(match.group(1))
            if address is None:
                continue
            current = Evidence(recipient=address, diagnostic=normalize_space(match.group(2)))
            out.append(current)
            continue
        if current is None:
            continue
        sent = _SENT.match(line)
        if sent is not None:
            current.command = smtp_command(sent.group(1))
            continue
        received = _RECEIVED.match(line)
        if received is not None:
            reply = normalize_space(received.group(1))
            current.diagnostic = f"{current.diagnostic} {reply}" if current.diagnostic else reply
    return out


def _sentence(text: str) -> str | None:
    """au's English sentence(s), as the diagnostic when no server reply is quoted."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().isascii() and ln.strip()]
    words = [ln for ln in lines if "<" not in ln and "@" not in ln]
    return normalize_space(" ".join(words)) or None


DETECTOR = EZweb()
