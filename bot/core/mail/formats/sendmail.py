"""Sendmail's "Returned mail" reports, from today's 8.x back to the V5 era.

Two sections matter::

       ----- The following addresses had permanent fatal errors -----
    <kijitora@example.jp>
        (reason: 550 5.1.1 <kijitora@example.jp>... User Unknown)

       ----- Transcript of session follows -----
    ... while talking to mx.example.jp.:
    >>> DATA
    <<< 550 5.1.1 <kijitora@example.jp>... User Unknown
    550 5.1.1 <kijitora@example.jp>... User unknown
    <<< 503 5.0.0 Need RCPT (recipient)

The transcript gives each recipient the remote server's whole reply (``<<<`` lines,
multi-line replies joined), the command it answered (``>>>``) and the host. With
PIPELINING, sendmail sends RCPT and DATA together and shows only ``>>> DATA``: when
several replies follow one DATA, all but the last may answer the RCPTs, and the
transcript cannot say which. Such a reply counts as RCPT's answer when the recipient's
status names an address problem (X.1.x); otherwise it is read as the transcript shows
it, an answer to DATA (Sisimai's reading too: an unknown-user reply there without an
address status is a filter's verdict, ``filtered``). Summary lines
(``550 5.1.1 <addr>... User unknown``, ``<addr>... Deferred: …``) say which recipient
a reply concerns; V5 sendmail has only those and the transcript. The RFC 3464 part of
newer versions adds Status and Remote-MTA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.limits import MAX_RECIPIENTS
from bot.core.mail.common import (
    normalize_space,
    original_from_headers,
    original_recipients,
    smtp_command,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    dsn_of,
    finish,
    local_mailers,
    merge,
    own_reason,
    split_report,
)
from bot.core.mail.formats.rfc3464 import dsn_evidence
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_TRANSCRIPT = re.compile(
    r"^[ \t>]*-{3,}[ \t]*Transcript of session follows", re.IGNORECASE | re.MULTILINE
)
_ADDRESSES_HEAD = re.compile(
    r"^[ \t>]*-{3,}[ \t]*The following addresses? had (permanent fatal|transient non-fatal) errors",
    re.IGNORECASE | re.MULTILINE,
)
_SECTION = re.compile(r"^[ \t>]*-{3,}", re.MULTILINE)
_REASON = re.compile(r"^\(reason:[ \t]*(.*?)\)?[ \t]*$", re.IGNORECASE)
_TALKING = re.compile(r"^\.{0,3}[ \t]*while talking to[ \t]+([^\s:]{1,255}?)\.?:?[ \t]*$", re.I)
_SUMMARY = re.compile(
    r"^(?:([245]\d\d)(?:[ \-]([245]\.\d{1,3}\.\d{1,3}))?[ \t]+)?"
    r"(<[^<>\s]{1,320}>|[^<>\s]{1,320}@[^<>\s]{1,255}|[A-Za-z0-9._\-+]{1,64})\.\.\.[ \t]*(.*)$"
)
_HOST_LINE = re.compile(
    r"^([245]\d\d)[ \t]+([A-Za-z0-9.\-\[\]:]{1,255})[ \t]+\(\w{1,20}\)\.\.\.[ \t]*(.*)$"
)
_LOOSE_DSN = re.compile(r"^Final-Recipient:", re.IGNORECASE | re.MULTILINE)
_IGNORED_COMMANDS = ("QUIT", "RSET", "NOOP")
_WORD = re.compile(r"[^\W\d_]{2,}")
_OWN_REPLY = re.compile(r"^[45]\d\d[ \-]\S")
_CONTINUATION = re.compile(r"[245]\d\d-")


@dataclass(slots=True)
class _Reply:
    """One remote reply of the transcript."""

    text: str
    command: str | None
    host: str | None
    pipelined: bool = False
    #: A recipient's summary line took this reply as its own.
    claimed: bool = False


class Sendmail:
    """Sendmail's non-delivery and delay reports (8.x and V5)."""

    name = "sendmail"
    order = 315
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        subject = msg.subject.lower()
        if subject.startswith(("returned mail:", "warning: could not send message")):
            return True
        return "mail delivery subsystem" in msg.sender.lower()

    def parse(self, msg: BounceMessage) -> Parsed | None:
        report, tail = split_report(msg)
        transcript = _TRANSCRIPT.search(report)
        head = _ADDRESSES_HEAD.search(report)
        if transcript is None and head is None:
            return None
        listed = _listed(report, head) if head is not None else []
        action = "delayed" if head is not None and head.group(1).lower().startswith("t") else None
        per_recipient, shared, own_lines = (
            _transcript(report[transcript.end() :]) if transcript is not None else ({}, None, [])
        )
        own_text = " ".join(own_lines)
        recipients = [r for r, _ in listed] or list(per_recipient)
        hosts = _host_lines(own_lines)
        if not recipients and hosts:
            # Only "421 example.com (smtp)... Deferred: …": the unsent message says for whom.
            recipients = original_recipients(msg.returned or tail)
            for recipient in recipients:
                text = hosts.get(recipient.rsplit("@", 1)[-1].lower()) or next(iter(hosts.values()))
                per_recipient.setdefault(recipient.lower(), (text, None, None))
        own_replies = [line for line in own_lines if _OWN_REPLY.match(line)]
        own_reply = own_replies[-1] if own_replies else None
        reasons = dict(listed)
        evidence: list[Evidence] = []
        for recipient in recipients:
            key = recipient.lower()
            found = per_recipient.get(key)
            if found is None and shared is not None:
                found = (shared.text, _command_of(shared), shared.host)
            diagnostic, command, host = found if found is not None else (None, None, None)
            diagnostic = diagnostic or reasons.get(key) or None
            if not _says_something(diagnostic) and own_reply:
                diagnostic = own_reply  # "(reason: 255)": sendmail's own line says more
            ev = Evidence(
                recipient=recipient,
                diagnostic=normalize_space(diagnostic),
                command=command,
                remote_mta=host,
                action=action,
            )
            if not _says_something(ev.diagnostic):
                ev.reason = own_reason("sendmail", f"{ev.diagnostic or ''} {own_text}")
            evidence.append(finish(ev))
        dsn = dsn_of(msg)
        if not dsn and _LOOSE_DSN.search(report):
            dsn = dsn_evidence(report, status_comments=False)
        if not evidence and not dsn:
            return None
        evidence = merge(evidence, dsn)
        for ev in evidence:
            if own_reply and not _says_something(ev.diagnostic):
                ev.diagnostic = own_reply  # the DSN's "X-Unix; 71" says less than sendmail
                finish(ev)
        for ev in evidence:
            if ev.command == _PIPELINED:
                ev.command = "RCPT" if _address_status(ev.status) else "DATA"
        local_mailers(msg, evidence)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _lines(text: str) -> list[str]:
    """Lines without the quoting a forwarded report carries (``> ``)."""
    out = []
    for line in text.splitlines():
        if line.startswith("> ") or line == ">":
            line = line[2:]
        elif line.startswith(">>>>") or line.startswith("><<<"):
            line = line[1:]
        out.append(line)
    return out


