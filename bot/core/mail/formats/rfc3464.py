"""RFC 3464 delivery status notifications (and RFC 6533 ``message/global-delivery-status``).

Reads the per-recipient blocks of the ``message/delivery-status`` part: Final-Recipient
(or Original-Recipient), Action, Status, Remote-MTA, Diagnostic-Code. The same fields
also turn up in plain-text bodies without MIME structure (broken boundaries, MTAs that
paste the DSN into the text); those are read too. Where a recipient has no
Diagnostic-Code, the human-readable part may hold the server's reply next to the
address; it is taken from there.

`dsn_evidence` and `reporting_mta_of` are public so that MTA-specific formats can reuse them.
"""

from __future__ import annotations

import re

from bot.core.mail.common import (
    find_addresses,
    find_replycode,
    find_status,
    normalize_space,
    original_from_headers,
    smtp_command,
    split_returned,
    strip_address,
    strip_diagnostic_type,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

#: Where DSN fields are searched for in a text without a delivery-status part.
_MAX_SCAN = 1_000_000

_DSN_HINT = re.compile(r"^[ \t]*(?:Final|Original)-Recipient[ \t]*:", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"[ \t]*([A-Za-z][A-Za-z0-9\-]{0,40})[ \t]*:[ \t]?(.*)")
_RECIPIENT_FIELDS = ("final-recipient", "original-recipient", "x-actual-recipient")
_STATUS_COMMENT = re.compile(r"\(([^()]{3,200})\)")
_REPLY_LINE = re.compile(
    r"(?<![\d.])[245]\d\d[ \-][^\n]{2,}|(?<![\d.])[245]\.\d{1,3}\.\d{1,3}\s[^\n]{2,}"
)
_TYPE_PREFIX = re.compile(r"^[A-Za-z0-9\-]{2,12};[ \t]*")
#: The reply code that opens a Diagnostic-Code value (``smtp; 550-…``).
_DIAG_REPLY = re.compile(r"(?:[A-Za-z0-9\-]{2,12};[ \t]*)?([245]\d\d)[ \-]")
#: Postfix-style human text: ``<a@b>: host … said: 550 … (in reply to RCPT TO command)``.
_IN_REPLY_TO = re.compile(r"\(in reply to ([A-Za-z][A-Za-z ]{1,30}?) command\)", re.IGNORECASE)
_REPORTING_MTA = re.compile(
    r"^[ \t]*Reporting-MTA[ \t]*:[ \t]*(\S[^\n]*)", re.IGNORECASE | re.MULTILINE
)


def dsn_groups(text: str) -> list[dict[str, str]]:
    """Per-recipient field groups of a DSN text, in order.

    A group starts at a blank line or at a recipient field the current group already
    has (some MTAs omit the blank lines between recipients).
    Keys are lower-cased; continuation lines are joined; the first value wins,
    except that Diagnostic-Code collects repeated lines.
    """
    groups: list[dict[str, str]] = []
    # Each field's pieces, joined when the group closes: joining at every continuation
    # line would copy the value again for each one (quadratic in a long folded field).
    current: dict[str, list[str]] = {}
    last: str | None = None
    # Reply code of the Diagnostic-Code being read: an unindented line that starts
    # with it (``550-…``, ``550 …``) is the next line of the same multi-line reply.
    reply: str | None = None

    def close() -> None:
        nonlocal current
        if current:
            if not current.keys().isdisjoint(_RECIPIENT_FIELDS):
                groups.append({name: " ".join(parts) for name, parts in current.items()})
            current = {}

    for line in text.splitlines():
        if not line.strip():
            close()
            last = None
            continue
        if line[0] in " \t" and last is not None:
            current[last].append(line.strip())
            continue
        if last == "diagnostic-code" and reply is not None and _continues(line, reply):
            current[last].append(line.strip())
            continue
        reply = None
        match = _FIELD.match(line)
        if match is None:
            last = None
            continue
        name, value = match.groups()
        name, value = name.lower(), value.strip()
        if name == "diagnostic-code":
            opening = _DIAG_REPLY.match(value)
            reply = opening.group(1) if opening is not None else None
        if name in _RECIPIENT_FIELDS and name in current:
            close()  # the next recipient, without a blank line between
        if name in current:
            if name == "diagnostic-code" and value:
                current[name].append(value)
                last = name
            else:
                last = None
            continue
        current[name] = [value]
        last = name
    close()
    return groups


def reporting_mta_of(text: str) -> str | None:
    """The Reporting-MTA of a DSN text, without its type (``dns; mx.example`` -> ``mx.example``)."""
    reporting = _REPORTING_MTA.search(text)
    return (_TYPE_PREFIX.sub("", reporting.group(1)).strip() or None) if reporting else None


def _continues(line: str, reply: str) -> bool:
    """True when `line` is a further line of the multi-line reply `reply` (RFC 5321 4.2.1)."""
    return len(line) > 3 and line.startswith(reply) and line[3] in " -"


def dsn_evidence(text: str, *, status_comments: bool = True) -> list[Evidence]:
    """Evidence for every recipient block of a DSN text (delivery-status part or loose text).

    Without a Diagnostic-Code the comment of the Status field (``4.0.0 (host name
    lookup failure)``) is the diagnostic, unless `status_comments` is false.
    """
    out: list[Evidence] = []
    #: One record per recipient: some MTAs repeat a recipient's block (per attempt, per
    #: MX tried); the first block stands, later ones only fill what it lacks.
    seen: dict[str, Evidence] = {}
    for group in dsn_groups(text):
        recipient = _recipient(group)
        if recipient is None:
            continue
        status_field = group.get("status")
        diagnostic = strip_diagnostic_type(group.get("diagnostic-code"))
        # The remote server's own enhanced code is more specific than the reporting
        # MTA's summary in Status (often a generic x.0.0), so it wins when present.
        status = find_status(diagnostic) or find_status(status_field)
        if diagnostic is None and status_field and status_comments:
            comment = _STATUS_COMMENT.search(status_field)
            if comment is not None and find_status(comment.group(1)) is None:
                diagnostic = normalize_space(comment.group(1))
        remote = group.get("remote-mta")
        remote_mta = _TYPE_PREFIX.sub("", remote).strip() if remote else None
        action = (group.get("action") or "").strip().lower().split(" ", 1)[0] or None
        ev = Evidence(
            recipient=recipient,
            diagnostic=diagnostic,
            status=status,
            replycode=find_replycode(diagnostic) if diagnostic else None,
            action=action,
            remote_mta=remote_mta or None,
        )
        first = seen.get(recipient.lower())
        if first is None:
            seen[recipient.lower()] = ev
            out.append(ev)
        elif first.diagnostic is None and ev.diagnostic is not None:
            first.diagnostic, first.replycode = ev.diagnostic, ev.replycode
            first.status = first.status or ev.status
    return out


def _recipient(group: dict[str, str]) -> str | None:
    for name in _RECIPIENT_FIELDS:
        value = group.get(name)
        if value:
            address = strip_address(value)
            if address:
                return address
    for name in _RECIPIENT_FIELDS:  # a local name without a domain is still a recipient
        value = group.get(name)
        if value:
            bare = _TYPE_PREFIX.sub("", value).strip().strip("<>").strip()
            if bare:
                return bare
    return None


def command_near(text: str, recipient: str) -> str | None:
    """The SMTP command the human text says `recipient`'s reply answered, if it says.

    Reads from the address to the next blank line or the next address line, so a
    neighbour's ``(in reply to … command)`` is not taken for this recipient's.
    """
    lowered = text.lower()
    at = lowered.find(recipient.lower())
    if at < 0:
        return None
    window = text[at : at + 1200].split("\n\n", 1)[0]
    nxt = window.find("\n<", len(recipient))
    if nxt > 0:
        window = window[:nxt]
    match = _IN_REPLY_TO.search(" ".join(window.split()))  # the phrase may wrap lines
    return smtp_command(match.group(1)) if match is not None else None


def reply_near(text: str, recipient: str) -> str | None:
    """The server's reply printed next to `recipient` in a human-readable report.

    Looks at the line naming the address and the few lines after it, up to a blank
    line, for something that starts like an SMTP reply or enhanced status.
    """
    lowered = text.lower()
    at = lowered.find(recipient.lower())
    if at < 0:
        return None
    window = text[at : at + 1200]
    paragraph = window.split("\n\n", 1)[0]
    match = _REPLY_LINE.search(paragraph)
    if match is None:
        return None
    return normalize_space(paragraph[match.start() :])


#: A transcript's reply line (``<<< 550 ...``), found from the line break before it in a
#: text given one in front: the engine then jumps from line break to line break instead
#: of trying every offset, as ``^`` in MULTILINE mode would make it.
_REPLY_AFTER_BREAK = re.compile(
    r"\n[ \t]*(?:<<<[ \t]*)?([245]\d\d[ \-][^\n]{3,})$", re.MULTILINE
)


def _lone_reply(text: str) -> str | None:
    """The last server reply of a session transcript in the human text, if any.

    Used for a single recipient whose address the text does not repeat (an alias or
    a pipe was expanded); the last reply is the one that ended the attempt.
    """
    found = _REPLY_AFTER_BREAK.findall("\n" + text[:_MAX_SCAN])
    return normalize_space(found[-1]) if found else None


class RFC3464:
    """Standard delivery status notifications."""

    name = "rfc3464"
    order = 700
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        ctype = msg.content_type
        if ctype == "multipart/report":
            report_type = (msg.msg.get_param("report-type") or "")
            return "delivery-status" in str(report_type).lower()
        return ctype in ("message/delivery-status", "message/global-delivery-status")

    def parse(self, msg: BounceMessage) -> Parsed | None:
        text = msg.delivery_status
        from_part = text is not None
        evidence = dsn_evidence(text, status_comments=False) if text else []
        if not evidence:
            from_part = False
            evidence = self._loose(msg)
        if not evidence:
            return None
        report, tail = split_returned(msg.body)
        if not from_part:  # the human text ends where the loose DSN fields begin
            hint = _DSN_HINT.search(report)
            report = report[: hint.start()] if hint else ""
        lone_reply = _lone_reply(report) if len(evidence) == 1 else None
        # Without a Remote-MTA the reporting MTA refused or failed the delivery itself
        # (its own mailbox, its own policy): it is the host whose words the diagnostic is.
        reporting_mta = reporting_mta_of(text) if from_part and text else None
        for ev in evidence:
            if ev.remote_mta is None and reporting_mta:
                ev.remote_mta = reporting_mta
            if ev.command is None and report and ev.recipient:
                ev.command = command_near(report, ev.recipient)
            if ev.diagnostic is None and report and ev.recipient:
                ev.diagnostic = reply_near(report, ev.recipient) or lone_reply
                if ev.diagnostic:
                    ev.replycode = ev.replycode or find_replycode(ev.diagnostic)
                    ev.status = find_status(ev.diagnostic) or ev.status
        if from_part and text and any(ev.diagnostic is None for ev in evidence):
            with_comments = dsn_evidence(text)
            if len(with_comments) == len(evidence):
                for ev, other in zip(evidence, with_comments, strict=True):
                    ev.diagnostic = ev.diagnostic or other.diagnostic
        original = original_from_headers(msg.returned) if msg.returned else None
        if original is None and tail:
            original = original_from_headers(tail)
        return Parsed(evidence=evidence, original=original)

    def _loose(self, msg: BounceMessage) -> list[Evidence]:
        """DSN fields written into the text of a message without a delivery-status part."""
        body = msg.body
        report, _ = split_returned(body)
        for text in (report, body):
            if text and _DSN_HINT.search(text[:_MAX_SCAN]):
                found = dsn_evidence(text[:_MAX_SCAN])
                if found:
                    return found
        raw = msg.raw[:_MAX_SCAN].decode("utf-8", errors="replace")
        if _DSN_HINT.search(raw):
            head, _ = _split_raw_returned(raw)
            found = dsn_evidence(head)
            return [ev for ev in found if ev.recipient and find_addresses(ev.recipient)]
        return []


_RAW_RETURNED = re.compile(
    r"^Content-Type:[ \t]*(?:message/rfc822|text/rfc822-headers)", re.IGNORECASE | re.MULTILINE
)


def _split_raw_returned(raw: str) -> tuple[str, str]:
    match = _RAW_RETURNED.search(raw)
    if match is None:
        return raw, ""
    return raw[: match.start()], raw[match.start() :]


DETECTOR = RFC3464()
