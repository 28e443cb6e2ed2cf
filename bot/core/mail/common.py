"""Small text helpers every report format uses.

All functions are linear in their input (precompiled regexes without nested
quantifiers over overlapping classes) and never raise on odd input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.limits import MAX_REPORT_CHARS
from bot.core.model import Evidence, OriginalMessage

# --------------------------------------------------------------------------- addresses

#: A mailbox: local part and a dotted domain (or an address literal). Deliberately plain;
#: letters of any script are allowed (RFC 6531 internationalised addresses).
ADDRESS = re.compile(
    # The look-behind makes matches start only where a local part can start, so a long
    # run of word characters is scanned once, not once per position.
    r"(?<![\w!#$%&'*+/=?^`{|}~.\-])[\w!#$%&'*+/=?^`{|}~.\-]{1,128}@"
    r"(?:\[[0-9A-Fa-f:.IPv]{2,64}\]|[^\W_](?:[\w\-]{0,62}\.){1,8}[^\W\d_]{2,63})"
)
_ADDRESS = ADDRESS
_ADDRESS_FULL = re.compile(ADDRESS.pattern + r"\Z")


def find_addresses(text: str) -> list[str]:
    """Every email address in `text`, in order of first appearance, without duplicates.

    Case is kept as written; duplicates are compared case-insensitively.
    """
    seen: set[str] = set()
    out: list[str] = []
    for match in _ADDRESS.finditer(text):
        address = match.group(0).strip(".")
        if address.startswith(".") or "@" not in address:
            continue
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out


def strip_address(value: str | None) -> str | None:
    """The bare address from ``<a@b>``, ``rfc822; a@b``, ``"Name" <a@b>``, ``mailto:a@b``.

    Returns None when no address is found.
    """
    if not value:
        return None
    text = value.strip()
    if ";" in text[:16]:  # address-type prefix: rfc822; utf-8; x-local;
        text = text.split(";", 1)[1].strip()
    if "<" in text:
        inner = text[text.rfind("<") + 1 :]
        if ">" in inner:
            inner = inner[: inner.index(">")]
        if "@" in inner:
            text = inner
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>\"'()[],;:").strip()
    if _ADDRESS_FULL.match(text):
        return text
    found = find_addresses(text)
    return found[0] if found else None


def domain_of(address: str | None) -> str | None:
    """Lower-cased domain part of an address."""
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].lower().strip("[]") or None


# --------------------------------------------------------------------------- the returned message

#: Lines that introduce the returned original message (or its headers) in a plain-text bounce.
_MARKER_PHRASES = (
    "This is a copy of", "Below this line is a copy of", "Original message",
    "Returned mail follows", "The header of the original message", "Original mail",
    "Start of returned message", "Copy of the original", "Unsent Message below",
    "Message header follows", "Original Message Follows", "Returned message",
    "Headers of the original", "original message headers", "Message text follows",
    "The headers of your message", "Your message reads", "Unsent message follows",
    "Included is a copy of the message header", "Message headers follow",
    "Below is a copy of the original message",
    r"Content-Type:[ \t]*(?:message/rfc822|text/rfc822-headers|message/global)",
)
# Decoration before the phrase: quoting and blanks, optionally a rule of at least two
# of - = * _ | and blanks. Written so that no two parts can take the same ``|``: the
# plain ``[ \t>|]*(?:[-=*_|]{2,}[ \t]*)?`` accepts the same prefixes but backtracks
# quadratically on a long run of pipes. Possessive runs (``*+``): every phrase starts
# with a letter, so giving a blank or ``>`` back can never make a match.
_MARKER_LEAD = r"(?:(?=[ \t>]*+[-=*_|])(?:[ \t>|]*[ \t>])?[-=*_|]{2,}+[ \t]*+|[ \t>|]*+)"
_RETURNED_MARKERS = re.compile(
    r"^" + _MARKER_LEAD + "(?:" + "|".join(_MARKER_PHRASES) + ")",
    re.IGNORECASE | re.MULTILINE,
)


def split_returned(body: str) -> tuple[str, str]:
    """Cut a plain-text bounce into (report, returned original) at the first marker line.

    When no marker is found the whole body is the report and the original is "".
    """
    match = _RETURNED_MARKERS.search(body)
    if match is None:
        return body, ""
    return body[: match.start()], body[match.start() :]


# Possessive runs before the name and the colon: neither can end in a blank or ``>``.
_ORIG_HEADER = re.compile(
    r"^[ \t>]*+(Message-ID|Subject|From|To)[ \t]*+:[ \t]*(.*(?:\n[ \t]+\S.*)*)",
    re.IGNORECASE | re.MULTILINE,
)


def original_from_headers(text: str | None) -> OriginalMessage | None:
    """Message-ID, Subject and From of a returned message's header block (or loose text)."""
    if not text:
        return None
    from bot.core.mail.message import decode_header

    found: dict[str, str] = {}
    for match in _ORIG_HEADER.finditer(text[:MAX_REPORT_CHARS]):
        name, value = match.group(1).lower(), match.group(2)
        if name not in found:
            found[name] = value
        if len(found) == 4:
            break
    if not found:
        return None
    message_id = found.get("message-id")
    if message_id is not None:
        message_id = " ".join(message_id.split()) or None
    subject = decode_header(found["subject"]) if "subject" in found else None
    sender_raw = decode_header(found["from"]) if "from" in found else None
    sender = strip_address(sender_raw) or sender_raw
    if message_id is None and subject is None and sender is None:
        return None
    return OriginalMessage(message_id=message_id, subject=subject, sender=sender)


def original_recipients(text: str | None) -> list[str]:
    """Addresses in the ``To:`` header of a returned message's header block."""
    if not text:
        return []
    for match in _ORIG_HEADER.finditer(text[:MAX_REPORT_CHARS]):
        if match.group(1).lower() == "to":
            return find_addresses(match.group(2))
    return []


