"""What the classic-MTA formats (Postfix, Exim, Sendmail, qmail ...) share.

Most of these MTAs print one block per recipient in a human-readable text and, in
newer versions, an RFC 3464 delivery-status part beside it. The text holds what the
DSN often lacks (the SMTP command, the whole multi-line reply); the DSN holds what
the text often lacks (Status, Remote-MTA). `merge` joins the two per recipient.

Not a format: this module has no ``DETECTOR``.
"""

from __future__ import annotations

import re
from functools import cache

from bot.core.data import load
from bot.core.limits import MAX_REPORT_CHARS
from bot.core.mail.common import (
    find_replycode,
    find_status,
    normalize_space,
    original_from_headers,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats.rfc3464 import dsn_evidence, dsn_groups
from bot.core.mail.message import BounceMessage, decode_header
from bot.core.model import Evidence

#: Where a remote server's reply starts inside an MTA's sentence: ``550 5.1.1 ...``,
#: ``550-5.7.1 ...``, ``421 host ...``.
REPLY_START = re.compile(r"(?<![\w.\-\[:/])[245][0-5]\d(?:[ \-]|$)", re.MULTILINE)
#: An enhanced status code standing alone.
STATUS_ONLY = re.compile(r"(?<![\w.])[245]\.\d{1,3}\.\d{1,3}(?![\w.])")
#: Reports are short; beyond this a text is a returned message or junk.
MAX_REPORT = MAX_REPORT_CHARS


def split_report(msg: BounceMessage) -> tuple[str, str]:
    """(report text, returned message text) of a plain-text bounce.

    Computed once per message: scan may ask every MTA format about the same message.
    Newlines are LF already (`BounceMessage` normalises the raw bytes and decoded parts).
    """
    cached: tuple[str, str] | None = msg.__dict__.get(_REPORT_KEY)
    if cached is not None:
        return cached
    report, tail = split_returned(msg.body)
    result = (report[:MAX_REPORT], tail)
    msg.__dict__[_REPORT_KEY] = result
    return result


_REPORT_KEY = "_mta_split_report"

_RECEIVED_KEY = "_mta_received"
#: How many Received headers `received` reads: the bounce's own hops are the first ones.
MAX_RECEIVED = 50


def received(msg: BounceMessage, limit: int = MAX_RECEIVED) -> str:
    """The first `limit` (at most `MAX_RECEIVED`) Received headers, decoded, one a line.

    Several sniffs look for an MTA's name in them, so they are decoded once per
    message rather than once per sniff. A decoded header is unfolded
    (it holds no newline), so a needle without one is found here only within a header.
    """
    cached: dict[int, str] | None = msg.__dict__.get(_RECEIVED_KEY)
    if cached is None:
        values = (msg.msg.get_all("Received") or [])[:MAX_RECEIVED]
        cached = {-1: "\n".join(decode_header(v) or "" for v in values)}
        msg.__dict__[_RECEIVED_KEY] = cached
    limit = min(limit, MAX_RECEIVED)
    text = cached.get(limit)
    if text is None:
        text = cached[limit] = "\n".join(cached[-1].split("\n")[:limit])
    return text


def reply_text(text: str | None) -> str | None:
    """The part of an MTA's sentence that is the remote server's reply (from its code on)."""
    if not text:
        return None
    match = REPLY_START.search(text)
    if match is None:
        return None
    return normalize_space(text[match.start() :])


def parsed(msg: BounceMessage, evidence: list[Evidence], tail: str) -> Parsed | None:
    """The parse of a plain-text report: None when it named no recipient, else its evidence
    with the original message read from the returned part (or the text after the report)."""
    if not evidence:
        return None
    return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def finish(ev: Evidence) -> Evidence:
    """Reply code and enhanced status read from the diagnostic where the format gave none."""
    if ev.diagnostic:
        if ev.status is None:
            ev.status = find_status(ev.diagnostic)
        if ev.replycode is None:
            ev.replycode = _reply_code(ev.diagnostic, ev.status)
    return ev


def _reply_code(text: str, status: str | None) -> str | None:
    """The reply's code: an error code (4xx/5xx) beats a greeting (``220-… 421 …``), and
    one of the enhanced status's class beats one of another."""
    codes = [m.group(0)[:3] for m in REPLY_START.finditer(text[:300])]
    if not codes:
        return None
    errors = [code for code in codes if code[0] in "45"] or codes
    if status:
        same = [code for code in errors if code[0] == status[0]]
        if same:
            return same[0]
    return errors[0]


def dsn_of(msg: BounceMessage) -> list[Evidence]:
    """The per-recipient evidence of the message's delivery-status part, if it has one."""
    text = msg.delivery_status
    if not text:
        return []
    return dsn_evidence(text, status_comments=False)


def merge(text: list[Evidence], dsn: list[Evidence], *, prefer_text: bool = True) -> list[Evidence]:
    """The text's per-recipient evidence completed by the DSN part's (or the reverse).

    Recipients pair by address, else by order when both list as many. When the DSN
    names more recipients than the text, the DSN's list is the base. With
    `prefer_text` the text's diagnostic (the whole reply, as the MTA printed it)
    beats the DSN's Diagnostic-Code; otherwise it only fills a missing one. The
    text's SMTP command is always kept: DSNs have no field for it.
    """
    if not dsn:
        return text
    if not text:
        return dsn
    if len(dsn) > len(text):
        by_address = {ev.recipient.lower(): ev for ev in text if ev.recipient}
        for ev in dsn:
            own = by_address.get((ev.recipient or "").lower())
            if own is not None:
                _fill(ev, own, prefer_other=prefer_text)
        return dsn
    dsn_by_address = {ev.recipient.lower(): ev for ev in dsn if ev.recipient}
    same_count = len(dsn) == len(text)
    for index, ev in enumerate(text):
        other = dsn_by_address.get((ev.recipient or "").lower())
        if other is None and same_count:
            other = dsn[index]
        if other is not None:
            _fill(ev, other, prefer_other=not prefer_text)
    return text


def _fill(ev: Evidence, other: Evidence, *, prefer_other: bool) -> None:
    """Complete `ev` with `other`'s fields; `prefer_other` lets its diagnostic win."""
    replace = prefer_other or not ev.diagnostic
    if other.diagnostic and replace and ev.diagnostic != other.diagnostic:
        ev.diagnostic = other.diagnostic
        ev.replycode = other.replycode or find_replycode(other.diagnostic)
        ev.status = find_status(other.diagnostic) or other.status or ev.status
    if ev.status is None or (other.status and _generic(ev.status) and not _generic(other.status)):
        ev.status = other.status or ev.status
    ev.replycode = ev.replycode or other.replycode
    ev.remote_mta = ev.remote_mta or other.remote_mta
    ev.action = ev.action or other.action
    ev.command = ev.command or other.command
    ev.reason = ev.reason or other.reason


def _generic(status: str) -> bool:
    """x.0.0: a class without a cause."""
    return status.endswith(".0.0")


@cache
def _own_messages(mta: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    table = load("mta_messages").get(mta, {})
    return tuple((reason, tuple(p.lower() for p in phrases)) for reason, phrases in table.items())


def own_reason(mta: str, text: str | None) -> str | None:
    """The reason an MTA's own wording settles (`bot/core/data/mta_messages.toml`), if any.

    Call it only for text the MTA wrote itself, never for a remote server's reply.
    """
    if not text:
        return None
    low = text[:4000].lower()
    for reason, phrases in _own_messages(mta):
        if any(phrase in low for phrase in phrases):
            return reason
    return None


def local_mailers(msg: BounceMessage, evidence: list[Evidence]) -> None:
    """Recipients whose DSN diagnostic is of type x-unix failed in a local delivery program.

    Unless what the program printed says more (`mta_messages.toml`, ``[x-unix]``), the
    mailer is the cause. Recipients with an SMTP exchange (a command) are left alone.
    """
    text = msg.delivery_status
    if not text or "x-unix" not in text.lower():
        return
    local = {
        (strip_address(group.get("final-recipient")) or "").lower(): group["diagnostic-code"]
        for group in dsn_groups(text)
        if group.get("diagnostic-code", "").lower().startswith("x-unix")
    }
    for ev in evidence:
        said = local.get((ev.recipient or "").lower())
        if said is not None and ev.reason is None and ev.command is None:
            ev.reason = own_reason("x-unix", f"{said} {ev.diagnostic or ''}") or "mailererror"
