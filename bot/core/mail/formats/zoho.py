"""Zoho Mail (``mailer-daemon@mail.zoho.com``) bounces and delay notices.

One line per recipient: the address, Zoho's label, then the remote reply split into
"ERROR_CODE" fields (reply code, then enhanced code and text)::

    kijitora@example.jp Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <...>... User Unknown

The delay notice lists ``[Status: Error, Address: <kijitora@example.jp>, ResponseCode 421,
, Host not reachable.]`` and "Message will be retried for 4 more day(s)". The reply is
put back together as the server sent it. When Zoho only says it could not reach the
host, its retries ran out (or are running out): ``[zoho.own]`` in `vendor_formats.toml`.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    find_status,
    normalize_space,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import MAX_REPORT, finish, parsed
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_LINE = re.compile(
    r"^[ \t]*(\S{1,320}@[^\s,]{1,255})[ \t]+([^\n,]{0,80}), ERROR_CODE :([^\n,]{0,12}),"
    r" ERROR_CODE :([^\n]*)$",
    re.MULTILINE,
)
_DELAY = re.compile(
    r"\[Status: ([^,\n]{0,40}), Address: <([^<>\s]{3,320})>, ResponseCode ([^,\n]{0,12}),"
    r"[ \t]*([^,\n]{0,200}),[ \t]*([^\]\n]{0,500})\]"
)
_RETRYING = re.compile(r"Message will be retried|THIS IS A WARNING MESSAGE ONLY", re.IGNORECASE)


class Zoho:
    """Zoho Mail non-delivery and delay notices."""

    name = "zoho"
    order = 280
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return "zoho" in (msg.header("X-Mailer") or "").lower() or (
            "mailer-daemon@" in msg.sender.lower() and "zoho" in msg.sender.lower()
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        body = msg.body[:MAX_REPORT]
        if "ERROR_CODE :" not in body and "ResponseCode " not in body:
            return None
        report, tail = split_returned(body)
        delayed = _RETRYING.search(report) is not None
        evidence: list[Evidence] = []
        for match in _LINE.finditer(report):
            evidence.append(_evidence(match.group(1), match.group(3), match.group(4),
                                      match.group(2), delayed))
        for match in _DELAY.finditer(report):
            text = f"{match.group(4)} {match.group(5)}"
            evidence.append(_evidence(match.group(2), match.group(3), text, match.group(1),
                                      delayed))
        evidence = [ev for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


def _evidence(address: str, code: str, rest: str, label: str, delayed: bool) -> Evidence:
    code = code.strip()
    rest = rest.strip().strip(",").strip()
    reply = normalize_space(f"{code} {rest}" if code else rest) or normalize_space(label)
    ev = Evidence(
        recipient=strip_address(address),
        diagnostic=reply,
        replycode=code if code.isdigit() and len(code) == 3 else None,
        action="delayed" if delayed else "failed",
    )
    if find_status(rest) is None:
        ev.reason = own_reason("zoho.own", f"{rest} {label}")
    return finish(ev)


DETECTOR = Zoho()
