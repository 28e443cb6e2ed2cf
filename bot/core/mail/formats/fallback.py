"""The last resort: a generic reader for plain-text bounces no other module knows.

It only runs on messages that announce themselves as delivery reports (a bounce-ish
From such as MAILER-DAEMON/postmaster, or a Subject such as "Undeliverable" /
"Returned mail"), so newsletters and replies never produce records.

Method: take the report text (before any returned message), find the addresses it
names (skipping the bounce's own From/To, the returned message's headers and
"contact postmaster@…" style mentions), and give each recipient the text around it:
its own line and paragraph (``<a@b>: host … said: 550 …``, ``a@b`` followed by an
indented ``SMTP error from remote mail server …``), and, when that holds no server
reply, the report's reply lines (``550 5.1.1 …``, transcripts, "Technical details").
"""

from __future__ import annotations

import re
from email.message import Message

from bot.core.limits import MAX_RECIPIENTS, MAX_REPORT_CHARS
from bot.core.mail.common import (
    ADDRESS,
    bounce_sender,
    bounce_subject,
    find_addresses,
    find_replycode,
    find_status,
    normalize_space,
    original_from_headers,
    original_recipients,
    split_returned,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats.rfc3834 import reports_failure
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence
from bot.core.speak import banner, delay_warning

#: Reports are short; beyond this the text is a returned message or junk.
_MAX_REPORT = MAX_REPORT_CHARS
_MAX_RECIPIENTS = MAX_RECIPIENTS
#: How many bounces wrapped in bounces are unpacked.
_MAX_DEPTH = 3

_ADDRESS = ADDRESS
#: Characters of a body searched for a report banner: reports open with theirs.
_BANNER_HEAD = 2_000
#: Header-like lines of a quoted message: addresses there are not recipients.
_HEADER_LINE = re.compile(
    r"^[ \t>]*(?:From|Sender|Reply-To|Return-Path|Message-I[Dd]|In-Reply-To|References|"
    r"Errors-To|Received|X-[A-Za-z0-9\-]+|Envelope-From|Resent-From|DKIM-Signature|"
    r"Authentication-Results|Original-Mail-From|X-Postfix-Sender|Reporting-MTA)[ \t]*:",
    re.IGNORECASE,
)
#: "please contact postmaster@…", "send mail to …": help addresses, not recipients.
_HELP_BEFORE = re.compile(
    r"(?:contact|send (?:e-?)?mail to|write to|mailto:|reach|notify|inform|"
    r"sent by|from:?|envelope sender|mail from:?|sender:?)[ \t<\"']*\Z",
    re.IGNORECASE,
)
#: "Subject: …", "Size (in bytes): …": a summary of the original message, not a reply.
_SUMMARY_LINE = re.compile(
    r"^[ \t>]*(?:From|Cc|Bcc|Subject|Date|Sent|Size|Number of lines|Message-ID|MAIL FROM)"
    r"[ \t]*(?:\([^)]{0,20}\))?[ \t]*:",
    re.IGNORECASE,
)
_WEAK_LINE = re.compile(r"^[ \t>]*(?:To|Cc|Bcc)[ \t]*:", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[ \t]*(?:[-=*_#|~+]{3,}|[-=*_#|~+ ]{6,}$)")
_REPLY_LINE = re.compile(
    r"^[ \t>]*(?:[<(]?#?[245]\.\d{1,3}\.\d{1,3}[>)]?[ \t]|[245]\d\d[ \-](?!\d))"
    r"|(?<![\w.\-])[245]\d\d[ \-]#?[245]\.\d{1,3}\.\d{1,3}(?![\w.])",
    re.MULTILINE,
)
_REPLY_IN_LINE = re.compile(
    r"(?<![\w.\-])[245][0-5]\d[ \-](?:#?[245]\.\d{1,3}\.\d{1,3}\b|[A-Za-z<(])"
    r"|(?<![\w.])#?[245]\.\d{1,3}\.\d{1,3}(?![\w.])"
    r"|\bsaid:|\berror from remote|\bSMTP error\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]{2,}")
#: What some reports put before an address that is not part of it: a quote, a
#: gateway's address type (Lotus/Exchange ``SMTP=``/``SMTP:``, DSN's ``rfc822;``).
_ADDRESS_PREFIX = re.compile(r"^(?:['\"`]+|(?:smtp|rfc822|internet)[=:;])+", re.IGNORECASE)
#: A report's help text ("our helpdesk can be reached at …"): its addresses are no recipients.
_HELP_TEXT = re.compile(
    r"\b(?:questions?|help ?desk|assistance|support|can be reached|reach (?:us|our)"
    r"|contact (?:us|our|your|the)|write to|abuse|for (?:more )?(?:help|information))\b",
    re.IGNORECASE,
)
#: A failure reply in a session transcript (``<-- 550 …``, ``<<< 550 …``) up to the next
#: transcript line; greetings and 250s before it are not the verdict.
_TRANSCRIPT_COMMAND = re.compile(
    r"(?:-->|>>>)[ \t]{0,4}(RCPT|MAIL|DATA|EHLO|HELO|STARTTLS|AUTH)\b", re.IGNORECASE
)
_TRANSCRIPT_FAILURE = re.compile(
    r"(?:<--|<<<)[ \t]{0,4}([45][0-5]\d(?:[ \-][^<>]{0,400}?)?)"
    r"(?=\s(?:<--|-->|<<<|>>>|(?:[A-Z][a-z]{2} )?\d{4}-\d\d-\d\d)|\s*$)"
)
_DAEMON_LOCAL = re.compile(r"^(?:mailer-daemon|mail-daemon|mailerdaemon|double-bounce)@", re.I)


class Fallback:
    """Generic plain-text bounce reader."""

    name = "fallback"
    order = 900
    body_markers = False

    def sniff(self, msg: BounceMessage) -> bool:
        if bounce_sender(msg.sender) or bounce_subject(msg.subject):
            return True
        # A gateway's report marked Auto-Submitted that RFC 3834 leaves to the reports,
        # or one whose text opens with an MTA's report banner ("THIS IS A WARNING MESSAGE ONLY").
        if msg.header("Auto-Submitted") and reports_failure(msg):
            return True
        return banner(msg.body[:_BANNER_HEAD].lower())

    def parse(self, msg: BounceMessage) -> Parsed | None:
        ctype = msg.content_type
        if ctype == "multipart/report" and "feedback" in str(msg.msg.get_param("report-type")):
            return None
        report, tail = split_returned(msg.body)
        report = report[:_MAX_REPORT]
        recipients = _recipients(report, {a.lower() for a in find_addresses(msg.sender)})
        # The bounce's own addressee (the original sender) is no recipient, unless it is
        # the only address named (anonymised samples, mail to oneself).
        to = {a.lower() for a in find_addresses(msg.header("To") or "")}
        others = [r for r in recipients if r[0].lower() not in to]
        returned = msg.returned or tail
        if recipients and not others:
            # The report names only its own addressee: the returned message says whom
            # the mail was for, unless that is the same person.
            others = [(a, -1) for a in original_recipients(returned) if a.lower() not in to]
        recipients = others or recipients
        if not recipients:
            inner = _inner_report(msg)
            if inner is not None:
                return inner
            recipients = [(a, -1) for a in original_recipients(returned)]
        if not recipients:
            return None
        lines = report.splitlines()
        shared = _shared_reply(lines, {line for _, line in recipients})
        evidence: list[Evidence] = []
        # Imported here: only this last resort needs the reply-text tables, and it reads
        # few of the messages of a scan.
        from bot.core.replytext import find_command

        delayed = delay_warning(report)
        starts = [max(line, 0) for _, line in recipients] + [len(lines)]
        for index, (address, line_no) in enumerate(recipients):
            own = _own_text(lines, line_no, starts[index + 1], address) if line_no >= 0 else ""
            text = own
            if shared and (not own or not _REPLY_IN_LINE.search(own)):
                text = f"{own} {shared}" if own else shared
            failure = _TRANSCRIPT_FAILURE.search(text) if ("<--" in text or "<<<" in text) else None
            diagnostic = normalize_space(failure.group(1) if failure is not None else text)
            command = find_command(diagnostic.lower()) if diagnostic else None
            if failure is not None:  # the command sent last before the failure reply
                sent = _TRANSCRIPT_COMMAND.findall(text, 0, failure.start())
                command = sent[-1].upper() if sent else command
            evidence.append(
                Evidence(
                    recipient=address,
                    diagnostic=diagnostic,
                    replycode=find_replycode(diagnostic) if diagnostic else None,
                    status=find_status(diagnostic) if diagnostic else None,
                    # "(in reply to RCPT TO command)", ">>> DATA": the stage of the refusal
                    # tells an unknown mailbox (RCPT) from a filter's verdict (DATA).
                    command=command,
                    action="delayed" if delayed else None,
                )
            )
        return Parsed(evidence=evidence, original=original_from_headers(returned))


def _inner_report(msg: BounceMessage) -> Parsed | None:
    """A bounce forwarded inside this one (a relay wrapping the real report): read that."""
    if msg.depth >= _MAX_DEPTH:
        return None
    for part in msg.find_parts("message/rfc822"):
        payload = part.get_payload()
        if not isinstance(payload, list) or not payload or not isinstance(payload[0], Message):
            continue
        inner = BounceMessage.from_message(payload[0], depth=msg.depth + 1)
        if not (bounce_sender(inner.sender) or inner.content_type == "multipart/report"):
            continue
        from bot.core.scan import detect

        found = detect(inner)
        if found is not None:
            return found[1]
    return None


def _recipients(report: str, exclude: set[str]) -> list[tuple[str, int]]:
    """(address, line number) for each address the report speaks of, first mention wins.

    Addresses on ``To:``/``Cc:`` lines (a summary of the original message) count only
    when no other line names one.
    """
    strong = _addresses(report, exclude, weak=False)
    return strong or _addresses(report, exclude, weak=True)


def _addresses(report: str, exclude: set[str], *, weak: bool) -> list[tuple[str, int]]:
    seen: set[str] = set()
    out: list[tuple[str, int]] = []
    in_header = False
    previous = ""
    for number, line in enumerate(report.splitlines()):
        above, previous = previous, line
        if in_header and line[:1] in (" ", "\t"):
            continue
        in_header = line[:1] not in (" ", "\t") and _HEADER_LINE.match(line) is not None
        if "@" not in line or in_header or _HEADER_LINE.match(line):
            continue
        if (_WEAK_LINE.match(line) is not None) != weak:
            continue
        if _HELP_TEXT.search(_ADDRESS.sub(" ", f"{above} {line}")):
            continue
        for match in _ADDRESS.finditer(line):
            address = _ADDRESS_PREFIX.sub("", match.group(0).strip("."))
            key = address.lower()
            if key in seen or key in exclude or _DAEMON_LOCAL.match(key):
                continue
            before = line[max(0, match.start() - 40) : match.start()]
            if _HELP_BEFORE.search(before) or before.endswith(("/", "=", "http:", "https:")):
                continue
            seen.add(key)
            out.append((address, number))
            if len(out) >= _MAX_RECIPIENTS:
                return out
    return out


def _own_text(lines: list[str], start: int, stop: int, address: str) -> str:
    """The recipient's line and its paragraph, without the address and decorations."""
    chunk: list[str] = []
    for number in range(start, min(stop, start + 12, len(lines))):
        line = lines[number]
        if number > start and (
            not line.strip() or _SEPARATOR.match(line) or _SUMMARY_LINE.match(line)
        ):
            break
        chunk.append(line)
    text = " ".join(chunk)
    text = re.sub(
        r"(?:['\"`]|(?:smtp|rfc822|internet)[=:;])*<?" + re.escape(address) + r">?['\"`]?",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    text = " ".join(text.split()).strip(" :;,-*>()[]")
    if len(_WORDS.findall(text)) < 1 and not _REPLY_IN_LINE.search(text):
        return ""
    return text


def _shared_reply(lines: list[str], recipient_lines: set[int]) -> str | None:
    """Reply lines of the report that no single recipient owns (transcripts, details)."""
    picked: list[str] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        if number not in recipient_lines and _REPLY_LINE.search(line):
            block = [line.strip()]
            follow = number + 1
            while follow < len(lines) and lines[follow][:1] in " \t" and lines[follow].strip():
                block.append(lines[follow].strip())
                follow += 1
            picked.append(" ".join(block))
            number = follow
            if len(picked) >= 3:
                break
            continue
        number += 1
    if picked:
        return " ".join(picked)
    return _explanation(lines, recipient_lines)


def _explanation(lines: list[str], recipient_lines: set[int]) -> str | None:
    """Without reply lines: the first paragraph after the recipients that says something."""
    if not recipient_lines:
        return None
    last = max(recipient_lines)
    for number in range(last + 1, min(len(lines), last + 40)):
        line = lines[number].strip()
        if not line or _SEPARATOR.match(line) or "@" in line:
            continue
        if len(_WORDS.findall(line)) >= 2:
            return line
    return None


DETECTOR = Fallback()
