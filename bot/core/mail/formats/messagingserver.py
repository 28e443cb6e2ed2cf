"""Oracle (Sun, iPlanet) Communications Messaging Server and PMDF notifications.

"Your message cannot be delivered to the following recipients:" (or "… has been
enqueued and undeliverable for N days to the following recipients:") and then, per
recipient, labelled lines::

      Recipient address: kijitora@example.jp
      Original address: kijitora@example.net        (when the address was rewritten)
      Reason: Remote SMTP server has rejected address
      Diagnostic code: smtp;550 5.1.1 <kijitora@example.jp>... User Unknown
      Remote system: dns;mx.example.jp (TCP|192.0.2.1|47323|192.0.2.2|25) (…)

The Reason sentence is the server's own summary: it names the SMTP step ("rejected
address" is RCPT, "rejected MAIL FROM address" MAIL) and, without a Diagnostic code,
settles some reasons itself ("Illegal host/domain name found"). It is an inference, not
a transcript: when the remote reply's enhanced status names a cause other than the
address (5.2.1 mailbox disabled, 5.7.1 refused by policy), the server says "rejected
address" all the same, so the step is then left open rather than read as RCPT.
"""

from __future__ import annotations

import re

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    normalize_space,
    original_from_headers,
    strip_address,
    strip_diagnostic_type,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    dsn_of,
    finish,
    merge,
    own_reason,
    reply_text,
    split_report,
)
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_INTRO = re.compile(
    r"Your message (?:cannot be delivered|has been enqueued and undeliverable for [^\n]{1,40})"
    r"\s+to the following recipients:",
    re.IGNORECASE,
)
_DELAYED = re.compile(r"has been enqueued and undeliverable", re.IGNORECASE)
_FIELD = re.compile(
    r"^[ \t]*(Recipient address|Original address|Reason|Diagnostic code|Remote system):[ \t]*(.*)$",
    re.IGNORECASE,
)
#: The server's summary sentence -> the SMTP step it names.
_STEPS: tuple[tuple[str, str], ...] = (
    ("rejected mail from", "MAIL"),
    ("rejected address", "RCPT"),
    ("rejected recipient", "RCPT"),
    ("rejected the message", "DATA"),
)


class MessagingServer:
    """Messaging Server / PMDF delivery notifications."""

    name = "messagingserver"
    order = 340
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        return msg.subject.lower().startswith("delivery notification:")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        intro = _INTRO.search(report)
        if intro is None:
            return None
        # Each field's lines, joined once the list is read (not again for every line).
        groups: list[dict[str, list[str]]] = []
        last: list[str] | None = None  # the lines of the field a fold line continues
        for line in report[intro.end() :].splitlines():
            match = _FIELD.match(line)
            if match is None:
                if groups and line.strip() and line[:1] not in " \t":
                    break  # prose after the list ("Delivery attempt history …")
                if last is not None and line[:1] in " \t" and line.strip():
                    last.append(line.strip())
                continue
            name, value = match.group(1).lower(), match.group(2).strip()
            if name == "recipient address" or not groups:
                groups.append({})
            last = groups[-1].setdefault(name, [value])
            if len(groups) >= MAX_RECIPIENTS:
                break
        action = "delayed" if _DELAYED.search(intro.group(0)) else "failed"
        joined = [{name: " ".join(lines) for name, lines in g.items()} for g in groups]
        evidence = [ev for ev in (_evidence(g, action) for g in joined) if ev is not None]
        if not evidence:
            return None
        evidence = merge(evidence, dsn_of(msg))
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _evidence(group: dict[str, str], action: str) -> Evidence | None:
    recipient = strip_address(group.get("recipient address"))
    original = strip_address(group.get("original address"))
    raw = group.get("recipient address", "")
    if original and (recipient is None or raw.startswith("@")):  # a source route
        recipient = original
    if recipient is None:
        return None
    summary = normalize_space(group.get("reason")) or ""
    diagnostic = strip_diagnostic_type(group.get("diagnostic code"))
    low = summary.lower()
    command = next((cmd for needle, cmd in _STEPS if needle in low), None)
    remote = group.get("remote system")
    remote_mta = remote.split(";", 1)[-1].strip().split(None, 1)[0] if remote else None
    ev = Evidence(
        recipient=recipient,
        diagnostic=diagnostic or summary or None,
        command=command if diagnostic else None,
        remote_mta=remote_mta or None,
        action=action,
    )
    if reply_text(diagnostic) is None:
        ev.reason = own_reason("messagingserver", summary)
    ev = finish(ev)
    if ev.command == "RCPT" and not _about_address(ev.status):
        ev.command = None
    return ev


def _about_address(status: str | None) -> bool:
    """No enhanced status, a generic one (X.0.0) or one about the address (X.1.x)."""
    return status is None or status[1:] == ".0.0" or status[1:3] == ".1"


DETECTOR = MessagingServer()