def _listed(report: str, head: re.Match[str]) -> list[tuple[str, str]]:
    """(recipient, reason text) from the "following addresses had … errors" section."""
    body = report[head.end() :]
    body = body.split("\n", 1)[1] if "\n" in body else ""
    end = _SECTION.search(body)
    if end is not None:
        body = body[: end.start()]
    out: list[tuple[str, str]] = []
    for line in _lines(body):
        text = line.strip()
        if not text:
            continue
        reason = _REASON.match(text)
        if reason is not None and out:
            out[-1] = (out[-1][0], reason.group(1).strip())
            continue
        if text.startswith("(") or line[:1] in " \t":
            continue
        address = strip_address(text) or text.strip('<>"')
        if address:
            out.append((address, ""))
        if len(out) >= MAX_RECIPIENTS:
            break
    return [(address, reason) for address, reason in out]


def _transcript(
    text: str,
) -> tuple[dict[str, tuple[str, str | None, str | None]], _Reply | None, list[str]]:
    """Per-recipient (reply, command, host), the last unclaimed error, sendmail's own lines."""
    text = text.split("\n", 1)[1] if "\n" in text else ""  # past the section's own dashes
    end = _SECTION.search(text)
    lines = _lines(text[: end.start()] if end is not None else text)
    # First pass: events, with multi-line replies joined (each reply's lines are
    # collected and joined once, not copied again for every further line).
    pieces: list[tuple[str, list[str]]] = []
    continued = False  # the previous reply line was "550-…": the next one belongs to it
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("<<<"):
            reply = stripped[3:].strip()
            if continued and pieces and pieces[-1][0] == "reply":
                pieces[-1][1].append(reply)
            else:
                pieces.append(("reply", [reply]))
            continued = _CONTINUATION.match(reply) is not None
            continue
        continued = False
        if stripped.startswith(">>>"):
            pieces.append(("cmd", [stripped[3:].strip()]))
        elif _TALKING.match(stripped):
            pieces.append(("host", [_TALKING.match(stripped).group(1)]))  # type: ignore[union-attr]
        else:
            pieces.append(("line", [stripped]))
    events = [(kind, " ".join(parts)) for kind, parts in pieces]
    pipelined = _pipelined(events)
    found: dict[str, tuple[str, str | None, str | None]] = {}
    own: list[str] = []
    host: str | None = None
    command: str | None = None
    last: _Reply | None = None
    errors: list[_Reply] = []
    pending: list[str] = []
    for index, (kind, value) in enumerate(events):
        if kind == "host":
            host, command, pending = value.rstrip("."), None, []
        elif kind == "cmd":
            command = value
        elif kind == "reply":
            verb = (command or "").split(" ", 1)[0].upper()
            if value[:1] in "45" and verb not in _IGNORED_COMMANDS:
                # A reply before any ">>>" command answered the connection (the greeting).
                last = _Reply(value, command or "connection", host, pipelined=index in pipelined)
                errors.append(last)
        else:
            summary = _SUMMARY.match(value)
            if summary is None or not _is_recipient(summary.group(3)):
                own.append(value)
                if not _has_reply(value) and _HOST_LINE.match(value) is None:
                    pending.append(value)  # "mail.local: unknown user: neko" before its summary
                continue
            recipient = summary.group(3).strip("<>")
            message = summary.group(4).strip()
            if last is not None and not last.claimed and _same_host(last, host):
                last.claimed = True
                entry = (last.text, _command_of(last), last.host)
            else:
                code = " ".join(g for g in summary.group(1, 2) if g)
                text = message if _has_reply(message) else f"{code} {message}".strip()
                if not _has_reply(message) and pending:
                    text = f"{text} {' '.join(pending[-3:])}"  # the local program's own words
                entry = (_after_deferred(text), None, host)
            pending = []
            found.setdefault(recipient.lower(), entry)
            if len(found) >= MAX_RECIPIENTS:
                break
    # The first error nobody claimed is the cause; later ones ("503 Need RCPT") follow from it.
    shared = next((reply for reply in errors if not reply.claimed), None)
    return found, shared, own