# --------------------------------------------------------------------------- codes

_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
_REPLYCODE = re.compile(r"(?<![\d.\-])([2-5][0-5]\d)(?=[ \-]|\Z|$)", re.MULTILINE)


def find_status(text: str | None) -> str | None:
    """First enhanced status code (``5.1.1``) in a text."""
    if not text:
        return None
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else None


def find_replycode(text: str | None) -> str | None:
    """First SMTP reply code that stands as a word (``550 ...``, ``550-...``)."""
    if not text:
        return None
    for match in _REPLYCODE.finditer(text):
        code = match.group(1)
        if code[1] in "012345":
            return code
    return None


def clean_status(value: str | None) -> str | None:
    """Just the ``d.d.d`` of a Status field (``5.1.1 (user unknown)`` -> ``5.1.1``)."""
    return find_status(value) if value else None


def normalize_space(text: str | None) -> str | None:
    """Collapse runs of whitespace; None for empty text."""
    if not text:
        return None
    out = " ".join(text.split())
    return out or None


def strip_diagnostic_type(value: str | None) -> str | None:
    """``smtp; 550 ...`` -> ``550 ...`` (the RFC 3464 diagnostic-type prefix dropped)."""
    if not value:
        return None
    text = value.strip()
    head = text[:12].lower()
    for prefix in ("smtp;", "x-unix;", "x-postfix;", "x-local;", "mta;", "x-smtp;"):
        if head.startswith(prefix):
            text = text[len(prefix) :]
            break
    return normalize_space(text)


# --------------------------------------------------------------------------- SMTP commands

#: How reports name the command a reply answered, most specific first; first match wins.
_COMMANDS: tuple[tuple[str, str], ...] = (
    ("end of data", "DATA"),
    ("bdat", "DATA"),
    ("data", "DATA"),
    ("message body", "DATA"),
    ("text", "DATA"),  # "for TEXT command": the message text, i.e. DATA
    ("sent the message", "DATA"),
    ("rcpt", "RCPT"),
    ("recipient", "RCPT"),
    ("mail from", "MAIL"),
    ("mail", "MAIL"),
    ("sender", "MAIL"),
    ("ehlo", "EHLO"),
    ("helo", "HELO"),
    ("my name", "HELO"),
    ("starttls", "STARTTLS"),
    ("auth", "AUTH"),
    ("connect", "CONN"),
    ("greeting", "CONN"),
    ("banner", "CONN"),
)


def smtp_command(phrase: str | None) -> str | None:
    """The canonical command (RCPT, MAIL, DATA, HELO, EHLO, CONN ...) a report's phrase names.

    `phrase` is the few words a format prints for it: ``RCPT TO``, ``end of DATA``,
    ``MAIL FROM:<a@b> SIZE=12``, ``initial connection``. None when none is named.
    """
    if not phrase:
        return None
    # The command's own words, not an address or parameter after it (RCPT TO:<data@x>).
    head = phrase[:80].split("<", 1)[0].split("@", 1)[0]
    low = " ".join(head.lower().replace(":", " ").split())
    for needle, command in _COMMANDS:
        at = low.find(needle)
        if at < 0:
            continue
        end = at + len(needle)
        if (at == 0 or not low[at - 1].isalpha()) and (end == len(low) or not low[end].isalpha()):
            return command
        if needle == "connect":  # connect, connection, connecting
            return command
    return None


# --------------------------------------------------------------------------- bounce-ish senders

_BOUNCE_SENDER = re.compile(
    r"mailer-daemon|post_?master|mail ?delivery|mail ?administrator|"
    r"delivery ?status|\bmaildelivery|\bmmdf\b|\bbounces?\b|system ?administrator|"
    r"\bnoreply-dmarc|\bdaemon\b|mailadmin|smtp[ \-]?gateway|\bmail ?system\b",
    re.IGNORECASE,
)

_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|returned mail|delivery status|delivery failure|"
    r"delivery report|delivery notification|failure notice|mail delivery failed|"
    r"delivery has failed|non[ \-]?delivery|could not be delivered|not delivered|"
    r"couldn't be delivered|delivery problem|mail failure|failed mail|"
    r"warning: could not send|delayed mail|delivery delayed|mail system error|"
    r"returned to sender|rejected|bounce|message not delivered|delivery error|"
    r"unzustellbar|nicht zustellbar|non remis|non distribuable|échec de la remise|"
    r"no entregado|non recapitabile|配信不能|配送不能|送信エラー|返送|未送達|エラー",
    re.IGNORECASE,
)


def bounce_sender(sender: str) -> bool:
    """Whether a From header looks like a bounce author (MAILER-DAEMON, postmaster ...)."""
    return bool(sender) and _BOUNCE_SENDER.search(sender) is not None


def bounce_subject(subject: str) -> bool:
    """Whether a Subject reads like a delivery report in one of the common languages."""
    return bool(subject) and _BOUNCE_SUBJECT.search(subject) is not None


# --------------------------------------------------------------------------- evidence

def evidence(
    recipient: str | None,
    diagnostic: str | None = None,
    **fields: str | None,
) -> Evidence:
    """Evidence with the recipient bare and the diagnostic whitespace-normalised.

    Missing reply code and status are left for `bot.core.classify`, which reads them
    from the diagnostic the same way for every format.
    """
    diag = normalize_space(diagnostic)
    ev = Evidence(recipient=strip_address(recipient) or recipient, diagnostic=diag)
    for name, value in fields.items():
        if value is not None:
            setattr(ev, name, value)
    return ev


def unique(items: Iterable[str]) -> list[str]:
    """Items without case-insensitive duplicates, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
