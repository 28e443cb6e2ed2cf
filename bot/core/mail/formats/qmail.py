"""qmail's "failure notice" (and the qmail-derived reports of some hosted mail systems).

After the greeting ("Hi. This is the qmail-send program at …", or "Unable to deliver
message to the following address(es).") each recipient has a block that starts with
its address in angle brackets and a colon::

    <kijitora@example.jp>:
    192.0.2.153 does not like recipient.
    Remote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown
    Giving up on 192.0.2.153.

The sentence before "Remote host said" names the SMTP step ("does not like recipient"
is RCPT, "sender was rejected" MAIL, "my name was rejected" HELO, "failed after I sent
the message" DATA). Without a remote reply the block is qmail's own explanation,
often with an enhanced code in ``(#5.1.1)``; some of those wordings settle a reason
(`bot/core/data/mta_messages.toml`). "I'm not going to try again; this message has
been in the queue too long." is a trailer, not the cause, unless nothing else is said.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    find_status,
    normalize_space,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    finish,
    own_reason,
    parsed,
    reply_text,
    split_report,
)
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(
    r"This is the qmail-send program at|"
    r"I'm afraid I wasn't able to deliver your message to the following addresses|"
    r"Unable to deliver message to the following address\(es\)",
    re.IGNORECASE,
)
_BLOCK_START = re.compile(r"^<([^<>\s]{1,320})>:[ \t]*(.*)$", re.MULTILINE)
_END = re.compile(
    r"^[ \t]*(?:---[ \t]*(?:Below this line|Enclosed is|Original message|Undelivered message)|"
    r"--- )",
    re.IGNORECASE | re.MULTILINE,
)
_REMOTE_SAID = re.compile(r"\bremote host (?:\S{1,80} )?said:[ \t]*", re.IGNORECASE)
#: Where qmail's own text resumes after a quoted reply.
_AFTER_REPLY = re.compile(
    r"\s(?:Giving up on \S+|I'm not going to try again|\(Other MXes tried:|"
    r"Sorry it didn't work out)",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"I'm not going to try again; this\s+message has been in the queue too long\.?|"
    r"Giving up on \S+\.?",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^From: <[^>]*> RCPT: <[^>]*>[ \t]*", re.IGNORECASE)
#: qmail's sentence for the SMTP step that failed, in order of specificity.
_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"does not like recipient", re.I), "RCPT"),
    (re.compile(r"sender was rejected", re.I), "MAIL"),
    (re.compile(r"my name was rejected", re.I), "HELO"),
    (re.compile(r"failed after I sent the message|failed on DATA command", re.I), "DATA"),
    (re.compile(r"most progress was RCPT", re.I), "RCPT"),
    (re.compile(r"most progress was MAIL", re.I), "MAIL"),
    (re.compile(r"greeting failed|but greeting|connection died", re.I), "CONN"),
)


class Qmail:
    """qmail-send bounces."""

    name = "qmail"
    order = 320
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        subject = msg.subject.lower()
        return subject.startswith(("failure notice", "delivery failure", "failed delivery")) or (
            "mailer-daemon" in msg.sender.lower() and "deliver" in subject
        )

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None:
            return None
        hosted = intro.group(0).lower().startswith("unable to deliver")
        report = report[intro.end() :]
        end = _END.search(report)
        if end is not None:
            report = report[: end.start()]
        starts = list(_BLOCK_START.finditer(report))
        evidence: list[Evidence] = []
        for index, match in enumerate(starts):
            stop = starts[index + 1].start() if index + 1 < len(starts) else len(report)
            text = match.group(2) + "\n" + report[match.end() : stop]
            ev = _evidence(match.group(1), text, hosted)
            if ev is not None:
                evidence.append(finish(ev))
            if len(evidence) >= MAX_RECIPIENTS:
                break
        return parsed(msg, evidence, tail)


def _evidence(address: str, text: str, hosted: bool) -> Evidence | None:
    recipient = strip_address(address) or (address if address else None)
    if recipient is None:
        return None
    flat = normalize_space(_PREFIX.sub("", text.strip())) or ""
    command = next((cmd for pattern, cmd in _STEPS if pattern.search(flat)), None)
    said = _REMOTE_SAID.search(flat)
    reason = None
    if said is not None:
        reply = flat[said.end() :]
        after = _AFTER_REPLY.search(reply)
        if after is not None:
            reply = reply[: after.start()]
        diagnostic = normalize_space(reply) or flat
        # qmail's own code, "(#5.5.0)", counts only when the server gave none.
    else:
        own = normalize_space(_TRAILER.sub(" ", flat))
        diagnostic = own or flat
        if hosted:
            reason = own_reason("qmail-hosted", flat)
        if reason is None and reply_text(own) is None:
            reason = own_reason("qmail", own)
            # Only the queue lifetime is left to blame when nothing else is said.
            if reason is None and find_status(own) is None and own != flat:
                reason = own_reason("qmail", flat)
    return Evidence(
        recipient=recipient,
        diagnostic=diagnostic or None,
        command=command,
        action="failed",
        reason=reason,
    )


DETECTOR = Qmail()