def _host_lines(lines: list[str]) -> dict[str, str]:
    """Domain -> ``421 Deferred: …`` from sendmail's per-host lines (``421 host (smtp)... …``)."""
    out: dict[str, str] = {}
    for line in lines:
        match = _HOST_LINE.match(line)
        if match is not None:
            code, host, message = match.groups()
            text = message if _has_reply(message) else f"{code} {message}"
            out.setdefault(host.rstrip(".").lower(), _after_deferred(text))
    return out


def _pipelined(events: list[tuple[str, str]]) -> set[int]:
    """Indexes of replies that answer pipelined RCPTs: all but the last reply after a DATA."""
    out: set[int] = set()
    index = 0
    while index < len(events):
        kind, value = events[index]
        if kind == "cmd" and smtp_command(value) == "DATA":
            replies = []
            follow = index + 1
            while follow < len(events) and events[follow][0] not in ("cmd", "host"):
                if events[follow][0] == "reply":
                    replies.append(follow)
                follow += 1
            out.update(replies[:-1])
            index = follow
            continue
        index += 1
    return out


#: The command of a reply that followed a pipelined DATA (RCPT or DATA: see the module doc).
_PIPELINED = "RCPT|DATA"


def _command_of(reply: _Reply) -> str | None:
    return _PIPELINED if reply.pipelined else smtp_command(reply.command)


def _address_status(status: str | None) -> bool:
    """An enhanced status about the address (X.1.x): the answer RCPT gives."""
    return status is not None and status[1:3] == ".1"


def _is_recipient(token: str) -> bool:
    bare = token.strip("<>")
    return "@" in bare or token.startswith("<") or bare.isidentifier()


def _same_host(reply: _Reply, host: str | None) -> bool:
    return reply.host == host


def _has_reply(message: str) -> bool:
    return re.search(r"(?<![\d.])[245]\d\d(?:[ \-]|$)", message[:40]) is not None


def _after_deferred(text: str) -> str:
    """``Deferred: 450 4.7.1 …`` -> ``450 4.7.1 …``: the reason after sendmail's status word."""
    for prefix in ("Deferred: ", "deferred: "):
        at = text.find(prefix)
        if at >= 0 and _has_reply(text[at + len(prefix) :]):
            return text[at + len(prefix) :]
    return text


def _says_something(diagnostic: str | None) -> bool:
    """A reply with words of its own (not a bare ``421``) decides over sendmail's notes."""
    if not diagnostic:
        return False
    words = _WORD.finditer(diagnostic)  # two are enough: not every word is looked for
    return next(words, None) is not None and next(words, None) is not None


DETECTOR = Sendmail()
