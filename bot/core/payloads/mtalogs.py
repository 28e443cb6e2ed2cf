"""MTA logs read as tables: PowerMTA accounting CSV and Exchange message tracking.

Sources: PowerMTA User's Guide, "Accounting records" (record types ``d`` delivered, ``b``
bounced, ``rb`` remote bounce, ``t``/``tq`` transient, ``f`` feedback loop; fields
``rcpt``, ``dsnAction``, ``dsnStatus``, ``dsnDiag``, ``dsnMta``, ``bounceCat``; a header
row names the columns, RFC 4180 quoting); Exchange message tracking,
https://learn.microsoft.com/en-us/exchange/mail-flow/transport-logs/message-tracking
(``#Fields:`` header, ``event-id`` FAIL/DEFER/DELIVER/SEND, ``recipient-address``,
``recipient-status``), and the same fields as ``Get-MessageTrackingLog | Format-List``
prints them (``EventId``, ``Recipients``, ``RecipientStatus``).

One verdict per recipient: when a recipient has several rows, the latest row wins (a
deferral followed by a delivery is a delivery). Rows for delivered mail are counted on the
report, not explained.
"""

from __future__ import annotations

import csv
import re
from typing import Final

from bot.core.model import Report
from bot.core.payloads.events import Event, Kind, clean_diagnostic, clean_status, report

POWERMTA: Final = "PowerMTA"
EXCHANGE: Final = "Exchange message tracking"

_PMTA_KINDS: Final[dict[str, Kind]] = {
    "d": "delivered",
    "b": "bounce",
    "rb": "bounce",
    "t": "delay",
    "tq": "delay",
    "f": "complaint",
}
#: PowerMTA ``bounceCat`` -> our reason when the server's words name none.
_BOUNCE_CATS: Final[dict[str, str | None]] = {
    "bad-mailbox": "userunknown",
    "bad-domain": "hostunknown",
    "inactive-mailbox": "suspend",
    "quota-issues": "mailboxfull",
    "spam-related": "spamdetected",
    "virus-related": "virusdetected",
    "message-expired": "expired",
    "relaying-issues": "norelaying",
    "content-related": "contenterror",
    "invalid-sender": "rejected",
    "bad-connection": "networkerror",
    "no-answer-from-host": "networkerror",
}
_EXCHANGE_KINDS: Final[dict[str, Kind]] = {
    "fail": "bounce",
    "defer": "delay",
    "deliver": "delivered",
    "send": "delivered",
}
_LIST_FIELD: Final = re.compile(r"([A-Za-z]{2,40})\s*:\s?(.*)")


def read(text: str, limit: int, limit_name: str) -> Report | None:
    """The report for a PowerMTA or Exchange excerpt; None when `text` is neither."""
    lines = text.splitlines()
    events = _powermta(lines)
    source = "powermta"
    if events is None:
        events = _exchange_csv(lines)
        source = "exchange-tracking"
    if events is None:
        events = _exchange_list(lines)
    if not events:
        return None
    return report(latest(events), source, limit, limit_name)


def latest(events: list[Event]) -> list[Event]:
    """One event per recipient, the latest, in the order recipients first appear."""
    by_recipient: dict[str, Event] = {}
    anonymous: list[Event] = []
    for event in events:
        if event.recipient is None:
            anonymous.append(event)
        else:
            by_recipient[event.recipient.lower()] = event
    return list(by_recipient.values()) + anonymous


def _powermta(lines: list[str]) -> list[Event] | None:
    n = next(
        (i for i, line in enumerate(lines)
         if line.strip().lower().startswith("type,") and ",rcpt" in line.lower()),
        -1,
    )
    if n < 0:
        return None
    rows = csv.reader(line.strip() for line in lines[n:] if line.strip())
    fields = [f.strip() for f in next(rows)]
    events = []
    for row in rows:
        record = dict(zip(fields, row, strict=False))
        kind = _PMTA_KINDS.get(record.get("type", "").strip().lower())
        recipient = record.get("rcpt", "").strip() or None
        if kind is None or recipient is None or "@" not in recipient:
            continue
        category = record.get("bounceCat", "").strip() or None
        mta = record.get("dsnMta", "").strip()
        if ";" in mta:
            mta = mta.split(";", 1)[1].strip()
        events.append(
            Event(
                POWERMTA,
                kind,
                recipient,
                diagnostic=clean_diagnostic(record.get("dsnDiag")),
                status=clean_status(record.get("dsnStatus")),
                remote_mta=mta.split()[0] if mta else None,
                category=category,
                reason_hint=_BOUNCE_CATS.get(category or ""),
                feedback_type=record.get("feedbackType") or None if kind == "complaint" else None,
            )
        )
    return events


def _exchange_csv(lines: list[str]) -> list[Event] | None:
    n = next(
        (i for i, line in enumerate(lines)
         if line.startswith("#Fields:") and "recipient-status" in line),
        -1,
    )
    if n < 0:
        return None
    fields = [f.strip() for f in lines[n][len("#Fields:") :].split(",")]
    rows = csv.reader(line for line in lines[n + 1 :] if line.strip() and line[:1] != "#")
    events: list[Event] = []
    for row in rows:
        record = dict(zip(fields, row, strict=False))
        events += _exchange_events(
            record.get("event-id", ""),
            record.get("recipient-address", ""),
            record.get("recipient-status", ""),
        )
    return events


def _exchange_list(lines: list[str]) -> list[Event] | None:
    """``Format-List`` blocks: ``EventId : FAIL``, ``Recipients : {a@b}`` …"""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last: str | None = None
    for line in [*lines, ""]:
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, None
            continue
        m = _LIST_FIELD.match(line.strip())
        if m is not None and not line[:1].isspace():
            last = m.group(1).lower()
            current[last] = m.group(2).strip()
        elif last is not None:
            current[last] += " " + line.strip()
    events: list[Event] = []
    for block in blocks:
        if "eventid" in block and "recipients" in block:
            events += _exchange_events(
                block["eventid"], block["recipients"], block.get("recipientstatus", "")
            )
    return events if any("eventid" in b for b in blocks) else None


def _exchange_events(event_id: str, recipients: str, status: str) -> list[Event]:
    kind = _EXCHANGE_KINDS.get(event_id.strip().lower())
    if kind is None:
        return []
    addresses = [a.strip() for a in re.split(r"[;,]", recipients.strip("{} ")) if "@" in a]
    statuses = [status.strip("{} ")]
    if len(addresses) > 1:
        parts = [s.strip() for s in status.strip("{} ").split(",")]
        if len(parts) == len(addresses):
            statuses = parts
    events = []
    for n, address in enumerate(addresses):
        words = statuses[n] if n < len(statuses) else statuses[0]
        events.append(
            Event(
                EXCHANGE,
                kind,
                address,
                diagnostic=clean_diagnostic(words) if kind != "delivered" else None,
                category=event_id.strip().upper(),
            )
        )
    return events
