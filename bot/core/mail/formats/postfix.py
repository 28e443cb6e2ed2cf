"""Postfix's bounce, delay and success reports, and its SMTP-server error notices.

The human part ("This is the mail system at host …" / "This is the Postfix program
…", often localised) has one paragraph per recipient::

    <kijitora@example.net>: host mail.example.net[192.0.2.78] said: 550 Unknown
        user kijitora@example.net (in reply to end of DATA command)

or Postfix's own explanation (``connect to …: Connection timed out``, ``Name service
error for name=… type=MX: Host not found, try again``, ``unknown user: "neko"``).
The paragraph gives what the RFC 3464 part beside it cannot: the SMTP command the
reply answered. Both are merged per recipient (the DSN's Diagnostic-Code, when
present, is the reply without Postfix's line wrapping).

"Postfix SMTP server: errors from …" notices to the postmaster carry a session
transcript (``In:``/``Out:``); the last error reply and the command before it are read.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    find_addresses,
    normalize_space,
    original_from_headers,
    original_recipients,
    smtp_command,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    MAX_REPORT,
    dsn_of,
    finish,
    local_mailers,
    merge,
    own_reason,
    reply_text,
    split_report,
)
from bot.core.mail.formats.rfc3464 import dsn_evidence
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_SUBJECTS = (
    "undelivered mail returned to sender",
    "delayed mail (still being retried)",
    "successful mail delivery report",
    "mail delivery status report",
    "postfix smtp server: errors from",
    "undeliverable mail",
)
_INTRO = re.compile(
    r"This is the (?:mail system|Postfix program) at host|"
    r"I'm sorry to have to inform you that (?:the|your) message|"
    r"^[ \t]*The (?:mail system|Postfix program)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BLOCK = re.compile(
    r"^<([^<>\s]{1,320}|\"[^\"<>]{1,320}\"@[^<>\s]{1,255})>"
    r"(?:[ \t]+\(expanded from\b[^()]{0,400}\))?:[ \t]*(.*)$",
    re.MULTILINE,
)
_SAID = re.compile(
    r"\bhost[ \t]+(\S{1,255}?)\[[^\]\s]{1,60}\](?::\d+)?[ \t]+"
    r"(?:said|refused to talk to me):[ \t]*",
    re.IGNORECASE,
)
_REFUSED = re.compile(r"refused to talk to me", re.IGNORECASE)
_IN_REPLY_TO = re.compile(r"\(in reply to (.{1,60}?) command\)", re.IGNORECASE)
_WHILE = re.compile(
    r"\bwhile (?:sending|performing the|receiving the) (.{1,40}?)(?:[ \t]+handshake)?(?:$|[ .,;])",
    re.IGNORECASE,
)
_SUSPENDED = re.compile(r"^delivery temporarily suspended:[ \t]*", re.IGNORECASE)
_CONNECT = re.compile(
    r"\b(?:connect to|lost connection with|conversation with)[ \t]+(\S{1,255}?)\[", re.IGNORECASE
)

_DELIVERED = re.compile(r"was successfully delivered to", re.IGNORECASE)
_WARNING = re.compile(r"THIS IS A WARNING ONLY", re.IGNORECASE)
_LOOSE_DSN = re.compile(r"^Final-Recipient:", re.IGNORECASE | re.MULTILINE)
_UNAVAILABLE = re.compile(r"Delivery report unavailable", re.IGNORECASE)

# "Postfix SMTP server: errors from …" transcripts.
_TRANSCRIPT = re.compile(r"^[ \t]*Transcript of session follows", re.IGNORECASE | re.MULTILINE)
_TRANSCRIPT_LINE = re.compile(r"^[ \t]*(In|Out):[ \t]*(.*)$", re.MULTILINE)


class Postfix:
    """Postfix's delivery reports."""

    name = "postfix"
    order = 306
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        subject = msg.subject.lower()
        if subject.startswith(_SUBJECTS):
            return True
        return "(mail delivery system)" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        original = original_from_headers(msg.returned or tail)
        if _INTRO.search(report) is None:
            transcript = _TRANSCRIPT.search(report)
            if transcript is None or "postfix" not in msg.subject.lower():
                return None
            found = _transcript(report[transcript.end() :])
            return Parsed(evidence=found, original=original) if found else None
        evidence = [finish(ev) for ev in _blocks(report)]
        dsn = dsn_of(msg)
        if not dsn and _LOOSE_DSN.search(report):  # a report forwarded inside the text
            dsn = dsn_evidence(report, status_comments=False)
        if not evidence and not dsn:
            # "Delivery report unavailable": Postfix lost the details; the returned
            # message still says whom it was for.
            if _UNAVAILABLE.search(report) is None:
                return None
            named = original_recipients(msg.returned or tail)
            evidence = [Evidence(recipient=a, action="failed") for a in named]
            return Parsed(evidence=evidence, original=original) if evidence else None
        evidence = merge(evidence, dsn, prefer_text=False)
        action = _action(msg.subject, report)
        for ev in evidence:  # without a DSN part, the report's kind says what happened
            ev.action = ev.action or action
        local_mailers(msg, evidence)
        return Parsed(evidence=evidence, original=original)


