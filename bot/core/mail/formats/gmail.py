"""Gmail's "Delivery Status Notification" (mailer-daemon@googlemail.com), both layouts.

The legacy layout lists the recipients, then Gmail's explanation and the remote reply::

    Delivery to the following recipient failed permanently:

         kijitora@example.jp

    Technical details of permanent failure:
    Google tried to deliver your message, but it was rejected by the server for the
    recipient domain example.jp by mx.example.jp. [192.0.2.153].

    The error that the other server returned was:
    550 5.1.1 <kijitora@example.jp>... User Unknown (state 14).

The delay notice reads "Delivery to the following recipient has been delayed:" with
"Technical details of temporary failure:". Gmail doubles the reply code ("550 550
5.1.1 ...") and appends "(state N)", the step of its SMTP client that failed; both are
Gmail's, not the server's, and are taken off the diagnostic (the step gives the command).

The current layout has a title and one sentence per failure, then the reply::

    ** Address not found **

    Your message wasn't delivered to kijitora@example.jp because the address couldn't
    be found. ...
    Learn more here: https://support.google.com/mail/?p=NoSuchUser

    The response from the remote server was:
    550 5.1.1 The email account that you tried to reach does not exist.

("The response was:" when Gmail speaks for itself, e.g. a DNS error). Recipients come
from the text, X-Failed-Recipients, and the delivery-status part when there is one;
the DSN fields complete the text's.

When no remote server answered, Gmail's own words settle the reason
(`vendor_formats.toml` ``[gmail.own]``, ``[gmail.help_topic]``): a host that never
accepted a connection, or a notice that Gmail keeps retrying, means the message is
expiring in the queue.
"""

from __future__ import annotations

import re

from bot.core import reasons
from bot.core.mail.common import (
    find_addresses,
    normalize_space,
    original_from_headers,
    split_returned,
    strip_address,
    unique,
)
from bot.core.mail.detector import Parsed
from bot.core.mail.formats._mta import (
    MAX_REPORT,
    REPLY_START,
    dsn_of,
    finish,
    merge,
)
from bot.core.mail.formats._vendor import own_reason, table
from bot.core.mail.formats.rfc3464 import reporting_mta_of
from bot.core.mail.message import BounceMessage
from bot.core.model import Evidence

