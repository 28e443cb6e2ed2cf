"""Microsoft Exchange 2007 and later, Exchange Online / Office 365 and Outlook.com NDRs.

The human part (in the sender's language) lists the recipients and explains; the part
"for administrators" names, per recipient, the server's reply — these lines keep their
English form in every language::

    Delivery has failed to these recipients or groups:

    kijitora@example.com<mailto:kijitora@example.com>
    The email address you entered couldn't be found. ...

    Diagnostic information for administrators:

    Generating server: EXAMPLE.prod.outlook.com

    kijitora@example.com
    mx.example.com                                   (the remote host, when external)
    Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'

Older forms of the reply line: ``#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##``
(Exchange 2007) and ``#< #5.1.1 smtp;550 5.1.1 ...> #SMTP#`` (Exchange 2010 as
Outlook shows it). A recipient retried over time has one dated line per attempt,
newest first: ``3/09/2016 8:05:56 PM - Remote Server at host (ip) returned '...'``.
When the newest only says the queue expired (x.4.7), the earlier attempt tells why, and
its enhanced code is kept. The 2018+ layout ("Your message to X couldn't be delivered."
… "Reported error: 550 5.1.10 …") is read too.

Exchange's own component codes (RESOLVER.ADR.RecipNotFound, QUEUE.Expired ...) settle
the reason (`vendor_formats.toml` ``[exchange.own]``); otherwise the classifier decides
from the reply. A delivery-status part, when present, completes the text per recipient.
"""

from __future__ import annotations

import quopri
import re

from bot.core.mail.common import (
    find_status,
    normalize_space,
    original_from_headers,
    split_returned,
    strip_address,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    MAX_REPORT,
    dsn_of,
    finish,
    merge,
)
from bot.core.mail.formats._vendor import own_reason
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

#: ``[<when> - ](Remote )?Server[ at host (ip)] returned '<reply>'``
_RETURNED = re.compile(
    r"(?:Remote )?Server(?: at ([^\s(')]{1,255})(?: \([^)\n]{0,80}\))?)? returned '(.*)'[ \t.]*$",
    re.IGNORECASE,
)
_HASHED = re.compile(r"^[ \t]*#([245]\d\d[ \-][^\n]*?)[ \t]*##")
_ANGLE = re.compile(r"#< ?#([245]\.\d{1,3}\.\d{1,3}) (?:smtp;)?([^>\n]*)> ?#SMTP#", re.IGNORECASE)
_REPORTED = re.compile(r"^[ \t]*Reported error:[ \t]*(\S[^\n]*)$", re.IGNORECASE | re.MULTILINE)
_REMOTE_SERVER = re.compile(r"^[ \t]*Remote server:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
_RECEIVING = re.compile(r"^[ \t]*Receiving server:[ \t]*([^\s(]+)", re.IGNORECASE | re.MULTILINE)
_YOUR_MESSAGE_TO = re.compile(
    r"^[ \t]*Your message to (\S{3,320}) couldn't be delivered", re.IGNORECASE | re.MULTILINE
)
#: ``Name<mailto:a@b>`` / ``a@b (a@b)<mailto:a@b>``: a recipient in the human part.
_MAILTO = re.compile(r"<mailto:([^>\s]{3,320})>")
_GAVE_ERROR = re.compile(
    r"^[ \t]*(\S{1,255}) gave this error:[ \t]*\n[ \t]*(\S[^\n]*)", re.MULTILINE
)
_DELAYED = re.compile(
    r"Delivery is delayed to these recipients|hasn't been delivered yet|"
    r"will continue to (?:be attempted|try)",
    re.IGNORECASE,
)
#: Phrases of Exchange's reports (lowercase, found in the lower-cased body) ...
_MARKER_PHRASES = (
    "diagnostic information for administrators", "resolver.", "remote server returned",
    "delivery has failed to these recipients", "#smtp#",
)
#: ... and its sentences that need a pattern, each with a literal piece tried first.
_MARKER_SENTENCES = re.compile(r"your message to \S+ couldn't be delivered|\breturned '[245]\d\d ")
_SENTENCE_PIECES = ("couldn't be delivered", "returned '")
_HEADERS_START = re.compile(r"^(?:Received|Return-Path|DKIM-Signature|ARC-Seal):", re.IGNORECASE)
#: Where the HTML alternative starts after the text part (both end up in `body`).
_HTML = re.compile(r"^[ \t]*<(?:!DOCTYPE|html)", re.IGNORECASE | re.MULTILINE)
_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,250}\.[A-Za-z]{2,63}\.?$")
_SUBJECT = re.compile(
    r"^(?:Undeliverable|Undelivered|Non remis|Non recapitabile|Unzustellbar|"
    r"No se puede entregar|Onbestelbaar|N[ãa]o entregue|Nie dostarczono|"
    r"Nedoručitelné|Kézbesíthetetlen|Olevererbart|Ikke leveret|Kan ikke leveres|"
    r"Toimittamaton|Teslim Edilemedi|Невозможно доставить|配信不能|无法投递|無法傳遞|"
    r"배달되지 않음|Delayed|Delivery delayed)",
    re.IGNORECASE,
)


