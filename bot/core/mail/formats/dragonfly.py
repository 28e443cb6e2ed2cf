"""DragonFly Mail Agent (dma) bounces.

"This is the DragonFly Mail Agent vX at host." then, per recipient, "There was an
error delivering your mail to <a@example.org>." and dma's error: either the remote
exchange, ``mx.example.org [192.0.2.1] did not like our RCPT TO:`` followed by the
reply, or dma's own sentence (``DNS lookup failure: host … not found``, ``Could not
deliver for the last N seconds. Giving up.``; ``mta_messages.toml``, ``[dragonfly]``).
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    normalize_space,
    smtp_command,
    strip_address,
)
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

_INTRO = re.compile(r"^This is the DragonFly Mail Agent ", re.MULTILINE)
_RECIPIENT = re.compile(r"^There was an error delivering your mail to <([^\s<>]{1,576})>")
_DISLIKED = re.compile(
    r"^(\S{1,255})(?:[ \t]+\[([^\]\n]{1,64})\])?[ \t]+did not like our ([^:\n]{1,40}):"
)
_END = ("Original message follows.", "Message headers follow")


class DragonFly:
    """dma's "Mail delivery failed" bounces."""

    name = "dragonfly"
    order = 385
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        if "Mail delivery failed" not in msg.subject:
            return False
        return "(DragonFly Mail Agent" in received(msg)

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None:
            return None
        evidence: list[Evidence] = []
        said: list[str] = []
        current: Evidence | None = None

        def close() -> None:
            if current is None:
                return
            text = normalize_space(" ".join(said))
            current.diagnostic = reply_text(text) or text
            if reply_text(text) is None:
                current.reason = own_reason("dragonfly", text)
            evidence.append(finish(current))

        for line in report[intro.end() :].splitlines()[1:5000]:
            text = line.strip()
            if text.startswith(_END):
                break
            recipient = _RECIPIENT.match(text)
            if recipient is not None:
                close()
                current = Evidence(recipient=strip_address(recipient.group(1)), action="failed")
                said = []
                continue
            if current is None or not text:
                continue
            disliked = _DISLIKED.match(text)
            if disliked is not None:
                current.remote_mta = disliked.group(1)
                current.command = smtp_command(disliked.group(3))
                text = text[disliked.end() :].strip()
            if text:
                said.append(text)
        close()
        evidence = [ev for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


DETECTOR = DragonFly()