def _action(subject: str, report: str) -> str:
    """failed, delayed or delivered, from Postfix's Subject and banner."""
    low = subject.lower()
    if low.startswith("successful mail delivery") or _DELIVERED.search(report):
        return "delivered"
    if low.startswith("delayed mail") or _WARNING.search(report):
        return "delayed"
    return "failed"


def _blocks(report: str) -> list[Evidence]:
    """One evidence per ``<address>: …`` paragraph."""
    starts = list(_BLOCK.finditer(report))
    out: list[Evidence] = []
    for index, match in enumerate(starts):
        stop = starts[index + 1].start() if index + 1 < len(starts) else len(report)
        paragraph = report[match.end() : stop].split("\n\n", 1)[0]
        text = normalize_space(match.group(2) + " " + paragraph) or ""
        recipient = strip_address(match.group(1)) or match.group(1)
        out.append(_evidence(recipient, text))
        if len(out) >= MAX_RECIPIENTS:
            break
    return out


def _evidence(recipient: str, text: str) -> Evidence:
    text = _SUSPENDED.sub("", text)
    said = _SAID.search(text)
    command: str | None = None
    remote_mta: str | None = None
    reason: str | None = None
    if said is not None:
        remote_mta = said.group(1)
        reply = text[said.end() :]
        in_reply = _IN_REPLY_TO.search(reply)
        if in_reply is not None:
            command = smtp_command(in_reply.group(1))
            reply = reply[: in_reply.start()]
        elif _REFUSED.search(text[: said.end()]):
            command = "CONN"
        diagnostic = normalize_space(reply) or text
    else:
        diagnostic = text
        during = _WHILE.search(text)
        if during is not None:
            command = smtp_command(during.group(1))
        connect = _CONNECT.search(text)
        if connect is not None:
            remote_mta = connect.group(1)
            command = command or "CONN"
        refused = _REFUSED.search(text)
        if refused is not None:  # "connect to host[ip]: server refused to talk to me: 421 …"
            command = "CONN"
            diagnostic = reply_text(text[refused.end() :]) or text
        if reply_text(text) is None:
            reason = own_reason("postfix", text)
    return Evidence(
        recipient=recipient,
        diagnostic=diagnostic or None,
        command=command,
        remote_mta=remote_mta,
        reason=reason,
    )


def _transcript(text: str) -> list[Evidence]:
    """The failing reply of an SMTP-server error notice, for each RCPT TO it names."""
    last_command: str | None = None
    failing: tuple[str | None, str] | None = None
    recipients: list[str] = []
    lines = list(_TRANSCRIPT_LINE.finditer(text[:MAX_REPORT]))
    for index, match in enumerate(lines):
        side, value = match.group(1), match.group(2)
        # Continuation lines of a wrapped "In:" command sit between the matches.
        stop = lines[index + 1].start() if index + 1 < len(lines) else match.end()
        value = value + " " + text[match.end() : stop] if side == "In" else value
        if side == "In":
            last_command = value.strip()
            if smtp_command(last_command) == "RCPT":
                recipients.extend(find_addresses(last_command.split("ORCPT", 1)[0]))
        elif value[:1] in "45" and failing is None:
            failing = (last_command, value.strip())
    if failing is None:
        return []
    command, reply = failing
    return [finish(ev) for ev in _each(recipients, command, reply)]


def _each(recipients: list[str], command: str | None, reply: str) -> list[Evidence]:
    return [
        Evidence(
            recipient=recipient,
            diagnostic=normalize_space(reply),
            command=smtp_command(command),
            action="failed",
        )
        for recipient in recipients
    ]


DETECTOR = Postfix()
