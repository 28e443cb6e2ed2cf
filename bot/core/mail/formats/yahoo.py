"""Yahoo! Mail's own bounces (X-YMailISG header; "Sorry, we were unable to deliver your
message to the following address.").

Each recipient is ``<a@example.org>:`` followed by ``Remote host said: 550 …`` and,
at the end of the reply, the step of Yahoo's SMTP client in brackets (``[RCPT_TO]``,
``[MAIL_FROM]``, ``[DATA]``, ``[BODY]``): the command the reply answered. Without a
reply, the words are Yahoo's qmail-derived MTA's own (``mta_messages.toml``, ``[qmail]``).
"""

from __future__ import annotations

import re

from bot.core.mail.common import normalize_space, smtp_command, strip_address
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import finish, own_reason, parsed, reply_text, split_report
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(r"^Sorry, we were unable to deliver your message", re.MULTILINE)
_RECIPIENT = re.compile(r"^<([^\s<>]{1,320}@[^\s<>]{1,255})>:[ \t]*$")
_SAID = re.compile(r"^Remote host said:[ \t]*", re.IGNORECASE)
_STEP = re.compile(r"[ \t]*\[([A-Z]{4})(?:_[A-Z]{2,4})?\][ \t]*$")
_STEPS = {"BODY": "DATA"}


class Yahoo:
    """Yahoo! Mail "Failure Notice" bounces."""

    name = "yahoo"
    order = 180
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.header("X-YMailISG") is not None

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None:
            return None
        evidence: list[Evidence] = []
        lines: list[str] = []
        current: Evidence | None = None

        def close() -> None:
            if current is None:
                return
            said = " ".join(lines)
            step = _STEP.search(said)
            if step is not None:
                word = _STEPS.get(step.group(1), step.group(1))
                current.command = smtp_command(word)
                said = said[: step.start()]
            current.diagnostic = normalize_space(_SAID.sub("", said))
            if reply_text(current.diagnostic) is None:  # Yahoo's qmail-derived MTA's own words
                current.reason = own_reason("qmail", current.diagnostic)
            evidence.append(finish(current))

        for line in report[intro.end() :].splitlines()[:5000]:
            text = line.strip()
            recipient = _RECIPIENT.match(text)
            if recipient is not None:
                close()
                current = Evidence(recipient=strip_address(recipient.group(1)), action="failed")
                lines = []
            elif current is not None and text:
                lines.append(text)
        close()
        evidence = [ev for ev in evidence if ev.recipient]
        return parsed(msg, evidence, tail)


DETECTOR = Yahoo()