_LEGACY_HEAD = re.compile(
    r"^[ \t]*Delivery to the following recipients? (failed permanently|has been delayed|"
    r"failed|was delayed)[^\n]{0,40}$",
    re.IGNORECASE | re.MULTILINE,
)
_DETAILS = re.compile(r"Technical details of (?:permanent|temporary) failure:", re.IGNORECASE)
_OTHER_SERVER = re.compile(r"The error that the other server returned was:", re.IGNORECASE)
_TITLE = re.compile(r"^[ \t]*\*\*[ \t]*([^*\n]{3,80}?)[ \t]*\*\*[ \t]*$", re.MULTILINE)
_RESPONSE = re.compile(
    r"^[ \t]*The response(?: from the remote server)? was:[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_REMOTE_RESPONSE = re.compile(r"from the remote server", re.IGNORECASE)
#: Where the current layout's text part ends (the HTML alternative follows in `body`).
_HTML = re.compile(r"^[ \t]*<(?:!DOCTYPE|html)", re.IGNORECASE | re.MULTILINE)
_STATE = re.compile(r"\s*\(state (\d{1,3})\)\.?\s*$", re.IGNORECASE)
_DOUBLED = re.compile(r"^([245]\d\d) (?=\1[ \-])")
_HELP_TOPIC = re.compile(r"support\.google\.com/mail/[^\s?]{0,40}\?p=([A-Za-z]{3,40})")
_TEMPORARY = re.compile(
    r"has been delayed|was delayed|temporary problem|Delivery incomplete|will retry|"
    r"Technical details of temporary failure",
    re.IGNORECASE,
)
_SENTENCE_ADDRESS = re.compile(
    r"(?:delivered to|delivering your message to|deliver your message to|your message to)"
    r"\s+(\S{3,320})",
    re.IGNORECASE,
)


class Gmail:
    """Gmail / Google Workspace non-delivery and delay notices."""

    name = "gmail"
    order = 160
    body_markers = True

    def sniff(self, msg: BounceMessage) -> bool:
        sender = msg.sender.lower()
        if "mailer-daemon@google" in sender:
            return True
        return msg.msg.get("X-Gm-Message-State") is not None and "mailer-daemon" in sender

    def parse(self, msg: BounceMessage) -> Parsed | None:
        body = msg.body
        if "Technical details" not in body and "**" not in body and "Delivery to" not in body:
            return None
        report, tail = split_returned(body[:MAX_REPORT])
        html = _HTML.search(report)
        if html is not None:
            report = report[: html.start()]
        evidence = _legacy(report)
        if evidence is None:
            evidence = _current(msg, report)
        if not evidence:
            return None
        evidence = merge(evidence, dsn_of(msg))
        # When Gmail speaks for itself (a DNS error, a host it could not reach) no remote
        # server answered: as in any DSN without a Remote-MTA, the reporting MTA is the
        # host whose words the diagnostic is (the rfc3464 reader's rule).
        status_text = msg.delivery_status
        host = reporting_mta_of(status_text) if status_text and _gmail_spoke(report) else None
        for ev in evidence:
            if ev.remote_mta is None and host:
                ev.remote_mta = host
            finish(ev)
        return Parsed(evidence=evidence, original=original_from_headers(msg.returned or tail))


def _legacy(report: str) -> list[Evidence] | None:
    """The legacy layout, or None when the report is not in it."""
    head = _LEGACY_HEAD.search(report)
    if head is None:
        return None
    after = report[head.end() :]
    details = _DETAILS.search(after)
    listing = after[: details.start()] if details is not None else after
    recipients = _listed(listing)
    if not recipients:
        return None
    delayed = head.group(1).lower() != "failed permanently" and "delay" in head.group(1).lower()
    technical = after[details.end() :] if details is not None else ""
    other = _OTHER_SERVER.search(technical)
    if other is not None:
        diagnostic, command, state = _reply(technical[other.end() :])
        own = _state_reason(state, diagnostic)
    else:
        # Gmail's own explanation (or only "Message will be retried ..." in the listing).
        diagnostic = normalize_space(technical) or normalize_space(_after_listing(listing))
        command = None
        if REPLY_START.search(diagnostic or "") is None:
            own = own_reason("gmail.own", diagnostic)
        else:
            own = None
        if own is None and delayed and not technical.strip():
            own = "expired"
    action = "delayed" if delayed else "failed"
    return [
        Evidence(recipient=r, diagnostic=diagnostic, action=action, command=command, reason=own)
        for r in recipients
    ]


def _current(msg: BounceMessage, report: str) -> list[Evidence]:
    """The current layout ("** Address not found **" ...)."""
    title = _TITLE.search(report)
    if title is None:
        return []
    text = report[title.end() :]
    response = _RESPONSE.search(text)
    explanation = text[: response.start()] if response is not None else text
    if response is not None:
        diagnostic, command, _ = _reply(text[response.end() :])
        remote = _REMOTE_RESPONSE.search(response.group(0)) is not None
    else:
        diagnostic, command, remote = None, None, False
    named = [
        a for a in (strip_address(m.group(1)) for m in _SENTENCE_ADDRESS.finditer(explanation)) if a
    ]
    if response is None and not named:
        return []  # neither a reply nor Gmail's "wasn't delivered to ..." sentence
    recipients = _failed_recipients(msg) or named
    if not recipients:
        return []
    temporary = _TEMPORARY.search(f"{title.group(1)} {explanation}") is not None
    reason = None
    if not remote or (diagnostic and REPLY_START.search(diagnostic) is None):
        topic = _HELP_TOPIC.search(explanation)
        topics = table("gmail.help_topic")
        if topic is not None and isinstance(topics.get(topic.group(1)), str):
            reason = topics[topic.group(1)]
        else:
            reason = own_reason("gmail.own", diagnostic)
            if reason is None and temporary and not diagnostic:
                reason = "expired"
    if diagnostic is None:
        diagnostic = normalize_space(explanation)
    action = "delayed" if temporary else "failed"
    return [
        Evidence(recipient=r, diagnostic=diagnostic, action=action, command=command, reason=reason)
        for r in recipients
    ]


def _gmail_spoke(report: str) -> bool:
    """True when the notice quotes no remote server's reply, only Gmail's own words."""
    if _LEGACY_HEAD.search(report) is not None:
        return _OTHER_SERVER.search(report) is None
    response = _RESPONSE.search(report)
    return response is None or _REMOTE_RESPONSE.search(response.group(0)) is None


def _listed(listing: str) -> list[str]:
    """The indented addresses under the legacy heading, before Gmail's next sentence."""
    found: list[str] = []
    for line in listing.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        address = strip_address(stripped) if " " not in stripped else None
        if address is None:
            if found:
                break
            continue
        found.append(address)
    return unique(found)


def _after_listing(listing: str) -> str:
    """Gmail's lines after the recipient list ("Message will be retried for 2 more day(s)")."""
    lines = [ln.strip() for ln in listing.splitlines() if ln.strip()]
    return " ".join(ln for ln in lines if "@" not in ln or " " in ln)


def _reply(text: str) -> tuple[str | None, str | None, str | None]:
    """The remote reply without Gmail's doubled code and "(state N)"; the command; N."""
    block = text.strip().split("\n\n", 1)[0]
    reply = normalize_space(block)
    if reply is None:
        return None, None, None
    command = number = None
    state = _STATE.search(reply)
    if state is not None:
        number = state.group(1)
        named = table("gmail.state_command").get(number)
        command = named if isinstance(named, str) else None
        reply = reply[: state.start()].rstrip(" .") + "." if reply[: state.start()] else reply
    reply = _DOUBLED.sub("", reply)
    return reply, command, number


def _state_reason(state: str | None, reply: str | None) -> str | None:
    """The reason Gmail's failed step implies, when the reply's words name no cause."""
    if state is None or not reply:
        return None
    named = table("gmail.state_reason").get(state)
    if not isinstance(named, str):
        return None
    if reasons.match(reasons.prepare(reply)).strong is not None:
        return None
    return named


def _failed_recipients(msg: BounceMessage) -> list[str]:
    found: list[str] = []
    for value in msg.headers("X-Failed-Recipients"):
        found.extend(find_addresses(value))
    return unique(found)


DETECTOR = Gmail()