class Exchange:
    """Exchange 2007+ / Office 365 / Outlook.com non-delivery reports."""

    name = "exchange"
    order = 200
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        if "\nx-ms-exchange" in msg.header_names:
            return True
        return _SUBJECT.match(msg.subject) is not None

    def parse(self, msg: BounceMessage) -> Parsed | None:
        body = msg.body[:MAX_REPORT]
        if not _has_markers(body.lower()):
            return None
        report, tail = split_returned(_unquote(body))
        html = _HTML.search(report)
        if html is not None:
            report = report[: html.start()]
        evidence = _admin(report) or _newer(report) or _human(report)
        if not evidence:
            return None
        if _DELAYED.search(report):
            for ev in evidence:
                ev.action = ev.action or "delayed"
        evidence = merge(evidence, dsn_of(msg))
        for ev in evidence:
            ev.action = ev.action or "failed"
            if ev.reason is None:
                ev.reason = own_reason("exchange.own", ev.diagnostic)
            finish(ev)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _has_markers(lowered: str) -> bool:
    """Whether the lower-cased body holds one of Exchange's report phrases or sentences."""
    if any(phrase in lowered for phrase in _MARKER_PHRASES):
        return True
    if not any(piece in lowered for piece in _SENTENCE_PIECES):
        return False
    return _MARKER_SENTENCES.search(lowered) is not None


def _unquote(text: str) -> str:
    """Quoted-printable text left encoded (a part whose MIME boundary the parser missed)."""
    if "=\n" not in text or "quoted-printable" not in text[:4000].lower():
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return quopri.decodestring(raw).decode("utf-8", errors="replace")


def _admin(report: str) -> list[Evidence]:
    """Recipients of the administrators' part: an address line, then its reply lines."""
    receiving = _RECEIVING.search(report)
    default_host = receiving.group(1) if receiving is not None else None
    out: list[Evidence] = []
    current: str | None = None
    host: str | None = None
    replies: list[tuple[str, str | None]] = []

    def close() -> None:
        if current is not None and replies:
            out.append(_from_replies(current, replies, host or default_host))

    for line in report.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if _HEADERS_START.match(stripped):
            break
        reply = _reply_of(stripped)
        if reply is not None:
            if current is not None:
                replies.append(reply)
            continue
        if " " not in stripped and "@" in stripped:
            address = strip_address(stripped.split("##", 1)[0])
            if address is not None:
                close()
                current, host, replies = address, None, []
                continue
        if current is not None and not replies and _HOSTNAME.match(stripped):
            host = stripped.rstrip(".")
    close()
    return out


def _reply_of(line: str) -> tuple[str, str | None] | None:
    """(reply, remote host) of one administrators' line, or None when it is no reply line."""
    if "returned '" in line:
        match = _RETURNED.search(line)
        if match is not None:
            return match.group(2).strip(), match.group(1)
    match = _HASHED.match(line)
    if match is not None:
        return match.group(1), None
    angle = _ANGLE.search(line)
    if angle is not None:
        reply = angle.group(2).strip()
        if find_status(reply) is None:
            reply = f"{angle.group(1)} {reply}"
        return reply, None
    return None


def _from_replies(
    recipient: str, replies: list[tuple[str, str | None]], host: str | None
) -> Evidence:
    """The newest reply is the diagnostic; a bare queue expiry takes the earlier cause's code."""
    diagnostic, at = replies[0]
    ev = Evidence(
        recipient=recipient, diagnostic=normalize_space(diagnostic), remote_mta=at or host
    )
    status = find_status(diagnostic)
    if status is not None and status.endswith(".4.7") and len(replies) > 1:
        for earlier, earlier_host in replies[1:]:
            cause = find_status(earlier)
            if cause is not None and cause != status:
                ev.status = cause
                ev.reason = own_reason("exchange.own", diagnostic) or "expired"
                ev.remote_mta = earlier_host or ev.remote_mta
                break
    return ev


def _newer(report: str) -> list[Evidence]:
    """The 2018+ layout: "Your message to X couldn't be delivered." and "Reported error:"."""
    reported = _REPORTED.search(report)
    target = _YOUR_MESSAGE_TO.search(report)
    if reported is None or target is None:
        return []
    recipient = strip_address(target.group(1))
    if recipient is None:
        return []
    remote = _REMOTE_SERVER.search(report)
    return [
        Evidence(
            recipient=recipient,
            diagnostic=normalize_space(reported.group(1)),
            remote_mta=remote.group(1) if remote is not None else None,
        )
    ]


def _human(report: str) -> list[Evidence]:
    """Only the human part: ``<mailto:>`` recipients, the remote host's error or the explanation."""
    out: list[Evidence] = []
    seen: set[str] = set()
    gave = _GAVE_ERROR.search(report)
    for match in _MAILTO.finditer(report):
        address = strip_address(match.group(1))
        if address is None or address.lower() in seen:
            continue
        seen.add(address.lower())
        rest = report[match.end() : match.end() + 2000]
        explanation = normalize_space(rest.strip().split("\n\n", 1)[0])
        if gave is not None:
            out.append(Evidence(recipient=address, diagnostic=normalize_space(gave.group(2)),
                                remote_mta=gave.group(1)))
        else:
            out.append(Evidence(recipient=address, diagnostic=explanation))
    return out


DETECTOR = Exchange()
