"""qmail-derived bounces with their own greetings ("Your mail message to the following
address(es) could not be delivered.", "This is the machine generated message from mail
service.", "Su mensaje no pudo ser entregado" …), the layout Sisimai calls X4.

Blocks as in qmail: ``<a@example.org>:`` then the step sentence ("… does not like
recipient."), "Remote host said: …" and "Giving up on …", or the system's own words
(a delivery program's ``child status 100...`` message, ``(#5.2.2)``), which settle a
reason through ``mta_messages.toml`` (``[qmail]``). Real qmail-send greetings are left
to the qmail format.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import normalize_space, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    finish,
    own_reason,
    parsed,
    received,
    reply_text,
    split_report,
)
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(
    r"^(?:He/Her is not \S.{0,80} user|Hi\. .{1,80} unable to deliver your message to the "
    r"following addresses|Su mensaje no pudo ser entregado|This is the machine generated "
    r"message from mail service|This is the mail delivery agent at|Unfortunately, your mail "
    r"was not delivered to the following address|Your mail message to the following address|"
    r"Your message to the following addresses|We're sorry\.)",
    re.MULTILINE,
)
_BLOCK = re.compile(r"^(?:To[ \t]*:)?<([^<>\s]{1,320}@[^<>\s]{1,255})>:[ \t]*(.*)$", re.M)
_END = re.compile(r"^---[ \t]*(?:Below this line|Original message follows)", re.M)
_SAID = re.compile(r"\bremote host (?:\S{1,80} )?said:[ \t]*", re.IGNORECASE)
_AFTER = re.compile(r"\s(?:Giving up on \S+|I'm not going to try again)", re.IGNORECASE)
_STEPS: tuple[tuple[str, str], ...] = (
    ("does not like recipient", "RCPT"),
    ("but sender was rejected", "MAIL"),
    ("but my name was rejected", "HELO"),
    ("failed on data command", "DATA"),
    ("failed after i sent the message", "DATA"),
    ("but greeting failed", "CONN"),
)


class X4:
    """qmail-derived "failure notice" layouts with their own greetings."""

    name = "x4"
    order = 325
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        if msg.subject.startswith(("failure notice", "Permanent Delivery Failure")):
            return True
        return "invoked for bounce)" in received(msg)

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None or "qmail-send program" in report[:2000]:
            return None
        body = report[intro.end() :]
        end = _END.search(body)
        body = body[: end.start()] if end else body
        blocks = list(_BLOCK.finditer(body))
        evidence: list[Evidence] = []
        for index, block in enumerate(blocks[:MAX_RECIPIENTS]):
            stop = blocks[index + 1].start() if index + 1 < len(blocks) else len(body)
            text = normalize_space(block.group(2) + " " + body[block.end() : stop]) or ""
            evidence.append(_evidence(block.group(1), text))
        evidence = [ev for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


def _evidence(address: str, text: str) -> Evidence:
    ev = Evidence(recipient=strip_address(address), action="failed")
    low = text.lower()
    ev.command = next((command for step, command in _STEPS if step in low), None)
    said = _SAID.search(text)
    if said is not None:
        reply = text[said.end() :]
        after = _AFTER.search(reply)
        ev.diagnostic = normalize_space(reply[: after.start()] if after else reply)
    else:
        ev.diagnostic = text or None
        if reply_text(text) is None:
            ev.reason = own_reason("qmail", text)
    return finish(ev)


DETECTOR = X4()
